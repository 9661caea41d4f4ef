using System.Globalization;

namespace SemiSeg.Grains.Execution;

/// <summary>When a trainer that stopped making progress counts as hung (see <see cref="StallDetector"/>).</summary>
public sealed class StallOptions
{
    /// <summary>No new step for this long is a stall, however fast the steps were so far (default 2 minutes);
    /// <see cref="TimeSpan.Zero"/> turns stall detection off.</summary>
    public TimeSpan Floor { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>...or for this many times the slowest interval between two steps seen in the attempt, if that is longer
    /// (default 10): a slow model on a slow machine gets a proportionally longer allowance.</summary>
    public double Factor { get; set; } = 10;

    /// <summary>Before the first step: process start, data loading, model building, checkpoint loading (default 10 minutes).</summary>
    public TimeSpan Startup { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>During an evaluation, between two of its progress reports (one per batch, at most one a second): this, or
    /// <see cref="Factor"/> times the longest evaluation so far (default 10 minutes).</summary>
    public TimeSpan Evaluation { get; set; } = TimeSpan.FromMinutes(10);

    public bool Enabled => Floor > TimeSpan.Zero;

    public void Validate()
    {
        if (Floor < TimeSpan.Zero || Startup <= TimeSpan.Zero || Evaluation <= TimeSpan.Zero || !(Factor >= 1))
        {
            throw new ArgumentException($"stall detection: floor {Floor} (0 = off), startup {Startup} and evaluation {Evaluation} must not be negative, "
                + $"startup and evaluation positive, and the factor ({Factor}) at least 1. Fix: e.g. --stall-timeout 120");
        }
    }
}

/// <summary>
/// Decides whether an attempt's trainer is hung, from what it reported: steps (progress lines and lighter "alive"
/// ticks), the start and end of evaluations, checkpoints. A pure state machine: every observation carries its time,
/// so tests drive it with a fake clock. Not thread-safe; the worker serialises calls.
/// </summary>
/// <remarks>
/// The allowance depends on the phase: before the first step <see cref="StallOptions.Startup"/>; during an
/// evaluation, since its last progress report, max(<see cref="StallOptions.Evaluation"/>, factor x the longest
/// evaluation so far); while training
/// max(<see cref="StallOptions.Floor"/>, factor x the slowest interval between two step reports). The interval that
/// ends the startup (the first step) is not counted: it includes process start and data loading.
/// </remarks>
public sealed class StallDetector(StallOptions options, DateTimeOffset startedAt)
{
    private DateTimeOffset lastActivity = startedAt;
    private int lastStep = -1;
    private TimeSpan slowestStep;
    private DateTimeOffset? evaluationStartedAt;
    private TimeSpan longestEvaluation;

    /// <summary>The highest step reported so far (-1 before the first).</summary>
    public int LastStep => lastStep;

    /// <summary>The trainer reported <paramref name="step"/>; a step it reported before is no progress, except during an
    /// evaluation, whose batches report the step they evaluate (a long evaluation that advances is not a hang).</summary>
    public void Step(int step, DateTimeOffset at)
    {
        if (step <= lastStep)
        {
            if (evaluationStartedAt is not null)
            {
                lastActivity = at;
            }
            return;
        }
        if (lastStep >= 0 && evaluationStartedAt is null)
        {
            var interval = at - lastActivity;
            slowestStep = interval > slowestStep ? interval : slowestStep;
        }
        lastStep = step;
        lastActivity = at;
    }

    public void EvaluationStarted(DateTimeOffset at)
    {
        evaluationStartedAt = at;
        lastActivity = at;
    }

    public void EvaluationFinished(DateTimeOffset at)
    {
        if (evaluationStartedAt is { } start)
        {
            var took = at - start;
            longestEvaluation = took > longestEvaluation ? took : longestEvaluation;
        }
        evaluationStartedAt = null;
        lastActivity = at;
    }

    /// <summary>A checkpoint was written: a sign of life, not a step.</summary>
    public void Checkpoint(DateTimeOffset at) => lastActivity = at;

    /// <summary>How long the trainer may now go without reporting anything.</summary>
    public TimeSpan Allowance =>
        evaluationStartedAt is not null ? Max(options.Evaluation, longestEvaluation * options.Factor)
        : lastStep < 0 ? options.Startup
        : Max(options.Floor, slowestStep * options.Factor);

    /// <summary>Null while the trainer is within its allowance; otherwise why it counts as hung.</summary>
    public string? Stalled(DateTimeOffset now)
    {
        if (!options.Enabled)
        {
            return null;
        }
        var silent = now - lastActivity;
        if (silent <= Allowance)
        {
            return null;
        }
        string phase = evaluationStartedAt is not null ? $"evaluating after step {lastStep}"
            : lastStep < 0 ? "starting (no step yet)"
            : $"at step {lastStep}";
        return string.Create(CultureInfo.InvariantCulture,
            $"the trainer made no progress for {silent.TotalSeconds:F0} s while {phase} (allowed {Allowance.TotalSeconds:F0} s); it was killed as hung");
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
