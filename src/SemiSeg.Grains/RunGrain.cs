using System.Text;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using SemiSeg.Security;
using SemiSeg.Storage;

namespace SemiSeg.Grains;

[GenerateSerializer, Alias("semiseg.RunGrainState")]
public sealed class RunGrainState
{
    [Id(0)] public RunState State { get; set; } = RunState.Pending;

    /// <summary>The current attempt's number: the fencing token every worker report must carry.</summary>
    [Id(1)] public int Attempt { get; set; }

    [Id(2)] public int FailedAttempts { get; set; }
    [Id(3)] public int LostAttempts { get; set; }

    /// <summary>The slot that owns the current attempt (<see cref="WorkerSlot.ToString"/>) and its silo.</summary>
    [Id(4)] public string? Worker { get; set; }
    [Id(5)] public string? WorkerSilo { get; set; }
    [Id(6)] public int? CheckpointStep { get; set; }
    [Id(7)] public string? CheckpointPath { get; set; }
    [Id(8)] public RunOutcome? Outcome { get; set; }
    [Id(9)] public string? Error { get; set; }
    [Id(10)] public bool CancelRequested { get; set; }

    /// <summary>A success being committed: written (with the state's ETag) before results/KEY.json is created, so a
    /// stale activation fails here and commits nothing; a half-done commit is finished from it.</summary>
    [Id(11)] public int? CommittingAttempt { get; set; }

    [Id(12)] public string? CommittingResult { get; set; }

    /// <summary>The attempt whose result was committed: its folder in the store is the one kept.</summary>
    [Id(13)] public int? ResultAttempt { get; set; }

    /// <summary>Counts the state's writes: snapshots carry it, so a sweep can tell an old snapshot from a new one.</summary>
    [Id(14)] public long Version { get; set; }

    /// <summary>The sweep asked the current attempt to give its slot to a run that lost its silo; a cancelled end of
    /// that attempt puts the run back to pending without counting it as lost.</summary>
    [Id(15)] public bool YieldRequested { get; set; }
}

