namespace SemiSeg.Grains.Execution;

/// <summary>One attempt of a run, as handed to an executor.</summary>
/// <param name="ResumeCheckpoint">Store path of the checkpoint to resume from, or null to start fresh.</param>
/// <param name="WorkDirectory">A local folder of this attempt's own (nothing else writes there).</param>
public sealed record RunExecution(string RunKey, int Attempt, string ConfigJson, WorkerSlot Slot, string? ResumeCheckpoint, string WorkDirectory);

/// <summary>How an attempt ended. <paramref name="Files"/>: local files to keep in the store (metrics, result).</summary>
public sealed record ExecutionOutcome(RunState State, string? ResultJson, string? Error, IReadOnlyList<string> Files)
{
    public static ExecutionOutcome Cancelled() => new(RunState.Cancelled, null, null, []);
}

/// <summary>What an executor tells the worker while it runs. Every report is also a sign of life for stall detection
/// (<see cref="StallDetector"/>): an attempt that reports nothing for longer than its allowance is killed as hung.</summary>
public interface IExecutionReporter
{
    /// <summary>A progress line (every log_every steps).</summary>
    void Progress(RunProgress progress);

    /// <summary>The trainer finished <paramref name="step"/> (a lighter sign of life than <see cref="Progress"/>).</summary>
    void Alive(int step)
    {
    }

    /// <summary>An evaluation started (true) or ended (false): a long phase with its own allowance.</summary>
    void Evaluating(bool started)
    {
    }

    /// <summary>A checkpoint was written locally; the worker uploads it (with <paramref name="companions"/>, e.g. the
    /// metrics log up to that step) and records it with the run grain. Never throws: an upload that fails is retried
    /// later (the newest checkpoint supersedes older ones that were not uploaded yet).</summary>
    Task CheckpointAsync(int step, string localFile, IReadOnlyList<string> companions);
}

/// <summary>Runs one attempt to its end. Must honour cancellation promptly (a cancel is a kill) and must never throw
/// for a failed training: failures are an outcome.</summary>
public interface IRunExecutor
{
    Task<ExecutionOutcome> ExecuteAsync(RunExecution execution, IExecutionReporter reporter, CancellationToken cancellation);
}
