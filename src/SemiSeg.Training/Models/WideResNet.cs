using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemiSeg.Training.Models;

/// <summary>Wide ResNet (Zagoruyko and Komodakis 2016) in the pre-activation (ResNet v2) form vidlu uses for CIFAR-10:
/// 3x3 stem to 16 channels, three groups of (depth - 4) / 6 blocks with widths 16k, 32k, 64k (strides 1, 2, 2), final
/// BN-ReLU, global average pooling and a linear classifier. No dropout; the input is used as is (no standardisation).
/// WRN-28-2 on 10 classes has 1,467,610 parameters.</summary>
/// <remarks>Encoder = <see cref="WideResNetFeatures"/> (everything up to the pooled features, state-dict prefix
/// "features."); decoder = the linear classifier ("classifier.*"). The paper trains WRN with one SGD group, so the split
/// only matters if a run gives the two groups different settings.</remarks>
public sealed class WideResNet : Network
{
    private readonly WideResNetFeatures features;
    private readonly Linear classifier;

    public WideResNet(long numClasses, int depth = 28, int widthFactor = 2) : base(nameof(WideResNet))
    {
        features = new WideResNetFeatures(depth, widthFactor);
        classifier = nn.Linear(features.OutputChannels, numClasses);
        RegisterComponents();
        Initialization.KaimingFanOut(this);
    }

    public override nn.Module EncoderModule => features;

    public override IEnumerable<Parameter> EncoderParameters() => ParametersOf(nameof(features));

    public override IEnumerable<Parameter> DecoderParameters() => ParametersExcept(nameof(features));

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return classifier.call(features.call(input)).MoveToOuterDisposeScope();
    }
}

/// <summary>The convolutional part of a pre-activation Wide ResNet, ending in BN-ReLU and global average pooling:
/// [N, 3, H, W] → [N, 64k]. Names: "stem.weight", "group{1,2,3}.{i}.*", "norm.*".</summary>
public sealed class WideResNetFeatures : nn.Module<Tensor, Tensor>
{
    private const int BaseWidth = 16;

    private readonly Conv2d stem;
    private readonly Sequential group1;
    private readonly Sequential group2;
    private readonly Sequential group3;
    private readonly BatchNorm2d norm;

    public WideResNetFeatures(int depth, int widthFactor) : base(nameof(WideResNetFeatures))
    {
        if (depth < 10 || (depth - 4) % 6 != 0)
            throw new ArgumentException($"A Wide ResNet's depth is 6n + 4 (e.g. 28), got {depth}.", nameof(depth));
        int blocksPerGroup = (depth - 4) / 6;

        stem = nn.Conv2d(3, BaseWidth, kernel_size: 3, padding: 1, bias: false);
        long inChannels = BaseWidth;
        Sequential MakeGroup(long width, long stride)
        {
            var blocks = new List<nn.Module<Tensor, Tensor>>();
            for (int i = 0; i < blocksPerGroup; i++)
            {
                blocks.Add(new PreactResidualBlock(inChannels, width, i == 0 ? stride : 1));
                inChannels = width;
            }
            return nn.Sequential(blocks);
        }
        group1 = MakeGroup(BaseWidth * widthFactor, stride: 1);
        group2 = MakeGroup(2 * BaseWidth * widthFactor, stride: 2);
        group3 = MakeGroup(4 * BaseWidth * widthFactor, stride: 2);
        norm = nn.BatchNorm2d(inChannels);
        OutputChannels = inChannels;
        RegisterComponents();
    }

    public long OutputChannels { get; }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = group3.call(group2.call(group1.call(stem.call(input))));
        x = nn.functional.relu(norm.call(x), inplace: true);
        return x.mean([2, 3]).MoveToOuterDisposeScope();
    }
}

/// <summary>Pre-activation residual block: BN-ReLU-Conv3x3 (stride), BN-ReLU-Conv3x3, plus the shortcut. When the shape
/// changes the shortcut is a 1x1 conv of the pre-activated input (as in the reference WRN code).
/// Names: "bn1", "conv1", "bn2", "conv2", "shortcut".</summary>
public sealed class PreactResidualBlock : nn.Module<Tensor, Tensor>
{
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d conv2;
    private readonly Conv2d? shortcut;

    public PreactResidualBlock(long inChannels, long outChannels, long stride) : base(nameof(PreactResidualBlock))
    {
        bn1 = nn.BatchNorm2d(inChannels);
        conv1 = nn.Conv2d(inChannels, outChannels, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(outChannels);
        conv2 = nn.Conv2d(outChannels, outChannels, kernel_size: 3, padding: 1, bias: false);
        shortcut = stride == 1 && inChannels == outChannels
            ? null
            : nn.Conv2d(inChannels, outChannels, kernel_size: 1, stride: stride, bias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var preactivated = nn.functional.relu(bn1.call(input));
        var residual = shortcut is null ? input : shortcut.call(preactivated);
        var x = conv1.call(preactivated);
        x = conv2.call(nn.functional.relu(bn2.call(x), inplace: true));
        return x.add_(residual).MoveToOuterDisposeScope();
    }
}
