using SemiSeg.Reports;
using SemiSeg.Sweeps;
using static SemiSeg.Reports.Tests.Fixtures;

namespace SemiSeg.Reports.Tests;

/// <summary>The table built from the real sweeps/quickstart.yaml cells and layout, so the labels the manifest gives
/// (no perturbation on the supervised cell) and the table agree.</summary>
public class QuickstartManifestTests
{
    [Fact]
    public void QuickstartManifestCellsMakeTheExpectedTable()
    {
        var manifest = SweepManifest.Load(Path.Combine(RepositoryRoot(), "sweeps", "quickstart.yaml"));
        // Seed s of the i-th cell scores 50 + 2i + s·(1 + i/2), so that per-seed differences vary and can be tested.
        var runs = manifest.Cells.SelectMany((cell, i) => manifest.Seeds.Select(seed =>
            new RunRecord($"{cell.Key}-{seed}", cell.Key, seed, cell.Labels, RunStatus.Succeeded, 50.0 + 2 * i + seed * (1 + i / 2.0), null, 1.0)));

        var table = ResultTable.Build(CellSummaries.From(runs), manifest.Report);

        // The manifest's baseline {teacher: none} is the supervised row; same seeds and label fraction: paired.
        Assert.Equal(0, table.BaselineRow);
        Assert.Equal(TestKind.Paired, table.ComparisonAt(2, 1)!.Test);
        Assert.Null(table.ComparisonAt(0, 1));

        // Two seeds give paired t-tests with 1 degree of freedom: nothing is significant, so no cell has a marker.
        Assert.Equal(
            "| teacher / perturbation \\ label_fraction | 1/8 | 1/4 |\n" +
            "| :--- | ---: | ---: |\n" +
            "| none / — | 50.50 ± 0.71 | 52.75 ± 1.06 |\n" +
            "| simple / phtps | 55.00 ± 1.41 | 57.25 ± 1.77 |\n" +
            "| mt / phtps | **59.50 ± 2.12** | **61.75 ± 2.47** |\n" +
            "\n" +
            "† better, ‡ worse than the baseline row (teacher: none) in the same column at Holm–Bonferroni-adjusted p < 0.05 " +
            "over the table's 4 t-tests: 4 paired by seed (both cells have the same seeds and labeled subsets), 0 Welch's.\n",
            table.ToMarkdown());
    }
}
