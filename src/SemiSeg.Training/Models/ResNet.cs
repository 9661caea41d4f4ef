using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemiSeg.Training.Models;

/// <summary>The outputs of the four residual stages (the last unit of each). Without dilation their strides are 4, 8,
/// 16 and 32; with DeepLab dilation (output stride 8) they are 4, 8, 8 and 8.</summary>
public sealed record ResNetStageOutputs(Tensor Layer1, Tensor Layer2, Tensor Layer3, Tensor Layer4);

/// <summary>How the layers that downsample by 2 (the stem's 7x7 conv and max pool, the strided 3x3 convs) pad.</summary>
public enum StridedPadding
{
    /// <summary>torchvision: p pixels on every side (3 for the 7x7 conv, 1 for the pool and the 3x3 convs).</summary>
    Symmetric,

    /// <summary>The CNTK export of the ImageNet ResNet-18 in Microsoft.ML.DnnImageFeaturizer.ResNet18: p pixels at the
    /// top and left, p − 1 at the bottom and right (ONNX pads [3,3,2,2] and [1,1,0,0]). The windows start where
    /// <see cref="Symmetric"/>'s do, so even sides give the same outputs (the last window never reaches the end
    /// padding); an odd side gives one output row or column fewer.</summary>
    ExtraAtStart,
}

/// <summary>A ResNet encoder in torchvision's layout and naming ("conv1", "bn1", "layer1.0.conv1.weight",
/// "layer2.0.downsample.0.weight", ...), without the average pool and fc, so torchvision ImageNet weights load into it
/// one to one. <see cref="ImageNetOnnxResNet18"/> is the variant the ONNX ImageNet ResNet-18 needs.</summary>
public sealed class ResNet : nn.Module<Tensor, ResNetStageOutputs>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly MaxPool2d maxpool;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;

    /// <param name="bottleneck">Bottleneck blocks (ResNet-50/101/152) instead of basic blocks (ResNet-18/34).</param>
    /// <param name="blocksPerStage">Number of blocks in each of the four stages, e.g. [2, 2, 2, 2] for ResNet-18.</param>
    /// <param name="outputStride8">DeepLab-style dilation: stages 3 and 4 keep stride 1 and dilate all their 3x3 convs by
    /// 2 and 4, so the last features have stride 8 instead of 32.</param>
    /// <param name="batchNormMomentum">Momentum of every BN layer (PyTorch convention: weight of the new batch).</param>
    /// <param name="padding">How the stride-2 layers pad (<see cref="StridedPadding.ExtraAtStart"/>: basic blocks without dilation only).</param>
    public ResNet(bool bottleneck, IReadOnlyList<int> blocksPerStage, bool outputStride8 = false, double batchNormMomentum = 0.1,
        StridedPadding padding = StridedPadding.Symmetric)
        : base(nameof(ResNet))
    {
        if (blocksPerStage.Count != 4)
            throw new ArgumentException("A ResNet has four stages.", nameof(blocksPerStage));
        if (padding != StridedPadding.Symmetric && (bottleneck || outputStride8))
            throw new ArgumentException("Start-heavy padding is implemented for the basic-block ResNet without dilation only.", nameof(padding));
        Bottleneck = bottleneck;
        Padding = padding;
        int expansion = bottleneck ? BottleneckBlock.Expansion : BasicBlock.Expansion;

        bool symmetric = padding == StridedPadding.Symmetric;
        conv1 = nn.Conv2d(3, 64, kernel_size: 7, stride: 2, padding: symmetric ? 3 : 0, bias: false);
        bn1 = nn.BatchNorm2d(64, momentum: batchNormMomentum);
        maxpool = nn.MaxPool2d(kernel_size: 3, stride: 2, padding: symmetric ? 1 : 0);

        long inChannels = 64;
        Sequential MakeStage(long width, int blocks, long stride, long dilation)
        {
            var stage = new List<nn.Module<Tensor, Tensor>>();
            for (int i = 0; i < blocks; i++)
            {
                long blockStride = i == 0 ? stride : 1;
                stage.Add(bottleneck
                    ? new BottleneckBlock(inChannels, width, blockStride, dilation, batchNormMomentum)
                    : new BasicBlock(inChannels, width, blockStride, dilation, batchNormMomentum, padding));
                inChannels = width * expansion;
            }
            return nn.Sequential(stage);
        }

        layer1 = MakeStage(64, blocksPerStage[0], stride: 1, dilation: 1);
        layer2 = MakeStage(128, blocksPerStage[1], stride: 2, dilation: 1);
        layer3 = MakeStage(256, blocksPerStage[2], stride: outputStride8 ? 1 : 2, dilation: outputStride8 ? 2 : 1);
        layer4 = MakeStage(512, blocksPerStage[3], stride: outputStride8 ? 1 : 2, dilation: outputStride8 ? 4 : 1);
        StageChannels = [64 * expansion, 128 * expansion, 256 * expansion, 512 * expansion];

        RegisterComponents();
        Initialization.KaimingFanOut(this);
    }

    /// <summary>ResNet-18: basic blocks [2, 2, 2, 2]; 11,176,512 parameters.</summary>
    public static ResNet ResNet18() => new(bottleneck: false, [2, 2, 2, 2]);

    /// <summary>The ResNet-18 of Microsoft.ML.DnnImageFeaturizer.ResNet18's ONNX graph (a CNTK export): basic blocks
    /// [2, 2, 2, <b>3</b>] and <see cref="StridedPadding.ExtraAtStart"/> padding; 15,897,152 parameters. The extra
    /// stage-4 block and the padding are kept (not dropped or symmetrised) so that the ImageNet weights compute exactly
    /// what they were trained to compute; a test checks the outputs against ONNX Runtime.</summary>
    public static ResNet ImageNetOnnxResNet18() => new(bottleneck: false, [2, 2, 2, 3], padding: StridedPadding.ExtraAtStart);

    /// <summary>ResNet-101: bottleneck blocks [3, 4, 23, 3]; 42,500,160 parameters.</summary>
    public static ResNet ResNet101(bool outputStride8 = false, double batchNormMomentum = 0.1) =>
        new(bottleneck: true, [3, 4, 23, 3], outputStride8, batchNormMomentum);

    public bool Bottleneck { get; }

    public StridedPadding Padding { get; }

    /// <summary>Channels of the four stage outputs: 64/128/256/512 (basic) or 256/512/1024/2048 (bottleneck).</summary>
    public IReadOnlyList<long> StageChannels { get; }

    public override ResNetStageOutputs forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = conv1.call(PadForStride(input, Padding, 3));
        x = nn.functional.relu(bn1.call(x), inplace: true);
        // After the ReLU every value is >= 0, so zero padding cannot win a max over a window that also holds real pixels
        // (and every window does): it equals the -inf padding of torchvision's and ONNX's max pool.
        var stem = maxpool.call(PadForStride(x, Padding, 1));
        var c1 = layer1.call(stem);
        var c2 = layer2.call(c1);
        var c3 = layer3.call(c2);
        var c4 = layer4.call(c3);
        return new ResNetStageOutputs(
            c1.MoveToOuterDisposeScope(), c2.MoveToOuterDisposeScope(), c3.MoveToOuterDisposeScope(), c4.MoveToOuterDisposeScope());
    }

    /// <summary>The explicit padding of a stride-2 layer whose own padding is 0: p at the top and left, p − 1 at the
    /// bottom and right for <see cref="StridedPadding.ExtraAtStart"/>; the input itself for symmetric padding (done
    /// by the layer).</summary>
    internal static Tensor PadForStride(Tensor input, StridedPadding padding, long p) =>
        padding == StridedPadding.Symmetric ? input : nn.functional.pad(input, [p, p - 1, p, p - 1]);
}

