using MathNet.Numerics.Distributions;
using MathNet.Numerics.Random;
using MathNet.Numerics.Statistics;

namespace SemiSeg.Reports;

/// <summary>A two-sided confidence interval.</summary>
public readonly record struct ConfidenceInterval(double Low, double High);

/// <summary>Which test compared a cell with its baseline.</summary>
public enum TestKind
{
    /// <summary>No test was possible (too few values, no variance, no baseline cell); the comparison says why.</summary>
    None,

    /// <summary>Welch's two-sample t-test (unequal variances, Welch–Satterthwaite degrees of freedom).</summary>
    Welch,

    /// <summary>The paired t-test on per-seed differences.</summary>
    Paired,
}

/// <summary>
/// A two-sided t-test of candidate − baseline: the difference of means, its <see cref="Confidence"/> t interval, the t
/// statistic, the degrees of freedom and the p-value.
/// </summary>
public sealed record TTestResult(TestKind Test, double Difference, ConfidenceInterval DifferenceCi, double T, double Df, double P);

/// <summary>
/// Student-t statistics for the reports: confidence intervals, Welch's and the paired t-test, Holm–Bonferroni and a
/// percentile bootstrap. Distributions come from MathNet.Numerics.
/// </summary>
public static class Significance
{
    /// <summary>The confidence level of every interval in the reports.</summary>
    public const double Confidence = 0.95;

    /// <summary>The two-sided t critical value for <see cref="Confidence"/> at <paramref name="df"/> degrees of freedom
    /// (e.g. 2.776 at df = 4).</summary>
    public static double TCritical(double df)
    {
        if (!(df > 0) || !double.IsFinite(df))
        {
            throw new ArgumentOutOfRangeException(nameof(df), df, "degrees of freedom must be a positive finite number");
        }
        return StudentT.InvCDF(0, 1, df, 1 - (1 - Confidence) / 2);
    }

    /// <summary>The two-sided p-value of a t statistic: P(|T| ≥ |t|).</summary>
    public static double TwoSidedP(double t, double df)
    {
        if (!(df > 0) || !double.IsFinite(df) || double.IsNaN(t))
        {
            throw new ArgumentOutOfRangeException(nameof(df), df, $"need positive finite degrees of freedom and a t statistic (t = {t})");
        }
        // The lower tail at −|t| keeps precision for tiny p-values, which 1 − CDF(|t|) would round to 0.
        return Math.Min(1.0, 2 * StudentT.CDF(0, 1, df, -Math.Abs(t)));
    }

    /// <summary>The <see cref="Confidence"/> t interval of a mean from its sample (n − 1 degrees of freedom).</summary>
    /// <exception cref="ArgumentException">Fewer than two values.</exception>
    public static ConfidenceInterval MeanCi(IReadOnlyList<double> values)
    {
        RequireAtLeastTwo(values, nameof(values));
        double mean = values.Mean();
        double halfWidth = TCritical(values.Count - 1) * values.StandardDeviation() / Math.Sqrt(values.Count);
        return new ConfidenceInterval(mean - halfWidth, mean + halfWidth);
    }

    /// <summary>
    /// Welch's t-test of <paramref name="candidate"/> − <paramref name="baseline"/>: t = Δ / √(s₁²/n₁ + s₂²/n₂) with
    /// Welch–Satterthwaite degrees of freedom; the interval of Δ uses the same df (as R's <c>t.test</c>).
    /// </summary>
    /// <exception cref="ArgumentException">A sample has fewer than two values, or both are constant (no variance: the
    /// t statistic is undefined).</exception>
    public static TTestResult Welch(IReadOnlyList<double> candidate, IReadOnlyList<double> baseline)
    {
        RequireAtLeastTwo(candidate, nameof(candidate));
        RequireAtLeastTwo(baseline, nameof(baseline));
        double candidateShare = candidate.Variance() / candidate.Count;
        double baselineShare = baseline.Variance() / baseline.Count;
        double standardError = Math.Sqrt(candidateShare + baselineShare);
        if (!(standardError > 0))
        {
            throw new ArgumentException("both samples are constant, so the t statistic is undefined; Welch's t-test needs some variance", nameof(candidate));
        }
        double df = Math.Pow(candidateShare + baselineShare, 2)
            / (candidateShare * candidateShare / (candidate.Count - 1) + baselineShare * baselineShare / (baseline.Count - 1));
        return Test(TestKind.Welch, candidate.Mean() - baseline.Mean(), standardError, df);
    }

