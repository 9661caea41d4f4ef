using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SemiSeg.Security;
using SemiSeg.Storage;

namespace SemiSeg.Grains;

[GenerateSerializer, Alias("semiseg.SweepRunEntry")]
public sealed class SweepRunEntry
{
    [Id(0)] public RunState State { get; set; } = RunState.Pending;
    [Id(1)] public double? Value { get; set; }
    [Id(2)] public double? WallSeconds { get; set; }
    [Id(3)] public string? Error { get; set; }
    [Id(4)] public int Attempts { get; set; }

    /// <summary>The run grain's version of the newest snapshot applied: older snapshots (e.g. a worker's report that
    /// arrives after a resubmit reset the run) are ignored.</summary>
    [Id(5)] public long Version { get; set; }
}

[GenerateSerializer, Alias("semiseg.SweepGrainState")]
public sealed class SweepGrainState
{
    [Id(0)] public string? ManifestSha256 { get; set; }
    [Id(1)] public SweepState State { get; set; }
    [Id(2)] public DateTimeOffset SubmittedAt { get; set; }
    [Id(3)] public DateTimeOffset? FinishedAt { get; set; }
    [Id(4)] public int ReusedResults { get; set; }

    /// <summary>Run key → its state in this sweep. A dictionary keyed by run key: a run is counted once.</summary>
    [Id(5)] public Dictionary<string, SweepRunEntry> Runs { get; set; } = [];
}

