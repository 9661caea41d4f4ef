using SemiSeg.Training.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Perturbations;

/// <summary>
/// PhTPS (vidlu PhotoTPS20): photometric jitter, then a TPS warp with 2×2 control points displaced by N(0, (0.1·s_G)²)
/// in unit coordinates, bilinear sampling with zero padding. Strength 0 turns a part off exactly, so the same class
/// is also Ph-only (s_G = 0) and TPS-only (s_P = 0). Parameters are drawn per image from the given generator.
/// </summary>
public sealed class PhTpsPerturbation(double photometricStrength, double geometricStrength, string controlPoints) : IPerturbation
{
    public const double OffsetStd = 0.1;

    public double PhotometricStrength { get; } = photometricStrength;
    public double GeometricStrength { get; } = geometricStrength;

    public PerturbationSample Sample(long batch, long height, long width, Device device, Generator generator)
    {
        var photometric = PhotometricStrength > 0 ? Photometric.Sample(batch, PhotometricStrength, device, generator) : null;
        Tensor? source = null, destination = null;
        if (GeometricStrength > 0)
        {
            source = ThinPlateSpline.ControlPoints(batch, controlPoints, CPU);
            destination = source + randn(batch, 4, 2, generator: generator) * (OffsetStd * GeometricStrength);
            source = source.to(device);
            destination = destination.to(device);
        }
        return new PhTpsSample(photometric, source, destination, batch, height, width);
    }
}

/// <summary>One sampled PhTPS transform of a batch.</summary>
public sealed class PhTpsSample : PerturbationSample
{
    private const double ValidThreshold = 1 - 1e-6;
    private readonly long _batch, _height, _width;
    private Tensor? _grid, _inverseGrid, _inverseConverged;

    internal PhTpsSample(PhotometricParameters? photometric, Tensor? source, Tensor? destination, long batch, long height, long width)
    {
        _batch = batch;
        Photometric = photometric;
        Source = source;
        Destination = destination;
        _height = height;
        _width = width;
    }

    public PhotometricParameters? Photometric { get; }

    /// <summary>Control points [N, 4, 2] in unit (x, y) coordinates, and where their content moves to; null when s_G = 0.</summary>
    public Tensor? Source { get; }
    public Tensor? Destination { get; }

    private bool Warps => Source is not null;

    /// <summary>Sampling grid of the warp: output pixel p reads the input at f(p), f mapping destinations to sources.</summary>
    public Tensor Grid => _grid ??= ThinPlateSpline.Grid(Destination!, Source!, _height, _width).DetachFromDisposeScope();

    private (Tensor Grid, Tensor Converged) Inverse
    {
        get
        {
            if (_inverseGrid is null)
            {
                var (grid, converged) = ThinPlateSpline.InverseGrid(Destination!, Source!, _height, _width);
                (_inverseGrid, _inverseConverged) = (grid.DetachFromDisposeScope(), converged.DetachFromDisposeScope());
            }
            return (_inverseGrid, _inverseConverged!);
        }
    }

    public override Tensor ApplyToInput(Tensor images)
    {
        var jittered = Photometric is null ? images : Perturbations.Photometric.Apply(images, Photometric);
        return ApplyToTarget(jittered);
    }

    public override Tensor ApplyToTarget(Tensor target) => Warps ? ThinPlateSpline.Sample(target, Grid) : target;

    public override Tensor ValidMask() => Valid(Warps ? Grid : null);

    /// <summary>Maps a target back to the clean frame. A clean-frame pixel is valid where the inverse converged and it
    /// samples only perturbed-frame pixels that are themselves valid.</summary>
    public override (Tensor Target, Tensor Valid) InverseTarget(Tensor target)
    {
        if (!Warps)
        {
            return (target, Valid(null));
        }
        var (grid, converged) = Inverse;
        var carried = ThinPlateSpline.Sample(ValidMask().unsqueeze(1).to(grid.dtype), grid).squeeze(1).ge(ValidThreshold);
        return (ThinPlateSpline.Sample(target, grid), carried.logical_and(converged));
    }

    private Tensor Valid(Tensor? grid)
    {
        if (!Warps || grid is null)
        {
            return ones(_batch, _height, _width, dtype: ScalarType.Bool);
        }
        var allOnes = ones(grid.shape[0], 1, _height, _width, device: grid.device, dtype: grid.dtype);
        return ThinPlateSpline.Sample(allOnes, grid).squeeze(1).ge(ValidThreshold);
    }

    public override void Dispose()
    {
        _grid?.Dispose();
        _inverseGrid?.Dispose();
        _inverseConverged?.Dispose();
        base.Dispose();
    }
}
