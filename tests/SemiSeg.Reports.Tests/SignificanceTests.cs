using SemiSeg.Reports;

namespace SemiSeg.Reports.Tests;

/// <summary>
/// The t statistics against reference values computed independently of MathNet: mpmath at 40 digits, with the t CDF as
/// the regularised incomplete beta 0.5·I(df/(df+t²); df/2, 1/2) and quantiles by root-finding on it. R's
/// <c>t.test(x, y)</c> and <c>t.test(x, y, paired = TRUE)</c> print the same values to their shown precision.
/// </summary>
public class SignificanceTests
{
    private static readonly double[] X = [19.1, 20.3, 21.0, 18.7, 20.9];
    private static readonly double[] Y = [17.2, 18.9, 18.1, 17.6, 19.5];

    [Fact]
    public void WelchMatchesTheReference()
    {
        var welch = Significance.Welch(X, Y);

        // R: t = 2.7629, df = 7.9053, p-value = 0.02484; 95 percent confidence interval: 0.2847339 3.1952661
        Assert.Equal(TestKind.Welch, welch.Test);
        Assert.Equal(1.74, welch.Difference, 12);
        Assert.Equal(2.76294915776811, welch.T, 10);
        Assert.Equal(7.90533394917497, welch.Df, 10);
        Assert.Equal(0.0248435373928422, welch.P, 10);
        Assert.Equal(0.284733932276884, welch.DifferenceCi.Low, 8);
        Assert.Equal(3.19526606772312, welch.DifferenceCi.High, 8);
    }

    [Fact]
    public void WelchIsAntisymmetric()
    {
        var forward = Significance.Welch(X, Y);
        var backward = Significance.Welch(Y, X);

        Assert.Equal(-forward.T, backward.T, 12);
        Assert.Equal(forward.Df, backward.Df, 12);
        Assert.Equal(forward.P, backward.P, 12);
        Assert.Equal(-forward.DifferenceCi.High, backward.DifferenceCi.Low, 10);
    }

    [Fact]
    public void PairedMatchesTheReference()
    {
        var paired = Significance.Paired(X, Y);

        // R (paired = TRUE): t = 5.4859, df = 4, p-value = 0.005378; 95 percent confidence interval: 0.8593809 2.6206191
        Assert.Equal(TestKind.Paired, paired.Test);
        Assert.Equal(1.74, paired.Difference, 12);
        Assert.Equal(5.48592995173906, paired.T, 10);
        Assert.Equal(4.0, paired.Df);
        Assert.Equal(0.00537759506850301, paired.P, 10);
        Assert.Equal(0.859380938957721, paired.DifferenceCi.Low, 8);
        Assert.Equal(2.62061906104228, paired.DifferenceCi.High, 8);
    }

    [Fact]
    public void TCriticalAndMeanInterval()
    {
        // qt(0.975, 4) = 2.776445
        Assert.Equal(2.77644510519779, Significance.TCritical(4), 10);
        var ci = Significance.MeanCi(X);
        Assert.Equal(18.6977318122296, ci.Low, 9);
        Assert.Equal(21.3022681877704, ci.High, 9);
    }

    [Fact]
    public void TwoSidedPKeepsTinyValues()
    {
        // 2·pt(−40, 10) = 2.28085774308575e-12 (mpmath); 2·(1 − CDF(40)) would be lost in rounding (ε ≈ 1.1e-16 of 1).
        Assert.InRange(Significance.TwoSidedP(40, 10) / 2.28085774308575e-12, 1 - 1e-6, 1 + 1e-6);
        Assert.Equal(1.0, Significance.TwoSidedP(0, 3), 12);
    }

    [Fact]
    public void HolmAdjustsAndKeepsTheOrder()
    {
        // Sorted 0.01, 0.03, 0.04 → 3·0.01 = 0.03, 2·0.03 = 0.06, max(0.06, 1·0.04) = 0.06 (monotone).
        var adjusted = Significance.Holm([0.01, 0.04, 0.03]);

        Assert.Equal(0.03, adjusted[0], 12);
        Assert.Equal(0.06, adjusted[1], 12);
        Assert.Equal(0.06, adjusted[2], 12);
    }

    [Fact]
    public void HolmCapsAtOneAndHandlesNone()
    {
        // Sorted 0.001, 0.6, 0.7 → 0.003, min(1, 1.2) = 1, max(1, 0.7) = 1.
        var adjusted = Significance.Holm([0.7, 0.6, 0.001]);

        Assert.Equal(1.0, adjusted[0]);
        Assert.Equal(1.0, adjusted[1]);
        Assert.Equal(0.003, adjusted[2], 12);
        Assert.Empty(Significance.Holm([]));
        Assert.Contains("p-value 1 is 1.5", Assert.Throws<ArgumentException>(() => Significance.Holm([0.1, 1.5])).Message);
    }

    [Fact]
    public void BootstrapIsDeterministicPerSeed()
    {
        // 40 distinct values, so that the percentiles are not pinned to a few possible means.
        var candidate = Enumerable.Range(0, 40).Select(i => 60 + 3 * Math.Sin(i)).ToList();
        var baseline = Enumerable.Range(0, 40).Select(i => 59 + 3 * Math.Cos(i)).ToList();

        var first = Significance.BootstrapDifferenceCi(candidate, baseline, paired: false, resamples: 10_000, seed: 7);
        var again = Significance.BootstrapDifferenceCi(candidate, baseline, paired: false, resamples: 10_000, seed: 7);
        var otherSeed = Significance.BootstrapDifferenceCi(candidate, baseline, paired: false, resamples: 10_000, seed: 8);

        Assert.Equal(first, again);
        Assert.NotEqual(first, otherSeed);
    }

    [Fact]
    public void PairedBootstrapLiesInsideTheTInterval()
    {
        var first = Significance.BootstrapDifferenceCi(X, Y, paired: true, resamples: 10_000, seed: 7);

        // The paired differences are 1.9, 1.4, 2.9, 1.1, 1.4 (mean 1.74): resampled means lie within [1.1, 2.9], and a
        // percentile interval of 5 values is narrower than the t interval [0.86, 2.62].
        Assert.InRange(first.Low, 1.1, 1.74);
        Assert.InRange(first.High, 1.74, 2.9);
        Assert.True(first.Low > 0.86 && first.High < 2.62, $"bootstrap {first} should lie inside the t interval");
    }

    [Fact]
    public void UnpairedBootstrapBracketsTheDifference()
    {
        var ci = Significance.BootstrapDifferenceCi(X, Y, paired: false, resamples: 10_000, seed: 1);

        Assert.InRange(ci.Low, 0.3, 1.74);
        Assert.InRange(ci.High, 1.74, 3.2);
    }

    [Fact]
    public void TestsWithoutEnoughDataSayWhy()
    {
        Assert.Contains("needs at least 2 values, got 1", Assert.Throws<ArgumentException>(() => Significance.Welch([1.0], Y)).Message);
        Assert.Contains("both samples are constant", Assert.Throws<ArgumentException>(() => Significance.Welch([1.0, 1.0], [2.0, 2.0])).Message);
        Assert.Contains("align both by seed", Assert.Throws<ArgumentException>(() => Significance.Paired(X, [1.0, 2.0])).Message);
        Assert.Contains("same amount", Assert.Throws<ArgumentException>(() => Significance.Paired([2.0, 3.0], [1.0, 2.0])).Message);
        Assert.Contains("at least 100", Assert.Throws<ArgumentException>(() => Significance.BootstrapDifferenceCi(X, Y, true, 10, 0)).Message);
    }
}
