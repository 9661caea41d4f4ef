using System.Text.Json;

namespace SemiSeg.Grains;

/// <summary>Reads the numbers a table needs out of a result.json (written by the trainer).</summary>
public static class ResultFiles
{
    public static RunOutcome Outcome(string resultJson, string resultPath)
    {
        using var document = JsonDocument.Parse(resultJson);
        var root = document.RootElement;
        return new RunOutcome(
            root.TryGetProperty("metric", out var metric) ? metric.GetString() ?? "value" : "value",
            root.GetProperty("value").GetDouble(),
            root.TryGetProperty("wall_seconds", out var wall) ? wall.GetDouble() : 0,
            resultPath);
    }

    /// <summary>A top-level number of the result by name (the manifest's report metric: value, pixel_accuracy, ...).</summary>
    public static double? Metric(string resultJson, string name)
    {
        using var document = JsonDocument.Parse(resultJson);
        return document.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
    }
}
