using System.Text;
using Microsoft.Extensions.Logging;
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
}

/// <summary>
/// One run, keyed by its content key. The attempt number is a fencing token: every begin makes a new one, and
/// heartbeats, checkpoints and results that carry an older one are rejected, so a worker that lost its lease (its silo
/// was declared dead, or it stopped heartbeating) can never overwrite what a newer attempt did. A result is committed
/// to the artifact store create-if-absent, so it is recorded exactly once.
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

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        SafeNames.CheckRunKey(RunKey); // the grain key comes from the caller and names store paths and work folders
        return Task.CompletedTask;
    }

    public async Task<RunSnapshot> Prepare(bool resultInStore)
    {
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
            S.Error = null;
            S.CancelRequested = false;
            await state.WriteStateAsync();
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
        S.Worker = worker;
        S.WorkerSilo = slot.Silo.ToParsableString();
        S.Error = null;
        progress = null;
        lastHeartbeat = time.GetUtcNow();
        await state.WriteStateAsync();
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
        return Task.FromResult(S.CancelRequested ? HeartbeatReply.Cancel : HeartbeatReply.Continue);
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
            await state.WriteStateAsync();
        }
        return true;
    }

    public async Task<RunSnapshot> Complete(AttemptEnd end)
    {
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
            case RunState.Succeeded when end.ResultJson is not null:
                S.Outcome = ResultFiles.Outcome(end.ResultJson, StorePaths.Result(RunKey));
                await CommitResult(end.ResultJson);
                S.State = RunState.Succeeded;
                break;
            case RunState.Cancelled when S.CancelRequested:
                S.State = RunState.Cancelled;
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
        progress = null;
        await state.WriteStateAsync();
        log.LogInformation("Run {Run} attempt {Attempt} ended: {State}", RunKey, end.Attempt, S.State);
        return Snapshot();
    }

    public async Task<RunSnapshot> Supervise()
    {
        if (S.State == RunState.Running && LeaseLost())
        {
            S.LostAttempts++;
            log.LogWarning("Run {Run}: attempt {Attempt} on {Worker} lost (no heartbeat or its silo is dead); {Lost} lost so far",
                RunKey, S.Attempt, S.Worker, S.LostAttempts);
            S.State = S.LostAttempts >= options.MaxLostAttempts ? RunState.Failed : RunState.Pending;
            if (S.State == RunState.Failed)
            {
                S.Error = $"lost {S.LostAttempts} attempts with their silos";
            }
            S.Worker = null;
            S.WorkerSilo = null;
            progress = null;
            await state.WriteStateAsync();
        }
        return Snapshot();
    }

    public async Task<RunSnapshot> RequestCancel()
    {
        if (S.State == RunState.Pending)
        {
            S.State = RunState.Cancelled;
            await state.WriteStateAsync();
        }
        else if (S.State == RunState.Running && !S.CancelRequested)
        {
            S.CancelRequested = true;
            await state.WriteStateAsync();
        }
        return Snapshot();
    }

    public Task<RunSnapshot> GetSnapshot() => Task.FromResult(Snapshot());

    private RunSnapshot Snapshot() => new(RunKey, S.State, S.Attempt, S.FailedAttempts, S.Worker, progress, S.CheckpointStep, S.Outcome, S.Error, S.LostAttempts);

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

    /// <summary>Writes results/KEY.json once. If it is already there (a retried commit, or a run shared by sweeps)
    /// the first one stands.</summary>
    private async Task CommitResult(string resultJson)
    {
        using var content = new MemoryStream(Encoding.UTF8.GetBytes(resultJson));
        if (!await store.TryCreateAsync(StorePaths.Result(RunKey), content, CancellationToken.None))
        {
            log.LogInformation("Run {Run}: a result was already committed; keeping the first", RunKey);
        }
    }
}