/// <summary>
/// One sweep (key: sweep id). Holds the run states; free worker slots pull runs from it (<see cref="TakeNext"/>), so
/// the cluster is never over-subscribed; a supervisor timer re-drives runs whose attempt was lost, so nothing depends
/// on a client staying connected. The expanded spec lives in the artifact store, the grain state holds run states.
/// </summary>
public sealed partial class SweepGrain(
    [PersistentState("sweep", StorageNames.GrainState)] IPersistentState<SweepGrainState> state,
    IArtifactStore store,
    OrchestrationOptions options,
    TimeProvider time,
    ILogger<SweepGrain> log) : Grain, ISweepGrain
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    private SweepGrainState S => state.State;
    private string SweepId => this.GetPrimaryKeyString();

    private SweepSpec? spec;
    private Dictionary<string, RunSpec> runSpecs = [];
    private readonly DispatchQueue queue = new();
    private readonly Dictionary<string, DateTimeOffset> dispatchedAt = [];
    private readonly Dictionary<string, RunSnapshot> active = [];

    /// <summary>Resumable runs (lost, failed, or with a checkpoint) waiting for a slot, and since when (see <see cref="SlotYielding"/>).</summary>
    private readonly Dictionary<string, DateTimeOffset> waitingSince = [];

    /// <summary>Runs asked to give their slot to a waiting resumable run, until they stop running.</summary>
    private readonly HashSet<string> yielding = [];

    /// <summary>Supervise calls that did not answer within their tick (a frozen silo): not asked again until they end.</summary>
    private readonly Dictionary<string, Task<RunSnapshot>> unanswered = [];
    private bool dirty;
    private IGrainTimer? supervisor;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        SafeNames.CheckSweepId(SweepId); // the grain key comes from the caller and names store paths
        if (state.RecordExists && S.ManifestSha256 is not null)
        {
            string? json = await store.ReadTextAsync(StorePaths.SweepSpec(SweepId), cancellationToken);
            if (json is null)
            {
                log.LogError("Sweep {Sweep}: its spec is missing from the store ({Store}); submit the manifest again", SweepId, store.Location);
                return;
            }
            var saved = JsonSerializer.Deserialize<SweepSpec>(json, Json)!;
            try
            {
                SpecRules.Validate(saved); // written by an older version, or edited in the store
            }
            catch (ArgumentException e)
            {
                log.LogError("Sweep {Sweep}: its spec in the store is refused ({Problem}); submit the manifest again", SweepId, e.Message);
                return;
            }
            Load(saved);
            foreach (var (key, entry) in S.Runs.Where(r => r.Value.State == RunState.Pending))
            {
                queue.Enqueue(key, resume: entry.Attempts > 0);
            }
            EnsureSupervisor();
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (dirty)
        {
            await state.WriteStateAsync(cancellationToken);
        }
    }

    public async Task<SweepStatus> Submit(SweepSpec submitted)
    {
        SpecRules.Validate(submitted);
        if (submitted.SweepId != SweepId)
        {
            throw new ArgumentException($"sweep id '{submitted.SweepId}' submitted to grain '{SweepId}'");
        }
        await store.WriteTextAsync(StorePaths.SweepSpec(SweepId), JsonSerializer.Serialize(submitted, Json), CancellationToken.None);
        await store.WriteTextAsync(StorePaths.SweepManifest(SweepId), submitted.ManifestText, CancellationToken.None);
        Load(submitted);
        if (!state.RecordExists || S.ManifestSha256 is null)
        {
            S.SubmittedAt = time.GetUtcNow();
        }
        S.ManifestSha256 = submitted.ManifestSha256;
        S.State = SweepState.Running;
        S.FinishedAt = null;

        // Results in the store are the source of truth: a run with a committed result is done, whoever ran it.
        var committed = new HashSet<string>();
        await foreach (string path in store.ListAsync(StorePaths.ResultsPrefix, CancellationToken.None))
        {
            committed.Add(Path.GetFileNameWithoutExtension(path));
        }
        var runs = new Dictionary<string, SweepRunEntry>();
        var toPrepare = new List<string>();
        S.ReusedResults = 0;
        foreach (var run in submitted.Runs)
        {
            var entry = S.Runs.GetValueOrDefault(run.RunKey) ?? new SweepRunEntry();
            runs[run.RunKey] = entry;
            if (committed.Contains(run.RunKey))
            {
                S.ReusedResults++;
                if (entry.State != RunState.Succeeded || entry.Value is null)
                {
                    string? json = await store.ReadTextAsync(StorePaths.Result(run.RunKey), CancellationToken.None);
                    entry.State = RunState.Succeeded;
                    entry.Value = json is null ? null : ResultFiles.Metric(json, submitted.Report.Metric);
                    entry.WallSeconds = json is null ? null : ResultFiles.Metric(json, "wall_seconds");
                }
            }
            else
            {
                toPrepare.Add(run.RunKey);
            }
        }
        S.Runs = runs;

        // Failed and cancelled runs run again; runs already running (a resubmit, or shared with another sweep) go on.
        ClearQueue();
        foreach (var chunk in toPrepare.Chunk(256))
        {
            var snapshots = await Task.WhenAll(chunk.Select(key => GrainFactory.GetGrain<IRunGrain>(key).Prepare(resultInStore: false)));
            foreach (var snapshot in snapshots)
            {
                var entry = S.Runs[snapshot.RunKey];
                entry.State = snapshot.State;
                entry.Error = null;
                entry.Attempts = snapshot.Attempt;
                entry.Version = Math.Max(entry.Version, snapshot.Version);
                if (snapshot.State == RunState.Pending)
                {
                    queue.Enqueue(snapshot.RunKey, resume: snapshot.Attempt > 0 || snapshot.CheckpointStep is not null);
                }
                else if (snapshot.State == RunState.Running)
                {
                    active[snapshot.RunKey] = snapshot;
                }
            }
        }
        await FinishIfDone();
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<ISweepDirectoryGrain>(0).SetActive(SweepId, S.State == SweepState.Running);
        EnsureSupervisor();
        log.LogInformation("Sweep {Sweep}: {Runs} runs, {Reused} reused from the store, {Queued} queued", SweepId, S.Runs.Count, S.ReusedResults, queue.Count);
        return Status();
    }

    public Task<RunTicket?> TakeNext(WorkerSlot slot)
    {
        if (S.State != SweepState.Running)
        {
            return Task.FromResult<RunTicket?>(null);
        }
        while (queue.TryDequeue(out string key))
        {
            if (S.Runs.TryGetValue(key, out var entry) && entry.State == RunState.Pending)
            {
                // Running from the sweep's point of view until the run grain says otherwise (supervision checks it).
                entry.State = RunState.Running;
                dispatchedAt[key] = time.GetUtcNow();
                waitingSince.Remove(key);
                dirty = true;
                return Task.FromResult<RunTicket?>(new RunTicket(SweepId, key, runSpecs[key].ConfigJson));
            }
        }
        return Task.FromResult<RunTicket?>(null);
    }

    public async Task OnRunChanged(RunSnapshot snapshot)
    {
        await Apply(snapshot);
        await FinishIfDone();
    }

    public async Task<SweepStatus> Cancel()
    {
        if (S.State == SweepState.Running)
        {
            S.State = SweepState.Cancelled;
            ClearQueue();
            var open = S.Runs.Where(r => !r.Value.State.IsTerminal()).Select(r => r.Key).ToList();
            foreach (var chunk in open.Chunk(256))
            {
                foreach (var snapshot in await Task.WhenAll(chunk.Select(key => GrainFactory.GetGrain<IRunGrain>(key).RequestCancel())))
                {
                    await Apply(snapshot);
                }
            }
            await FinishIfDone();
            await state.WriteStateAsync();
            dirty = false;
            log.LogInformation("Sweep {Sweep} cancelled; {Running} running runs are being stopped", SweepId, active.Count);
        }
        return Status();
    }

    public Task<SweepStatus> GetStatus() => Task.FromResult(Status());

    public Task<SweepResults> GetResults()
    {
        var report = spec?.Report ?? new ReportSpec([], [], "value");
        var rows = (spec?.Runs ?? []).Select(run =>
        {
            var entry = S.Runs.GetValueOrDefault(run.RunKey) ?? new SweepRunEntry();
            return new RunRow(run.RunKey, run.CellKey, run.Seed, run.Labels, entry.State, entry.Value, entry.WallSeconds, entry.Error, entry.Attempts);
        }).ToArray();
        return Task.FromResult(new SweepResults(SweepId, S.State, report, rows));
    }

    private void Load(SweepSpec loaded)
    {
        spec = loaded;
        runSpecs = loaded.Runs.ToDictionary(r => r.RunKey);
    }

    private async Task Apply(RunSnapshot snapshot)
    {
        if (!S.Runs.TryGetValue(snapshot.RunKey, out var entry) || snapshot.Version < entry.Version)
        {
            return; // not a run of this sweep, or an old snapshot overtaken by a newer one
        }
        if (snapshot.State == RunState.Pending && dispatchedAt.TryGetValue(snapshot.RunKey, out var at) && time.GetUtcNow() - at < options.LeaseTimeout
            && !active.ContainsKey(snapshot.RunKey))
        {
            return; // dispatched a moment ago; the worker has not called Begin yet
        }
        var previous = entry.State;
        entry.Version = snapshot.Version;
        entry.State = snapshot.State;
        entry.Attempts = snapshot.Attempt;
        entry.Error = snapshot.Error;
        if (snapshot.State == RunState.Succeeded && snapshot.Outcome is { } outcome && previous != RunState.Succeeded)
        {
            entry.WallSeconds = outcome.WallSeconds;
            entry.Value = spec?.Report.Metric is null or "value" ? outcome.Value
                : await store.ReadTextAsync(outcome.ResultPath, CancellationToken.None) is string json ? ResultFiles.Metric(json, spec.Report.Metric) : null;
        }
        if (snapshot.State == RunState.Running)
        {
            active[snapshot.RunKey] = snapshot;
        }
        bool gaveWay = false;
        if (snapshot.State != RunState.Running)
        {
            active.Remove(snapshot.RunKey);
            dispatchedAt.Remove(snapshot.RunKey);
            gaveWay = yielding.Remove(snapshot.RunKey);
        }
        if (snapshot.State == RunState.Pending && previous != RunState.Pending)
        {
            if (S.State == SweepState.Running)
            {
                queue.Enqueue(snapshot.RunKey, resume: true); // lost or failed: it continues at the next free slot
                if (!gaveWay)
                {
                    waitingSince[snapshot.RunKey] = time.GetUtcNow(); // a run that gave its slot away never takes another's
                }
            }
            else
            {
                entry.State = RunState.Cancelled; // lost while the sweep was being cancelled
            }
        }
        dirty |= previous != entry.State || snapshot.State.IsTerminal();
    }

    private async Task FinishIfDone()
    {
        if (S.FinishedAt is not null || S.Runs.Values.Any(r => !r.State.IsTerminal()))
        {
            return;
        }
        if (S.State == SweepState.Running)
        {
            S.State = SweepState.Completed;
        }
        S.FinishedAt = time.GetUtcNow();
        await state.WriteStateAsync(); // the end is saved at once, not at the next supervisor tick
        dirty = false;
        var results = await GetResults();
        await store.WriteTextAsync($"{StorePaths.SweepReport(SweepId)}/results.json", JsonSerializer.Serialize(results, Json), CancellationToken.None);
        await GrainFactory.GetGrain<ISweepDirectoryGrain>(0).SetActive(SweepId, false);
        var counts = Counts();
        log.LogInformation("Sweep {Sweep} {State}: {Succeeded} succeeded, {Failed} failed, {Cancelled} cancelled",
            SweepId, S.State, counts.Succeeded, counts.Failed, counts.Cancelled);
    }

    private void EnsureSupervisor()
    {
        supervisor ??= this.RegisterGrainTimer(Supervise, new GrainTimerCreationOptions
        {
            DueTime = options.SupervisorInterval,
            Period = options.SupervisorInterval,
            KeepAlive = true,
        });
    }

    /// <summary>
    /// Asks each running run's grain whether its attempt is alive; lost ones go back to the queue. Each tick waits at
    /// most <see cref="OrchestrationOptions.SuperviseCallTimeout"/> for the answers: a run whose grain does not answer
    /// (its silo is frozen) is skipped this tick and not asked again until its call ends, so one slow silo cannot hold
    /// the sweep (status and dispatch interleave with the tick anyway, see <see cref="ISweepGrain.GetStatus"/>).
    /// </summary>
    private async Task Supervise(CancellationToken cancellation)
    {
        foreach (var (key, call) in unanswered.Where(u => u.Value.IsCompleted).ToList())
        {
            unanswered.Remove(key);
            _ = call.Exception; // observed; its answer is old by now, the next tick asks again
        }
        var running = S.Runs.Where(r => r.Value.State == RunState.Running && !unanswered.ContainsKey(r.Key)).Select(r => r.Key).ToList();
        foreach (var chunk in running.Chunk(256))
        {
            var calls = chunk.Select(key => (Key: key, Call: GrainFactory.GetGrain<IRunGrain>(key).Supervise())).ToList();
            try
            {
                await Task.WhenAll(calls.Select(c => c.Call)).WaitAsync(options.SuperviseCallTimeout, time, cancellation);
            }
            catch (Exception) when (!cancellation.IsCancellationRequested)
            {
                // Timeouts and failures are handled per run below.
            }
            foreach (var (key, call) in calls)
            {
                if (call.IsCompletedSuccessfully)
                {
                    await Apply(call.Result);
                }
                else if (call.IsFaulted)
                {
                    log.LogWarning("Sweep {Sweep}: supervising run {Run} failed ({Message}); asking again next tick", SweepId, key, call.Exception!.GetBaseException().Message);
                }
                else
                {
                    unanswered[key] = call;
                    log.LogWarning("Sweep {Sweep}: run {Run} did not answer supervision within {Timeout}; skipped until it does", SweepId, key, options.SuperviseCallTimeout);
                }
            }
        }
        await AskYoungRunsToYield(cancellation);
        await FinishIfDone();
        if (dirty)
        {
            await state.WriteStateAsync(cancellation);
            dirty = false;
        }
        if (S.FinishedAt is not null && active.Count == 0)
        {
            supervisor?.Dispose();
            supervisor = null;
        }
    }

    /// <summary>Resumable runs that waited too long for a slot take those of runs that have only just started.</summary>
    private async Task AskYoungRunsToYield(CancellationToken cancellation)
    {
        if (S.State != SweepState.Running || waitingSince.Count == 0)
        {
            return;
        }
        var now = time.GetUtcNow();
        var candidates = active.Values
            .Where(run => run.State == RunState.Running && dispatchedAt.ContainsKey(run.RunKey) && !yielding.Contains(run.RunKey))
            .Select(run => new YieldCandidate(run.RunKey, dispatchedAt[run.RunKey], run.Attempt))
            .ToDictionary(c => c.RunKey);
        foreach (string key in SlotYielding.Choose(waitingSince.Values, yielding.Count, candidates.Values, now, options.YieldAfter, options.YieldWindow))
        {
            var run = candidates[key]; // taken before the awaits below, which let status and dispatch calls in
            try
            {
                if (await GrainFactory.GetGrain<IRunGrain>(key).RequestYield(run.Attempt).WaitAsync(options.SuperviseCallTimeout, time, cancellation))
                {
                    yielding.Add(key);
                    AskedToYield(log, SweepId, key, run.Attempt, (now - run.StartedAt).TotalSeconds);
                }
            }
            catch (Exception e) when (!cancellation.IsCancellationRequested)
            {
                log.LogWarning("Sweep {Sweep}: asking run {Run} to yield its slot failed ({Message}); asking again next tick", SweepId, key, e.GetBaseException().Message);
            }
        }
    }

    private void ClearQueue()
    {
        queue.Clear();
        waitingSince.Clear();
        yielding.Clear();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep {Sweep}: run {Run} (attempt {Attempt}, started {Seconds:F0} s ago) gives its slot to a run that lost its silo")]
    private static partial void AskedToYield(ILogger logger, string sweep, string run, int attempt, double seconds);

    private RunCounts Counts()
    {
        int Count(RunState s) => S.Runs.Values.Count(r => r.State == s);
        return new RunCounts(S.Runs.Count, Count(RunState.Pending), Count(RunState.Running), Count(RunState.Succeeded), Count(RunState.Failed), Count(RunState.Cancelled));
    }

    private SweepStatus Status() =>
        new(SweepId, S.State, Counts(), active.Values.OrderBy(s => s.RunKey, StringComparer.Ordinal).ToArray(), S.SubmittedAt, S.FinishedAt, S.ReusedResults);
}
