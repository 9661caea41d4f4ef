using Google.Protobuf;
using Onnx;
using static TorchSharp.torch;

namespace SemiSeg.Training.Models;

/// <summary>
/// The ImageNet ResNet-18 of the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0 (MIT): its ONNX graph
/// (a CNTK export, 22 Conv and 22 BatchNormalization nodes) converted to the state dict of
/// <see cref="ResNet.ImageNetOnnxResNet18"/>, in torchvision's names.
/// </summary>
/// <remarks>
/// How it differs from torchvision's resnet18, and what the conversion does about it:
/// <list type="bullet">
/// <item>Stage 4 has three basic blocks, not two: the encoder variant has them too (15.9 M parameters, not 11.2 M).</item>
/// <item>The stride-2 layers pad one pixel less at the end than at the start (stem conv 3/2, max pool and strided 3x3
/// convs 1/0): the variant pads the same way (<see cref="StridedPadding.ExtraAtStart"/>). That equals torchvision's
/// padding on even sides and gives one row or column fewer on odd sides.</item>
/// <item>The first conv reads BGR: its input channels are reversed here, so the encoder reads RGB like every other.</item>
/// <item>The input is expected on the 0..255 scale minus a 224x224 mean image (ResNetPreprocess.onnx, beside it in the
/// package); crops here have any size, so <see cref="Standardization"/> subtracts that image's per-channel averages
/// and multiplies by 255. The mean image varies by up to about ±10 (of 255) around those averages.</item>
/// <item>BatchNormalization is a separate node with scale, bias, mean and variance (epsilon 1e-5, as PyTorch's), mapped
/// one to one onto BN weight, bias, running_mean and running_var.</item>
/// </list>
/// A test runs the ONNX graph in ONNX Runtime and compares all four stage outputs with this encoder's.
/// </remarks>
public static class ImageNetResNet18Onnx
{
    public const string PackageId = "Microsoft.ML.DnnImageFeaturizer.ResNet18";
    public const string PackageVersion = "0.24.0";
    public const string PathInPackage = "tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx";

    /// <summary>Where the build copies the file, relative to the folder of the assemblies (SemiSeg.Training.csproj).</summary>
    public const string PathInOutput = "pretrained/imagenet-resnet18/ResNet18.onnx";

    /// <summary>SHA-256 of ResNet18.onnx in package version 0.24.0.</summary>
    public const string Sha256 = "e2552f19db2dfdb01b3669537b6a0f1b44da38d18279535492ed5dfc2ef1ff8f";

    /// <summary>Bump when the conversion changes, so cached conversions are not reused.</summary>
    public const int ConverterVersion = 1;

    /// <summary>Per-channel averages of ResNetPreprocess.onnx's mean image, in RGB order on the 0..255 scale (the graph
    /// stores B, G, R planes: 103.06, 115.90, 123.15). A test recomputes them from the file.</summary>
    public static readonly double[] MeanRgb255 = [123.151634, 115.902885, 103.06262];

    /// <summary>What the graph expects of an RGB input in [0, 1]: 255·x − mean, i.e. (x − mean/255) / (1/255).</summary>
    public static InputStandardization Standardization() =>
        new(MeanRgb255.Select(m => m / 255).ToArray(), [1 / 255.0, 1 / 255.0, 1 / 255.0]);

    /// <summary>ONNX Conv node and its BatchNormalization node → our conv and BN names, in graph order.</summary>
    private static readonly (string Conv, string Norm, string OurConv, string OurNorm)[] Layers =
    [
        ("Convolution249", "BatchNormalization251", "conv1", "bn1"),
        ("Convolution257", "BatchNormalization259", "layer1.0.conv1", "layer1.0.bn1"),
        ("Convolution263", "BatchNormalization265", "layer1.0.conv2", "layer1.0.bn2"),
        ("Convolution271", "BatchNormalization273", "layer1.1.conv1", "layer1.1.bn1"),
        ("Convolution277", "BatchNormalization279", "layer1.1.conv2", "layer1.1.bn2"),
        ("Convolution295", "BatchNormalization297", "layer2.0.downsample.0", "layer2.0.downsample.1"),
        ("Convolution285", "BatchNormalization287", "layer2.0.conv1", "layer2.0.bn1"),
        ("Convolution291", "BatchNormalization293", "layer2.0.conv2", "layer2.0.bn2"),
        ("Convolution303", "BatchNormalization305", "layer2.1.conv1", "layer2.1.bn1"),
        ("Convolution309", "BatchNormalization311", "layer2.1.conv2", "layer2.1.bn2"),
        ("Convolution327", "BatchNormalization329", "layer3.0.downsample.0", "layer3.0.downsample.1"),
        ("Convolution317", "BatchNormalization319", "layer3.0.conv1", "layer3.0.bn1"),
        ("Convolution323", "BatchNormalization325", "layer3.0.conv2", "layer3.0.bn2"),
        ("Convolution335", "BatchNormalization337", "layer3.1.conv1", "layer3.1.bn1"),
        ("Convolution341", "BatchNormalization343", "layer3.1.conv2", "layer3.1.bn2"),
        ("Convolution359", "BatchNormalization361", "layer4.0.downsample.0", "layer4.0.downsample.1"),
        ("Convolution349", "BatchNormalization351", "layer4.0.conv1", "layer4.0.bn1"),
        ("Convolution355", "BatchNormalization357", "layer4.0.conv2", "layer4.0.bn2"),
        ("Convolution367", "BatchNormalization369", "layer4.1.conv1", "layer4.1.bn1"),
        ("Convolution373", "BatchNormalization375", "layer4.1.conv2", "layer4.1.bn2"),
        ("Convolution381", "BatchNormalization383", "layer4.2.conv1", "layer4.2.bn1"),
        ("Convolution387", "BatchNormalization389", "layer4.2.conv2", "layer4.2.bn2"),
    ];

