using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Perturbations;

/// <summary>Sampled photometric parameters, one value per image: the paper's PhTPS jitter in HSV.</summary>
/// <param name="ValueShift">a in V += a, U[−0.25, 0.25]·s_P.</param>
/// <param name="SaturationFactor">s in S ×= s, U[0.25, 2] at s_P = 1.</param>
/// <param name="HueShift">h in H += h (cyclic), U[−0.1, 0.1]·s_P.</param>
/// <param name="ValueFactor">v in V ×= v, U[0.25, 2] at s_P = 1.</param>
/// <param name="ChannelOrder">One RGB permutation shared by the batch (identity when s_P = 0).</param>
public sealed record PhotometricParameters(Tensor ValueShift, Tensor SaturationFactor, Tensor HueShift, Tensor ValueFactor, long[] ChannelOrder);

/// <summary>
/// The photometric half of PhTPS (vidlu Photometric20): in HSV, V += a, S ×= s, H += h (wrapping), V ×= v, then back to
/// RGB and a random channel permutation; no clamping. Strength s_P scales each range around the identity: additive
/// ranges by s_P, multiplicative ranges [1 − 0.75·s_P, 1 + s_P] (the paper's [0.25, 2] at s_P = 1), the lower end kept
/// at least 0.05. How the authors scaled ranges was never published (paper notes §2.1), so this is our definition.
/// </summary>
public static class Photometric
{
    public static PhotometricParameters Sample(long batch, double strength, Device device, Generator generator)
    {
        Tensor Uniform(double low, double high) => (rand(batch, generator: generator) * (high - low) + low).to(device);
        double factorLow = Math.Max(0.05, 1 - 0.75 * strength), factorHigh = 1 + strength;
        var valueShift = Uniform(-0.25 * strength, 0.25 * strength);
        var saturation = Uniform(factorLow, factorHigh);
        var hue = Uniform(-0.1 * strength, 0.1 * strength);
        var value = Uniform(factorLow, factorHigh);
        long[] order = strength > 0 ? randperm(3, generator: generator).data<long>().ToArray() : [0, 1, 2];
        return new PhotometricParameters(valueShift, saturation, hue, value, order);
    }

    public static Tensor Apply(Tensor rgb, PhotometricParameters p)
    {
        var (h, s, v) = RgbToHsv(rgb);
        Tensor PerImage(Tensor t) => t.view(-1, 1, 1);
        v = v + PerImage(p.ValueShift);
        s = s * PerImage(p.SaturationFactor);
        h = (h + PerImage(p.HueShift)).remainder(1.0);
        v = v * PerImage(p.ValueFactor);
        var result = HsvToRgb(h, s, v);
        return p.ChannelOrder.SequenceEqual([0L, 1, 2]) ? result : result.index_select(1, tensor(p.ChannelOrder, device: rgb.device));
    }

    /// <summary>RGB [N, 3, H, W] → hue in [0, 1), saturation, value, each [N, H, W].</summary>
    public static (Tensor Hue, Tensor Saturation, Tensor Value) RgbToHsv(Tensor rgb)
    {
        var r = rgb[.., 0];
        var g = rgb[.., 1];
        var b = rgb[.., 2];
        var max = rgb.amax([1]);
        var min = rgb.amin([1]);
        var delta = max - min;
        var safeDelta = delta.where(delta > 0, ones_like(delta));
        var saturation = (delta / max.where(max > 0, ones_like(max))).where(max > 0, zeros_like(max));
        var hueFromRed = (g - b) / safeDelta;
        var hueFromGreen = 2.0 + (b - r) / safeDelta;
        var hueFromBlue = 4.0 + (r - g) / safeDelta;
        var hue = hueFromRed.where(r == max, hueFromGreen.where(g == max, hueFromBlue));
        hue = (hue / 6.0).remainder(1.0).where(delta > 0, zeros_like(delta));
        return (hue, saturation, max);
    }

    /// <summary>HSV → RGB [N, 3, H, W] with f(n) = V − V·S·clamp(min(k, 4 − k), 0, 1), k = (n + 6H) mod 6.</summary>
    public static Tensor HsvToRgb(Tensor hue, Tensor saturation, Tensor value)
    {
        Tensor Channel(double n)
        {
            var k = (hue * 6.0 + n).remainder(6.0);
            return value - value * saturation * minimum(k, 4.0 - k).clamp(0.0, 1.0);
        }
        return stack([Channel(5), Channel(3), Channel(1)], 1);
    }
}
