namespace SemiSeg.Contracts;

/// <summary>Where a run is in its life. Terminal: <see cref="Succeeded"/>, <see cref="Failed"/>, <see cref="Cancelled"/>.</summary>
public enum RunState
{
    Pending,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

public enum SweepState
{
    Running,
    Completed,
    Cancelled,
}

public static class RunStates
{
    public static bool IsTerminal(this RunState state) => state is RunState.Succeeded or RunState.Failed or RunState.Cancelled;
}

/// <summary>One run of a sweep: a cell at one seed, with its content key and canonical run config (JSON).</summary>
[GenerateSerializer, Immutable, Alias("semiseg.RunSpec")]
public sealed record RunSpec(
    [property: Id(0)] string RunKey,
    [property: Id(1)] string CellKey,
    [property: Id(2)] int Seed,
    [property: Id(3)] Dictionary<string, string> Labels,
    [property: Id(4)] string ConfigJson);

/// <summary>
/// A manifest's report section: which axes form the table's rows and columns, the result field shown, the baseline
/// row (row axis → value; null: no comparisons) and whether lower values are better (losses).
/// </summary>
/// <remarks>
/// Baseline and LowerIsBetter came later: a spec saved or sent without them reads as null and false, i.e. no baseline
/// and higher is better. That is why the flag is "lower is better": Orleans leaves a field it does not find at its
/// zero value, whatever the constructor's default.
/// </remarks>
[GenerateSerializer, Immutable, Alias("semiseg.ReportSpec")]
public sealed record ReportSpec(
    [property: Id(0)] string[] Rows,
    [property: Id(1)] string[] Columns,
    [property: Id(2)] string Metric,
    [property: Id(3)] Dictionary<string, string>? Baseline = null,
    [property: Id(4)] bool LowerIsBetter = false);

/// <summary>An expanded manifest, as submitted: the cluster needs no access to the manifest's files.</summary>
[GenerateSerializer, Immutable, Alias("semiseg.SweepSpec")]
public sealed record SweepSpec(
    [property: Id(0)] string SweepId,
    [property: Id(1)] string ManifestFile,
    [property: Id(2)] string ManifestText,
    [property: Id(3)] string ManifestSha256,
    [property: Id(4)] ReportSpec Report,
    [property: Id(5)] RunSpec[] Runs,
    [property: Id(6)] int MaxFailedAttempts = 3);

/// <summary>One execution slot of a worker silo: a GPU (device "cuda:N") or a CPU slot (device "cpu").</summary>
[GenerateSerializer, Immutable, Alias("semiseg.WorkerSlot")]
public sealed record WorkerSlot(
    [property: Id(0)] SiloAddress Silo,
    [property: Id(1)] string Worker,
    [property: Id(2)] int Slot,
    [property: Id(3)] string Device)
{
    public override string ToString() => $"{Worker}/slot{Slot} ({Device})";
}

/// <summary>What a sweep hands a free slot: the run to start next.</summary>
[GenerateSerializer, Immutable, Alias("semiseg.RunTicket")]
public sealed record RunTicket(
    [property: Id(0)] string SweepId,
    [property: Id(1)] string RunKey,
    [property: Id(2)] string ConfigJson);

/// <summary>Live progress of a running attempt.</summary>
[GenerateSerializer, Immutable, Alias("semiseg.RunProgress")]
public sealed record RunProgress(
    [property: Id(0)] int Step,
    [property: Id(1)] int TotalSteps,
    [property: Id(2)] double Loss,
    [property: Id(3)] double ImagesPerSecond,
    [property: Id(4)] double EtaSeconds);

/// <summary>The part of a result the sweep tables need; the whole result.json lives in the artifact store.</summary>
[GenerateSerializer, Immutable, Alias("semiseg.RunOutcome")]
public sealed record RunOutcome(
    [property: Id(0)] string Metric,
    [property: Id(1)] double Value,
    [property: Id(2)] double WallSeconds,
    [property: Id(3)] string ResultPath);

/// <summary>A run grain's state as seen from outside. <see cref="Version"/> grows with every change of the run's
/// durable state: of two snapshots of a run, the one with the lower version is older.</summary>
[GenerateSerializer, Immutable, Alias("semiseg.RunSnapshot")]
public sealed record RunSnapshot(
    [property: Id(0)] string RunKey,
    [property: Id(1)] RunState State,
    [property: Id(2)] int Attempt,
    [property: Id(3)] int FailedAttempts,
    [property: Id(4)] string? Worker,
    [property: Id(5)] RunProgress? Progress,
    [property: Id(6)] int? CheckpointStep,
    [property: Id(7)] RunOutcome? Outcome,
    [property: Id(8)] string? Error,
    [property: Id(9)] int LostAttempts = 0,
    [property: Id(10)] long Version = 0);

public enum BeginKind
{
    /// <summary>The slot owns a new attempt: run it (resume from the checkpoint if one is given).</summary>
    Started,

