using System.Text.Json;

namespace SemiSeg.Reports.Plots;

/// <summary>One logged training step of metrics.jsonl ("type": "train").</summary>
public sealed record TrainPoint(int Step, double Loss, double Supervised, double Consistency, double LearningRate);

/// <summary>One evaluation of metrics.jsonl ("type": "eval"): the metric (e.g. mIoU, in percent) and the pixel accuracy
/// when the task has one.</summary>
public sealed record EvalPoint(int Step, string Metric, double Value, double? PixelAccuracy);

/// <summary>A metrics.jsonl file that cannot be read: the message names the file, the line and the fix.</summary>
public sealed class MetricsFileException(string message) : Exception(message);

/// <summary>
/// The history of one run as its trainer logged it in metrics.jsonl. A torn last line (a crash while appending, no
/// final newline) is skipped; anything else that is not a metrics record is an error, so a corrupt file is never
/// silently plotted.
/// </summary>
public sealed record MetricsHistory(IReadOnlyList<TrainPoint> Train, IReadOnlyList<EvalPoint> Eval)
{
    /// <exception cref="MetricsFileException">Missing file, a line that is not JSON, or a record without its fields.</exception>
    public static MetricsHistory Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string problem = e is FileNotFoundException or DirectoryNotFoundException ? "file not found" : $"cannot read it ({e.Message})";
            throw new MetricsFileException($"{path}: {problem}. Fix: point at the metrics.jsonl of a run folder (the trainer's --out folder, or STORE/runs/RUNKEY/attempt-N/).");
        }

        var train = new List<TrainPoint>();
        var eval = new List<EvalPoint>();
        string[] lines = text.Split('\n');
        bool endsWithNewline = text.EndsWith('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }
            bool tornLastLine = i == lines.Length - 1 && !endsWithNewline;
            try
            {
                using var document = JsonDocument.Parse(line);
                var record = document.RootElement;
                string? type = record.ValueKind == JsonValueKind.Object && record.TryGetProperty("type", out var t) ? t.GetString() : null;
                switch (type)
                {
                    case "train":
                        train.Add(new TrainPoint(Int(record, "step"), Number(record, "loss"), Number(record, "supervised"),
                            Number(record, "consistency"), Number(record, "lr")));
                        break;
                    case "eval":
                        eval.Add(new EvalPoint(Int(record, "step"), record.GetProperty("metric").GetString() ?? throw new KeyNotFoundException("metric"),
                            Number(record, "value"), record.TryGetProperty("pixel_accuracy", out var accuracy) ? accuracy.GetDouble() : null));
                        break;
                    case null:
                        throw new KeyNotFoundException("type");
                    default:
                        break; // a record kind added later: not plotted, not an error
                }
            }
            catch (JsonException) when (tornLastLine)
            {
                // The trainer appends whole lines; an unterminated last line is a crash mid-write and carries nothing.
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                string problem = e is JsonException ? "is not valid JSON" : $"is not a metrics record ({Describe(e)})";
                throw new MetricsFileException($"{path}: line {i + 1} {problem}. Fix: this file is corrupt; restore it from the run's store copy, or rerun the run.");
            }
        }
        return new MetricsHistory(train, eval);
    }

    private static int Int(JsonElement record, string name) => record.GetProperty(name).GetInt32();

    private static double Number(JsonElement record, string name) => record.GetProperty(name).GetDouble();

    private static string Describe(Exception e) => e is KeyNotFoundException ? "a required field is missing" : $"a field has the wrong type: {e.Message}";
}
