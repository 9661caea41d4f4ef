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
    public static Tensor Grid(Tensor from, Tensor to, long height, long width)
    {
        long n = from.shape[0], k = from.shape[1];
        var device = from.device;
        // Fit: [K P; Pᵀ 0] [W; A] = [to; 0].
        var kernel = RadialBasis(from, from);                                            // [N, K, K]
        var affine = cat([ones(n, k, 1, device: device, dtype: from.dtype), from], 2);  // [N, K, 3]
        var top = cat([kernel, affine], 2);
        var bottom = cat([affine.transpose(1, 2), zeros(n, 3, 3, device: device, dtype: from.dtype)], 2);
        var system = cat([top, bottom], 1);                                               // [N, K+3, K+3]
        var rhs = cat([to, zeros(n, 3, 2, device: device, dtype: from.dtype)], 1);        // [N, K+3, 2]
        var coefficients = linalg.solve(system, rhs);                                     // [N, K+3, 2]

        // Evaluate at every pixel centre: pixel i ↦ i / (side − 1) under align_corners = true.
        var ys = linspace(0, 1, height, dtype: from.dtype, device: device);
        var xs = linspace(0, 1, width, dtype: from.dtype, device: device);
        var mesh = meshgrid([ys, xs], indexing: "ij");
        var points = stack([mesh[1], mesh[0]], 2).reshape(1, height * width, 2).expand(n, -1, -1); // (x, y)
        var basis = cat([RadialBasis(points, from), ones(n, height * width, 1, device: device, dtype: from.dtype), points], 2);
        var mapped = bmm(basis, coefficients);                                            // [N, HW, 2]
        return (mapped * 2 - 1).reshape(n, height, width, 2);
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
