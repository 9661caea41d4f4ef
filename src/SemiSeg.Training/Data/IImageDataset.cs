using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Data;

/// <summary>What a dataset is: used for model heads, metrics and the run's content key.</summary>
/// <param name="Name">The dataset name as in the run config.</param>
/// <param name="Identity">A string that changes whenever the data a run sees could change (files, options, version).</param>
/// <param name="ClassNames">One name per class; the class count is its length.</param>
/// <param name="IsSegmentation">Per-pixel labels (true) or one label per image (false).</param>
public sealed record DatasetInfo(string Name, string Identity, IReadOnlyList<string> ClassNames, bool IsSegmentation)
{
    public int NumClasses => ClassNames.Count;
}

/// <summary>One example. Image: float32 [3, H, W] RGB in [0, 1]. Label: int64 [H, W] with -1 = ignore
/// (segmentation) or an int64 scalar (classification). The caller owns (and disposes) both tensors.</summary>
public readonly record struct LabeledImage(Tensor Image, Tensor Label);

/// <summary>A split of a dataset with random access. Implementations are thread-safe for reads.</summary>
public interface IImageDataset
{
    DatasetInfo Info { get; }
    int Count { get; }

    /// <summary>The example at <paramref name="index"/>; deterministic for a given index.</summary>
    LabeledImage Get(int index);

    /// <summary>Class label of each example without decoding images (classification), for class-balanced folds;
    /// null for segmentation datasets.</summary>
    IReadOnlyList<int>? ClassLabels { get; }
}

public enum Split
{
    Train,
    Val,
}

/// <summary>A clear, user-facing data error: names the file and says how to fix it.</summary>
public sealed class DataFormatException(string message) : Exception(message);
