using System.CommandLine;
using System.Globalization;
using SemiSeg.Sweeps;
using SemiSeg.Training.Config;
using SemiSeg.Training.Data;
using Spectre.Console;

namespace SemiSeg.Cli.Commands;

/// <summary>semiseg validate MANIFEST: parses and expands a sweep manifest, checks every cell's run config, prints cells,
/// runs and a preview (the first <see cref="ListedCells"/> cells; counts for the rest).</summary>
public static class ValidateCommand
{
    /// <summary>Cells listed in the table; a larger sweep is summarised by its counts.</summary>
    public const int ListedCells = 40;

    public static Command Create()
    {
        var manifest = new Argument<FileInfo>("manifest") { Description = "Sweep manifest (YAML), e.g. sweeps/quickstart.yaml" };
        var command = new Command("validate", "Check a sweep manifest and preview its cells and runs") { manifest };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var sweep = SweepManifest.Load(parse.GetValue(manifest)!.FullName);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"sweep '{sweep.Id}': {sweep.Cells.Count} cells x {sweep.Seeds.Count} seeds = {(long)sweep.Cells.Count * sweep.Seeds.Count} runs"));
            var table = new Table().AddColumn("cell").AddColumn("axes").AddColumn("teacher / perturbation / variant").AddColumn("labels").AddColumn("steps");
            foreach (var cell in sweep.Cells.Take(ListedCells))
            {
                var c = cell.Config;
                string labeled = c.Data.LabeledCount?.ToString(CultureInfo.InvariantCulture) ?? c.Data.LabelFraction;
                table.AddRow(cell.Key[..12], Markup.Escape(string.Join(", ", cell.Labels.Select(l => $"{l.Key}={l.Value}"))),
                    Markup.Escape($"{c.Algorithm.Teacher} / {c.Algorithm.Perturbation} / {c.Algorithm.Variant}"), Markup.Escape(labeled), $"{c.Schedule.Steps}");
            }
            AnsiConsole.Write(table);
            if (sweep.Cells.Count > ListedCells)
            {
                Console.WriteLine($"... and {sweep.Cells.Count - ListedCells} more cells (the first {ListedCells} are listed)");
            }
            Console.WriteLine($"seeds: {SeedSummary(sweep.Seeds)}; report rows: {string.Join(" x ", sweep.Report.Rows)}; columns: {string.Join(" x ", sweep.Report.Columns)}; metric: {sweep.Report.Metric}");
            foreach (string warning in DataWarnings(sweep))
            {
                Console.Error.WriteLine($"warning: {warning}");
            }
            return 0;
        }));
        return command;
    }

    /// <summary>Seeds as ranges ("0..4", "53..55, 60"), at most 8 of them, and the count when not obvious.</summary>
    public static string SeedSummary(IReadOnlyList<int> seeds)
    {
        var ranges = new List<string>();
        for (int i = 0; i < seeds.Count;)
        {
            int j = i;
            while (j + 1 < seeds.Count && seeds[j + 1] == seeds[j] + 1)
            {
                j++;
            }
            ranges.Add(j == i ? Text(seeds[i]) : j == i + 1 ? $"{Text(seeds[i])}, {Text(seeds[j])}" : $"{Text(seeds[i])}..{Text(seeds[j])}");
            i = j + 1;
        }
        string shown = ranges.Count <= 8 ? string.Join(", ", ranges) : $"{string.Join(", ", ranges.Take(8))}, ...";
        return seeds.Count <= 3 ? shown : $"{shown} ({Text(seeds.Count)} seeds)";

        static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Data that is not on this machine is a warning, not an error: a manifest can be checked anywhere. But 'run' and
    /// 'submit' read the training split here (its identity is part of every run key), and workers need it too.
    /// </summary>
    private static IEnumerable<string> DataWarnings(SweepManifest sweep)
    {
        var checkedData = new Dictionary<string, string?>(StringComparer.Ordinal);
        var missing = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var cell in sweep.Cells)
        {
            string key = $"{cell.Config.Data.Dataset}\n{cell.Config.Data.Root}";
            if (!checkedData.TryGetValue(key, out string? problem))
            {
                problem = checkedData[key] = DatasetFactory.MissingData(cell.Config.Data);
            }
            if (problem is not null)
            {
                missing[problem] = missing.GetValueOrDefault(problem) + 1;
            }
        }
        return missing.Select(m => $"the data of {m.Value} of {sweep.Cells.Count} cells is not on this machine: {m.Key} " +
            "(fine if you only check the manifest here; 'semiseg run' and 'submit' need it on this machine, and workers need it too)");
    }
}
