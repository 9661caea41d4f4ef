using SemiSeg.Reports;
using SemiSeg.Sweeps;

namespace SemiSeg.Reports.Tests;

/// <summary>The table built from the real sweeps/quickstart.yaml cells and layout, so the labels the manifest gives
/// (no perturbation on the supervised cell) and the table agree.</summary>
public class QuickstartManifestTests
{
    [Fact]
    public void QuickstartManifestCellsMakeTheExpectedTable()
    {
        var manifest = SweepManifest.Load(Path.Combine(RepositoryRoot(), "sweeps", "quickstart.yaml"));
        // Seed s of the i-th cell scores 50 + 2i + s.
        var runs = manifest.Cells.SelectMany((cell, i) => manifest.Seeds.Select(seed =>
            new RunRecord($"{cell.Key}-{seed}", cell.Key, seed, cell.Labels, RunStatus.Succeeded, 50.0 + 2 * i + seed, null, 1.0)));

        var table = ResultTable.Build(CellSummaries.From(runs), manifest.Report);

        Assert.Equal(
            "| teacher / perturbation \\ label_fraction | 1/8 | 1/4 |\n" +
            "| :--- | ---: | ---: |\n" +
            "| none / — | 50.50 ± 0.71 | 52.50 ± 0.71 |\n" +
            "| simple / phtps | 54.50 ± 0.71 | 56.50 ± 0.71 |\n" +
            "| mt / phtps | **58.50 ± 0.71** | **60.50 ± 0.71** |\n",
            table.ToMarkdown());
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SemiSegOrleans.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("SemiSegOrleans.sln not found above " + AppContext.BaseDirectory);
    }
}
