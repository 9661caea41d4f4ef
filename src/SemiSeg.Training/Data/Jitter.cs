using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Data;

/// <summary>
/// The paper's training jitter for segmentation, applied alike to labeled and unlabeled images: a log-uniform random
/// scale in [min, max], a random crop (padding with the image mean and the ignore label when the scaled image is
/// smaller), and a horizontal flip with probability 1/2. Images are resized bilinearly, labels by nearest neighbour.
/// </summary>
public static class SegmentationJitter
{
    public static LabeledImage Apply(LabeledImage example, int crop, double[] scaleRange, bool flip, Generator generator)
    {
        var u = rand(4, generator: generator, dtype: ScalarType.Float64).data<double>().ToArray();
        double scale = Math.Exp(Math.Log(scaleRange[0]) + u[0] * (Math.Log(scaleRange[1]) - Math.Log(scaleRange[0])));
        var (image, label) = (example.Image, example.Label);
        long height = image.shape[1], width = image.shape[2];
        if (scale != 1)
        {
            long h = Math.Max(1, (long)Math.Round(height * scale)), w = Math.Max(1, (long)Math.Round(width * scale));
            image = nn.functional.interpolate(image.unsqueeze(0), [h, w], mode: InterpolationMode.Bilinear, align_corners: false).squeeze(0);
            label = nn.functional.interpolate(label.unsqueeze(0).unsqueeze(0).to(ScalarType.Float32), [h, w], mode: InterpolationMode.Nearest)
                .squeeze(0).squeeze(0).to(ScalarType.Int64);
            (height, width) = (h, w);
        }
        if (height < crop || width < crop)
        {
            long padBottom = Math.Max(0, crop - height), padRight = Math.Max(0, crop - width);
            var mean = image.mean([1, 2], keepdim: true);
            var paddedImage = mean.expand(3, height + padBottom, width + padRight).clone();
            paddedImage[.., ..(int)height, ..(int)width] = image;
            var paddedLabel = full(height + padBottom, width + padRight, -1L, dtype: ScalarType.Int64);
            paddedLabel[..(int)height, ..(int)width] = label;
            (image, label, height, width) = (paddedImage, paddedLabel, height + padBottom, width + padRight);
        }
        int top = (int)Math.Floor(u[1] * (height - crop + 1)), left = (int)Math.Floor(u[2] * (width - crop + 1));
        image = image[.., top..(top + crop), left..(left + crop)];
        label = label[top..(top + crop), left..(left + crop)];
        if (flip && u[3] < 0.5)
        {
            image = image.flip(2);
            label = label.flip(1);
        }
        return new LabeledImage(image.contiguous(), label.contiguous());
    }
}

/// <summary>Classification jitter (CIFAR-10 in the paper): zero-pad 4 pixels, random crop back, horizontal flip.</summary>
public static class ClassificationJitter
{
    public const int Padding = 4;

    public static LabeledImage Apply(LabeledImage example, bool flip, Generator generator)
    {
        var u = rand(3, generator: generator, dtype: ScalarType.Float64).data<double>().ToArray();
        long height = example.Image.shape[1], width = example.Image.shape[2];
        var padded = nn.functional.pad(example.Image, [Padding, Padding, Padding, Padding]);
        int top = (int)Math.Floor(u[0] * (2 * Padding + 1)), left = (int)Math.Floor(u[1] * (2 * Padding + 1));
        var image = padded[.., top..(top + (int)height), left..(left + (int)width)];
        if (flip && u[2] < 0.5)
        {
            image = image.flip(2);
        }
        return new LabeledImage(image.contiguous(), example.Label);
    }
}

public static class Batching
{
    /// <summary>Stacks examples of equal size into images [N, 3, H, W] and labels [N, H, W] or [N].</summary>
    public static (Tensor Images, Tensor Labels) Stack(IReadOnlyList<LabeledImage> examples) =>
        (stack(examples.Select(e => e.Image).ToArray()), stack(examples.Select(e => e.Label).ToArray()));
}