/// <summary>Two 3x3 convs (torchvision's BasicBlock); the shortcut is projected when the shape changes.</summary>
public sealed class BasicBlock : nn.Module<Tensor, Tensor>
{
    public const int Expansion = 1;

    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Sequential? downsample;
    private readonly StridedPadding conv1Padding;

    public BasicBlock(long inChannels, long width, long stride, long dilation, double batchNormMomentum,
        StridedPadding padding = StridedPadding.Symmetric)
        : base(nameof(BasicBlock))
    {
        // Only a strided conv pads asymmetrically; the stride-1 convs pad 1 on every side in both variants.
        conv1Padding = stride == 1 ? StridedPadding.Symmetric : padding;
        conv1 = nn.Conv2d(inChannels, width, kernel_size: 3, stride: stride,
            padding: conv1Padding == StridedPadding.Symmetric ? dilation : 0, dilation: dilation, bias: false);
        bn1 = nn.BatchNorm2d(width, momentum: batchNormMomentum);
        conv2 = nn.Conv2d(width, width, kernel_size: 3, padding: dilation, dilation: dilation, bias: false);
        bn2 = nn.BatchNorm2d(width, momentum: batchNormMomentum);
        downsample = Downsample.IfNeeded(inChannels, width * Expansion, stride, batchNormMomentum);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = nn.functional.relu(bn1.call(conv1.call(ResNet.PadForStride(input, conv1Padding, 1))), inplace: true);
        x = bn2.call(conv2.call(x));
        var identity = downsample is null ? input : downsample.call(input);
        return nn.functional.relu(x.add_(identity), inplace: true).MoveToOuterDisposeScope();
    }
}

/// <summary>1x1 reduce, 3x3 (carrying the stride and dilation, as in torchvision), 1x1 expand by 4.</summary>
public sealed class BottleneckBlock : nn.Module<Tensor, Tensor>
{
    public const int Expansion = 4;

    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly Sequential? downsample;

    public BottleneckBlock(long inChannels, long width, long stride, long dilation, double batchNormMomentum)
        : base(nameof(BottleneckBlock))
    {
        conv1 = nn.Conv2d(inChannels, width, kernel_size: 1, bias: false);
        bn1 = nn.BatchNorm2d(width, momentum: batchNormMomentum);
        conv2 = nn.Conv2d(width, width, kernel_size: 3, stride: stride, padding: dilation, dilation: dilation, bias: false);
        bn2 = nn.BatchNorm2d(width, momentum: batchNormMomentum);
        conv3 = nn.Conv2d(width, width * Expansion, kernel_size: 1, bias: false);
        bn3 = nn.BatchNorm2d(width * Expansion, momentum: batchNormMomentum);
        downsample = Downsample.IfNeeded(inChannels, width * Expansion, stride, batchNormMomentum);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = nn.functional.relu(bn1.call(conv1.call(input)), inplace: true);
        x = nn.functional.relu(bn2.call(conv2.call(x)), inplace: true);
        x = bn3.call(conv3.call(x));
        var identity = downsample is null ? input : downsample.call(input);
        return nn.functional.relu(x.add_(identity), inplace: true).MoveToOuterDisposeScope();
    }
}

internal static class Downsample
{
    /// <summary>torchvision's projection shortcut "downsample.0" (1x1 conv) + "downsample.1" (BN), or null when the
    /// identity fits.</summary>
    public static Sequential? IfNeeded(long inChannels, long outChannels, long stride, double batchNormMomentum) =>
        stride == 1 && inChannels == outChannels
            ? null
            : nn.Sequential(
                nn.Conv2d(inChannels, outChannels, kernel_size: 1, stride: stride, bias: false),
                nn.BatchNorm2d(outChannels, momentum: batchNormMomentum));
}
