using SemiSeg.Training.Config;
using SemiSeg.Training.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Running;

/// <summary>Loads, jitters and stacks the examples of one batch, then moves them to the training device.</summary>
internal sealed class BatchBuilder(IImageDataset train, DataConfig config, bool segmentation, Device device)
{
    public (Tensor Images, Tensor Labels) Labeled(int[] indices, Generator generator)
    {
        var examples = indices.Select(i => Jitter(train.Get(i), generator)).ToList();
        var (images, labels) = Batching.Stack(examples);
        return (images.to(device), labels.to(device));
    }

    public Tensor Unlabeled(int[] indices, Generator generator) => Labeled(indices, generator).Images;

    private LabeledImage Jitter(LabeledImage example, Generator generator) => segmentation
        ? SegmentationJitter.Apply(example, config.CropSize, config.ScaleRange, config.HorizontalFlip, generator)
        : ClassificationJitter.Apply(example, config.HorizontalFlip, generator);
}
