using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using SemiSeg.Client;
using SemiSeg.Contracts;
using SemiSeg.Reports;
using SemiSeg.Reports.Panels;
using SemiSeg.Reports.Plots;
using SemiSeg.Security;
using SemiSeg.Storage;
using SemiSeg.Training.Config;
using SemiSeg.Training.Data;
using SemiSeg.Training.Models;
using SemiSeg.Training.Running;

namespace SemiSeg.Cli.Commands;

/// <summary>What a report includes beyond the tables.</summary>
public sealed record ReportOptions
{
    /// <summary>Validation images in the qualitative panel (0: no panel).</summary>
    public int PanelExamples { get; init; } = 4;

    /// <summary>Where the panel's predictions run.</summary>
    public string Device { get; init; } = "cpu";
}

/// <summary>
/// Writes a sweep's full report into a folder: the four tables, report.md, the label-fraction plot, learning curves and a
/// qualitative panel. Everything is read from the sweep's spec and the artifact store (results, each run's final attempt
/// with its metrics.jsonl, config.json and checkpoints), so it works the same for a finished, partial or remote sweep.
/// </summary>
public static class SweepReportWriter
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    /// <summary>A sweep's spec and results from a store; results are rebuilt from results/KEY.json when the sweep never
    /// wrote its end (it is still running or was stopped).</summary>
    /// <exception cref="ReportInputException">No spec for the sweep, or an unreadable one.</exception>
    public static async Task<(SweepSpec Spec, SweepResults Results)> ReadAsync(IArtifactStore store, string sweepId, string where, CancellationToken ct = default)
    {
        string specPath = StorePaths.SweepSpec(SafeNames.CheckSweepId(sweepId));
        string? specJson = await store.ReadTextAsync(specPath, ct)
            ?? throw new ReportInputException($"{where}: no {specPath}: this store has no sweep '{sweepId}'. Fix: pass the --out folder of 'semiseg run' (or its store/), and --sweep ID if it holds several sweeps");
        SweepSpec spec;
        try
        {
            spec = JsonSerializer.Deserialize<SweepSpec>(specJson, Json) ?? throw new JsonException("empty");
            if (SpecProblem(spec) is string problem)
            {
                throw new JsonException(problem);
            }
        }
        catch (JsonException e)
        {
            throw new ReportInputException($"{where}/{specPath} is not a sweep spec ({e.Message.ReplaceLineEndings(" ")}). Fix: restore it from a copy, or submit the manifest again to rewrite it");
        }
        try
        {
            SpecRules.Validate(spec); // a store folder may come from anywhere: its keys name files written here
        }
        catch (ArgumentException e)
        {
            throw new ReportInputException($"{where}/{specPath} is refused: {e.Message}");
        }

        var runs = new List<RunRow>();
        var ended = await ReadEndedResults(store, sweepId, where, ct);
        foreach (var run in spec.Runs)
        {
            if (ended?.GetValueOrDefault(run.RunKey) is { } row && row.State != RunState.Pending && row.State != RunState.Running)
            {
                runs.Add(row);
                continue;
            }
            // The committed result is the truth for a run the sweep did not see finish.
            string? result = await store.ReadTextAsync(StorePaths.Result(run.RunKey), ct);
            string resultFile = $"{where}/{StorePaths.Result(run.RunKey)}";
            double? value = result is null ? null : Number(result, spec.Report.Metric, resultFile)
                ?? throw new ReportInputException($"{resultFile} has no number '{spec.Report.Metric}' (the metric of the sweep's report). Fix: delete it to run that run again (semiseg run / submit), or restore it");
            double? wall = result is null ? null : Number(result, "wall_seconds", resultFile);
            runs.Add(new RunRow(run.RunKey, run.CellKey, run.Seed, run.Labels, result is null ? RunState.Pending : RunState.Succeeded, value, wall, null, 0));
        }
        var state = ended is not null && runs.All(r => r.State is RunState.Succeeded or RunState.Failed or RunState.Cancelled)
            ? (runs.Any(r => r.State == RunState.Cancelled) ? SweepState.Cancelled : SweepState.Completed)
            : SweepState.Running;
        return (spec, new SweepResults(spec.SweepId, state, spec.Report, runs.ToArray()));
    }

    /// <summary>Writes every part of the report; returns the Markdown table for the console.</summary>
    public static async Task<string> WriteAsync(IArtifactStore? store, string storeName, SweepSpec? spec, SweepResults results, string folder, ReportOptions options, CancellationToken ct = default)
    {
        string markdown = SweepReports.Write(results, folder);
        var table = SweepReports.BuildTable(results);
        var figures = new List<ReportFigure>();
        var notes = new List<string>();
        var finalAttempts = new Dictionary<string, string>(StringComparer.Ordinal);
        var resultFiles = new Dictionary<string, JsonDocument>(StringComparer.Ordinal);
        string scratch = Directory.CreateTempSubdirectory("semiseg-report-").FullName;
        try
        {
            if (store is null)
            {
                notes.Add("No artifact store was given (--storage), so the report has no plots, no learning curves, no qualitative panel and no per-run devices.");
            }
            else
            {
                foreach (var run in results.Runs.Where(r => r.State == RunState.Succeeded))
                {
                    if (await FinalAttempt(store, run.RunKey, ct) is string attempt)
                    {
                        finalAttempts[run.RunKey] = attempt;
                    }
                    if (await store.ReadTextAsync(StorePaths.Result(run.RunKey), ct) is string json)
                    {
                        resultFiles[run.RunKey] = ParseResult(json, $"{storeName}/{StorePaths.Result(run.RunKey)}");
                    }
                }
                string metricName = MetricName(results.Report.Metric, resultFiles.Values.FirstOrDefault());
                if (LabelFractionFigure(table, results, folder, metricName) is { } fractions)
                {
                    figures.Add(fractions);
                }
                if (await LearningCurvesFigure(store, table, results, finalAttempts, folder, scratch, notes, ct) is { } curves)
                {
                    figures.Add(curves);
                }
                if (spec is not null && options.PanelExamples > 0
                    && await PanelFigure(store, spec, table, results, finalAttempts, folder, scratch, options, notes, ct) is { } panel)
                {
                    figures.Add(panel);
                }
            }

            var content = new ReportContent(
                results.SweepId,
                results.State.ToString().ToLowerInvariant(),
                results.Report.Metric,
                table,
                new Dictionary<string, int>
                {
                    ["succeeded"] = results.Runs.Count(r => r.State == RunState.Succeeded),
                    ["failed"] = results.Runs.Count(r => r.State == RunState.Failed),
                    ["cancelled"] = results.Runs.Count(r => r.State == RunState.Cancelled),
                    ["running"] = results.Runs.Count(r => r.State == RunState.Running),
                    ["pending"] = results.Runs.Count(r => r.State == RunState.Pending),
                },
                figures,
                Provenance(spec, results, storeName, resultFiles),
                RunDurations.From(
                    results.Runs.Where(r => r.State == RunState.Succeeded && r.WallSeconds is not null).Select(r => r.WallSeconds!.Value),
                    resumedRuns: resultFiles.Values.Count(d => d.RootElement.TryGetProperty("resumed_from_step", out var step) && step.ValueKind == JsonValueKind.Number)),
                results.Runs.Where(r => r.State == RunState.Failed)
                    .Select(r => new FailedRun(Labels(r.Labels), r.Seed, r.RunKey, r.Attempts, r.Error ?? "(no message)")).ToList(),
                notes)
            {
                TableNotes = spec is null ? [] : AuthorsCodeNotes.For(spec.Runs.Select(r => r.ConfigJson)),
            };
            File.WriteAllText(Path.Combine(folder, "report.md"), ReportDocument.Render(content));
            return markdown;
        }
        finally
        {
            foreach (var document in resultFiles.Values)
            {
                document.Dispose();
            }
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>The sweeps a store holds (folder names under sweeps/).</summary>
    public static async Task<IReadOnlyList<string>> SweepIdsAsync(IArtifactStore store, CancellationToken ct = default)
    {
        var ids = new SortedSet<string>(StringComparer.Ordinal);
        await foreach (string path in store.ListAsync("sweeps/", ct))
        {
            string[] parts = path.Split('/');
            if (parts.Length >= 3 && parts[2] == "spec.json")
            {
                ids.Add(parts[1]);
            }
        }
        return ids.ToList();
    }

    private static async Task<Dictionary<string, RunRow>?> ReadEndedResults(IArtifactStore store, string sweepId, string where, CancellationToken ct)
    {
        string path = $"{StorePaths.SweepReport(sweepId)}/results.json";
        if (await store.ReadTextAsync(path, ct) is not string json)
        {
            return null;
        }
        try
        {
            var results = JsonSerializer.Deserialize<SweepResults>(json, Json);
            if (results?.Runs is null || results.Runs.Any(r => r?.RunKey is null || r.Labels is null))
            {
                throw new JsonException("it has no list of runs, or a run without its key or labels");
            }
            if (results.Runs.FirstOrDefault(r => r.Value is double v && !double.IsFinite(v)) is { } bad)
            {
                throw new JsonException($"run {bad.RunKey} has the non-finite value {bad.Value}");
            }
            if (results.Runs.FirstOrDefault(r => r.State == RunState.Succeeded && r.Value is null) is { } empty)
            {
                throw new JsonException($"run {empty.RunKey} succeeded without a value");
            }
            return results.Runs.DistinctBy(r => r.RunKey, StringComparer.Ordinal).ToDictionary(r => r.RunKey, StringComparer.Ordinal);
        }
        catch (JsonException e)
        {
            throw new ReportInputException($"{where}/{path} is not a sweep's results ({e.Message.ReplaceLineEndings(" ")}). Fix: delete it; the report then rebuilds the results from results/*.json");
        }
    }

    /// <summary>What makes a deserialized spec unusable (a field missing or empty), or null.</summary>
    private static string? SpecProblem(SweepSpec spec) =>
        spec.SweepId is null ? "no sweep_id"
        : spec.Report is null || spec.Report.Rows is null || spec.Report.Columns is null || spec.Report.Metric is null ? "no report layout (rows, columns, metric)"
        : spec.Runs is null ? "no runs"
        : spec.Runs.Any(r => r?.RunKey is null || r.CellKey is null || r.Labels is null || r.ConfigJson is null) ? "a run without its key, cell, labels or config"
        : spec.Runs.DistinctBy(r => r.RunKey, StringComparer.Ordinal).Count() != spec.Runs.Length ? "a run key listed twice"
        : null;

    /// <summary>A results/KEY.json file as a JSON object; a truncated or corrupt one names the file.</summary>
    private static JsonDocument ParseResult(string json, string where)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new ReportInputException($"{where} is not a result file ({e.Message.ReplaceLineEndings(" ")}). Fix: delete it to run that run again (semiseg run / submit), or restore it");
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new ReportInputException($"{where} is not a result file (not a JSON object). Fix: delete it to run that run again (semiseg run / submit), or restore it");
        }
        return document;
    }

    /// <summary>A number field of a result file (null when absent); a non-finite or malformed one names the file.</summary>
    private static double? Number(string json, string property, string where)
    {
        using var document = ParseResult(json, where);
        if (!document.RootElement.TryGetProperty(property, out var v) || v.ValueKind != JsonValueKind.Number)
        {
            return null;
        }
        // JSON has no NaN or infinity, but 1e999 parses as one: it is no result.
        return v.TryGetDouble(out double number) && double.IsFinite(number) ? number
            : throw new ReportInputException($"{where}: '{property}' is {v.GetRawText()}, not a finite number. Fix: delete the file to run that run again (semiseg run / submit), or restore it");
    }

    /// <summary>The highest attempt folder of a run that holds its metrics (the one whose result was committed).</summary>
    private static async Task<string?> FinalAttempt(IArtifactStore store, string runKey, CancellationToken ct)
    {
        int best = 0;
        await foreach (string path in store.ListAsync($"runs/{runKey}/", ct))
        {
            string[] parts = path.Split('/');
            if (parts.Length == 4 && parts[3] == "metrics.jsonl" && parts[2].StartsWith("attempt-", StringComparison.Ordinal)
                && int.TryParse(parts[2]["attempt-".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > best)
            {
                best = n;
            }
        }
        return best == 0 ? null : StorePaths.Attempt(runKey, best);
    }

    private static ReportFigure? LabelFractionFigure(ResultTable table, SweepResults results, string folder, string metricName)
    {
        // Only for tables whose single column axis is the label fraction, with at least two fractions.
        if (results.Report.Columns is not ["label_fraction"] || table.Columns.Count < 2
            || !table.Columns.All(c => LabelFractions.TryParse(c[0], out _)))
        {
            return null;
        }
        var series = new List<MethodSeries>();
        for (int r = 0; r < table.Rows.Count; r++)
        {
            var points = new List<FractionPoint>();
            for (int c = 0; c < table.Columns.Count; c++)
            {
                if (table[r, c] is { Mean: double mean } cell)
                {
                    points.Add(new FractionPoint(table.Columns[c][0], mean, cell.Std));
                }
            }
            if (points.Count > 0)
            {
                series.Add(new MethodSeries(string.Join(" / ", table.Rows[r]), points));
            }
        }
        LabelFractionPlot.Write(Path.Combine(folder, "label-fractions.png"), series, metricName);
        return new ReportFigure("Metric vs label fraction", "label-fractions.png",
            "One line per table row; error bars are ± the sample std over seeds.");
    }

    private static async Task<ReportFigure?> LearningCurvesFigure(IArtifactStore store, ResultTable table, SweepResults results,
        Dictionary<string, string> finalAttempts, string folder, string scratch, List<string> notes, CancellationToken ct)
    {
        var series = new List<LearningCurveSeries>();
        foreach (var cell in results.Runs.Where(r => finalAttempts.ContainsKey(r.RunKey)).GroupBy(r => r.CellKey, StringComparer.Ordinal))
        {
            var histories = new List<MetricsHistory>();
            foreach (var run in cell)
            {
                string local = ConfinedPaths.Combine(scratch, $"{run.RunKey}.metrics.jsonl");
                if (await store.DownloadFileAsync($"{finalAttempts[run.RunKey]}/metrics.jsonl", local, ct))
                {
                    try
                    {
                        histories.Add(MetricsHistory.Read(local));
                    }
                    catch (MetricsFileException e)
                    {
                        notes.Add($"The metrics of run {run.RunKey[..12]} could not be read ({e.Message}); its learning curve is left out.");
                    }
                }
            }
            if (histories.Any(h => h.Eval.Count > 0))
            {
                series.Add(new LearningCurveSeries(CellName(table, cell.First().Labels, results.Report), histories));
            }
        }
        if (series.Count == 0)
        {
            return null;
        }
        if (!LearningCurvePlot.ShowsProgress(series))
        {
            notes.Add("The runs were evaluated only at their last step, so the report has no learning curves. To get them, set schedule.eval_every in the runs' config (e.g. in the manifest's base).");
            return null;
        }
        LearningCurvePlot.Write(Path.Combine(folder, "learning-curves.png"), series, title: null);
        return new ReportFigure("Learning curves", "learning-curves.png",
            "The validation metric during training: per cell, the mean over its seeds with a ± std band.");
    }

    private static async Task<ReportFigure?> PanelFigure(IArtifactStore store, SweepSpec spec, ResultTable table, SweepResults results,
        Dictionary<string, string> finalAttempts, string folder, string scratch, ReportOptions options, List<string> notes, CancellationToken ct)
    {
        var configs = spec.Runs.ToDictionary(r => r.RunKey, r => RunConfigLoader.FromCanonicalJson(r.ConfigJson), StringComparer.Ordinal);
        if (configs.Count == 0 || !ModelNames.IsSegmentation(configs.Values.First().Model.Architecture))
        {
            return null;
        }
        var chosen = PanelCells(table);
        if (chosen.Count < 1)
        {
            return null;
        }
        var predictions = new List<(string Title, RunPrediction Prediction)>();
        foreach (var (row, column) in chosen)
        {
            var cell = table[row, column]!;
            // The cell's lowest seed with a final attempt: the same labeled-subset seed for every method shown.
            var run = results.Runs.Where(r => r.CellKey == cell.CellKey && finalAttempts.ContainsKey(r.RunKey)).OrderBy(r => r.Seed).FirstOrDefault();
            if (run is null)
            {
                continue;
            }
            string attempt = finalAttempts[run.RunKey];
            string? checkpoint = await LastCheckpoint(store, attempt, ct);
            string localConfig = ConfinedPaths.Combine(scratch, $"{run.RunKey}.config.json");
            string localCheckpoint = ConfinedPaths.Combine(scratch, $"{run.RunKey}.ckpt");
            if (checkpoint is null || !await store.DownloadFileAsync($"{attempt}/config.json", localConfig, ct)
                || !await store.DownloadFileAsync(checkpoint, localCheckpoint, ct))
            {
                notes.Add($"Run {run.RunKey[..12]} has no final checkpoint in the store; it is left out of the qualitative panel.");
                continue;
            }
            try
            {
                var prediction = Predictor.Predict(localConfig, localCheckpoint, options.PanelExamples, options.Device);
                predictions.Add(($"{string.Join(" / ", table.Rows[row])}, seed {run.Seed}", prediction));
            }
            catch (Exception e) when (e is DataFormatException or CheckpointException or ConfigException or ModelConfigException or IOException)
            {
                notes.Add($"No predictions from run {run.RunKey[..12]} ({e.Message}); it is left out of the qualitative panel.");
            }
        }
        if (predictions.Count == 0)
        {
            return null;
        }
        var first = predictions[0].Prediction;
        var rows = first.Examples.Select((example, i) => new PanelRow(
            new RgbImage(example.Width, example.Height, example.Rgb),
            new LabelMap(example.Width, example.Height, example.GroundTruth),
            predictions.Select(p => new LabelMap(p.Prediction.Examples[i].Width, p.Prediction.Examples[i].Height, p.Prediction.Examples[i].Prediction)).ToList())).ToList();
        QualitativePanel.Write(Path.Combine(folder, "qualitative.png"), rows, ["input", "ground truth", .. predictions.Select(p => p.Title)], Palette.ForDataset(first.Dataset));
        string columnLabel = string.Join(", ", table.Columns[chosen[^1].Column]);
        return new ReportFigure("Qualitative examples", "qualitative.png",
            $"The first {rows.Count} validation images ({first.Dataset}, {columnLabel}): input, ground truth, and the predictions of each method's final student checkpoint. Colours: the {Palette.ForDataset(first.Dataset).Name} palette.");
    }

    /// <summary>The panel's methods: the baseline and the best other row of the first column that has another row (or
    /// the two best). A baseline without the column axes (supervised in a table by variant) joins from its own column.</summary>
    private static List<(int Row, int Column)> PanelCells(ResultTable table)
    {
        for (int column = 0; column < table.Columns.Count; column++)
        {
            var ranked = Enumerable.Range(0, table.Rows.Count)
                .Where(r => table[r, column] is { Mean: not null } && r != table.BaselineRow)
                .OrderByDescending(r => table.Layout.HigherIsBetter ? table[r, column]!.Mean : -table[r, column]!.Mean)
                .ToList();
            if (ranked.Count == 0)
            {
                continue;
            }
            var cells = new List<(int, int)>();
            if (table.BaselineRow is int baseline)
            {
                int own = table[baseline, column] is { Mean: not null } ? column
                    : table.BaselineSpansColumns ? Enumerable.Range(0, table.Columns.Count).First(c => table[baseline, c] is not null) : -1;
                if (own >= 0 && table[baseline, own] is { Mean: not null })
                {
                    cells.Add((baseline, own));
                }
            }
            cells.AddRange(ranked.Take(2 - cells.Count).Select(r => (r, column)));
            return cells;
        }
        return table.BaselineRow is int only && Enumerable.Range(0, table.Columns.Count).FirstOrDefault(c => table[only, c] is { Mean: not null }, -1) is int c0 and >= 0
            ? [(only, c0)]
            : [];
    }

    private static async Task<string?> LastCheckpoint(IArtifactStore store, string attempt, CancellationToken ct)
    {
        string? last = null;
        await foreach (string path in store.ListAsync($"{attempt}/checkpoints/", ct))
        {
            if (path.EndsWith(".ckpt", StringComparison.Ordinal) && (last is null || string.CompareOrdinal(path, last) > 0))
            {
                last = path; // step-NNNNNNN.ckpt: zero-padded, so the ordinal maximum is the last step
            }
        }
        return last;
    }

    private static List<KeyValuePair<string, string>> Provenance(SweepSpec? spec, SweepResults results, string storeName, Dictionary<string, JsonDocument> resultFiles)
    {
        var lines = new List<KeyValuePair<string, string>>();
        void Add(string what, string value) => lines.Add(new(what, value));
        if (spec is not null)
        {
            Add("manifest", $"{spec.ManifestFile} (sha256 {spec.ManifestSha256})");
        }
        Add("code version", $"trainer {TrainerVersion.Current} (part of every run key); report by semiseg {Version(typeof(SweepReportWriter).Assembly)}");
        Add("libraries", $"TorchSharp {Version(typeof(TorchSharp.torch).Assembly)}, Orleans {Version(typeof(Orleans.IGrain).Assembly)}, MathNet.Numerics {Version(typeof(MathNet.Numerics.Statistics.Statistics).Assembly)}, ScottPlot {Version(typeof(ScottPlot.Plot).Assembly)}, {RuntimeInformation.FrameworkDescription}");
        var devices = resultFiles.Values.Select(d => Text(d.RootElement, "device")).OfType<string>().Distinct().Order().ToList();
        Add("devices of the runs", devices.Count == 0 ? "unknown (no result files read)" : string.Join(", ", devices));
        var datasets = resultFiles.Values.Select(d => Text(d.RootElement, "dataset_identity")).OfType<string>().Distinct().Order().ToList();
        if (datasets.Count > 0)
        {
            Add("dataset identity", string.Join(", ", datasets));
        }
        if (MiouAveraging(resultFiles.Values) is string averaging)
        {
            Add("mIoU averaging", averaging);
        }
        Add("this machine", $"{RuntimeInformation.OSDescription}, {CpuModel()}, {Environment.ProcessorCount} logical cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024):0} GiB");
        Add("artifact store", Secrets.Redact(storeName));
        int resumed = results.Runs.Count(r => r.Attempts > 1);
        Add("attempts", $"{results.Runs.Sum(r => r.Attempts)} attempts for {results.Runs.Length} runs ({resumed} runs needed more than one)");
        return lines;
    }

    /// <summary>How the runs' mIoU was averaged over classes (result.json's miou_classes); null when no run reports mIoU.</summary>
    public static string? MiouAveraging(IEnumerable<JsonDocument> resultFiles)
    {
        var ways = resultFiles
            .Where(d => d.RootElement.TryGetProperty("metric", out var metric) && metric.ValueKind == JsonValueKind.String && metric.GetString() == "mIoU")
            .Select(d => d.RootElement.TryGetProperty("miou_classes", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null)
            .Distinct()
            .Select(way => way switch
            {
                MiouClassesNames.All => "over all classes, a class absent from both ground truth and prediction counting as 0 (data.miou_classes: all, as the authors' code)",
                MiouClassesNames.Present => "over the classes present in ground truth or prediction (data.miou_classes: present)",
                null => "over the classes present in ground truth or prediction (not recorded: written before trainer 2026.12.3, which always averaged so)",
                _ => $"'{way}' (unknown)",
            })
            .Order(StringComparer.Ordinal)
            .ToList();
        return ways.Count == 0 ? null : string.Join("; ", ways);
    }

    private static string CpuModel()
    {
        try
        {
            string? line = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
            return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }

    /// <summary>An assembly's version without build metadata ("10.4.2. Commit Hash: ..." and "5.1.59+abc" read "10.4.2", "5.1.59").</summary>
    private static string Version(Assembly assembly)
    {
        string version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? assembly.GetName().Version?.ToString() ?? "?";
        return version.Split('+', ' ')[0].TrimEnd('.');
    }

    private static string CellName(ResultTable table, IReadOnlyDictionary<string, string> labels, ReportSpec report)
    {
        string Part(IEnumerable<string> axes) => string.Join(" / ", axes.Select(a => labels.GetValueOrDefault(a, ResultTable.Missing)));
        return report.Columns.Length == 0 ? Part(report.Rows) : $"{Part(report.Rows)} @ {Part(report.Columns)}";
    }

    /// <summary>A string field of a result file, or null when it is absent or not a string.</summary>
    private static string? Text(JsonElement result, string property) =>
        result.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string Labels(IReadOnlyDictionary<string, string> labels) => string.Join(", ", labels.Select(l => $"{l.Key}={l.Value}"));

    /// <summary>The y-axis label: the trainer's metric name (e.g. "mIoU (%)") for the main value, else the field's name.</summary>
    private static string MetricName(string metric, JsonDocument? result) =>
        metric != "value" ? metric
        : result is not null && Text(result.RootElement, "metric") is { Length: > 0 } text ? $"{text} (%)"
        : "metric (%)";
}

/// <summary>A results folder or store that cannot make a report: the message names the file and the fix.</summary>
public sealed class ReportInputException(string message) : Exception(message);
