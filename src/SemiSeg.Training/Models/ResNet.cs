using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemiSeg.Training.Models;

/// <summary>The outputs of the four residual stages (the last unit of each). Without dilation their strides are 4, 8,
/// 16 and 32; with DeepLab dilation (output stride 8) they are 4, 8, 8 and 8.</summary>
public sealed record ResNetStageOutputs(Tensor Layer1, Tensor Layer2, Tensor Layer3, Tensor Layer4);

/// <summary>A ResNet encoder in torchvision's layout and naming ("conv1", "bn1", "layer1.0.conv1.weight",
/// "layer2.0.downsample.0.weight", ...), without the average pool and fc, so converted torchvision ImageNet weights load
/// into it one to one.</summary>
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
    public ResNet(bool bottleneck, IReadOnlyList<int> blocksPerStage, bool outputStride8 = false, double batchNormMomentum = 0.1)
        : base(nameof(ResNet))
    {
        if (blocksPerStage.Count != 4)
            throw new ArgumentException("A ResNet has four stages.", nameof(blocksPerStage));
        Bottleneck = bottleneck;
        int expansion = bottleneck ? BottleneckBlock.Expansion : BasicBlock.Expansion;

        conv1 = nn.Conv2d(3, 64, kernel_size: 7, stride: 2, padding: 3, bias: false);
        bn1 = nn.BatchNorm2d(64, momentum: batchNormMomentum);
        maxpool = nn.MaxPool2d(kernel_size: 3, stride: 2, padding: 1);

        long inChannels = 64;
        Sequential MakeStage(long width, int blocks, long stride, long dilation)
        {
            var stage = new List<nn.Module<Tensor, Tensor>>();
            for (int i = 0; i < blocks; i++)
            {
                long blockStride = i == 0 ? stride : 1;
                stage.Add(bottleneck
                    ? new BottleneckBlock(inChannels, width, blockStride, dilation, batchNormMomentum)
                    : new BasicBlock(inChannels, width, blockStride, dilation, batchNormMomentum));
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

    /// <summary>ResNet-101: bottleneck blocks [3, 4, 23, 3]; 42,500,160 parameters.</summary>
    public static ResNet ResNet101(bool outputStride8 = false, double batchNormMomentum = 0.1) =>
        new(bottleneck: true, [3, 4, 23, 3], outputStride8, batchNormMomentum);

    public bool Bottleneck { get; }

    /// <summary>Channels of the four stage outputs: 64/128/256/512 (basic) or 256/512/1024/2048 (bottleneck).</summary>
    public IReadOnlyList<long> StageChannels { get; }

    public override ResNetStageOutputs forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var stem = maxpool.call(nn.functional.relu(bn1.call(conv1.call(input)), inplace: true));
        var c1 = layer1.call(stem);
        var c2 = layer2.call(c1);
        var c3 = layer3.call(c2);
        var c4 = layer4.call(c3);
        return new ResNetStageOutputs(
            c1.MoveToOuterDisposeScope(), c2.MoveToOuterDisposeScope(), c3.MoveToOuterDisposeScope(), c4.MoveToOuterDisposeScope());
    }
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

    public BasicBlock(long inChannels, long width, long stride, long dilation, double batchNormMomentum)
        : base(nameof(BasicBlock))
    {
        conv1 = nn.Conv2d(inChannels, width, kernel_size: 3, stride: stride, padding: dilation, dilation: dilation, bias: false);
        bn1 = nn.BatchNorm2d(width, momentum: batchNormMomentum);
        conv2 = nn.Conv2d(width, width, kernel_size: 3, padding: dilation, dilation: dilation, bias: false);
        bn2 = nn.BatchNorm2d(width, momentum: batchNormMomentum);
        downsample = Downsample.IfNeeded(inChannels, width * Expansion, stride, batchNormMomentum);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = nn.functional.relu(bn1.call(conv1.call(input)), inplace: true);
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
