using SemiSeg.Training.Config;
using SemiSeg.Training.Data;
using SemiSeg.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Tests.Models;

public sealed class ModelFactoryTests : IDisposable
{
    private static readonly DatasetInfo Scenes =
        new(DatasetNames.FashionScenes, "test", Enumerable.Range(0, 11).Select(i => $"class{i}").ToArray(), IsSegmentation: true);

    private static readonly DatasetInfo Cifar =
        new(DatasetNames.Cifar10, "test", Enumerable.Range(0, 10).Select(i => $"class{i}").ToArray(), IsSegmentation: false);

    private readonly string directory = Directory.CreateTempSubdirectory("semiseg-models-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static ModelConfig Config(string architecture, string? pretrained = null) =>
        new() { Architecture = architecture, PretrainedEncoder = pretrained };

    private static bool SameValues(Tensor a, Tensor b)
    {
        using var equal = a.eq(b).all();
        return a.shape.SequenceEqual(b.shape) && equal.item<bool>();
    }

    [Fact]
    public void Create_BuildsTheNamedModelWithOneOutputPerClass()
    {
        using var scope = NewDisposeScope();
        using (var swiftNet = ModelFactory.Create(Config(ModelNames.SwiftNetRn18), Scenes))
        {
            Assert.IsType<SwiftNet>(swiftNet);
            swiftNet.eval();
            using var _ = no_grad();
            Assert.Equal([1L, 11, 64, 64], swiftNet.call(rand(1, 3, 64, 64)).shape);
        }
        using (var wrn = ModelFactory.Create(Config(ModelNames.Wrn28x2), Cifar))
        {
            Assert.IsType<WideResNet>(wrn);
            Assert.Equal([2L, 10], wrn.call(rand(2, 3, 32, 32)).shape);
        }
    }

    [Fact]
    public void Create_ClassificationModelOnSegmentationData_SaysWhatToUse()
    {
        var e = Assert.Throws<ModelConfigException>(() => ModelFactory.Create(Config(ModelNames.Wrn28x2), Scenes));
        Assert.Equal(
            "model.architecture: wrn-28-2 is a classification model but data.dataset fashion-scenes is a segmentation " +
            "dataset; use swiftnet-rn18 or deeplabv2-rn101.", e.Message);
    }

    [Fact]
    public void Create_SegmentationModelOnClassificationData_SaysWhatToUse()
    {
        var e = Assert.Throws<ModelConfigException>(() => ModelFactory.Create(Config(ModelNames.DeepLabV2Rn101), Cifar));
        Assert.Equal(
            "model.architecture: deeplabv2-rn101 is a segmentation model but data.dataset cifar10 is a classification " +
            "dataset; use wrn-28-2.", e.Message);
        Assert.IsAssignableFrom<ArgumentException>(e);
    }

    [Fact]
    public void Create_UnknownArchitecture_ListsValidNames()
    {
        var e = Assert.Throws<ModelConfigException>(() => ModelFactory.Create(Config("swiftnet-rn34"), Scenes));
        Assert.Contains("'swiftnet-rn34'", e.Message);
        Assert.Contains("swiftnet-rn18, deeplabv2-rn101, wrn-28-2", e.Message);
    }

    [Fact]
    public void PretrainedEncoder_RoundTripsThroughAFile()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(7);
        using var source = ResNet.ResNet18();
        // Make running statistics non-trivial too, so buffers are checked as well as parameters.
        source.train();
        source.call(rand(2, 3, 64, 64));
        string path = Path.Combine(directory, "resnet18.dat");
        source.save(path);

        torch.manual_seed(8);
        using var model = ModelFactory.Create(Config(ModelNames.SwiftNetRn18, path), Scenes);
        var expected = source.state_dict();
        var actual = model.EncoderModule.state_dict();
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (key, value) in expected)
            Assert.True(SameValues(value, actual[key]), $"{key} differs after loading");
        Assert.True(SameValues(model.state_dict()["backbone.conv1.weight"], expected["conv1.weight"]));
    }

    [Fact]
    public void PretrainedEncoder_WithoutBatchCounters_Loads()
    {
        // Older torchvision checkpoints have no num_batches_tracked entries; those may be absent.
        torch.manual_seed(9);
        using var source = ResNet.ResNet18();
        var counters = source.state_dict().Keys.Where(k => k.EndsWith("num_batches_tracked", StringComparison.Ordinal)).ToList();
        string path = Path.Combine(directory, "no-counters.dat");
        source.save(path, skip: counters);

        using var model = ModelFactory.Create(Config(ModelNames.SwiftNetRn18, path), Scenes);
        Assert.True(SameValues(model.EncoderModule.state_dict()["layer4.1.conv2.weight"], source.state_dict()["layer4.1.conv2.weight"]));
    }

    [Fact]
    public void PretrainedEncoder_WithPrefixedKeys_NamesFileAndFirstKeys()
    {
        // A whole-model file (keys "backbone.*") instead of an encoder file.
        using var whole = new SwiftNet(11);
        string path = Path.Combine(directory, "whole-swiftnet.dat");
        whole.save(path);

        var e = Assert.Throws<ModelConfigException>(() => ModelFactory.Create(Config(ModelNames.SwiftNetRn18, path), Scenes));
        Assert.Contains(path, e.Message);
        Assert.Contains("model.pretrained_encoder", e.Message);
        Assert.Contains("missing key(s): conv1.weight", e.Message);
        Assert.Contains("unexpected key(s): backbone.conv1.weight", e.Message);
        Assert.Contains("the file's like 'backbone.conv1.weight'", e.Message);
    }

    [Fact]
    public void PretrainedEncoder_WithOtherShapes_ListsShapeMismatches()
    {
        // WRN-28-4 features have WRN-28-2's names but twice the widths.
        using var wider = new WideResNet(10, depth: 28, widthFactor: 4);
        string path = Path.Combine(directory, "wrn-28-4.dat");
        wider.EncoderModule.save(path);

        var e = Assert.Throws<ModelConfigException>(() => ModelFactory.Create(Config(ModelNames.Wrn28x2, path), Cifar));
        Assert.Contains(path, e.Message);
        Assert.Contains("shape mismatch(es): group1.0.conv1.weight (file [64, 16, 3, 3], model [32, 16, 3, 3])", e.Message);
        Assert.DoesNotContain("missing key(s)", e.Message);
    }

    [Fact]
    public void PretrainedEncoder_MissingOrCorruptFile_IsAClearError()
    {
        string missing = Path.Combine(directory, "nope.dat");
        var e = Assert.Throws<ModelConfigException>(() => ModelFactory.Create(Config(ModelNames.SwiftNetRn18, missing), Scenes));
        Assert.Equal($"model.pretrained_encoder: the file '{missing}' does not exist.", e.Message);

        string corrupt = Path.Combine(directory, "corrupt.dat");
        File.WriteAllBytes(corrupt, [3, 5, 1, 2]);
        e = Assert.Throws<ModelConfigException>(() => ModelFactory.Create(Config(ModelNames.SwiftNetRn18, corrupt), Scenes));
        Assert.Contains(corrupt, e.Message);
        Assert.Contains("not a readable TorchSharp state-dict file", e.Message);
    }
}
