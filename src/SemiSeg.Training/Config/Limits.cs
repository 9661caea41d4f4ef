namespace SemiSeg.Training.Config;

/// <summary>
/// Upper limits of run-config values, far above any real run but low enough that products (pixels per batch, steps,
/// folds) fit in the integers and memory that use them. README ("Errors and limits") lists them.
/// </summary>
public static class Limits
{
    /// <summary>schedule.steps and the every-N-steps fields.</summary>
    public const int MaxSteps = 100_000_000;

    /// <summary>schedule.batch_labeled, batch_unlabeled, eval_batch.</summary>
    public const int MaxBatch = 4096;

    /// <summary>data.crop_size in pixels.</summary>
    public const int MaxSide = 4096;

    /// <summary>data.fashion_scenes.image_size in pixels.</summary>
    public const int MaxSceneSide = 2048;

    /// <summary>Example counts: labeled_count, max_val_examples, train_scenes, val_scenes.</summary>
    public const int MaxExamples = 10_000_000;

    /// <summary>Pixels in one training step's batch or one evaluation batch (2^28: about 3 GiB of float32 RGB).</summary>
    public const long MaxBatchPixels = 1L << 28;

    /// <summary>data.scale_range bounds.</summary>
    public const double MinScale = 0.05, MaxScale = 8;
}
