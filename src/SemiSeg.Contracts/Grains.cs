namespace SemiSeg.Contracts;

/// <summary>A sweep (key: sweep id): the runs of one manifest, their states, dispatch to free slots and supervision.</summary>
[Alias("semiseg.ISweepGrain")]
public interface ISweepGrain : IGrainWithStringKey
{
    /// <summary>Starts the sweep, or updates it with the same id ("resume = submit again"): runs whose result is in the
    /// store are skipped, failed and cancelled ones run again. Idempotent.</summary>
    [Alias("Submit")]
    Task<SweepStatus> Submit(SweepSpec spec);

    /// <summary>A free slot asks for work; null when nothing is waiting.</summary>
    /// <remarks>Interleaves with a supervisor tick that waits for run grains (it is synchronous in the grain: it runs
    /// between the tick's awaits, never in the middle of an update), so dispatch never waits for a slow silo.</remarks>
    [AlwaysInterleave]
    [Alias("TakeNext")]
    Task<RunTicket?> TakeNext(WorkerSlot slot);

    /// <summary>A worker reports that a run changed (started, finished); the supervisor would find out anyway.</summary>
    [Alias("OnRunChanged")]
    Task OnRunChanged(RunSnapshot snapshot);

    [Alias("Cancel")]
    Task<SweepStatus> Cancel();

    /// <summary>Counts and live progress (also what the dashboard shows as the grain's state).</summary>
    /// <remarks>Read-only and synchronous in the grain, so it interleaves with a supervisor tick (see <see cref="TakeNext"/>).</remarks>
    [AlwaysInterleave]
    [Alias("GetStatus")]
    Task<SweepStatus> GetStatus();

    [Alias("GetResults")]
    Task<SweepResults> GetResults();
}

/// <summary>A run (key: run content key): lifecycle, attempts (the attempt number fences stale workers), last
/// checkpoint, live progress, result.</summary>
[Alias("semiseg.IRunGrain")]
public interface IRunGrain : IGrainWithStringKey
{
    /// <summary>Called by a sweep before it dispatches the run: resets a failed or cancelled run to pending, and a
    /// succeeded run whose result is gone from the store.</summary>
    [Alias("Prepare")]
    Task<RunSnapshot> Prepare(bool resultInStore);

    /// <summary>A slot claims the run: a new attempt number, and the checkpoint to resume from.</summary>
    [Alias("Begin")]
    Task<BeginReply> Begin(string configJson, WorkerSlot slot);

    [Alias("Heartbeat")]
    Task<HeartbeatReply> Heartbeat(int attempt, RunProgress? progress);

    /// <summary>Records an uploaded checkpoint; false (and ignored) when the attempt is stale.</summary>
    [Alias("RecordCheckpoint")]
    Task<bool> RecordCheckpoint(int attempt, int step, string path);

    /// <summary>Ends an attempt. A stale attempt's end is rejected: the snapshot is returned unchanged.</summary>
    [Alias("Complete")]
    Task<RunSnapshot> Complete(AttemptEnd end);

    /// <summary>Supervision: a running attempt whose worker stopped heartbeating or whose silo is dead is given up,
    /// and the run goes back to pending.</summary>
    [Alias("Supervise")]
    Task<RunSnapshot> Supervise();

    [Alias("RequestCancel")]
    Task<RunSnapshot> RequestCancel();

    /// <summary>Asks <paramref name="attempt"/> to give its slot back (its next heartbeat answers
    /// <see cref="HeartbeatReply.Yield"/>); false when that attempt is no longer the running one.</summary>
    [Alias("RequestYield")]
    Task<bool> RequestYield(int attempt);

    [Alias("GetSnapshot")]
    Task<RunSnapshot> GetSnapshot();
}

/// <summary>The cluster's list of sweeps (key 0): workers ask it which sweeps have work.</summary>
[Alias("semiseg.ISweepDirectoryGrain")]
public interface ISweepDirectoryGrain : IGrainWithIntegerKey
{
    [Alias("SetActive")]
    Task SetActive(string sweepId, bool active);

    [Alias("GetActive")]
    Task<string[]> GetActive();

    [Alias("GetAll")]
    Task<string[]> GetAll();
}
