using System.Globalization;
using System.Text;
using SemiSeg.Security;

namespace SemiSeg.Reports;

/// <summary>A picture of the report: a PNG next to report.md and what it shows.</summary>
public sealed record ReportFigure(string Heading, string File, string Caption);

/// <summary>A run that failed, for the report's list of failures.</summary>
public sealed record FailedRun(string Labels, int Seed, string RunKey, int Attempts, string Error);

/// <summary>How long the runs took (wall seconds of the succeeded runs, as their trainers measured them).</summary>
/// <param name="ResumedRuns">Runs whose result came from an attempt resumed from a checkpoint: their wall time is that
/// attempt's only (the time the earlier attempts spent up to the checkpoint is not in it).</param>
public sealed record RunDurations(int Runs, double TotalSeconds, double MeanSeconds, double MinSeconds, double MaxSeconds, int ResumedRuns = 0)
{
    public static RunDurations? From(IEnumerable<double> seconds, int resumedRuns = 0)
    {
        var list = seconds.Where(double.IsFinite).ToList();
        return list.Count == 0 ? null : new RunDurations(list.Count, list.Sum(), list.Average(), list.Min(), list.Max(), resumedRuns);
    }
}

/// <summary>Everything report.md shows. Provenance is a list of (what, value) lines in the order given;
/// <see cref="TableNotes"/> are paragraphs right under the table (what a cell means), <see cref="Notes"/> go to the
/// report's Notes section (how the report was made).</summary>
public sealed record ReportContent(
    string SweepId,
    string SweepState,
    string Metric,
    ResultTable Table,
    IReadOnlyDictionary<string, int> RunCounts,
    IReadOnlyList<ReportFigure> Figures,
    IReadOnlyList<KeyValuePair<string, string>> Provenance,
    RunDurations? Durations,
    IReadOnlyList<FailedRun> Failures,
    IReadOnlyList<string> Notes)
{
    public IReadOnlyList<string> TableNotes { get; init; } = [];
}

/// <summary>Renders a sweep's report.md: the table, comparisons, pictures, provenance and failures (GitHub Markdown).</summary>
public static class ReportDocument
{
    /// <remarks>Reports are meant to be published: the whole text goes through <see cref="Secrets.Redact"/>, so no
    /// store spec, error message or note can carry a key or password into it.</remarks>
    public static string Render(ReportContent content)
    {
        var md = new StringBuilder();
        md.Append("# Sweep `").Append(content.SweepId).Append("`\n\n");
        md.Append(string.Join(", ", content.RunCounts.Where(c => c.Value > 0).Select(c => $"{c.Value} {c.Key}")))
          .Append(" (sweep ").Append(content.SweepState).Append(").\n\n");

        md.Append("## Results\n\n");
        md.Append(CultureInfo.InvariantCulture, $"{Metric(content.Metric)}, mean ± sample std over seeds. Also as `table.tex` (booktabs), `table.csv` and `table.json`.\n\n");
        md.Append(content.Table.ToMarkdown()).Append('\n');
        foreach (string note in content.TableNotes)
        {
            md.Append(note).Append("\n\n");
        }
        AppendComparisons(md, content.Table);

        foreach (var figure in content.Figures)
        {
            md.Append("## ").Append(figure.Heading).Append("\n\n");
            md.Append("![").Append(figure.Heading).Append("](").Append(figure.File).Append(")\n\n");
            md.Append(figure.Caption).Append("\n\n");
        }

        if (content.Notes.Count > 0)
        {
            md.Append("## Notes\n\n");
            foreach (string note in content.Notes)
            {
                md.Append("- ").Append(note).Append('\n');
            }
            md.Append('\n');
        }

        md.Append("## Provenance\n\n| | |\n| :--- | :--- |\n");
        foreach (var (what, value) in content.Provenance)
        {
            md.Append("| ").Append(Cell(what)).Append(" | ").Append(Cell(value)).Append(" |\n");
        }
        if (content.Durations is { } d)
        {
            md.Append(CultureInfo.InvariantCulture,
                $"| run time | {d.Runs} succeeded runs, {Hours(d.TotalSeconds)} in total; per run mean {Minutes(d.MeanSeconds)}, min {Minutes(d.MinSeconds)}, max {Minutes(d.MaxSeconds)}");
            if (d.ResumedRuns > 0)
            {
                md.Append(CultureInfo.InvariantCulture,
                    $"; {d.ResumedRuns} of the runs resumed from a checkpoint, and their time is only that of the attempt that finished");
            }
            md.Append(" |\n");
        }
        md.Append('\n');

        md.Append("## Failed runs\n\n");
        if (content.Failures.Count == 0)
        {
            md.Append("None.\n");
        }
        else
        {
            md.Append("| run | seed | attempts | error |\n| :--- | ---: | ---: | :--- |\n");
            foreach (var f in content.Failures)
            {
                md.Append(CultureInfo.InvariantCulture, $"| {Cell(f.Labels)} (`{f.RunKey[..Math.Min(12, f.RunKey.Length)]}`) | {f.Seed} | {f.Attempts} | {Cell(f.Error)} |\n");
            }
        }
        return Secrets.Redact(md.ToString());
    }

    /// <summary>The comparisons behind the table's markers, one line per tested cell.</summary>
    private static void AppendComparisons(StringBuilder md, ResultTable table)
    {
        if (table.BaselineRow is not int baseline)
        {
            return;
        }
        var lines = new List<string>();
        for (int r = 0; r < table.Rows.Count; r++)
        {
            for (int c = 0; c < table.Columns.Count; c++)
            {
                if (r == baseline || table.ComparisonAt(r, c) is not { Difference: double diff } cmp)
                {
                    continue;
                }
                string where = $"{string.Join(" / ", table.Rows[r])} @ {string.Join(", ", table.Columns[c])}";
                string ci = cmp.DifferenceCi is { } interval ? F($" [{interval.Low:+0.00;-0.00}, {interval.High:+0.00;-0.00}]") : "";
                string test = cmp.Test == TestKind.None ? $"not tested: {cmp.Note}" : F($"{Test(cmp.Test)}, t = {cmp.T:0.00}, df = {cmp.Df:0.0}, p = {cmp.P:0.0000}, Holm p = {cmp.AdjustedP:0.0000}");
                string verdict = cmp.Verdict switch { Verdict.Better => ": **better**", Verdict.Worse => ": **worse**", _ => "" };
                lines.Add(F($"| {Cell(where)} | {diff:+0.00;-0.00}{ci} | {Cell(test)}{verdict} |"));
            }
        }
        if (lines.Count == 0)
        {
            return;
        }
        md.Append("### Differences from the baseline row (").Append(Cell(string.Join(" / ", table.Rows[baseline]))).Append(")\n\n");
        md.Append("| cell | difference [95 % CI] | test |\n| :--- | ---: | :--- |\n");
        foreach (string line in lines)
        {
            md.Append(line).Append('\n');
        }
        md.Append('\n');
    }

    private static string Test(TestKind kind) => kind switch
    {
        TestKind.Paired => "paired t-test",
        TestKind.Welch => "Welch's t-test",
        _ => kind.ToString(),
    };

    private static string Metric(string metric) => metric == "value" ? "The run's main metric (mIoU % for segmentation, accuracy % for classification)" : $"`{metric}`";

    private static string Hours(double seconds) => seconds >= 3600 ? F($"{seconds / 3600:0.0} h") : Minutes(seconds);

    private static string Minutes(double seconds) => seconds >= 60 ? F($"{seconds / 60:0.0} min") : F($"{seconds:0} s");

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
