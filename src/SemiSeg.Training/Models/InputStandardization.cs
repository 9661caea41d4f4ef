using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Models;

/// <summary>Per-channel (x - mean) / std of RGB input in [0, 1], done inside the model so that data and perturbations
/// work in [0, 1] (vidlu's input adapter). Mean and std are buffers: they move with the model and are saved with it.</summary>
public sealed class InputStandardization : nn.Module<Tensor, Tensor>
{
    /// <summary>vidlu's <c>cityscapes_mo</c>: Cityscapes RGB mean on the 0..255 scale.</summary>
    public static readonly double[] CityscapesMean = [73.15 / 255, 82.9 / 255, 72.3 / 255];

    /// <summary>vidlu's <c>cityscapes_mo</c>: Cityscapes RGB standard deviation on the 0..255 scale.</summary>
    public static readonly double[] CityscapesStd = [47.67 / 255, 48.49 / 255, 47.73 / 255];

    private readonly Tensor mean;
    private readonly Tensor std;

    public InputStandardization(IReadOnlyList<double> mean, IReadOnlyList<double> std) : base(nameof(InputStandardization))
    {
        if (mean.Count != std.Count)
            throw new ArgumentException("Mean and std need one value per channel each.", nameof(std));
        this.mean = AsChannelVector(mean);
        this.std = AsChannelVector(std);
        RegisterComponents();
    }

    /// <summary>The Cityscapes statistics the paper's segmentation models use.</summary>
    public static InputStandardization Cityscapes() => new(CityscapesMean, CityscapesStd);

    private static Tensor AsChannelVector(IReadOnlyList<double> values) =>
        tensor(values.Select(v => (float)v).ToArray(), [1, values.Count, 1, 1]);

    public override Tensor forward(Tensor input) => (input - mean) / std;
}
