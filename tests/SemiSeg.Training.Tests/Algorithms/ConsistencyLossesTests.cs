using SemiSeg.Training.Algorithms;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Tests.Algorithms;

public class ConsistencyLossesTests
{
    [Fact]
    public void KlIsZeroForEqualLogits()
    {
        using var scope = NewDisposeScope();
        var logits = randn(2, 5, 4, 4);
        Assert.Equal(0, ConsistencyLosses.KlDivergence(logits, logits.clone()).item<float>(), 6);
    }

    [Fact]
    public void KlMatchesHandComputationForOnePixel()
    {
        using var scope = NewDisposeScope();
        // p = softmax([0, ln 3]) = [1/4, 3/4]; q = softmax([0, 0]) = [1/2, 1/2].
        var target = tensor(new float[] { 0, MathF.Log(3) }).reshape(1, 2, 1, 1);
        var prediction = zeros(1, 2, 1, 1);
        double expected = 0.25 * Math.Log(0.25 / 0.5) + 0.75 * Math.Log(0.75 / 0.5);
        Assert.Equal(expected, ConsistencyLosses.KlDivergence(target, prediction).item<float>(), 5);
    }

    [Fact]
    public void KlAveragesOnlyOverValidPixels()
    {
        using var scope = NewDisposeScope();
        var target = randn(1, 3, 2, 2);
        var prediction = target.clone();
        // Make pixel (0, 0) disagree wildly, then mark it invalid: the loss must stay zero.
        prediction[0, .., 0, 0] = tensor(new float[] { 10, -10, 0 });
        var valid = ones(1, 2, 2, dtype: ScalarType.Bool);
        valid[0, 0, 0] = tensor(false);
        Assert.Equal(0, ConsistencyLosses.KlDivergence(target, prediction, valid).item<float>(), 6);
        Assert.True(ConsistencyLosses.KlDivergence(target, prediction).item<float>() > 0.1);
    }

    [Fact]
    public void KlWithNoValidPixelIsZeroNotNaN()
    {
        using var scope = NewDisposeScope();
        var loss = ConsistencyLosses.KlDivergence(randn(1, 3, 2, 2), randn(1, 3, 2, 2), zeros(1, 2, 2, dtype: ScalarType.Bool));
        Assert.Equal(0, loss.item<float>());
    }

    [Fact]
    public void ConfidenceThresholdKeepsOnlyConfidentPixelsButAveragesOverAll()
    {
        using var scope = NewDisposeScope();
        // Two pixels. Teacher logits: pixel 0 [20, 0] (p ≈ [1, 0]), pixel 1 [3, 0] (p = [0.9526, 0.0474]).
        var target = tensor(new float[] { 20, 3, 0, 0 }).reshape(1, 2, 1, 2);
        var prediction = zeros(1, 2, 1, 2); // the student is uniform: [0.5, 0.5]
        double pixel0 = 2 * 0.25;
        double p1 = 1 / (1 + Math.Exp(-3));
        double pixel1 = 2 * Math.Pow(p1 - 0.5, 2);
        // At 0.97 only pixel 0 counts, but the mean is over both pixels.
        Assert.Equal(pixel0 / 2, ConsistencyLosses.ConfidenceThresholdedSquaredL2(target, prediction, 0.97).item<float>(), 4);
        Assert.Equal((pixel0 + pixel1) / 2, ConsistencyLosses.ConfidenceThresholdedSquaredL2(target, prediction, 0.9).item<float>(), 4);
    }

    [Fact]
    public void CrossEntropyIgnoresMinusOneLabels()
    {
        using var scope = NewDisposeScope();
        var logits = randn(1, 3, 2, 2);
        var labels = tensor(new long[] { 0, 1, 2, -1 }).reshape(1, 2, 2);
        var allValid = tensor(new long[] { 0, 1, 2, 0 }).reshape(1, 2, 2);
        float withIgnore = ConsistencyLosses.CrossEntropy(logits, labels).item<float>();
        float manual = ConsistencyLosses.CrossEntropy(logits.flatten(2)[.., .., ..3].unsqueeze(3), allValid.flatten(1)[.., ..3].unsqueeze(2)).item<float>();
        Assert.Equal(manual, withIgnore, 5);
    }
}
