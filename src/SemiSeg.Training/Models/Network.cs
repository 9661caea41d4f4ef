using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemiSeg.Training.Models;

/// <summary>A network trained by the runner: logits [N, C, H, W] for segmentation (at input size) or [N, C] for
/// classification. Parameters split into the encoder (backbone, pretrainable, smaller learning rate) and the rest.</summary>
public abstract class Network(string name) : nn.Module<Tensor, Tensor>(name)
{
    public abstract IEnumerable<Parameter> EncoderParameters();

    public abstract IEnumerable<Parameter> DecoderParameters();

    /// <summary>The encoder module, whose state dict a pretrained-weights file fills.</summary>
    public abstract nn.Module EncoderModule { get; }

    /// <summary>Parameters of the child module registered as <paramref name="child"/> (by state-dict name, so that the
    /// encoder/decoder split is a partition of <c>parameters()</c> by construction).</summary>
    protected IEnumerable<Parameter> ParametersOf(string child) =>
        named_parameters().Where(p => IsUnder(p.name, child)).Select(p => p.parameter);

    /// <summary>All parameters except those of the child module registered as <paramref name="child"/>.</summary>
    protected IEnumerable<Parameter> ParametersExcept(string child) =>
        named_parameters().Where(p => !IsUnder(p.name, child)).Select(p => p.parameter);

    private static bool IsUnder(string parameterName, string child) =>
        parameterName.StartsWith(child + ".", StringComparison.Ordinal);
}
