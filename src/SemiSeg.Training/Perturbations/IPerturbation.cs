using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Perturbations;

/// <summary>A family of random transforms. Sampling draws one transform per image (per pair for CutMix) from
/// <paramref name="generator"/>; the sample is then applied to the input, the teacher's logits and a validity mask.</summary>
public interface IPerturbation
{
    PerturbationSample Sample(long batch, long height, long width, Device device, Generator generator);
}

/// <summary>One sampled transform of a batch. Input-side: the whole perturbation (photometric and geometric).
/// Target-side: only its geometric part (TPS warp, CutMix mixing), applied to logits [N, C, H, W].</summary>
public abstract class PerturbationSample : IDisposable
{
    /// <summary>The perturbed input x̃ = T(x) for x [N, 3, H, W] in [0, 1] (values may leave [0, 1]).</summary>
    public abstract Tensor ApplyToInput(Tensor images);

    /// <summary>T_τ(y): the geometric part applied to logits or probabilities [N, C, H, W].</summary>
    public abstract Tensor ApplyToTarget(Tensor target);

    /// <summary>Boolean [N, H, W]: pixels of the perturbed frame whose value comes entirely from inside the image.</summary>
    public abstract Tensor ValidMask();

    /// <summary>Maps a target from the perturbed frame back to the clean frame (1w-p2). Returns the mapped target and
    /// its boolean validity mask [N, H, W].</summary>
    public abstract (Tensor Target, Tensor Valid) InverseTarget(Tensor target);

    public virtual void Dispose() => GC.SuppressFinalize(this);
}
