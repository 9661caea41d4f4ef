using TorchSharp;

namespace SemiSeg.Training.Running;

/// <summary>
/// Counter-based randomness: every consumer of randomness in a step gets a generator seeded by a hash of
/// (run seed, step, stream). A step is then a pure function of its inputs, resuming needs no saved RNG state, and
/// adding a new random consumer does not shift the numbers the others see.
/// </summary>
public static class StepRandom
{
    public const ulong LabeledData = 1, UnlabeledData = 2, LabeledAugmentation = 3, UnlabeledAugmentation = 4, Perturbation = 5, Order = 6;

    public static ulong Seed(long runSeed, long step, ulong stream) =>
        SplitMix64(SplitMix64(SplitMix64((ulong)runSeed) ^ (ulong)step) ^ stream);

    public static torch.Generator Generator(long runSeed, long step, ulong stream) =>
        new(Seed(runSeed, step, stream) & 0x7fff_ffff_ffff_ffffUL);

    public static Random Random(long runSeed, long step, ulong stream) => new((int)(Seed(runSeed, step, stream) & 0x7fff_ffff));

    /// <summary>SplitMix64 finaliser: a well-mixed, stable (not per-process randomised) 64-bit hash.</summary>
    public static ulong SplitMix64(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
