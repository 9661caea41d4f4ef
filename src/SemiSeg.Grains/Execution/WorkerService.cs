using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly;
using SemiSeg.Security;
using SemiSeg.Storage;

namespace SemiSeg.Grains.Execution;

/// <summary>A worker silo's execution slots: GPU device ids (one run each) or CPU slots.</summary>
public sealed class WorkerOptions
{
    /// <summary>Name shown in progress and logs (default: the machine name and process id).</summary>
    public string Name { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>One entry per slot: "cpu" or "cuda:N". Empty: this silo runs nothing (a coordinator).</summary>
    public List<string> Devices { get; set; } = [];

    /// <summary>Local folder for attempts' working files.</summary>
    public string WorkDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "semiseg-work");

    /// <summary>How long an idle slot waits before asking for work again.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Keep attempt folders after the run (for debugging); by default they are deleted once stored.</summary>
    public bool KeepWorkFiles { get; set; }

    public static List<string> CpuSlots(int count) => Enumerable.Repeat("cpu", count).ToList();

    public static List<string> Gpus(IEnumerable<int> ids) => ids.Select(id => $"cuda:{id}").ToList();
}

/// <summary>
/// Runs on every worker silo: each slot pulls a run from an active sweep when it is free (so no slot ever holds two
/// runs), claims an attempt from the run grain, executes it off the grain scheduler, heartbeats, uploads checkpoints
/// and results to the store, and reports the end. A slot whose heartbeat is answered "stale" or "cancel" kills its
/// attempt at once.
/// </summary>
public sealed partial class WorkerService(
    IGrainFactory grains,
    ILocalSiloDetails silo,
    IRunExecutor executor,
    IArtifactStore store,
    WorkerOptions worker,
    OrchestrationOptions options,
    TimeProvider time,
    ILogger<WorkerService> log) : BackgroundService
{
    // Grain calls from a worker are retried on transient cluster errors; every command they carry is idempotent.
    private readonly ResiliencePipeline calls = new ResiliencePipelineBuilder()
        .AddRetry(new Polly.Retry.RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<TimeoutException>().Handle<OrleansMessageRejectionException>().Handle<SiloUnavailableException>(),
            MaxRetryAttempts = 5,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(200),
        })
        .Build();

    private string[] activeSweeps = [];
    private DateTimeOffset sweepsFetchedAt = DateTimeOffset.MinValue;
    private int roundRobin;

    protected override Task ExecuteAsync(CancellationToken stopping)
    {
        if (worker.Devices.Count == 0)
        {
            return Task.CompletedTask;
        }
        log.LogInformation("Worker {Worker}: {Slots} slots ({Devices})", worker.Name, worker.Devices.Count, string.Join(", ", worker.Devices));
        return Task.WhenAll(worker.Devices.Select((device, i) => Task.Run(() => SlotLoop(new WorkerSlot(silo.SiloAddress, worker.Name, i, device), stopping), CancellationToken.None)));
    }

    private async Task SlotLoop(WorkerSlot slot, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var ticket = await NextTicket(slot);
                if (ticket is null)
                {
                    await Task.Delay(worker.PollInterval, time, stopping);
                    continue;
                }
                await RunTicket(ticket, slot, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogWarning(e, "{Slot}: {Message}; retrying shortly", slot, e.Message);
                await Task.Delay(worker.PollInterval, time, CancellationToken.None);
            }
        }
    }

    private async Task<RunTicket?> NextTicket(WorkerSlot slot)
    {
        if (time.GetUtcNow() - sweepsFetchedAt > TimeSpan.FromSeconds(1))
        {
            activeSweeps = await grains.GetGrain<ISweepDirectoryGrain>(0).GetActive();
            sweepsFetchedAt = time.GetUtcNow();
        }
        var sweeps = activeSweeps;
        int start = Interlocked.Increment(ref roundRobin);
        for (int i = 0; i < sweeps.Length; i++)
        {
            string id = sweeps[(int)((uint)(start + i) % (uint)sweeps.Length)];
            if (await grains.GetGrain<ISweepGrain>(id).TakeNext(slot) is { } ticket)
            {
                return ticket;
            }
        }
        return null;
    }

    private async Task RunTicket(RunTicket ticket, WorkerSlot slot, CancellationToken stopping)
    {
        // The key names this run's work folder (created, then deleted recursively): only ever a key the rules allow.
        if (SafeNames.KeyProblem(ticket.RunKey) is not null || SafeNames.SweepIdProblem(ticket.SweepId) is not null)
        {
            RefusedTicket(log, slot, SafeNames.Show(ticket.SweepId), SafeNames.Show(ticket.RunKey));
            return;
        }
        var run = grains.GetGrain<IRunGrain>(ticket.RunKey);
        var sweep = grains.GetGrain<ISweepGrain>(ticket.SweepId);
        var begin = await calls.ExecuteAsync(async _ => await run.Begin(ticket.ConfigJson, slot), stopping);
        if (begin.Kind != BeginKind.Started)
        {
            await sweep.OnRunChanged(begin.Snapshot); // finished, or another live attempt owns it
            return;
        }

        int attempt = begin.Attempt;
        string runDirectory = ConfinedPaths.Combine(worker.WorkDirectory, ticket.RunKey);
        string workDirectory = Path.Combine(runDirectory, $"attempt-{attempt}");
        using var kill = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var reporter = new Reporter(store, run, StorePaths.Attempt(ticket.RunKey, attempt), attempt, kill);
        string? resume = begin.ResumeCheckpoint;
        if (resume is not null && !StorePaths.IsCheckpointOf(ticket.RunKey, resume))
        {
            RefusedCheckpoint(log, ticket.RunKey, SafeNames.Show(resume));
            resume = null;
        }
        if (resume is not null)
        {
            await DownloadCheckpoint(resume, workDirectory, stopping);
        }
        using var heartbeats = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var heartbeat = Heartbeats(run, attempt, reporter, kill, heartbeats.Token);
        var outcome = await executor.ExecuteAsync(new RunExecution(ticket.RunKey, attempt, ticket.ConfigJson, slot, resume, workDirectory), reporter, kill.Token);
        await heartbeats.CancelAsync();
        await heartbeat;

        if (reporter.Stale)
        {
            log.LogWarning("{Run}: attempt {Attempt} is stale (the run moved on); its outcome is dropped", ticket.RunKey, attempt);
            return;
        }
        string prefix = StorePaths.Attempt(ticket.RunKey, attempt);
        foreach (string file in outcome.Files)
        {
            await store.UploadFileAsync($"{prefix}/{Path.GetFileName(file)}", file, CancellationToken.None);
        }
        var end = new AttemptEnd(attempt, outcome.State, outcome.ResultJson, outcome.Error);
        var snapshot = await calls.ExecuteAsync(async _ => await run.Complete(end), CancellationToken.None);
        await calls.ExecuteAsync(async _ => await sweep.OnRunChanged(snapshot), CancellationToken.None);
        if (!worker.KeepWorkFiles && snapshot.State.IsTerminal())
        {
            TryDelete(runDirectory);
        }
    }

    private async Task Heartbeats(IRunGrain run, int attempt, Reporter reporter, CancellationTokenSource kill, CancellationToken stop)
    {
        var lastAnswer = time.GetUtcNow();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.HeartbeatInterval, time, stop);
                var reply = await run.Heartbeat(attempt, reporter.LatestProgress);
                lastAnswer = time.GetUtcNow();
                if (reply != HeartbeatReply.Continue)
                {
                    reporter.Stale = reply == HeartbeatReply.Stale;
                    log.LogInformation("Run {Run} attempt {Attempt}: {Reply}, stopping it", run.GetPrimaryKeyString(), attempt, reply);
                    await kill.CancelAsync();
                    return;
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Cut off from the cluster for longer than a lease: the run has surely moved on; stop writing.
                if (time.GetUtcNow() - lastAnswer > options.LeaseTimeout)
                {
                    reporter.Stale = true;
                    log.LogWarning("Run {Run} attempt {Attempt}: no heartbeat answer for {Timeout}; stopping it", run.GetPrimaryKeyString(), attempt, options.LeaseTimeout);
                    await kill.CancelAsync();
                    return;
                }
            }
        }
    }

    private async Task DownloadCheckpoint(string storePath, string workDirectory, CancellationToken cancellation)
    {
        string checkpoints = Path.Combine(workDirectory, "out", "checkpoints");
        Directory.CreateDirectory(checkpoints);
        if (!await store.DownloadFileAsync(storePath, Path.Combine(checkpoints, Path.GetFileName(storePath)), cancellation))
        {
            log.LogWarning("Checkpoint {Checkpoint} is missing from the store; the run starts over", storePath);
            return;
        }
        string metrics = $"{storePath[..storePath.LastIndexOf('/')]}/metrics.jsonl";
        await store.DownloadFileAsync(metrics, Path.Combine(workDirectory, "out", "metrics.jsonl"), cancellation);
    }

    /// <summary>Deletes a folder of this worker's, never anything outside its work folder.</summary>
    private void TryDelete(string directory)
    {
        if (ConfinedPaths.TryDeleteDirectory(worker.WorkDirectory, directory) is string problem)
        {
            NotDeleted(log, problem);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Slot}: refused a ticket of sweep {Sweep} for run {Run}: not a valid sweep id and run key")]
    private static partial void RefusedTicket(ILogger logger, WorkerSlot slot, string sweep, string run);

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {Run}: refused to resume from {Checkpoint}: not a checkpoint of this run; the attempt starts over")]
    private static partial void RefusedCheckpoint(ILogger logger, string run, string checkpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Work files: {Problem}")]
    private static partial void NotDeleted(ILogger logger, string problem);

    private sealed class Reporter(IArtifactStore store, IRunGrain run, string attemptPrefix, int attempt, CancellationTokenSource kill) : IExecutionReporter
    {
        public volatile bool Stale;

        public RunProgress? LatestProgress { get; private set; }

        public void Progress(RunProgress progress) => LatestProgress = progress;

        public async Task CheckpointAsync(int step, string localFile, IReadOnlyList<string> companions)
        {
            // Every attempt uploads into its own folder; only the run grain's accepted path is ever resumed from.
            string prefix = $"{attemptPrefix}/checkpoints";
            string path = $"{prefix}/{Path.GetFileName(localFile)}";
            await store.UploadFileAsync(path, localFile, kill.Token);
            foreach (string companion in companions.Where(File.Exists))
            {
                await store.UploadFileAsync($"{prefix}/{Path.GetFileName(companion)}", companion, kill.Token);
            }
            if (!await run.RecordCheckpoint(attempt, step, path))
            {
                Stale = true;
                await kill.CancelAsync();
            }
        }
    }
}
