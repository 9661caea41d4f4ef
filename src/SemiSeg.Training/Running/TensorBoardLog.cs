using System.Text.Json;
using SemiSeg.Training.Algorithms;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemiSeg.Training.Running;

/// <summary>
/// TensorBoard event files of a run (TorchSharp's <c>torch.utils.tensorboard.SummaryWriter</c>), written next to
/// metrics.jsonl with the same values: train/loss, train/supervised, train/consistency, train/lr,
/// train/images_per_second, eval/METRIC (e.g. eval/mIoU), eval/pixel_accuracy and eval_per_class/CLASS.
/// metrics.jsonl stays the record: when a log starts, old event files are deleted and the lines already in
/// metrics.jsonl (those a resumed run keeps) are replayed into a new file, so after a resume TensorBoard shows every
/// step exactly once, even when the orchestrator resumes on another machine that has only metrics.jsonl.
/// Wall times are whole Unix seconds (the writer's resolution), and replayed records carry the replay's time: plot by step.
/// </summary>
public sealed class TensorBoardLog
{
    public const string FolderName = "tensorboard";

    private readonly SummaryWriter _writer;

    private TensorBoardLog(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (string old in Directory.EnumerateFiles(folder, "events.out.tfevents.*"))
        {
            File.Delete(old);
        }
        _writer = utils.tensorboard.SummaryWriter(folder);
    }

    /// <summary>Starts a fresh event file in <paramref name="folder"/> holding the records of
    /// <paramref name="metricsPath"/> so far (none for a new run).</summary>
    public static TensorBoardLog Start(string folder, string metricsPath)
    {
        var log = new TensorBoardLog(folder);
        log.Replay(metricsPath);
        return log;
    }

    /// <summary>Writes the event file of a finished run's metrics.jsonl, e.g. to browse stored runs side by side with
    /// <c>tensorboard --logdir</c> on a folder of such folders. Replaces event files already in
    /// <paramref name="folder"/>; lines that do not parse are skipped.</summary>
    /// <exception cref="ArgumentException">The metrics file does not exist (the message names it and the fix).</exception>
    public static void FromMetrics(string metricsPath, string folder)
    {
        if (!File.Exists(metricsPath))
        {
            throw new ArgumentException($"{metricsPath}: metrics file not found. Fix: point at the metrics.jsonl of a run folder (the trainer's --out folder, or STORE/runs/RUNKEY/attempt-N/).", nameof(metricsPath));
        }
        Start(folder, metricsPath);
    }

    /// <summary>Logs a training step, rounded as metrics.jsonl rounds it (so a replay writes the same numbers).</summary>
    public void Train(int step, StepLosses losses, double learningRate, double imagesPerSecond)
    {
        Scalar("train/loss", MetricsLog.Round(losses.Total), step);
        Scalar("train/supervised", MetricsLog.Round(losses.Supervised), step);
        Scalar("train/consistency", MetricsLog.Round(losses.Consistency), step);
        Scalar("train/lr", learningRate, step);
        Scalar("train/images_per_second", Math.Round(imagesPerSecond, 2), step);
    }

    public void Evaluation(Evaluation evaluation) =>
        Evaluation(evaluation.Step, evaluation.Metric, evaluation.Value, evaluation.PixelAccuracy, evaluation.PerClass);

    private void Evaluation(int step, string metric, double value, double? pixelAccuracy, IEnumerable<KeyValuePair<string, double?>> perClass)
    {
        Scalar($"eval/{metric}", value, step);
        if (pixelAccuracy is double accuracy)
        {
            Scalar("eval/pixel_accuracy", accuracy, step);
        }
        foreach (var (name, classValue) in perClass)
        {
            if (classValue is double v)
            {
                Scalar($"eval_per_class/{name.Replace('/', '-')}", v, step); // "/" would nest T-shirt/top a level deeper
            }
        }
    }

    private void Scalar(string tag, double value, int step)
    {
        if (double.IsFinite(value)) // a field an older metrics.jsonl lacks is NaN here: left out, not plotted as a gap
        {
            _writer.add_scalar(tag, (float)value, step);
        }
    }

    /// <summary>Re-emits the records of a metrics.jsonl; lines that do not parse (a torn last line) are skipped, as
    /// the trainer's own resume does.</summary>
    private void Replay(string metricsPath)
    {
        if (!File.Exists(metricsPath))
        {
            return;
        }
        foreach (string line in File.ReadLines(metricsPath))
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(line);
            }
            catch (JsonException)
            {
                continue;
            }
            using (document)
            {
                var r = document.RootElement;
                if (r.ValueKind != JsonValueKind.Object || !r.TryGetProperty("type", out var type) || !r.TryGetProperty("step", out var stepElement))
                {
                    continue;
                }
                int step = stepElement.GetInt32();
                if (type.GetString() == "train")
                {
                    var losses = new StepLosses(Supervised: Number(r, "supervised"), Consistency: Number(r, "consistency"), Total: Number(r, "loss"));
                    Train(step, losses, Number(r, "lr"), Number(r, "images_per_second"));
                }
                else if (type.GetString() == "eval")
                {
                    var perClass = r.TryGetProperty("per_class", out var classes) && classes.ValueKind == JsonValueKind.Object
                        ? classes.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetDouble() : (double?)null)).ToList()
                        : [];
                    Evaluation(step, r.GetProperty("metric").GetString() ?? "metric", Number(r, "value"),
                        r.TryGetProperty("pixel_accuracy", out var accuracy) ? accuracy.GetDouble() : null, perClass);
                }
            }
        }
    }

    private static double Number(JsonElement record, string name) =>
        record.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : double.NaN;
}
