using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;
using Onnx;
using SemiSeg.Training.Config;
using SemiSeg.Training.Models;
using TorchSharp;
using static SemiSeg.Training.Tests.Models.ModelTestHelpers;
using static TorchSharp.torch;

namespace SemiSeg.Training.Tests.Models;

/// <summary>The ImageNet ResNet-18 from Microsoft.ML.DnnImageFeaturizer.ResNet18 against ONNX Runtime on the same
/// inputs. The files come with NuGet restore (the graph is also copied into the test's output folder).</summary>
public sealed class ImageNetResNet18OnnxTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("semiseg-onnx-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static string PackageFile(string pathInPackage) => Path.Combine(
        Path.GetDirectoryName(PretrainedEncoders.DefaultSearchPaths()[1])!, "..", "..", "..", pathInPackage);

    /// <summary>The graph with free input height and width, the final 7x7 average pool removed and the four stage
    /// outputs as graph outputs, so a small input runs and every stage can be compared.</summary>
    private static byte[] GraphWithStageOutputs(string onnxPath)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnxPath));
        var graph = model.Graph;
        var input = graph.Input.Single(i => graph.Initializer.All(t => t.Name != i.Name));
        var dims = input.Type.TensorType.Shape.Dim;
        dims[0] = new TensorShapeProto.Types.Dimension { DimParam = "n" };
        dims[2] = new TensorShapeProto.Types.Dimension { DimParam = "h" };
        dims[3] = new TensorShapeProto.Types.Dimension { DimParam = "w" };
        graph.Node.Remove(graph.Node.Single(n => n.OpType == "AveragePool"));
        graph.Output.Clear();
        graph.ValueInfo.Clear();
        foreach (string stage in ImageNetResNet18Onnx.StageOutputs)
        {
            graph.Output.Add(new ValueInfoProto
            {
                Name = stage,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }
        return model.ToByteArray();
    }

    private static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    [Fact]
    public void Encoder_MatchesOnnxRuntime_OnEveryStage_AndTheCacheGivesTheSameWeights()
    {
        using var scope = NewDisposeScope();
        string onnx = PretrainedEncoders.LocateImageNetResNet18(PretrainedEncoders.DefaultSearchPaths());
        string cache = Path.Combine(directory, "cache");

        // The graph's own input: BGR on the 0..255 scale minus the mean, here a non-square batch of two with odd sides,
        // where the graph's padding (one pixel less at the end of every stride-2 layer) gives one row and column fewer
        // than torchvision's (on even sides the two paddings compute the same).
        torch.manual_seed(3);
        var bgr = randn(2, 3, 65, 97) * 60;
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(GraphWithStageOutputs(onnx), options);
        string inputName = session.InputMetadata.Keys.Single();
        var feed = new[] { NamedOnnxValue.CreateFromTensor(inputName, new DenseTensor(Values(bgr), [2, 3, 65, 97])) };
        using var results = session.Run(feed, ImageNetResNet18Onnx.StageOutputs);
        var reference = results.ToDictionary(r => r.Name, r => r.AsTensor<float>());

        using var converted = ResNet.ImageNetOnnxResNet18();
        var fresh = PretrainedEncoders.LoadConvertedImageNetResNet18(onnx, cache);
        PretrainedWeights.Apply(converted, fresh, onnx);
        converted.eval();
        Assert.Single(Directory.GetFiles(cache, "*.dat"));

        // Our encoder reads RGB: the same pixels with the channels reversed.
        using (no_grad())
        {
            var stages = converted.call(bgr.flip(1));
            Tensor[] ours = [stages.Layer1, stages.Layer2, stages.Layer3, stages.Layer4];
            for (int i = 0; i < 4; i++)
            {
                var expected = reference[ImageNetResNet18Onnx.StageOutputs[i]];
                Assert.Equal(expected.Dimensions.ToArray().Select(d => (long)d), ours[i].shape);
                float[] actual = Values(ours[i]);
                double maxDifference = actual.Zip(expected.ToArray(), (a, b) => Math.Abs(a - b)).Max();
                Assert.True(maxDifference <= 1e-4, $"stage {i + 1}: max |ours − ONNX Runtime| = {maxDifference:G3}");
                Assert.True(expected.ToArray().Max() > 0.1f, $"stage {i + 1} is trivially zero");
            }
        }

        var cached = PretrainedEncoders.LoadConvertedImageNetResNet18(onnx, cache);
        Assert.Equal(fresh.Keys.Order(), cached.Keys.Order());
        foreach (var (key, value) in fresh)
        {
            using var equal = value.eq(cached[key]).all();
            Assert.True(equal.item<bool>(), $"{key} differs between the conversion and the cache");
        }
    }

    [Fact]
    public void Standardization_IsThePreprocessingGraphWithItsMeanImageAveragedPerChannel()
    {
        using var scope = NewDisposeScope();
        string preprocess = PackageFile("tools/DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx");
        var meanImage = ImageNetResNet18Onnx.ReadGraph(preprocess).Initializer.Single(t => t.Name == "MeanImage");
        var mean = tensor(meanImage.FloatData.ToArray(), [.. meanImage.Dims]); // BGR planes, 0..255
        var channelAverages = mean.mean([0, 2, 3]);
        Assert.Equal(ImageNetResNet18Onnx.MeanRgb255.Reverse(), Values(channelAverages).Select(v => (double)v), new ToleranceComparer(1e-3));

        // ours(x) reversed to BGR equals the graph's output up to (mean image − its channel averages).
        torch.manual_seed(4);
        var rgb = rand(1, 3, 224, 224);
        using var session = new InferenceSession(preprocess);
        var feed = new[] { NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.Single(), new DenseTensor(Values(rgb * 255), [1, 3, 224, 224])) };
        using var results = session.Run(feed);
        var graphOutput = tensor(results.Single().AsTensor<float>().ToArray(), [1, 3, 224, 224]);
        using var standardization = ImageNetResNet18Onnx.Standardization();
        var ours = standardization.call(rgb).flip(1);
        var expectedGap = mean - channelAverages.reshape(1, 3, 1, 1);
        double maxDifference = (ours - graphOutput - expectedGap).abs().max().item<float>();
        Assert.True(maxDifference < 1e-3, $"max difference {maxDifference}");
    }

    [Fact]
    public void Variant_HasThreeStage4BlocksAndTorchvisionStageShapes()
    {
        using var scope = NewDisposeScope();
        using var resnet = ResNet.ImageNetOnnxResNet18();
        // ResNet-18 without fc (11,176,512) plus a third 512-wide basic block (2 · 512·512·9 + 2 · 2 · 512).
        Assert.Equal(11_176_512 + 4_720_640, CountParameters(resnet));
        Assert.Contains("layer4.2.conv2.weight", resnet.state_dict().Keys);
        using var swiftNet = new SwiftNet(19, ResNet.ImageNetOnnxResNet18());
        Assert.Equal(11_797_071 + 4_720_640, CountParameters(swiftNet)); // README's Models section
        resnet.eval();
        var stages = resnet.call(rand(1, 3, 64, 96));
        AssertShape(stages.Layer1, 1, 64, 16, 24);
        AssertShape(stages.Layer4, 1, 512, 2, 3);
    }

    [Fact]
    public void StartHeavyPadding_PadsOneLessAtTheEnd_WhichOnlyOddSidesNotice()
    {
        using var scope = NewDisposeScope();
        var ramp = arange(8, dtype: ScalarType.Float32).reshape(1, 1, 1, 8).expand(1, 1, 8, 8);
        var padded = ResNet.PadForStride(ramp, StridedPadding.ExtraAtStart, 1);
        AssertShape(padded, 1, 1, 9, 9);
        Assert.Equal([0f, 0, 1, 2, 3, 4, 5, 6, 7], Values(padded[0, 0, 1]));
        Assert.Same(ramp, ResNet.PadForStride(ramp, StridedPadding.Symmetric, 1));

        torch.manual_seed(5);
        using var symmetric = new ResNet(bottleneck: false, [2, 2, 2, 3]);
        using var startHeavy = ResNet.ImageNetOnnxResNet18();
        startHeavy.load_state_dict(symmetric.state_dict());
        symmetric.eval();
        startHeavy.eval();
        using var _ = no_grad();
        // Even sides: every window starts at the same pixel and never reaches the end padding, so the outputs agree.
        var even = rand(1, 3, 64, 64);
        Assert.True(symmetric.call(even).Layer4.allclose(startHeavy.call(even).Layer4, rtol: 1e-5, atol: 1e-6));
        // Odd sides: one output row and column fewer after the stem, as in the ONNX graph.
        var odd = rand(1, 3, 65, 65);
        AssertShape(symmetric.call(odd).Layer1, 1, 64, 17, 17);
        AssertShape(startHeavy.call(odd).Layer1, 1, 64, 16, 16);
    }

    [Fact]
    public void Convert_AFileThatIsNotTheGraph_NamesIt()
    {
        string notOnnx = Path.Combine(directory, "ResNet18.onnx");
        File.WriteAllBytes(notOnnx, [0xff, 0xff, 0xff, 0x07, 1, 2, 3]);
        var e = Assert.Throws<ModelConfigException>(() => ImageNetResNet18Onnx.Convert(notOnnx));
        Assert.StartsWith($"model.pretrained_encoder: '{notOnnx}' is not a readable ONNX model", e.Message);

        string otherGraph = Path.Combine(directory, "other.onnx");
        File.WriteAllBytes(otherGraph, new ModelProto { Graph = new GraphProto { Node = { new NodeProto { Name = "Conv1", OpType = "Conv" } } } }.ToByteArray());
        e = Assert.Throws<ModelConfigException>(() => ImageNetResNet18Onnx.Convert(otherGraph));
        Assert.Contains($"'{otherGraph}' is not the ImageNet ResNet-18 graph", e.Message);
        Assert.Contains("layers the conversion does not know (Conv1)", e.Message);
    }

    [Fact]
    public void Locate_MissingFile_SaysHowToGetIt_AndADamagedFileIsRefused()
    {
        string[] candidates = [Path.Combine(directory, "out", "ResNet18.onnx"), Path.Combine(directory, "nuget", "ResNet18.onnx")];
        var e = Assert.Throws<ModelConfigException>(() => PretrainedEncoders.LocateImageNetResNet18(candidates));
        Assert.Contains("imagenet-resnet18 needs ResNet18.onnx from the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0", e.Message);
        Assert.Contains($"'{candidates[0]}' and '{candidates[1]}'", e.Message);
        Assert.Contains("Fix: build semiseg on this machine from the repository (dotnet build src/SemiSeg.Cli", e.Message);
        Assert.Contains("rebuild the worker image from deploy/Dockerfile", e.Message);

        Directory.CreateDirectory(Path.GetDirectoryName(candidates[1])!);
        File.WriteAllText(candidates[1], "truncated");
        e = Assert.Throws<ModelConfigException>(() => PretrainedEncoders.LocateImageNetResNet18(candidates));
        Assert.Contains($"'{candidates[1]}' is not the ResNet18.onnx of Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0", e.Message);
        Assert.Contains($"expected {ImageNetResNet18Onnx.Sha256}", e.Message);
    }

    [Fact]
    public void ModelFactory_NamedWeights_BuildTheVariantWithTheGraphsStandardization()
    {
        using var scope = NewDisposeScope();
        var config = new ModelConfig { PretrainedEncoder = PretrainedEncoderNames.ImageNetResNet18 };
        var scenes = new Training.Data.DatasetInfo(DatasetNames.FashionScenes, "test", Enumerable.Range(0, 11).Select(i => $"c{i}").ToArray(), IsSegmentation: true);
        using var model = (SwiftNet)ModelFactory.Create(config, scenes, loadPretrainedWeights: false);
        Assert.Equal(StridedPadding.ExtraAtStart, ((ResNet)model.EncoderModule).Padding);
        var mean = model.state_dict()["standardization.mean"];
        Assert.Equal(123.151634 / 255, mean[0, 0, 0, 0].item<float>(), 1e-6);
        Assert.Equal(1 / 255.0, model.state_dict()["standardization.std"][0, 2, 0, 0].item<float>(), 1e-6);
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }
}
