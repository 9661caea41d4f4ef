using System.Diagnostics;
using System.Globalization;
using SemiSeg.Reports;
using SemiSeg.Sweeps;

namespace SemiSeg.Reports.Bench;

/// <summary>
/// Report benchmark (results in bench/README.md): semiseg-reports-bench [--rows 40] [--columns 50] [--seeds 5]
/// [--repeats 5] times building every table of a synthetic sweep of rows × columns cells × seeds runs: summaries,
/// comparisons with the baseline row (paired and Welch t-tests, Holm) and the four formats (Markdown, LaTeX, CSV,
/// JSON). The reference, measured in the same run, is summarizing the records alone (CellSummaries.From).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        int Arg(string name, int fallback) =>
            Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        int rows = Arg("--rows", 40), columns = Arg("--columns", 50), seeds = Arg("--seeds", 5), repeats = Arg("--repeats", 5);
        if (rows < 2 || columns < 1 || seeds < 2 || repeats < 1)
        {
            Console.Error.WriteLine("usage: semiseg-reports-bench [--rows N ≥ 2] [--columns N ≥ 1] [--seeds N ≥ 2] [--repeats N ≥ 1]");
            return 2;
        }

        var runs = SyntheticRuns(rows, columns, seeds);
        var layout = new ReportLayout(["teacher", "perturbation"], ["label_fraction"], "value", new Dictionary<string, string> { ["teacher"] = "none" });
        long bytes = 0;
        // The first round (cold: JIT compilation included, as in a CLI that writes the tables once) is reported
        // apart; then the median of the warm rounds. The full build runs first, so its cold time is truly cold.
        var (fullCold, full) = Time(repeats, () =>
        {
            var table = ResultTable.Build(CellSummaries.From(runs), layout);
            bytes = table.ToMarkdown().Length + table.ToLatex().Length + table.ToCsv().Length + table.ToJson().Length;
        });
        var (_, reference) = Time(repeats, () => CellSummaries.From(runs));
        var check = ResultTable.Build(CellSummaries.From(runs), layout);
        int tested = Enumerable.Range(0, check.Rows.Count).SelectMany(r => Enumerable.Range(0, check.Columns.Count).Select(c => check.ComparisonAt(r, c)))
            .Count(c => c?.P is not null);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"reports: {runs.Count} runs = {rows * columns} cells ({rows} rows x {columns} columns) x {seeds} seeds, {tested} t-tests, {bytes / 1024.0 / 1024.0:F1} MiB of output; " +
            $"all tables (summaries, comparisons, Markdown, LaTeX, CSV, JSON) {full.TotalMilliseconds:F0} ms (first, cold: {fullCold.TotalMilliseconds:F0} ms; target < 2000 ms); " +
            $"reference (summaries alone) {reference.TotalMilliseconds:F0} ms; ratio {full / reference:F1}x; median of {repeats}"));
        return 0;
    }

    /// <summary>Rows "none" (the baseline, no perturbation) and teacher/perturbation pairs, columns label fractions; 1 % of
    /// runs fail, so some cells are incomplete and compared by Welch's t-test.</summary>
    private static List<RunRecord> SyntheticRuns(int rows, int columns, int seeds)
    {
        var random = new Random(1);
        var runs = new List<RunRecord>(rows * columns * seeds);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                var labels = new Dictionary<string, string> { ["label_fraction"] = $"1/{c + 1}" };
                labels["teacher"] = r == 0 ? "none" : $"t{r % 5}";
                if (r > 0)
                {
                    labels["perturbation"] = $"p{r / 5}";
                }
                string cell = $"cell-{r}-{c}";
                for (int s = 0; s < seeds; s++)
                {
                    bool failed = random.NextDouble() < 0.01;
                    double value = 50 + 0.05 * r + 0.1 * c + random.NextDouble() * 2;
                    runs.Add(new RunRecord($"{cell}-s{s}", cell, s, labels, failed ? RunStatus.Failed : RunStatus.Succeeded, failed ? null : value, null, null));
                }
            }
        }
        return runs;
    }

    private static (TimeSpan Cold, TimeSpan Median) Time(int repeats, Action action)
    {
        var cold = Stopwatch.StartNew();
        action();
        cold.Stop();
        var times = new List<TimeSpan>();
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            times.Add(clock.Elapsed);
        }
        times.Sort();
        return (cold.Elapsed, times[times.Count / 2]);
    }
}