    /// <summary>
    /// The paired t-test of <paramref name="candidate"/> − <paramref name="baseline"/>, where element i of both comes
    /// from the same seed: a one-sample t-test of the differences (n − 1 degrees of freedom).
    /// </summary>
    /// <exception cref="ArgumentException">The samples differ in length, have fewer than two pairs, or every pair
    /// differs by the same amount (no variance: the t statistic is undefined).</exception>
    public static TTestResult Paired(IReadOnlyList<double> candidate, IReadOnlyList<double> baseline)
    {
        if (candidate.Count != baseline.Count)
        {
            throw new ArgumentException($"a paired t-test needs one baseline value per candidate value (got {candidate.Count} and {baseline.Count}); align both by seed", nameof(baseline));
        }
        var differences = candidate.Zip(baseline, (c, b) => c - b).ToList();
        RequireAtLeastTwo(differences, nameof(candidate));
        double standardError = differences.StandardDeviation() / Math.Sqrt(differences.Count);
        if (!(standardError > 0))
        {
            throw new ArgumentException("every pair differs by the same amount, so the t statistic is undefined; the paired t-test needs some variance in the differences", nameof(candidate));
        }
        return Test(TestKind.Paired, differences.Mean(), standardError, differences.Count - 1);
    }

    /// <summary>
    /// Holm–Bonferroni adjusted p-values, in the order given: the i-th smallest of m p-values becomes
    /// max over j ≤ i of min(1, (m − j + 1) · p₍ⱼ₎), so adjusted values keep the raw values' order. Rejecting where the
    /// adjusted p is below α controls the family-wise error rate at α. Ties keep their input order.
    /// </summary>
    /// <exception cref="ArgumentException">A p-value outside [0, 1].</exception>
    public static double[] Holm(IReadOnlyList<double> pValues)
    {
        for (int i = 0; i < pValues.Count; i++)
        {
            if (!(pValues[i] >= 0 && pValues[i] <= 1))
            {
                throw new ArgumentException($"p-value {i} is {pValues[i]}; every p-value must lie in [0, 1]", nameof(pValues));
            }
        }
        // OrderBy is stable, so equal p-values keep the input order and the result is deterministic.
        var ascending = Enumerable.Range(0, pValues.Count).OrderBy(i => pValues[i]).ToList();
        var adjusted = new double[pValues.Count];
        double running = 0;
        for (int rank = 0; rank < ascending.Count; rank++)
        {
            running = Math.Max(running, Math.Min(1.0, (pValues.Count - rank) * pValues[ascending[rank]]));
            adjusted[ascending[rank]] = running;
        }
        return adjusted;
    }

    /// <summary>
    /// Percentile bootstrap interval (<see cref="Confidence"/>) of mean(candidate) − mean(baseline): paired resamples
    /// the per-seed differences, unpaired resamples each sample on its own. A Mersenne Twister seeded with
    /// <paramref name="seed"/> makes it deterministic.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than 2 values, unequal lengths when paired, or fewer than 100
    /// resamples.</exception>
    public static ConfidenceInterval BootstrapDifferenceCi(IReadOnlyList<double> candidate, IReadOnlyList<double> baseline, bool paired, int resamples, int seed)
    {
        if (resamples < 100)
        {
            throw new ArgumentException($"{resamples} bootstrap resamples are too few for a 95 % percentile interval; use at least 100 (e.g. 10000)", nameof(resamples));
        }
        RequireAtLeastTwo(candidate, nameof(candidate));
        RequireAtLeastTwo(baseline, nameof(baseline));
        if (paired && candidate.Count != baseline.Count)
        {
            throw new ArgumentException($"a paired bootstrap needs one baseline value per candidate value (got {candidate.Count} and {baseline.Count})", nameof(baseline));
        }
        var random = new MersenneTwister(seed, threadSafe: false);
        var differences = paired ? candidate.Zip(baseline, (c, b) => c - b).ToArray() : null;
        var means = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            means[r] = differences is not null
                ? ResampledMean(differences, random)
                : ResampledMean(candidate, random) - ResampledMean(baseline, random);
        }
        Array.Sort(means);
        double tail = (1 - Confidence) / 2;
        return new ConfidenceInterval(SortedArrayStatistics.Quantile(means, tail), SortedArrayStatistics.Quantile(means, 1 - tail));
    }

    private static TTestResult Test(TestKind kind, double difference, double standardError, double df)
    {
        double t = difference / standardError;
        double halfWidth = TCritical(df) * standardError;
        return new TTestResult(kind, difference, new ConfidenceInterval(difference - halfWidth, difference + halfWidth), t, df, TwoSidedP(t, df));
    }

    private static double ResampledMean(IReadOnlyList<double> values, MersenneTwister random)
    {
        double sum = 0;
        for (int i = 0; i < values.Count; i++)
        {
            sum += values[random.Next(values.Count)];
        }
        return sum / values.Count;
    }

    private static void RequireAtLeastTwo(IReadOnlyList<double> values, string name)
    {
        if (values.Count < 2)
        {
            throw new ArgumentException($"needs at least 2 values, got {values.Count}", name);
        }
    }
}
