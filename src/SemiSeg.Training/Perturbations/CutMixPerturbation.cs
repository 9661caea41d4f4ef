using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Perturbations;

/// <summary>
/// CutMix as in the paper (after Britefury/cutmix-semisup-seg): one box per image pair covering half of the image,
/// height fraction exp(U(0, 1)·ln 0.5) and width fraction 0.5 / that, placed inside the image; images 2i and 2i+1
/// exchange the pixels outside the box (the same mask for both). The same mixing applies to targets; every pixel is
/// valid. With an odd batch the last image stays unmixed.
/// </summary>
public sealed class CutMixPerturbation : IPerturbation
{
    public const double AreaFraction = 0.5;

    public PerturbationSample Sample(long batch, long height, long width, Device device, Generator generator)
    {
        var boxes = zeros(batch, 1, height, width);
        for (long pair = 0; pair + 1 < batch; pair += 2)
        {
            var u = rand(3, generator: generator).data<float>().ToArray();
            double heightFraction = Math.Exp(u[0] * Math.Log(AreaFraction));
            double widthFraction = AreaFraction / heightFraction;
            long boxHeight = Math.Clamp((long)Math.Round(heightFraction * height), 1, height);
            long boxWidth = Math.Clamp((long)Math.Round(widthFraction * width), 1, width);
            long top = (long)Math.Floor(u[1] * (height - boxHeight + 1));
            long left = (long)Math.Floor(u[2] * (width - boxWidth + 1));
            boxes[pair, .., (int)top..(int)(top + boxHeight), (int)left..(int)(left + boxWidth)] = 1;
            boxes[pair + 1] = boxes[pair];
        }
        return new CutMixSample(boxes.to(device), batch);
    }
}

/// <summary>One sampled CutMix of a batch. <see cref="Boxes"/>: [N, 1, H, W], 1 inside each image's box.</summary>
public sealed class CutMixSample(Tensor boxes, long batch) : PerturbationSample
{
    public Tensor Boxes { get; } = boxes;

    public override Tensor ApplyToInput(Tensor images) => Mix(images);

    public override Tensor ApplyToTarget(Tensor target) => Mix(target);

    public override Tensor ValidMask() => ones(batch, Boxes.shape[2], Boxes.shape[3], dtype: ScalarType.Bool, device: Boxes.device);

    public override (Tensor Target, Tensor Valid) InverseTarget(Tensor target) =>
        throw new InvalidOperationException("1w-p2 needs an invertible geometric perturbation; CutMix is not.");

    /// <summary>Keeps each image inside its box and takes the partner's pixels outside it.</summary>
    private Tensor Mix(Tensor x)
    {
        var partner = arange(batch, device: x.device);
        int pairs = (int)(batch / 2 * 2);
        partner[..pairs] = partner[..pairs].view(-1, 2).flip(1).reshape(-1);
        var mask = Boxes.to(x.dtype);
        // An unpaired last image keeps all its pixels.
        if (pairs < batch)
        {
            mask = mask.clone();
            mask[batch - 1] = 1;
        }
        return mask * x + (1 - mask) * x.index_select(0, partner);
    }
}
