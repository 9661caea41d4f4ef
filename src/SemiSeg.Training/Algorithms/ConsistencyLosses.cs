using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Algorithms;

/// <summary>The paper's losses. Logits are [N, C, H, W] (segmentation) or [N, C] (classification); masks drop the
/// leading class dimension.</summary>
public static class ConsistencyLosses
{
    /// <summary>Pixel-wise cross-entropy averaged over pixels whose label is not -1.</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor labels) =>
        nn.functional.cross_entropy(logits, labels, ignore_index: -1);

    /// <summary>
    /// Mean per-pixel KL(softmax(target) ‖ softmax(prediction)) over the pixels where <paramref name="valid"/> is true.
    /// Written out explicitly: TorchSharp's kl_div defaults differ from PyTorch's. Gradients flow into whichever
    /// argument is attached to the graph; callers detach the branch that must not learn.
    /// </summary>
    public static Tensor KlDivergence(Tensor targetLogits, Tensor predictionLogits, Tensor? valid = null)
    {
        var targetLogProbabilities = nn.functional.log_softmax(targetLogits, 1);
        var predictionLogProbabilities = nn.functional.log_softmax(predictionLogits, 1);
        var perPixel = (targetLogProbabilities.exp() * (targetLogProbabilities - predictionLogProbabilities)).sum(1);
        return MaskedMean(perPixel, valid);
    }

    /// <summary>
    /// CutMix* loss (French et al.): Σ_c (p_student − p_teacher)², counted only where the teacher's max probability
    /// reaches <paramref name="threshold"/>, averaged over all pixels (thresholded ones count as zeros).
    /// </summary>
    public static Tensor ConfidenceThresholdedSquaredL2(Tensor targetLogits, Tensor predictionLogits, double threshold, Tensor? valid = null)
    {
        var targetProbabilities = nn.functional.softmax(targetLogits, 1);
        var predictionProbabilities = nn.functional.softmax(predictionLogits, 1);
        var confident = targetProbabilities.amax([1]).ge(threshold).to(predictionProbabilities.dtype);
        var perPixel = (predictionProbabilities - targetProbabilities).square().sum(1) * confident;
        return MaskedMean(perPixel, valid);
    }

    private static Tensor MaskedMean(Tensor perPixel, Tensor? valid)
    {
        if (valid is null)
        {
            return perPixel.mean();
        }
        var weights = valid.to(perPixel.dtype);
        // With no valid pixel the loss is 0 (not NaN), so one extreme warp cannot poison the weights.
        return (perPixel * weights).sum() / weights.sum().clamp_min(1);
    }
}
