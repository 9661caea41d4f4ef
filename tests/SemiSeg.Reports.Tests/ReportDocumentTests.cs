using SemiSeg.Reports;

namespace SemiSeg.Reports.Tests;

public sealed class ReportDocumentTests
{
    private static ReportContent Content(IReadOnlyList<FailedRun>? failures = null) => new(
        "golden",
        "completed",
        "value",
        ResultTable.Build(CellSummaries.From(Fixtures.GoldenRuns()), Fixtures.GoldenLayout),
        new Dictionary<string, int> { ["succeeded"] = 40, ["failed"] = 5, ["pending"] = 0 },
        [new ReportFigure("Learning curves", "learning-curves.png", "Mean over seeds.")],
        [new("manifest", "sweeps/x.yaml (sha256 abc)"), new("devices of the runs", "cpu|cuda")],
        RunDurations.From([60, 120, 180]),
        failures ?? [],
        []);

    [Fact]
    public void TheReportHasTheTableItsComparisonsFiguresAndProvenance()
    {
        string md = ReportDocument.Render(Content());

        Assert.StartsWith("# Sweep `golden`\n\n40 succeeded, 5 failed (sweep completed).\n", md);
        Assert.Contains(Content().Table.ToMarkdown(), md);
        // Every tested non-baseline cell has a line; the better paired one says so.
        Assert.Contains("### Differences from the baseline row (none / —)", md);
        var better = md.Split('\n').Single(l => l.StartsWith("| simple / phtps @ 1/8 |", StringComparison.Ordinal));
        Assert.Contains("paired t-test", better);
        Assert.EndsWith(": **better** |", better);
        Assert.Contains(md.Split('\n'), l => l.StartsWith("| mt / cutmix\\* @ 1/8 |", StringComparison.Ordinal) || l.StartsWith("| mt / cutmix* @ 1/8 |", StringComparison.Ordinal));
        Assert.Contains("| mt / tps @ 1/8 | ", md);
        Assert.Contains("not tested", md.Split('\n').Single(l => l.StartsWith("| mt / tps @ 1/8 |", StringComparison.Ordinal)));
        Assert.Contains("![Learning curves](learning-curves.png)", md);
        // Pipes inside values are escaped so the provenance table keeps its two columns.
        Assert.Contains("| devices of the runs | cpu\\|cuda |", md);
        Assert.Contains("| run time | 3 succeeded runs, 6.0 min in total; per run mean 2.0 min, min 1.0 min, max 3.0 min |", md);
        Assert.EndsWith("## Failed runs\n\nNone.\n", md);
    }

    [Fact]
    public void TableNotesFollowTheTableAndAnEmptyListChangesNothing()
    {
        string plain = ReportDocument.Render(Content());
        string noted = ReportDocument.Render(Content() with { TableNotes = ["First note.", "Second note."] });

        string table = Content().Table.ToMarkdown();
        Assert.Contains(table + "\nFirst note.\n\nSecond note.\n\n### Differences from the baseline row", noted);
        Assert.Equal(plain, noted.Replace("First note.\n\nSecond note.\n\n", "", StringComparison.Ordinal));
        Assert.Equal(plain, ReportDocument.Render(Content() with { TableNotes = [] }));
    }

    [Fact]
    public void RunTimeSaysWhenResumedRunsCountOnlyTheirLastAttempt()
    {
        string md = ReportDocument.Render(Content() with { Durations = RunDurations.From([60, 120, 180], resumedRuns: 2) });

        Assert.Contains("| run time | 3 succeeded runs, 6.0 min in total; per run mean 2.0 min, min 1.0 min, max 3.0 min; 2 of the runs resumed from a checkpoint, and their time is only that of the attempt that finished |", md);
    }

    [Fact]
    public void FailedRunsAreListedWithTheirErrors()
    {
        string md = ReportDocument.Render(Content([new FailedRun("teacher=mt, label_fraction=1/8", 3, "0123456789abcdef", 3, "CUDA out of memory\nat step 7")]));

        Assert.EndsWith("| teacher=mt, label_fraction=1/8 (`0123456789ab`) | 3 | 3 | CUDA out of memory at step 7 |\n", md);
    }

    [Fact]
    public void ATableWithoutBaselineHasNoComparisonSection()
    {
        var content = Content() with { Table = ResultTable.Build(CellSummaries.From(Fixtures.GoldenRuns()), Fixtures.GoldenLayout with { Baseline = null }) };

        Assert.DoesNotContain("Differences from the baseline", ReportDocument.Render(content));
    }
}
