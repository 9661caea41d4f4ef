using SemiSeg.Reports;
using SemiSeg.Sweeps;
using static SemiSeg.Reports.Tests.Fixtures;

namespace SemiSeg.Reports.Tests;

/// <summary>
/// Every manifest shipped in sweeps/ expands to the runs README's reproduction section promises, and its report layout
/// makes a table: each cell on its own position, with the baseline row found. A manifest that no longer expands, or
/// whose cells collide in the table, fails here rather than after hours of training.
/// </summary>
public class ShippedManifestsTests
{
    /// <summary>Manifest path under sweeps/, cells, seeds, table rows and table columns.</summary>
    public static TheoryData<string, int, int, int, int> Manifests => new()
    {
        { "quickstart.yaml", 2, 5, 2, 1 },
        { "cpu/consistency-variants.yaml", 5, 5, 2, 5 },
        { "cpu/label-proportions.yaml", 10, 5, 5, 2 },
        { "cpu/ablation-photometric-geometric.yaml", 4, 5, 4, 1 },
        { "cpu/ablation-photometric-geometric-vidlu-tps.yaml", 4, 5, 4, 1 },
        { "cpu/alpha-sweep.yaml", 5, 3, 1, 5 },
        { "cpu/strength-grid.yaml", 9, 2, 3, 3 },
        { "cpu/consistency-variants-fashion-mnist.yaml", 4, 5, 2, 4 },
        { "cpu/long-schedule.yaml", 5, 4, 5, 1 },
        { "paper/label-proportions-cityscapes.yaml", 36, 5, 9, 4 },
        { "paper/consistency-variants-cityscapes.yaml", 9, 5, 3, 6 },
        { "paper/consistency-variants-cifar10.yaml", 7, 5, 3, 5 },
        { "paper/ablation-photometric-geometric.yaml", 16, 5, 4, 4 },
        { "paper/alpha-sweep.yaml", 5, 5, 1, 5 },
        { "paper/strength-grid.yaml", 16, 5, 4, 4 },
    };

    [Theory]
    [MemberData(nameof(Manifests))]
    public void ManifestExpandsIntoItsTable(string manifest, int cells, int seeds, int rows, int columns)
    {
        var sweep = SweepManifest.Load(Path.Combine(RepositoryRoot(), "sweeps", manifest));

        Assert.Equal(cells, sweep.Cells.Count);
        Assert.Equal(seeds, sweep.Seeds.Count);
        var runs = sweep.Cells.SelectMany((cell, i) => sweep.Seeds.Select(seed =>
            new RunRecord($"{cell.Key}-{seed}", cell.Key, seed, cell.Labels, RunStatus.Succeeded, 50.0 + i + 0.1 * seed, null, 1.0))).ToList();
        Assert.Equal(cells * seeds, runs.Select(r => r.RunKey).Distinct().Count());

        var table = ResultTable.Build(CellSummaries.From(runs), sweep.Report);

        Assert.Equal(rows, table.Rows.Count);
        Assert.Equal(columns, table.Columns.Count);
        int placed = Enumerable.Range(0, rows).Sum(r => Enumerable.Range(0, columns).Count(c => table[r, c] is not null));
        Assert.Equal(cells, placed);
        if (sweep.Report.Baseline is not null)
        {
            Assert.NotNull(table.BaselineRow);
        }
    }

    [Fact]
    public void EveryShippedManifestIsCovered()
    {
        string sweeps = Path.Combine(RepositoryRoot(), "sweeps");
        var shipped = Directory.EnumerateFiles(sweeps, "*.yaml", SearchOption.AllDirectories)
            .Where(path => File.ReadLines(path).Any(line => line.StartsWith("sweep:", StringComparison.Ordinal)))
            .Select(path => Path.GetRelativePath(sweeps, path).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
        var covered = Manifests.Select(row => (string)row[0]).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(covered, shipped);
    }
}
