using System.Text.Json;
using SemiSeg.Client;
using SemiSeg.Contracts;
using SemiSeg.Reports;

namespace SemiSeg.Cli.Commands;

/// <summary>Writes a sweep's table (Markdown, LaTeX, CSV and JSON, compared with the manifest's baseline row if it names
/// one) and its per-run results under a folder.</summary>
public static class SweepReports
{
    /// <summary>The sweep's table, compared with the manifest's baseline row if it names one.</summary>
    public static ResultTable BuildTable(SweepResults results)
    {
        var records = results.Runs.Select(r => new RunRecord(r.RunKey, r.CellKey, r.Seed, r.Labels, Status(r.State), r.Value, r.Error, r.WallSeconds)).ToList();
        return ResultTable.Build(CellSummaries.From(records), SweepSpecs.ToReportLayout(results.Report));
    }

    public static string Write(SweepResults results, string folder)
    {
        Directory.CreateDirectory(folder);
        var table = BuildTable(results);
        string markdown = table.ToMarkdown();
        // WriteAllText with a string writes UTF-8 without a byte-order mark; the renderers end lines in \n.
        File.WriteAllText(Path.Combine(folder, "table.md"), markdown);
        File.WriteAllText(Path.Combine(folder, "table.tex"), table.ToLatex());
        File.WriteAllText(Path.Combine(folder, "table.csv"), table.ToCsv());
        File.WriteAllText(Path.Combine(folder, "table.json"), table.ToJson());
        File.WriteAllText(Path.Combine(folder, "results.json"), JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
        return markdown;
    }

    /// <summary>One line per failed run with its error, for the end of a sweep.</summary>
    public static IEnumerable<string> Failures(SweepResults results) =>
        results.Runs.Where(r => r.State == RunState.Failed)
            .Select(r => $"{string.Join(", ", r.Labels.Select(l => $"{l.Key}={l.Value}"))}, seed {r.Seed} ({r.RunKey[..Math.Min(12, r.RunKey.Length)]}): {r.Error}");

    private static RunStatus Status(RunState state) => state switch
    {
        RunState.Succeeded => RunStatus.Succeeded,
        RunState.Failed => RunStatus.Failed,
        RunState.Cancelled => RunStatus.Cancelled,
        RunState.Running => RunStatus.Running,
        _ => RunStatus.Pending,
    };
}
