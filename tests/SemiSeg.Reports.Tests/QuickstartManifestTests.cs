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
        Assert.Equal(TestKind.Paired, table.ComparisonAt(1, 0)!.Test);
        Assert.Null(table.ComparisonAt(0, 0));

        // Five seeds: the per-seed differences 2, 2.5, 3, 3.5, 4 give t = 8.49 with 4 degrees of freedom (p = 0.001),
        // so the one comparison is significant after Holm over one test, and the consistency cell carries a †.
        Assert.Equal(
            "| teacher / perturbation \\ label_fraction | 1/512 |\n" +
            "| :--- | ---: |\n" +
            "| none / — | 52.00 ± 1.58 |\n" +
            "| simple / ph | **55.00 ± 2.37**† |\n" +
            "\n" +
            "† better, ‡ worse than the baseline row (teacher: none) in the same column at Holm–Bonferroni-adjusted p < 0.05 " +
            "over the table's 1 t-test: 1 paired by seed (both cells have the same seeds and labeled subsets), 0 Welch's.\n",
            table.ToMarkdown());
    }
}