    /// <summary>The ONNX graph outputs of the four stages (the ReLU after each stage's last block), for tests.</summary>
    public static readonly string[] StageOutputs = ["ReLU283_Output_0", "ReLU315_Output_0", "ReLU347_Output_0", "ReLU393_Output_0"];

    /// <summary>Reads the graph's initializers into a state dict for <see cref="ResNet.ImageNetOnnxResNet18"/> (CPU
    /// tensors; the caller disposes them). A file that is not this graph is a <see cref="ModelConfigException"/>
    /// naming it.</summary>
    public static Dictionary<string, Tensor> Convert(string onnxPath)
    {
        var graph = ReadGraph(onnxPath);
        var initializers = graph.Initializer.ToDictionary(t => t.Name);
        var nodes = graph.Node.Where(n => n.Name.Length > 0).ToDictionary(n => n.Name);
        var unmapped = graph.Node
            .Where(n => n.OpType is "Conv" or "BatchNormalization")
            .Select(n => n.Name)
            .Except(Layers.SelectMany(l => new[] { l.Conv, l.Norm }))
            .ToList();
        if (unmapped.Count > 0)
            throw NotTheGraph(onnxPath, $"it has layers the conversion does not know ({string.Join(", ", unmapped.Take(5))})");

        var state = new Dictionary<string, Tensor>();
        try
        {
            foreach (var (conv, norm, ourConv, ourNorm) in Layers)
            {
                var convNode = Node(nodes, conv, "Conv", onnxPath);
                var normNode = Node(nodes, norm, "BatchNormalization", onnxPath);
                if (convNode.Input.Count != 2 || normNode.Input.Count != 5 || normNode.Input[0] != convNode.Output[0])
                    throw NotTheGraph(onnxPath, $"{conv} → {norm} is not a bias-free Conv followed by its BatchNormalization");
                state[$"{ourConv}.weight"] = Initializer(initializers, convNode.Input[1], onnxPath);
                string[] normEntries = ["weight", "bias", "running_mean", "running_var"];
                for (int i = 0; i < normEntries.Length; i++)
                    state[$"{ourNorm}.{normEntries[i]}"] = Initializer(initializers, normNode.Input[i + 1], onnxPath);
            }
            // BGR → RGB: the first conv's input channels in reverse order.
            var bgr = state["conv1.weight"];
            state["conv1.weight"] = bgr.flip(1).contiguous();
            bgr.Dispose();
            return state;
        }
        catch
        {
            foreach (var t in state.Values)
                t.Dispose();
            throw;
        }
    }

    /// <summary>Reads an ONNX model's graph; a file that is not ONNX protobuf is an error naming it.</summary>
    public static GraphProto ReadGraph(string onnxPath)
    {
        try
        {
            using var stream = File.OpenRead(onnxPath);
            return ModelProto.Parser.ParseFrom(stream).Graph
                ?? throw new InvalidDataException("the model has no graph");
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or IOException or InvalidDataException)
        {
            throw new ModelConfigException(
                $"model.pretrained_encoder: '{onnxPath}' is not a readable ONNX model ({e.Message}). It should be " +
                $"{PathInPackage} from the NuGet package {PackageId} {PackageVersion}.");
        }
    }

    private static NodeProto Node(Dictionary<string, NodeProto> nodes, string name, string opType, string path) =>
        nodes.TryGetValue(name, out var node) && node.OpType == opType
            ? node
            : throw NotTheGraph(path, $"it has no {opType} node '{name}'");

    private static Tensor Initializer(Dictionary<string, TensorProto> initializers, string name, string path)
    {
        if (!initializers.TryGetValue(name, out var proto) || proto.DataType != (int)TensorProto.Types.DataType.Float)
            throw NotTheGraph(path, $"it has no float initializer '{name}'");
        long[] shape = [.. proto.Dims];
        long count = shape.Aggregate(1L, (a, b) => a * b);
        float[] values = proto.FloatData.Count > 0
            ? [.. proto.FloatData]
            : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(proto.RawData.Span).ToArray();
        if (values.Length != count)
            throw NotTheGraph(path, $"initializer '{name}' has {values.Length} values for shape [{string.Join(", ", shape)}]");
        return tensor(values, shape);
    }

    private static ModelConfigException NotTheGraph(string path, string problem) =>
        new($"model.pretrained_encoder: '{path}' is not the ImageNet ResNet-18 graph of {PackageId} {PackageVersion}: " +
            $"{problem}. Delete the file and build again to restore it.");
}
