using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Metrics;

/// <summary>
/// Accumulates a confusion matrix (rows = true class, columns = predicted class) over a whole evaluation set.
/// Pixels (or examples) labeled with a negative value are ignored. mIoU is computed over the accumulated matrix,
/// as in the paper, not averaged per image.
/// </summary>
public sealed class ConfusionMatrix(int numClasses)
{
    private readonly long[] _counts = new long[numClasses * numClasses];

    public int NumClasses { get; } = numClasses;

    /// <summary>Count in row <paramref name="truth"/>, column <paramref name="predicted"/>.</summary>
    public long this[int truth, int predicted] => _counts[truth * NumClasses + predicted];

    /// <summary>Adds predictions (any integer shape) against labels of the same shape.</summary>
    public void Add(Tensor predicted, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var truth = labels.flatten().to(ScalarType.Int64).cpu();
        var guess = predicted.flatten().to(ScalarType.Int64).cpu();
        var valid = truth.ge(0).logical_and(truth.lt(NumClasses));
        var index = truth.masked_select(valid) * NumClasses + guess.masked_select(valid);
        var counts = bincount(index, minlength: NumClasses * NumClasses).data<long>().ToArray();
        for (int i = 0; i < counts.Length; i++)
        {
            _counts[i] += counts[i];
        }
    }

    public void Add(ConfusionMatrix other)
    {
        for (int i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }
    }

    public long Total => _counts.Sum();

    /// <summary>IoU per class: TP / (TP + FP + FN); NaN for a class absent from both truth and predictions.</summary>
    public double[] IoUPerClass()
    {
        var iou = new double[NumClasses];
        for (int c = 0; c < NumClasses; c++)
        {
            long tp = this[c, c];
            long fn = Enumerable.Range(0, NumClasses).Sum(p => this[c, p]) - tp;
            long fp = Enumerable.Range(0, NumClasses).Sum(t => this[t, c]) - tp;
            long union = tp + fp + fn;
            iou[c] = union == 0 ? double.NaN : (double)tp / union;
        }
        return iou;
    }

    /// <summary>Mean IoU. <paramref name="overAllClasses"/>: the mean over every class, where a class absent from both
    /// truth and predictions counts as 0 (the authors' code: NaN → 0, vidlu metrics.py); otherwise the mean over the
    /// classes that occur (in truth or predictions), NaN classes skipped. The two differ only when such a class exists.</summary>
    public double MeanIoU(bool overAllClasses = false)
    {
        var iou = IoUPerClass();
        if (overAllClasses)
        {
            return iou.Select(v => double.IsNaN(v) ? 0 : v).Average();
        }
        var present = iou.Where(v => !double.IsNaN(v)).ToArray();
        return present.Length == 0 ? 0 : present.Average();
    }

    /// <summary>The mIoU a model would get by predicting <paramref name="predicted"/> everywhere (e.g. all background):
    /// a reference that a trained model must clearly beat, averaged as <see cref="MeanIoU"/> averages (over all classes,
    /// or leaving out those absent from the ground truth, which a constant prediction cannot hit).</summary>
    public double MeanIoUOfConstantPrediction(int predicted, bool overAllClasses = false)
    {
        var truthCounts = Enumerable.Range(0, NumClasses).Select(t => Enumerable.Range(0, NumClasses).Sum(p => this[t, p])).ToArray();
        long total = truthCounts.Sum();
        int classes = overAllClasses ? NumClasses : truthCounts.Count(c => c > 0);
        return total == 0 || classes == 0 ? 0 : (double)truthCounts[predicted] / total / classes;
    }

    /// <summary>Fraction of counted pixels (or examples) predicted correctly: pixel accuracy or top-1 accuracy.</summary>
    public double Accuracy()
    {
        long total = Total;
        long correct = Enumerable.Range(0, NumClasses).Sum(c => this[c, c]);
        return total == 0 ? 0 : (double)correct / total;
    }
}
