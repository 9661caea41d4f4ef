using SemiSeg.Reports;
using SemiSeg.Sweeps;

namespace SemiSeg.Reports.Tests;

/// <summary>Builders for run records shaped like those of a quickstart sweep.</summary>
internal static class Fixtures
{
    public static readonly ReportLayout Quickstart = new(["teacher", "perturbation"], ["label_fraction"], "value");

    public static Dictionary<string, string> Labels(params string[] pairs)
    {
        var labels = new Dictionary<string, string>();
        for (int i = 0; i < pairs.Length; i += 2)
        {
            labels[pairs[i]] = pairs[i + 1];
        }
        return labels;
    }

    /// <summary>Runs of one cell, seeds 0, 1, ...: a number is a succeeded run's value, null a failed run.</summary>
    public static IEnumerable<RunRecord> Cell(string cellKey, Dictionary<string, string> labels, params double?[] values) =>
        values.Select((value, seed) => value is double v
            ? new RunRecord($"{cellKey}-s{seed}", cellKey, seed, labels, RunStatus.Succeeded, v, null, 10.0)
            : new RunRecord($"{cellKey}-s{seed}", cellKey, seed, labels, RunStatus.Failed, null, "CUDA out of memory", 3.0));

    public static RunRecord Run(string cellKey, int seed, Dictionary<string, string> labels, RunStatus status, double? value = null) =>
        new($"{cellKey}-s{seed}", cellKey, seed, labels, status, value, null, null);

    /// <summary>supervised / simple-PhTPS / MT-PhTPS × 1/8, 1/4, 2 seeds, in the manifest's cell order; one simple-PhTPS
    /// 1/4 run failed.</summary>
    public static List<RunRecord> QuickstartRuns() =>
    [
        .. Cell("c1", Labels("teacher", "none", "label_fraction", "1/8"), 50.0, 52.0),
        .. Cell("c2", Labels("teacher", "none", "label_fraction", "1/4"), 55.5, 56.5),
        .. Cell("c3", Labels("teacher", "simple", "perturbation", "phtps", "label_fraction", "1/8"), 54.0, 58.0),
        .. Cell("c4", Labels("teacher", "simple", "perturbation", "phtps", "label_fraction", "1/4"), 60.0, null),
        .. Cell("c5", Labels("teacher", "mt", "perturbation", "phtps", "label_fraction", "1/8"), 57.0, 59.0),
        .. Cell("c6", Labels("teacher", "mt", "perturbation", "phtps", "label_fraction", "1/4"), 62.0, 62.4),
    ];
}
