using System.Text.Json.Serialization;
using SemiSeg.Training.Algorithms;

namespace SemiSeg.Training.Running;

/// <summary>Live progress of a run, reported after every logged step.</summary>
public sealed record StepProgress(
    int Step,
    int TotalSteps,
    StepLosses Losses,
    double LearningRate,
    double ImagesPerSecond,
    TimeSpan Elapsed,
    TimeSpan EstimatedRemaining);

/// <summary>One evaluation of the student on the validation split. Values are percentages.</summary>
public sealed record Evaluation(
    [property: JsonPropertyName("step")] int Step,
    [property: JsonPropertyName("metric")] string Metric,
    [property: JsonPropertyName("value")] double Value,
    [property: JsonPropertyName("pixel_accuracy")] double? PixelAccuracy,
    [property: JsonPropertyName("per_class")] IReadOnlyDictionary<string, double?> PerClass,
    [property: JsonPropertyName("examples")] int Examples,
    [property: JsonPropertyName("all_background_value")] double? AllBackgroundValue);

/// <summary>A checkpoint that was written.</summary>
public sealed record CheckpointWritten(int Step, string Path);

/// <summary>The outcome of a finished run, written as result.json. <see cref="MiouClasses"/> says how mIoU was averaged
/// (data.miou_classes; absent for classification and in results written before trainer 2026.12.3, which averaged over
/// the present classes).</summary>
public sealed record RunResult(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("metric")] string Metric,
    [property: JsonPropertyName("miou_classes"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? MiouClasses,
    [property: JsonPropertyName("value")] double Value,
    [property: JsonPropertyName("pixel_accuracy")] double? PixelAccuracy,
    [property: JsonPropertyName("all_background_value")] double? AllBackgroundValue,
    [property: JsonPropertyName("per_class")] IReadOnlyDictionary<string, double?> PerClass,
    [property: JsonPropertyName("steps")] int Steps,
    [property: JsonPropertyName("wall_seconds")] double WallSeconds,
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("config_sha256")] string ConfigSha256,
    [property: JsonPropertyName("dataset_identity")] string DatasetIdentity,
    [property: JsonPropertyName("labeled_examples")] int LabeledExamples,
    [property: JsonPropertyName("device")] string Device,
    [property: JsonPropertyName("resumed_from_step")] int? ResumedFromStep);

/// <summary>Hooks for whoever drives a run (the CLI's progress bar, the orchestrator's run grain). All methods are
/// called on the training thread; keep them quick.</summary>
public interface IRunObserver
{
    void OnStep(StepProgress progress)
    {
    }

    /// <summary>Every finished step (OnStep comes only every log_every steps): proof of life for a watching worker.</summary>
    void OnStepFinished(int step)
    {
    }

    /// <summary>An evaluation of the student starts (OnEvaluation follows when it ends).</summary>
    void OnEvaluationStarting(int step)
    {
    }

    /// <summary>A batch of the evaluation after <paramref name="step"/> is done: proof of life during a long evaluation.</summary>
    void OnEvaluationProgress(int step)
    {
    }

    void OnEvaluation(Evaluation evaluation)
    {
    }

    void OnCheckpoint(CheckpointWritten checkpoint)
    {
    }

    void OnMessage(string message)
    {
    }
}
