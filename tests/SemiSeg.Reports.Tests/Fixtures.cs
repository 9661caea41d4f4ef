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
    /// <summary>The golden-file fixture: teacher × perturbation × label fraction, 5 seeds, the supervised row as
    /// baseline. It has a paired better cell, a worse one, a not significant one, an incomplete one (seed 3 failed: Welch
    /// against the baseline), a cell with one value (not tested) and a label that needs escaping (cutmix*).</summary>
    public static readonly ReportLayout GoldenLayout = new(["teacher", "perturbation"], ["label_fraction"], "value",
        new Dictionary<string, string> { ["teacher"] = "none" });

    public static List<RunRecord> GoldenRuns() =>
    [
        .. Cell("sup-8", Labels("teacher", "none", "label_fraction", "1/8"), 50.1, 51.3, 49.8, 50.6, 50.9),
        .. Cell("sup-4", Labels("teacher", "none", "label_fraction", "1/4"), 55.2, 55.9, 54.8, 55.5, 56.1),
        .. Cell("simple-phtps-8", Labels("teacher", "simple", "perturbation", "phtps", "label_fraction", "1/8"), 53.0, 54.1, 52.2, 53.6, 53.9),
        .. Cell("simple-phtps-4", Labels("teacher", "simple", "perturbation", "phtps", "label_fraction", "1/4"), 55.6, 55.1, 55.9, 56.3, 55.0),
        .. Cell("mt-phtps-8", Labels("teacher", "mt", "perturbation", "phtps", "label_fraction", "1/8"), 54.2, 55.0, 53.1, null, 54.6),
        .. Cell("mt-phtps-4", Labels("teacher", "mt", "perturbation", "phtps", "label_fraction", "1/4"), 58.1, 58.9, 57.6, 58.4, 59.0),
        .. Cell("mt-cutmix-8", Labels("teacher", "mt", "perturbation", "cutmix*", "label_fraction", "1/8"), 47.0, 47.9, 46.5, 47.2, 48.1),
        .. Cell("mt-cutmix-4", Labels("teacher", "mt", "perturbation", "cutmix*", "label_fraction", "1/4"), 57.9, 58.2, 57.1, 58.8, 58.4),
        .. Cell("mt-tps-8", Labels("teacher", "mt", "perturbation", "tps", "label_fraction", "1/8"), 52.0, null, null, null, null),
    ];

    /// <summary>The repository root: the folder above the test binaries that holds SemiSegOrleans.sln.</summary>
    public static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SemiSegOrleans.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("SemiSegOrleans.sln not found above " + AppContext.BaseDirectory);
    }
}
