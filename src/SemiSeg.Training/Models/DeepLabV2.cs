using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemiSeg.Training.Models;

/// <summary>DeepLab v2 with a dilated ResNet-101 ("DL-RN101"), as in kazuto1011/deeplab-pytorch which the authors
/// copied: standardisation, ResNet-101 with output stride 8, ASPP (four 3x3 convs with dilation 6, 12, 18, 24 straight
/// to the classes, summed), bilinear upsampling of the logits to the input size. BN momentum 0.01 throughout the
/// encoder. State-dict names: "backbone.*" (torchvision ResNet names), "aspp.convs.{0..3}.*".</summary>
/// <remarks>Differences from deeplab-pytorch, none of which changes the parameter count: the encoder uses torchvision's
/// bottleneck layout (stride on the 3x3 conv rather than the first 1x1) and its max-pool (ceil_mode = false rather than
/// true), so that torchvision weights fit. As in deeplab-pytorch, every block of a dilated stage uses the stage's
/// dilation (2 in stage 3, 4 in stage 4). The paper initialised the whole model from a COCO-pretrained DeepLab
/// checkpoint, whose names would need a mapping onto these.</remarks>
public sealed class DeepLabV2 : Network
{
    /// <summary>Momentum of the encoder's BN layers in the authors' DeepLab configuration.</summary>
    public const double BatchNormMomentum = 0.01;

    private readonly InputStandardization standardization;
    private readonly ResNet backbone;
    private readonly AtrousSpatialPyramidPooling aspp;

    public DeepLabV2(long numClasses) : base(nameof(DeepLabV2))
    {
        standardization = InputStandardization.Cityscapes();
        backbone = ResNet.ResNet101(outputStride8: true, batchNormMomentum: BatchNormMomentum);
        aspp = new AtrousSpatialPyramidPooling(backbone.StageChannels[3], numClasses, dilations: [6, 12, 18, 24]);
        RegisterComponents();
    }

    public override nn.Module EncoderModule => backbone;

    internal InputStandardization Standardization => standardization;

    public override IEnumerable<Parameter> EncoderParameters() => ParametersOf(nameof(backbone));

    public override IEnumerable<Parameter> DecoderParameters() => ParametersExcept(nameof(backbone));

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var features = backbone.call(standardization.call(input)).Layer4;
        return SwiftNet.ResizeLogits(aspp.call(features), input).MoveToOuterDisposeScope();
    }
}

/// <summary>DeepLab v2's ASPP classifier: parallel 3x3 convs (with bias) of different dilations from the features
/// straight to the class logits, summed. Initialised N(0, 0.01) with zero bias, as in deeplab-pytorch.</summary>
public sealed class AtrousSpatialPyramidPooling : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<Conv2d> convs;

    public AtrousSpatialPyramidPooling(long inChannels, long numClasses, int[] dilations) : base(nameof(AtrousSpatialPyramidPooling))
    {
        convs = nn.ModuleList(dilations
            .Select(d => nn.Conv2d(inChannels, numClasses, kernel_size: 3, padding: d, dilation: d, bias: true))
            .ToArray());
        RegisterComponents();

        using var _ = no_grad();
        foreach (var conv in convs)
        {
            nn.init.normal_(conv.weight, mean: 0, std: 0.01);
            nn.init.zeros_(conv.bias);
        }
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var sum = convs[0].call(input);
        for (int i = 1; i < convs.Count; i++)
            sum = sum.add_(convs[i].call(input));
        return sum.MoveToOuterDisposeScope();
    }
}
