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
        Assert.StartsWith($"model.pretrained_encoder: the file '{missing}' does not exist on this machine", e.Message);
        Assert.Contains("Fix: copy the weights file to that path on every worker", e.Message);

        string corrupt = Path.Combine(directory, "corrupt.dat");
        File.WriteAllBytes(corrupt, [3, 5, 1, 2]);
        e = Assert.Throws<ModelConfigException>(() => ModelFactory.Create(Config(ModelNames.SwiftNetRn18, corrupt), Scenes));
        Assert.Contains(corrupt, e.Message);
        Assert.Contains("not a readable TorchSharp state-dict file", e.Message);
    }

    /// <summary>A torchvision-style state dict: the encoder's entries without BN counters, plus the classifier.</summary>
    private static Dictionary<string, Tensor> TorchvisionStateDict(nn.Module encoder)
    {
        var state = encoder.state_dict()
            .Where(kv => !kv.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        state["fc.weight"] = randn(1000, 512);
        state["fc.bias"] = randn(1000);
        return state;
    }

    /// <summary>The safetensors format written by hand (8-byte header length, JSON header, raw little-endian data), so
    /// the reader is checked against the format rather than against its own writer.</summary>
    private static void WriteSafetensors(string path, IReadOnlyDictionary<string, Tensor> state)
    {
        var header = new Dictionary<string, object>();
        using var data = new MemoryStream();
        foreach (var (key, value) in state)
        {
            byte[] bytes = value.contiguous().bytes.ToArray();
            header[key] = new { dtype = "F32", shape = value.shape, data_offsets = new[] { data.Length, data.Length + bytes.Length } };
            data.Write(bytes);
        }
        byte[] json = System.Text.Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(header));
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((ulong)json.Length));
        file.Write(json);
        file.Write(data.ToArray());
    }

    [Fact]
    public void PretrainedEncoder_TorchvisionSafetensorsAndPth_LoadWithTheClassifierSkipped()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(11);
        using var source = ResNet.ResNet18();
        source.train();
        source.call(rand(2, 3, 64, 64)); // non-trivial running statistics
        string safetensors = Path.Combine(directory, "resnet18.safetensors");
        WriteSafetensors(safetensors, TorchvisionStateDict(source));
        string pth = Path.Combine(directory, "resnet18-f37072fd.pth");
        TorchSharp.PyBridge.PyTorchPickler.PickleStateDict(pth, TorchvisionStateDict(source));

        foreach (string path in new[] { safetensors, pth })
        {
            torch.manual_seed(12);
            using var model = ModelFactory.Create(Config(ModelNames.SwiftNetRn18, path), Scenes);
            var actual = model.EncoderModule.state_dict();
            foreach (var (key, value) in source.state_dict().Where(kv => !kv.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal)))
                Assert.True(SameValues(value, actual[key]), $"{Path.GetFileName(path)}: {key} differs after loading");
            Assert.Equal(StridedPadding.Symmetric, ((ResNet)model.EncoderModule).Padding);
        }
    }

    [Fact]
    public void PretrainedEncoder_SafetensorsOrPthThatDoNotFit_ListTheMismatches()
    {
        using var scope = NewDisposeScope();
        using var source = ResNet.ResNet18();
        var state = TorchvisionStateDict(source);
        state.Remove("layer4.1.conv2.weight");
        state["layer1.0.conv1.weight"] = randn(64, 64, 1, 1);
        string safetensors = Path.Combine(directory, "partial.safetensors");
        WriteSafetensors(safetensors, state);
        var e = Assert.Throws<ModelConfigException>(() => ModelFactory.Create(Config(ModelNames.SwiftNetRn18, safetensors), Scenes));
        Assert.Contains($"'{safetensors}' does not fit the encoder", e.Message);
        Assert.Contains("1 missing key(s): layer4.1.conv2.weight", e.Message);
        Assert.Contains("1 shape mismatch(es): layer1.0.conv1.weight (file [64, 64, 1, 1], model [64, 64, 3, 3])", e.Message);

        string pth = Path.Combine(directory, "broken.pth");
        File.WriteAllText(pth, "not a zip");
        e = Assert.Throws<ModelConfigException>(() => ModelFactory.Create(Config(ModelNames.SwiftNetRn18, pth), Scenes));
        Assert.StartsWith($"model.pretrained_encoder: '{pth}' is not a readable PyTorch state-dict file", e.Message);
    }

    [Fact]
    public void Pin_NameGetsItsFixedHash_FileGetsItsContentHash_AndTheTrainerRefusesAnotherFile()
    {
        var named = Config(ModelNames.SwiftNetRn18, PretrainedEncoderNames.ImageNetResNet18);
        PretrainedEncoders.Pin(named);
        Assert.Equal(ImageNetResNet18Onnx.Sha256, named.PretrainedEncoderSha256);
        named.PretrainedEncoderSha256 = new string('0', 64);
        var wrongName = Assert.Throws<ConfigException>(() => PretrainedEncoders.Pin(named));
        Assert.Contains("remove the field (a name has a fixed hash)", wrongName.Message);

        torch.manual_seed(13);
        using var encoder = ResNet.ResNet18();
        string path = Path.Combine(directory, "pinned.dat");
        encoder.save(path);
        var file = Config(ModelNames.SwiftNetRn18, path);
        PretrainedEncoders.Pin(file);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))), file.PretrainedEncoderSha256);

        // Another file at the same path on the worker: refused, with both hashes.
        torch.manual_seed(14);
        using var other = ResNet.ResNet18();
        File.Delete(path);
        other.save(path);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        var e = Assert.Throws<ModelConfigException>(() => ModelFactory.Create(file, Scenes));
        Assert.Contains($"but the run was submitted with {file.PretrainedEncoderSha256}", e.Message);
        Assert.Contains("Fix: put the same file at that path on this machine", e.Message);

        var absent = Config(ModelNames.SwiftNetRn18, Path.Combine(directory, "only-on-workers.pth"));
        var missing = Assert.Throws<ConfigException>(() => PretrainedEncoders.Pin(absent));
        Assert.Contains("does not exist on this machine, so its SHA-256 (part of the run key) cannot be computed", missing.Message);
        Assert.Contains("set model.pretrained_encoder_sha256 to the output of 'sha256sum FILE'", missing.Message);
        absent.PretrainedEncoderSha256 = new string('a', 64);
        PretrainedEncoders.Pin(absent); // a given hash is kept; the workers check it
        Assert.Equal(new string('a', 64), absent.PretrainedEncoderSha256);
    }
}
