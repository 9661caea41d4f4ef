using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemiSeg.Training.Models;

/// <summary>SwiftNet with a single-scale ResNet encoder (Oršić et al., CVPR 2019), as vidlu builds it for the paper
/// ("SN-RN18"): standardisation, ResNet-18, dense SPP context on the stride-32 features, a ladder of three upsampling
/// blends with the stride-16, 8 and 4 stage outputs, final BN-ReLU, 1x1 logits at stride 4, bilinear upsampling to the
/// input size. State-dict names: "backbone.*" (torchvision ResNet names), "spp.*", "ladder.{0,1,2}.*", "norm.*",
/// "logits.*".</summary>
public sealed class SwiftNet : Network
{
    /// <summary>Width of the context module's output and of the whole upsampling path.</summary>
    public const int UpsamplingWidth = 128;

    private readonly InputStandardization standardization;
    private readonly ResNet backbone;
    private readonly SpatialPyramidPooling spp;
    private readonly ModuleList<UpsampleBlend> ladder;
    private readonly BatchNorm2d norm;
    private readonly Conv2d logits;

    /// <param name="numClasses">Number of output channels (logits).</param>
    /// <param name="backbone">The encoder; null = a randomly initialised ResNet-18.</param>
    /// <param name="standardization">The input standardisation; null = vidlu's Cityscapes statistics.</param>
    public SwiftNet(long numClasses, ResNet? backbone = null, InputStandardization? standardization = null) : base(nameof(SwiftNet))
    {
        this.standardization = standardization ?? InputStandardization.Cityscapes();
        this.backbone = backbone ?? ResNet.ResNet18();
        var channels = this.backbone.StageChannels;
        spp = new SpatialPyramidPooling(channels[3], bottleneckWidth: 128, levelWidth: 42, outputWidth: UpsamplingWidth, gridSizes: [8, 4, 2]);
        // Coarse to fine: the blends take the stride-16, 8 and 4 stage outputs in this order.
        ladder = nn.ModuleList(
            new UpsampleBlend(channels[2], UpsamplingWidth),
            new UpsampleBlend(channels[1], UpsamplingWidth),
            new UpsampleBlend(channels[0], UpsamplingWidth));
        norm = nn.BatchNorm2d(UpsamplingWidth);
        logits = nn.Conv2d(UpsamplingWidth, numClasses, kernel_size: 1);
        RegisterComponents();

        // The encoder initialises itself (and is usually overwritten by pretrained weights); the rest gets vidlu's
        // Kaiming (fan-out) init.
        foreach (var decoderPart in new nn.Module[] { spp, ladder, norm, logits })
            Initialization.KaimingFanOut(decoderPart);
    }

    public override nn.Module EncoderModule => backbone;

    internal InputStandardization Standardization => standardization;

    public override IEnumerable<Parameter> EncoderParameters() => ParametersOf(nameof(backbone));

