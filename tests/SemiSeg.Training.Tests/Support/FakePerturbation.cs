using SemiSeg.Training.Perturbations;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Tests.Support;

/// <summary>
/// A perturbation whose perturbed input is a fresh leaf tensor (so tests can read which branch received gradients)
/// and whose geometric part flips images horizontally (invertible, so 1w-p2 works). Records every sample it makes.
/// </summary>
public sealed class FakePerturbation : IPerturbation
{
    public List<FakeSample> Samples { get; } = [];

    public PerturbationSample Sample(long batch, long height, long width, Device device, Generator generator)
    {
        var sample = new FakeSample(batch, height, width);
        Samples.Add(sample);
        return sample;
    }

    public sealed class FakeSample(long batch, long height, long width) : PerturbationSample
    {
        public Tensor? PerturbedLeaf { get; private set; }

        public override Tensor ApplyToInput(Tensor images)
        {
            PerturbedLeaf = (images.detach().flip(3) * 0.5 + 0.1).DetachFromDisposeScope().requires_grad_();
            return PerturbedLeaf;
        }

        public override Tensor ApplyToTarget(Tensor target) => target.flip(3);

        public override Tensor ValidMask() => ones(batch, height, width, dtype: ScalarType.Bool);

        public override (Tensor Target, Tensor Valid) InverseTarget(Tensor target) => (target.flip(3), ValidMask());
    }
}
