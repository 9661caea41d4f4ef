using SemiSeg.Training.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemiSeg.Training.Tests.Support;

/// <summary>A minimal segmentation network (conv-BN-ReLU-conv) for fast tests of training logic.</summary>
public sealed class TinyNetwork : Network
{
    private readonly Conv2d encoder;
    private readonly BatchNorm2d norm;
    private readonly Conv2d head;

    public TinyNetwork(int classes = 3, int width = 4) : base(nameof(TinyNetwork))
    {
        encoder = nn.Conv2d(3, width, 3, padding: 1);
        norm = nn.BatchNorm2d(width);
        head = nn.Conv2d(width, classes, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => head.call(nn.functional.relu(norm.call(encoder.call(input))));

    public override IEnumerable<Parameter> EncoderParameters() => encoder.parameters();

    public override IEnumerable<Parameter> DecoderParameters() => norm.parameters().Concat(head.parameters());

    public override nn.Module EncoderModule => encoder;
}
