using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Perturbations;

/// <summary>
/// Thin-plate-spline sampling grids in unit coordinates (image side = 1). A warp that moves content at source points
/// to destination points samples, at each output pixel p, the input at f(p), where f is the TPS fitted to map the
/// destination points onto the source points (φ(r) = r² log r, no regularisation, affine part included).
/// </summary>
public static class ThinPlateSpline
{
    /// <summary>The sampling grid [N, H, W, 2] in grid_sample's (x, y) ∈ [−1, 1] convention (align_corners = true)
    /// for a TPS mapping <paramref name="from"/> [N, K, 2] onto <paramref name="to"/> [N, K, 2] (unit (x, y) points).</summary>
    public static Tensor Grid(Tensor from, Tensor to, long height, long width) =>
        (Evaluate(Fit(from, to), from, PixelCentres(from, height, width)) * 2 - 1).reshape(from.shape[0], height, width, 2);

    /// <summary>
    /// The sampling grid of the inverse of the warp whose grid is <c>Grid(from, to)</c>, i.e. for each pixel q, the
    /// point p with f(p) = q. The TPS fitted the other way round is only a first guess (TPS maps are not closed under
    /// inversion: at s_G = 1 it can be off by over 10 pixels on 64x64), so it is refined by fixed-point steps
    /// p ← p + (q − f(p)). Converged is false where the remaining error exceeds half a pixel.
    /// </summary>
    public static (Tensor Grid, Tensor Converged) InverseGrid(Tensor from, Tensor to, long height, long width, int refinementSteps = 5)
    {
        long n = from.shape[0];
        var forward = Fit(from, to);
        var targets = PixelCentres(from, height, width);
        var points = Evaluate(Fit(to, from), to, targets);
        for (int i = 0; i < refinementSteps; i++)
        {
            points = points + (targets - Evaluate(forward, from, points));
        }
        var pixelScale = tensor(new float[] { width - 1, height - 1 }, device: from.device, dtype: from.dtype);
        var error = ((targets - Evaluate(forward, from, points)) * pixelScale).abs().amax([2]);
        return ((points * 2 - 1).reshape(n, height, width, 2), error.le(0.5).reshape(n, height, width));
    }

    /// <summary>Coefficients [N, K+3, 2] of the TPS sending <paramref name="from"/> onto <paramref name="to"/>:
    /// [K P; Pᵀ 0] [W; A] = [to; 0], solved in float64.</summary>
    private static Tensor Fit(Tensor from, Tensor to)
    {
        long n = from.shape[0], k = from.shape[1];
        var f = from.to(ScalarType.Float64);
        var affine = cat([ones(n, k, 1, device: from.device, dtype: ScalarType.Float64), f], 2);
        var top = cat([RadialBasis(f, f), affine], 2);
        var bottom = cat([affine.transpose(1, 2), zeros(n, 3, 3, device: from.device, dtype: ScalarType.Float64)], 2);
        var rhs = cat([to.to(ScalarType.Float64), zeros(n, 3, 2, device: from.device, dtype: ScalarType.Float64)], 1);
        return linalg.solve(cat([top, bottom], 1), rhs).to(from.dtype);
    }

    /// <summary>The fitted TPS at <paramref name="points"/> [N, P, 2].</summary>
    private static Tensor Evaluate(Tensor coefficients, Tensor controlPoints, Tensor points)
    {
        var basis = cat([RadialBasis(points, controlPoints), ones(points.shape[0], points.shape[1], 1, device: points.device, dtype: points.dtype), points], 2);
        return bmm(basis, coefficients);
    }

    /// <summary>Unit (x, y) coordinates of every pixel centre, [N, H·W, 2]: pixel i ↦ i / (side − 1) (align_corners = true).</summary>
    private static Tensor PixelCentres(Tensor like, long height, long width)
    {
        var ys = linspace(0, 1, height, dtype: like.dtype, device: like.device);
        var xs = linspace(0, 1, width, dtype: like.dtype, device: like.device);
        var mesh = meshgrid([ys, xs], indexing: "ij");
        return stack([mesh[1], mesh[0]], 2).reshape(1, height * width, 2).expand(like.shape[0], -1, -1);
    }

    /// <summary>U(|a_i − b_j|) = r² log r for every pair: [N, A, B].</summary>
    private static Tensor RadialBasis(Tensor a, Tensor b)
    {
        var squared = (a.unsqueeze(2) - b.unsqueeze(1)).square().sum(3);
        // r² log r = ½ r² log r²; defined as 0 at r = 0.
        return (0.5 * squared * squared.clamp_min(1e-12).log()).where(squared > 0, zeros_like(squared));
    }

    /// <summary>Control points of a 2×2 grid: tile centres (0.25, 0.75) or the vidlu code's (0.75, 1.25).</summary>
    public static Tensor ControlPoints(long batch, string placement, Device device)
    {
        double[] positions = placement == Config.TpsPlacementNames.VidluCode ? [0.75, 1.25] : [0.25, 0.75];
        var points = new float[8];
        int i = 0;
        foreach (double y in positions)
        {
            foreach (double x in positions)
            {
                points[i++] = (float)x;
                points[i++] = (float)y;
            }
        }
        return tensor(points, [1, 4, 2], device: device).expand(batch, -1, -1).contiguous();
    }

    public static Tensor Sample(Tensor input, Tensor grid, GridSampleMode mode = GridSampleMode.Bilinear) =>
        nn.functional.grid_sample(input, grid.to(input.dtype), mode, GridSamplePaddingMode.Zeros, align_corners: true);
}
