namespace SemiSeg.Reports;

/// <summary>The outcome of a comparison with the baseline after the Holm–Bonferroni correction.</summary>
public enum Verdict
{
    /// <summary>Not tested, or the adjusted p-value is not below α.</summary>
    NotSignificant,

    /// <summary>Significantly better than the baseline (higher, or lower where lower is better).</summary>
    Better,

    /// <summary>Significantly worse than the baseline.</summary>
    Worse,
}

/// <summary>
/// A cell against the baseline cell of its column. <see cref="Difference"/> is mean(cell) − mean(baseline) with its 95 %
/// t interval (paired: of the mean per-seed difference; Welch: with Welch's df). <see cref="P"/> is the raw two-sided
/// p-value, <see cref="AdjustedP"/> the Holm–Bonferroni one over every test of the table. <see cref="Note"/> says why a
/// cell was not paired (Welch's t-test) or not tested (<see cref="TestKind.None"/>). <see cref="BootstrapCi"/> is the
/// optional percentile bootstrap interval of the difference.
/// </summary>
public sealed record CellComparison(
    string? BaselineCellKey,
    TestKind Test,
    string? Note,
    double? Difference,
    ConfidenceInterval? DifferenceCi,
    double? T,
    double? Df,
    double? P,
    double? AdjustedP,
    ConfidenceInterval? BootstrapCi,
    Verdict Verdict)
{
    internal static CellComparison Untested(string? baselineCellKey, double? difference, string why) =>
        new(baselineCellKey, TestKind.None, why, difference, null, null, null, null, null, null, Verdict.NotSignificant);
}

/// <summary>
/// How a table compares cells with its baseline: the family-wise significance level <see cref="Alpha"/> (on
/// Holm-adjusted p-values) and the percentile bootstrap of the difference, off unless
/// <see cref="BootstrapResamples"/> is positive (e.g. 10000), seeded by <see cref="BootstrapSeed"/> so that reports are
/// reproducible.
/// </summary>
public sealed record ComparisonOptions(double Alpha = 0.05, int BootstrapResamples = 0, int BootstrapSeed = 0)
{
    public static readonly ComparisonOptions Default = new();

    /// <exception cref="ArgumentException">α outside (0, 1), or a bootstrap of fewer than 100 resamples.</exception>
    internal void Validate()
    {
        if (!(Alpha > 0 && Alpha < 1))
        {
            throw new ArgumentException($"alpha is {Alpha}; it must lie strictly between 0 and 1 (e.g. 0.05)", nameof(Alpha));
        }
        if (BootstrapResamples is < 0 or > 0 and < 100)
        {
            throw new ArgumentException($"{BootstrapResamples} bootstrap resamples: use 0 (no bootstrap) or at least 100 (e.g. 10000)", nameof(BootstrapResamples));
        }
    }
}
