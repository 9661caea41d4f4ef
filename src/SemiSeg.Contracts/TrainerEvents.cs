using System.Text.Json;
using System.Text.Json.Serialization;

namespace SemiSeg.Contracts;

/// <summary>One machine-readable line a <c>semiseg train --events</c> child writes to stdout, so the worker that
/// started it can follow progress and pick up checkpoints as they are written.</summary>
public sealed record TrainerEvent(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("step")] int Step,
    [property: JsonPropertyName("total")] int? Total = null,
    [property: JsonPropertyName("loss")] double? Loss = null,
    [property: JsonPropertyName("images_per_second")] double? ImagesPerSecond = null,
    [property: JsonPropertyName("eta_seconds")] double? EtaSeconds = null,
    [property: JsonPropertyName("path")] string? Path = null,
    [property: JsonPropertyName("value")] double? Value = null)
{
    public const string Prefix = "@semiseg ";
    public const string StepType = "step";
    public const string CheckpointType = "checkpoint";
    public const string EvaluationType = "evaluation";

    /// <summary>A step finished (between progress lines; at most about one a second): proof of life for stall detection.</summary>
    public const string AliveType = "alive";

    /// <summary>An evaluation starts (it ends with an <see cref="EvaluationType"/> event): a long phase without steps.</summary>
    public const string EvaluatingType = "evaluating";

    public string ToLine() => Prefix + JsonSerializer.Serialize(this, Options);

    /// <summary>The event on a line, or null for an ordinary log line.</summary>
    public static TrainerEvent? TryParse(string line)
    {
        if (!line.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<TrainerEvent>(line.AsSpan(Prefix.Length), Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static readonly JsonSerializerOptions Options = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
}
