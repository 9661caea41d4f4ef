using System.Globalization;
using System.Text.Json;
using SemiSeg.Training.Algorithms;

namespace SemiSeg.Training.Running;

/// <summary>Appends metrics.jsonl: one JSON object per logged step ("type": "train") and per evaluation ("type": "eval").</summary>
public sealed class MetricsLog(string path)
{
    public void Train(int step, StepLosses losses, double learningRate, double imagesPerSecond, double elapsedSeconds) =>
        Append(new Dictionary<string, object>
        {
            ["type"] = "train",
            ["step"] = step,
            ["loss"] = Round(losses.Total),
            ["supervised"] = Round(losses.Supervised),
            ["consistency"] = Round(losses.Consistency),
            ["lr"] = learningRate,
            ["images_per_second"] = Math.Round(imagesPerSecond, 2),
            ["elapsed_seconds"] = Math.Round(elapsedSeconds, 3),
        });

    public void Evaluation(Evaluation evaluation) =>
        Append(new Dictionary<string, object>
        {
            ["type"] = "eval",
            ["step"] = evaluation.Step,
            ["metric"] = evaluation.Metric,
            ["value"] = evaluation.Value,
            ["pixel_accuracy"] = evaluation.PixelAccuracy ?? double.NaN,
            ["per_class"] = evaluation.PerClass,
        });

    private void Append(Dictionary<string, object> record)
    {
        if (record.TryGetValue("pixel_accuracy", out var value) && value is double d && double.IsNaN(d))
        {
            record.Remove("pixel_accuracy");
        }
        File.AppendAllText(path, JsonSerializer.Serialize(record) + "\n");
    }

    /// <summary>Seven significant digits: what a float32 holds, and short lines.</summary>
    internal static double Round(double value) => double.Parse(value.ToString("G7", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