    /// <summary>Nothing to run: the run is finished, or another live attempt owns it.</summary>
    NotStarted,
}

[GenerateSerializer, Immutable, Alias("semiseg.BeginReply")]
public sealed record BeginReply(
    [property: Id(0)] BeginKind Kind,
    [property: Id(1)] int Attempt,
    [property: Id(2)] string? ResumeCheckpoint,
    [property: Id(3)] RunSnapshot Snapshot);

public enum HeartbeatReply
{
    Continue,

    /// <summary>The run was cancelled: kill the attempt.</summary>
    Cancel,

    /// <summary>This attempt is no longer the current one (its lease expired and the run moved): kill it, report nothing.</summary>
    Stale,

    /// <summary>A run that lost its silo needs this slot, and this attempt has just started: stop it and report it
    /// cancelled; the run goes back to the queue without counting a failed or lost attempt.</summary>
    Yield,
}

/// <summary>How an attempt ended, as reported by the worker that ran it.</summary>
[GenerateSerializer, Immutable, Alias("semiseg.AttemptEnd")]
public sealed record AttemptEnd(
    [property: Id(0)] int Attempt,
    [property: Id(1)] RunState State,
    [property: Id(2)] string? ResultJson,
    [property: Id(3)] string? Error);

[GenerateSerializer, Immutable, Alias("semiseg.RunCounts")]
public sealed record RunCounts(
    [property: Id(0)] int Total,
    [property: Id(1)] int Pending,
    [property: Id(2)] int Running,
    [property: Id(3)] int Succeeded,
    [property: Id(4)] int Failed,
    [property: Id(5)] int Cancelled)
{
    public int Finished => Succeeded + Failed + Cancelled;
}

[GenerateSerializer, Immutable, Alias("semiseg.SweepStatus")]
public sealed record SweepStatus(
    [property: Id(0)] string SweepId,
    [property: Id(1)] SweepState State,
    [property: Id(2)] RunCounts Counts,
    [property: Id(3)] RunSnapshot[] Active,
    [property: Id(4)] DateTimeOffset SubmittedAt,
    [property: Id(5)] DateTimeOffset? FinishedAt,
    [property: Id(6)] int ReusedResults);

/// <summary>One run's line in a sweep's results.</summary>
[GenerateSerializer, Immutable, Alias("semiseg.RunRow")]
public sealed record RunRow(
    [property: Id(0)] string RunKey,
    [property: Id(1)] string CellKey,
    [property: Id(2)] int Seed,
    [property: Id(3)] Dictionary<string, string> Labels,
    [property: Id(4)] RunState State,
    [property: Id(5)] double? Value,
    [property: Id(6)] double? WallSeconds,
    [property: Id(7)] string? Error,
    [property: Id(8)] int Attempts);

[GenerateSerializer, Immutable, Alias("semiseg.SweepResults")]
public sealed record SweepResults(
    [property: Id(0)] string SweepId,
    [property: Id(1)] SweepState State,
    [property: Id(2)] ReportSpec Report,
    [property: Id(3)] RunRow[] Runs);

/// <summary>Paths in the artifact store. Results are the source of truth: a run with a committed result is done.</summary>
public static class StorePaths
{
    public static string Result(string runKey) => $"results/{runKey}.json";

    public const string ResultsPrefix = "results/";

    public static string Attempt(string runKey, int attempt) => $"runs/{runKey}/attempt-{attempt}";

    /// <summary>Where an attempt's checkpoints go: <c>runs/KEY/attempt-N/checkpoints/</c>.</summary>
    public static string Checkpoints(string runKey, int attempt) => $"{Attempt(runKey, attempt)}/checkpoints";

    /// <summary>Whether <paramref name="path"/> is a checkpoint file of the run: <c>runs/KEY/attempt-N/checkpoints/NAME</c>
    /// (N a positive attempt number, NAME one plain file name), and so safe to resume from.</summary>
    public static bool IsCheckpointOf(string runKey, string? path)
    {
        string prefix = $"runs/{runKey}/attempt-";
        if (path is null || !path.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }
        string[] rest = path[prefix.Length..].Split('/');
        return rest.Length == 3 && int.TryParse(rest[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int attempt)
            && attempt > 0 && rest[1] == "checkpoints" && rest[2].Length > 0 && rest[2] is not ("." or "..") && !rest[2].Contains('\\', StringComparison.Ordinal);
    }

    /// <summary>The folder holding every attempt of a run (with its trailing slash).</summary>
    public static string AttemptsPrefix(string runKey) => $"runs/{runKey}/";

    public static string SweepSpec(string sweepId) => $"sweeps/{sweepId}/spec.json";

    public static string SweepManifest(string sweepId) => $"sweeps/{sweepId}/manifest.yaml";

    public static string SweepReport(string sweepId) => $"sweeps/{sweepId}/report";
}