    public override IEnumerable<Parameter> DecoderParameters() => ParametersExcept(nameof(backbone));

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return ForwardStandardized(standardization.call(input)).MoveToOuterDisposeScope();
    }

    /// <summary>Everything after the input standardisation; exposed for tests.</summary>
    internal Tensor ForwardStandardized(Tensor standardized)
    {
        using var scope = NewDisposeScope();
        var stages = backbone.call(standardized);
        var x = spp.call(stages.Layer4);
        x = ladder[0].call(x, stages.Layer3);
        x = ladder[1].call(x, stages.Layer2);
        x = ladder[2].call(x, stages.Layer1);
        x = logits.call(nn.functional.relu(norm.call(x), inplace: true));
        return ResizeLogits(x, standardized).MoveToOuterDisposeScope();
    }

    /// <summary>Bilinear (align_corners = false) upsampling of logits to the spatial size of <paramref name="input"/>.</summary>
    internal static Tensor ResizeLogits(Tensor logits, Tensor input) =>
        nn.functional.interpolate(logits, size: [input.shape[2], input.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
}

/// <summary>Pre-activation conv block BN-ReLU-Conv (conv without bias), vidlu's <c>PreactBlock</c> with one conv.
/// Names: "norm.*", "conv.weight".</summary>
public sealed class PreactConv : nn.Module<Tensor, Tensor>
{
    private readonly BatchNorm2d norm;
    private readonly Conv2d conv;

    public PreactConv(long inChannels, long outChannels, long kernelSize) : base(nameof(PreactConv))
    {
        norm = nn.BatchNorm2d(inChannels);
        conv = nn.Conv2d(inChannels, outChannels, kernel_size: kernelSize, padding: kernelSize / 2, bias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return conv.call(nn.functional.relu(norm.call(input), inplace: true)).MoveToOuterDisposeScope();
    }
}

/// <summary>vidlu's <c>DenseSPP</c>: a 1x1 bottleneck, pyramid levels pooled on grids that keep the feature map's
/// aspect ratio, each reduced by a 1x1 block and upsampled back, then the concatenation [bottleneck, levels] fused by
/// a 1x1 block. All blocks are BN-ReLU-Conv. Names: "bottleneck.*", "levels.{i}.*", "fuse.*".</summary>
public sealed class SpatialPyramidPooling : nn.Module<Tensor, Tensor>
{
    private readonly PreactConv bottleneck;
    private readonly ModuleList<PreactConv> levels;
    private readonly PreactConv fuse;
    private readonly int[] gridSizes;

    public SpatialPyramidPooling(long inChannels, long bottleneckWidth, long levelWidth, long outputWidth, int[] gridSizes)
        : base(nameof(SpatialPyramidPooling))
    {
        this.gridSizes = gridSizes;
        bottleneck = new PreactConv(inChannels, bottleneckWidth, kernelSize: 1);
        levels = nn.ModuleList(gridSizes.Select(_ => new PreactConv(bottleneckWidth, levelWidth, kernelSize: 1)).ToArray());
        fuse = new PreactConv(bottleneckWidth + gridSizes.Length * levelWidth, outputWidth, kernelSize: 1);
        RegisterComponents();
    }

    /// <summary>The pooling grid of pyramid level <paramref name="gridSize"/> on a height x width feature map:
    /// (g, max(1, round(g · W/H))) with Python's round-half-to-even, as vidlu (square_grid = false). On the stride-32
    /// features of a 1024x512 image (32x16) the grids are 8x16, 4x8 and 2x4.</summary>
    public static (long Height, long Width) PoolingGrid(int gridSize, long height, long width)
    {
        double aspectRatio = (double)width / height;
        long gridWidth = (long)Math.Round(aspectRatio * gridSize, MidpointRounding.ToEven);
        return (gridSize, Math.Max(1, gridWidth));
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        long height = input.shape[2], width = input.shape[3];
        var x = bottleneck.call(input);
        var branches = new List<Tensor> { x };
        for (int i = 0; i < gridSizes.Length; i++)
        {
            var (gridHeight, gridWidth) = PoolingGrid(gridSizes[i], height, width);
            var pooled = nn.functional.adaptive_avg_pool2d(x, (gridHeight, gridWidth));
            var level = levels[i].call(pooled);
            branches.Add(nn.functional.interpolate(level, size: [height, width], mode: InterpolationMode.Bilinear, align_corners: false));
        }
        return fuse.call(cat(branches, dim: 1)).MoveToOuterDisposeScope();
    }
}

/// <summary>One lateral blend of the ladder (vidlu's <c>LadderUpsampleBlend</c> with pre_blending = sum): upsample the
/// coarser features bilinearly to the skip's size, add the skip projected by a 1x1 BN-ReLU-Conv, then a 3x3
/// BN-ReLU-Conv. Names: "project.*", "blend.*".</summary>
public sealed class UpsampleBlend : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly PreactConv project;
    private readonly PreactConv blend;

    public UpsampleBlend(long skipChannels, long width) : base(nameof(UpsampleBlend))
    {
        project = new PreactConv(skipChannels, width, kernelSize: 1);
        blend = new PreactConv(width, width, kernelSize: 3);
        RegisterComponents();
    }

    public override Tensor forward(Tensor coarse, Tensor skip)
    {
        using var scope = NewDisposeScope();
        var upsampled = nn.functional.interpolate(coarse, size: [skip.shape[2], skip.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
        return blend.call(upsampled.add_(project.call(skip))).MoveToOuterDisposeScope();
    }
}
