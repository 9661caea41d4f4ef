using MathNet.Numerics.Statistics;

namespace SemiSeg.Reports;

/// <summary>
/// One cell's result over its seeds. <see cref="N"/> counts the succeeded runs whose values make the statistics,
/// <see cref="Expected"/> every run of the cell; <see cref="Seeds"/>[i] is the seed of <see cref="Values"/>[i], so two
/// cells can be paired by seed. <see cref="Std"/> is the sample standard deviation (n − 1), <see cref="Sem"/> the
/// standard error of the mean (std / √n) and <see cref="Ci95"/> the 95 % Student-t interval of the mean (n − 1
/// degrees of freedom): all three null below two values. Mean, min and max are null without values.
/// </summary>
public sealed record CellSummary(
    string CellKey,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<double> Values,
    IReadOnlyList<int> Seeds,
    int N,
    int Expected,
    double? Mean,
    double? Std,
    double? Sem,
    ConfidenceInterval? Ci95,
    double? Min,
    double? Max,
    int Failed)
{
    /// <summary>Every run of the cell succeeded.</summary>
    public bool IsComplete => N == Expected;
}

/// <summary>Builds <see cref="CellSummary"/> values from run records.</summary>
public static class CellSummaries
{
    /// <summary>One summary per cell, in the order cells first appear; values in record order.</summary>
    /// <exception cref="ArgumentException">A run key appears twice (it would count twice), or a succeeded run has no
    /// finite value.</exception>
    public static IReadOnlyList<CellSummary> From(IEnumerable<RunRecord> runs)
    {
        // GroupBy keeps the order in which keys first appear.
        return Checked(runs).GroupBy(r => r.CellKey, StringComparer.Ordinal)
            .Select(cell => Summarize(cell.Key, cell.First().Labels, cell.ToList()))
            .ToList();
    }

    /// <summary>One summary per run, with a <c>seed</c> label added, for report layouts that put <c>seed</c> on an
    /// axis (a per-seed table).</summary>
    public static IReadOnlyList<CellSummary> PerSeed(IEnumerable<RunRecord> runs) =>
        Checked(runs).Select(run =>
        {
            var labels = new Dictionary<string, string>(run.Labels, StringComparer.Ordinal)
            {
                ["seed"] = run.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            return Summarize(run.CellKey, labels, [run]);
        }).ToList();

    private static List<RunRecord> Checked(IEnumerable<RunRecord> runs)
    {
        var list = runs.ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var seedsOfCells = new HashSet<(string CellKey, int Seed)>();
        foreach (var run in list)
        {
            if (!seen.Add(run.RunKey))
            {
                throw new ArgumentException($"run {run.RunKey} (cell {run.CellKey}, seed {run.Seed}) appears twice; pass one record per run", nameof(runs));
            }
            // Pairing by seed needs one value per seed and cell.
            if (!seedsOfCells.Add((run.CellKey, run.Seed)))
            {
                throw new ArgumentException($"cell {run.CellKey} has two runs with seed {run.Seed} (the second is {run.RunKey}); pass one run per cell and seed", nameof(runs));
            }
            if (run.Status == RunStatus.Succeeded && !(run.Value is double v && double.IsFinite(v)))
            {
                throw new ArgumentException($"run {run.RunKey} (cell {run.CellKey}, seed {run.Seed}) succeeded without a finite value ({run.Value?.ToString() ?? "null"})", nameof(runs));
            }
        }
        return list;
    }

    private static CellSummary Summarize(string cellKey, IReadOnlyDictionary<string, string> labels, List<RunRecord> runs)
    {
        var succeeded = runs.Where(r => r.Status == RunStatus.Succeeded).ToList();
        var values = succeeded.Select(r => r.Value!.Value).ToList();
        var seeds = succeeded.Select(r => r.Seed).ToList();
        int failed = runs.Count(r => r.Status == RunStatus.Failed);
        if (values.Count == 0)
        {
            return new CellSummary(cellKey, labels, values, seeds, 0, runs.Count, null, null, null, null, null, null, failed);
        }
        var stats = new DescriptiveStatistics(values);
        if (values.Count == 1)
        {
            return new CellSummary(cellKey, labels, values, seeds, 1, runs.Count, stats.Mean, null, null, null, stats.Minimum, stats.Maximum, failed);
        }
        // DescriptiveStatistics.StandardDeviation is the sample (n − 1) one.
        double sem = stats.StandardDeviation / Math.Sqrt(values.Count);
        return new CellSummary(cellKey, labels, values, seeds, values.Count, runs.Count, stats.Mean, stats.StandardDeviation, sem,
            Significance.MeanCi(values), stats.Minimum, stats.Maximum, failed);
    }
}
