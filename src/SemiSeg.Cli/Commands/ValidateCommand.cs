using System.CommandLine;
using SemiSeg.Sweeps;
using Spectre.Console;

namespace SemiSeg.Cli.Commands;

/// <summary>semiseg validate MANIFEST: parses and expands a sweep manifest, prints cells, runs and a preview.</summary>
public static class ValidateCommand
{
    public static Command Create()
    {
        var manifest = new Argument<FileInfo>("manifest") { Description = "Sweep manifest (YAML), e.g. sweeps/quickstart.yaml" };
        var command = new Command("validate", "Check a sweep manifest and preview its cells and runs") { manifest };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var sweep = SweepManifest.Load(parse.GetValue(manifest)!.FullName);
            Console.WriteLine($"sweep '{sweep.Id}': {sweep.Cells.Count} cells x {sweep.Seeds.Count} seeds = {sweep.Cells.Count * sweep.Seeds.Count} runs");
            var table = new Table().AddColumn("cell").AddColumn("axes").AddColumn("teacher / perturbation / variant").AddColumn("labels").AddColumn("steps");
            foreach (var cell in sweep.Cells)
            {
                var c = cell.Config;
                string labeled = c.Data.LabeledCount?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? c.Data.LabelFraction;
                table.AddRow(cell.Key[..12], Markup.Escape(string.Join(", ", cell.Labels.Select(l => $"{l.Key}={l.Value}"))),
                    Markup.Escape($"{c.Algorithm.Teacher} / {c.Algorithm.Perturbation} / {c.Algorithm.Variant}"), Markup.Escape(labeled), $"{c.Schedule.Steps}");
            }
            AnsiConsole.Write(table);
            Console.WriteLine($"seeds: {string.Join(", ", sweep.Seeds)}; report rows: {string.Join(" x ", sweep.Report.Rows)}; columns: {string.Join(" x ", sweep.Report.Columns)}; metric: {sweep.Report.Metric}");
            return 0;
        }));
        return command;
    }
}
