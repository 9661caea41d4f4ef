namespace SemiSeg.Training.Running;

/// <summary>
/// The version of what determines a run's result (data pipeline, models, algorithms, training loop). It is part of
/// every run's content key, so bump it whenever a change would change results: resubmitted sweeps then run again
/// instead of reusing results the current code would not produce. Changes that cannot affect results (docs, the
/// orchestrator, reports) leave it alone, so finished runs stay reusable.
/// </summary>
public static class TrainerVersion
{
    public const string Current = "2026.12.3";
}