/// <summary>
/// One run, keyed by its content key. The attempt number is a fencing token: every begin makes a new one, and
/// heartbeats, checkpoints and failures that carry an older one are rejected, so a worker that lost its lease (its silo
/// was declared dead, or it stopped heartbeating) can never overwrite what a newer attempt did. The one exception is a
/// finished training: a success from an older attempt is accepted while the run has no result yet (a worker's outbox
/// delivering after a storage outage or a restart), because a complete training of the same config is a valid result
/// and running it again would only waste the time. A result is committed to the artifact store create-if-absent, so it
/// is recorded exactly once, and only after the intent to commit was written with the state's ETag, so a stale
/// activation of this grain (a second one, after a frozen silo resumed) fails before it can commit anything.
/// </summary>
public sealed class RunGrain(
    [PersistentState("run", StorageNames.GrainState)] IPersistentState<RunGrainState> state,
    IArtifactStore store,
    IClusterMembershipService membership,
    OrchestrationOptions options,
    TimeProvider time,
    ILogger<RunGrain> log) : Grain, IRunGrain
{
    private RunGrainState S => state.State;
    private string RunKey => this.GetPrimaryKeyString();

    // A new activation gives a running attempt a full lease: the heartbeat time is not persisted.
    private DateTimeOffset lastHeartbeat = time.GetUtcNow();
    private RunProgress? progress;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        SafeNames.CheckRunKey(RunKey); // the grain key comes from the caller and names store paths and work folders
        if (S.CommittingAttempt is not null)
        {
            try
            {
                await FinishCommit();
            }
            catch (Exception e) when (e is not InconsistentStateException)
            {
                // The store is away: the commit is finished by the next Complete, Supervise or Prepare.
                log.LogWarning(e, "Run {Run}: could not finish committing attempt {Attempt} yet: {Message}", RunKey, S.CommittingAttempt, e.Message);
            }
        }
    }

    public async Task<RunSnapshot> Prepare(bool resultInStore)
    {
        await FinishCommitIfPending();
        if (S.State == RunState.Running && S.CancelRequested)
        {
            // Submitted again while being cancelled (Ctrl+C, then the same command): the run goes on. If its worker
            // already stopped it, that end counts as lost (not cancelled) and the run is queued again.
            S.CancelRequested = false;
            await Save();
        }
        bool reset = S.State switch
        {
            RunState.Succeeded => !resultInStore,
            RunState.Failed or RunState.Cancelled => true,
            _ => false,
        };
        if (reset)
        {
            S.State = RunState.Pending;
            S.FailedAttempts = 0;
            S.LostAttempts = 0;
            S.Outcome = null;
            S.ResultAttempt = null;
            S.Error = null;
            S.CancelRequested = false;
            await Save();
        }
        return Snapshot();
    }

    public async Task<BeginReply> Begin(string configJson, WorkerSlot slot)
    {
        string worker = slot.ToString();
        if (S.State == RunState.Running && S.Worker == worker && S.WorkerSilo == slot.Silo.ToParsableString())
        {
            // The same slot asking again (its first reply was lost): same attempt, so retries are safe.
            return new BeginReply(BeginKind.Started, S.Attempt, S.CheckpointPath, Snapshot());
        }
        if (S.State.IsTerminal() || (S.State == RunState.Running && !LeaseLost()))
        {
            return new BeginReply(BeginKind.NotStarted, S.Attempt, null, Snapshot());
        }
        if (S.State == RunState.Running)
        {
            S.LostAttempts++;
        }
        S.Attempt++;
        S.State = RunState.Running;
        S.YieldRequested = false;
        S.Worker = worker;
        S.WorkerSilo = slot.Silo.ToParsableString();
        S.Error = null;
        progress = null;
        lastHeartbeat = time.GetUtcNow();
        await Save();
        log.LogInformation("Run {Run} attempt {Attempt} on {Worker}{Resume}", RunKey, S.Attempt, worker,
            S.CheckpointStep is int step ? $", resuming from step {step}" : "");
        return new BeginReply(BeginKind.Started, S.Attempt, S.CheckpointPath, Snapshot());
    }

    public Task<HeartbeatReply> Heartbeat(int attempt, RunProgress? report)
    {
        if (attempt != S.Attempt || S.State != RunState.Running)
        {
            return Task.FromResult(HeartbeatReply.Stale);
        }
        lastHeartbeat = time.GetUtcNow();
        progress = report ?? progress;
        return Task.FromResult(S.CancelRequested ? HeartbeatReply.Cancel : S.YieldRequested ? HeartbeatReply.Yield : HeartbeatReply.Continue);
    }

    public async Task<bool> RecordCheckpoint(int attempt, int step, string path)
    {
        if (!StorePaths.IsCheckpointOf(RunKey, path) || !path.StartsWith(StorePaths.Checkpoints(RunKey, attempt) + "/", StringComparison.Ordinal))
        {
            throw new ArgumentException($"run {RunKey}: checkpoint path {SafeNames.Show(path)} is not in {StorePaths.Checkpoints(RunKey, attempt)}/. Fix: record the checkpoints the attempt uploaded");
        }
        if (attempt != S.Attempt || S.State != RunState.Running)
        {
            log.LogWarning("Run {Run}: rejected a checkpoint from stale attempt {Stale} (current {Attempt})", RunKey, attempt, S.Attempt);
            return false;
        }
        lastHeartbeat = time.GetUtcNow();
        if (S.CheckpointStep is null || step > S.CheckpointStep)
        {
            S.CheckpointStep = step;
            S.CheckpointPath = path;
            await Save();
        }
        return true;
    }

    public async Task<RunSnapshot> Complete(AttemptEnd end)
    {
        await FinishCommitIfPending();
        if (end.State == RunState.Succeeded && end.ResultJson is not null && AcceptsResult(end.Attempt))
        {
            if (end.Attempt != S.Attempt || S.State != RunState.Running)
            {
                log.LogInformation("Run {Run}: accepting the finished result of earlier attempt {Late} (current {Attempt}, {State})",
                    RunKey, end.Attempt, S.Attempt, S.State);
            }
            ResultFiles.Outcome(end.ResultJson, StorePaths.Result(RunKey)); // a malformed result fails here, before anything is written
            S.CommittingAttempt = end.Attempt;
            S.CommittingResult = end.ResultJson;
            await FinishCommit();
            return Snapshot();
        }
        if (end.Attempt != S.Attempt || S.State != RunState.Running)
        {
            // A stale attempt (or a retried report of one already recorded): nothing changes.
            if (end.Attempt != S.Attempt)
            {
                log.LogWarning("Run {Run}: rejected the end of stale attempt {Stale} (current {Attempt})", RunKey, end.Attempt, S.Attempt);
            }
            return Snapshot();
        }
        switch (end.State)
        {
            case RunState.Cancelled when S.CancelRequested:
                S.State = RunState.Cancelled;
                break;
            case RunState.Cancelled when S.YieldRequested:
                S.State = RunState.Pending; // it gave its slot away: not a lost attempt
                break;
            case RunState.Cancelled:
                // Stopped without a cancel request (its silo is shutting down): resume later, elsewhere.
                S.LostAttempts++;
                S.State = S.LostAttempts >= options.MaxLostAttempts ? RunState.Failed : RunState.Pending;
                break;
            default:
                S.FailedAttempts++;
                S.Error = end.Error ?? "the attempt failed without a message";
                S.State = S.FailedAttempts >= options.MaxFailedAttempts ? RunState.Failed : RunState.Pending;
                break;
        }
        S.Worker = null;
        S.WorkerSilo = null;
        S.YieldRequested = false;
        progress = null;
        await Save();
        log.LogInformation("Run {Run} attempt {Attempt} ended: {State}", RunKey, end.Attempt, S.State);
        return Snapshot();
    }

    public async Task<RunSnapshot> Supervise()
    {
        await FinishCommitIfPending();
        if (S.State == RunState.Running && LeaseLost())
        {
            S.LostAttempts++;
            log.LogWarning("Run {Run}: attempt {Attempt} on {Worker} lost (no heartbeat or its silo is dead); {Lost} lost so far",
                RunKey, S.Attempt, S.Worker, S.LostAttempts);
            S.State = S.CancelRequested ? RunState.Cancelled
                : S.LostAttempts >= options.MaxLostAttempts ? RunState.Failed
                : RunState.Pending;
            if (S.State == RunState.Failed)
            {
                S.Error = $"lost {S.LostAttempts} attempts with their silos";
            }
            S.Worker = null;
            S.WorkerSilo = null;
            S.YieldRequested = false;
            progress = null;
            await Save();
        }
        return Snapshot();
    }

    public async Task<RunSnapshot> RequestCancel()
    {
        if (S.State == RunState.Pending)
        {
            S.State = RunState.Cancelled;
            await Save();
        }
        else if (S.State == RunState.Running && !S.CancelRequested)
        {
            S.CancelRequested = true;
            await Save();
        }
        return Snapshot();
    }

    public async Task<bool> RequestYield(int attempt)
    {
        if (S.State != RunState.Running || attempt != S.Attempt || S.CancelRequested || S.CommittingAttempt is not null)
        {
            return false;
        }
        if (!S.YieldRequested)
        {
            S.YieldRequested = true;
            await Save();
            log.LogInformation("Run {Run} attempt {Attempt} asked to give its slot to a run that lost its silo", RunKey, attempt);
        }
        return true;
    }

    public Task<RunSnapshot> GetSnapshot() => Task.FromResult(Snapshot());

    private RunSnapshot Snapshot() => new(RunKey, S.State, S.Attempt, S.FailedAttempts, S.Worker, progress, S.CheckpointStep, S.Outcome, S.Error, S.LostAttempts, S.Version);

    private Task Save()
    {
        S.Version++;
        return state.WriteStateAsync();
    }

    private bool LeaseLost()
    {
        if (time.GetUtcNow() - lastHeartbeat > options.LeaseTimeout)
        {
            return true;
        }
        if (S.WorkerSilo is null)
        {
            return false;
        }
        var status = membership.CurrentSnapshot.GetSiloStatus(SiloAddress.FromParsableString(S.WorkerSilo));
        return status == SiloStatus.Dead;
    }

    /// <summary>A success of <paramref name="attempt"/> may be committed: the current attempt while it runs, or an earlier
    /// one while the run has no result (see the class remarks). Never while another commit is under way.</summary>
    private bool AcceptsResult(int attempt) =>
        S.CommittingAttempt is null && attempt >= 1 && attempt <= S.Attempt && S.State is RunState.Running or RunState.Pending;

    private async Task FinishCommitIfPending()
    {
        if (S.CommittingAttempt is not null)
        {
            await FinishCommit();
        }
    }

    /// <summary>
    /// Commits <see cref="RunGrainState.CommittingResult"/>: first the state is written as it is (the fence: a stale
    /// activation's ETag is refused with <see cref="InconsistentStateException"/>, which also deactivates it, and nothing
    /// was committed), then results/KEY.json is created once (if another result is already there, the first stands and
    /// the outcome is read from it), then the run is marked succeeded.
    /// </summary>
    private async Task FinishCommit()
    {
        int attempt = S.CommittingAttempt!.Value;
        string resultJson = S.CommittingResult!;
        await Save();
        string path = StorePaths.Result(RunKey);
        using (var content = new MemoryStream(Encoding.UTF8.GetBytes(resultJson)))
        {
            if (!await store.TryCreateAsync(path, content, CancellationToken.None))
            {
                log.LogInformation("Run {Run}: a result was already committed; keeping the first", RunKey);
                resultJson = await store.ReadTextAsync(path, CancellationToken.None) ?? resultJson;
            }
        }
        S.Outcome = ResultFiles.Outcome(resultJson, path);
        S.State = RunState.Succeeded;
        S.ResultAttempt = attempt;
        S.CommittingAttempt = null;
        S.CommittingResult = null;
        S.Error = null;
        S.Worker = null;
        S.WorkerSilo = null;
        progress = null;
        await Save();
        log.LogInformation("Run {Run}: committed the result of attempt {Attempt}", RunKey, attempt);
        await DeleteAbandonedAttempts();
    }

    /// <summary>Deletes the store folders of this run's attempts other than the committed one (lost, failed or
    /// overtaken attempts: their checkpoints are never read again). Only paths under runs/KEY/ are touched; best effort.</summary>
    private async Task DeleteAbandonedAttempts()
    {
        if (S.ResultAttempt is not int kept)
        {
            return;
        }
        string runPrefix = StorePaths.AttemptsPrefix(RunKey);
        string keptPrefix = StorePaths.Attempt(RunKey, kept) + "/";
        try
        {
            var abandoned = new List<string>();
            await foreach (string path in store.ListAsync(runPrefix, CancellationToken.None))
            {
                if (path.StartsWith(runPrefix, StringComparison.Ordinal) && !path.StartsWith(keptPrefix, StringComparison.Ordinal))
                {
                    abandoned.Add(path);
                }
            }
            foreach (string path in abandoned)
            {
                await store.DeleteAsync(path, CancellationToken.None);
            }
            if (abandoned.Count > 0)
            {
                log.LogInformation("Run {Run}: deleted {Count} files of abandoned attempts (kept attempt {Attempt})", RunKey, abandoned.Count, kept);
            }
        }
        catch (Exception e)
        {
            log.LogWarning(e, "Run {Run}: could not delete the files of abandoned attempts: {Message}", RunKey, e.Message);
        }
    }
}
