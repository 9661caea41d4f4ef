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

    /// <summary>When a trainer that stopped making progress is killed as hung.</summary>
    public StallOptions Stall { get; set; } = new();

    /// <summary>The longest wait between two tries to deliver a finished attempt (retries start at 1 s and double).</summary>
    public TimeSpan MaxDeliveryDelay { get; set; } = TimeSpan.FromSeconds(30);

    public static List<string> CpuSlots(int count) => Enumerable.Repeat("cpu", count).ToList();

    public static List<string> Gpus(IEnumerable<int> ids) => ids.Select(id => $"cuda:{id}").ToList();
}

/// <summary>
/// Runs on every worker silo: each slot pulls a run from an active sweep when it is free (so no slot ever holds two
/// runs), claims an attempt from the run grain, executes it off the grain scheduler, heartbeats, uploads checkpoints
/// and results to the store, and reports the end. A slot whose heartbeat is answered "stale" or "cancel" kills its
/// attempt at once; an attempt whose trainer stops making progress is killed as hung (<see cref="StallDetector"/>) and
/// reported as a failed attempt, so the run resumes from its last checkpoint.
/// </summary>
/// <remarks>
/// Nothing finished is thrown away because storage is briefly away: a finished attempt's outcome, files and newest
/// checkpoint are delivered with retries (1 s doubling to <see cref="WorkerOptions.MaxDeliveryDelay"/>) while the slot
/// keeps heartbeating, so the run stays running and is not declared lost. A success is also written to the outbox
/// (<see cref="Outbox"/>, WORK/outbox) first and delivered at the next start if the worker stops before the store
/// is back. Checkpoint uploads that fail are retried with the next checkpoint or at the end; only a checkpoint the run
/// grain recorded is ever resumed from.
/// </remarks>
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

    private readonly Outbox outbox = new(worker.WorkDirectory);
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
        var redeliveries = ResumeOutbox(stopping);
        var slots = worker.Devices.Select((device, i) => Task.Run(() => SlotLoop(new WorkerSlot(silo.SiloAddress, worker.Name, i, device), stopping), CancellationToken.None));
        return Task.WhenAll(slots.Concat(redeliveries));
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

        using var attempt = new RunningAttempt(ticket, begin.Attempt, AttemptFolder(ticket.RunKey, begin.Attempt), worker.Stall, time, stopping, log);
        attempt.Uploads = new CheckpointUploads(store, run, StorePaths.Attempt(ticket.RunKey, attempt.Number), attempt.Number, attempt.MarkStale);
        using var stopHeartbeats = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        // Heartbeats start before the checkpoint download: a slow download is not a lost attempt.
        var heartbeats = Heartbeats(run, attempt, stopHeartbeats.Token);
        bool keepFolder = false;
        try
        {
            var outcome = await Execute(attempt, begin, slot);
            if (attempt.Stale && outcome.State != RunState.Succeeded)
            {
                log.LogWarning("{Run}: attempt {Attempt} is stale (the run moved on); its outcome is dropped", ticket.RunKey, attempt.Number);
                return;
            }
            if (outcome.State == RunState.Failed)
            {
                // The operator sees why on the worker too, not only in `status` (the error is redacted already).
                LogAttemptFailed(log, ticket.RunKey, attempt.Number, outcome.Error ?? "no error given");
            }
            keepFolder = !await Deliver(attempt, outcome, run, sweep, stopping);
        }
        finally
        {
            await stopHeartbeats.CancelAsync();
            await heartbeats;
            if (!keepFolder && !worker.KeepWorkFiles)
            {
                DeleteAttemptFolder(ticket.RunKey, attempt.Number);
            }
        }
    }

    /// <summary>Downloads the checkpoint to resume from and runs the attempt; a hung trainer's end becomes a failure.</summary>
    private async Task<ExecutionOutcome> Execute(RunningAttempt attempt, BeginReply begin, WorkerSlot slot)
    {
        string runKey = attempt.Ticket.RunKey;
        string? resume = begin.ResumeCheckpoint;
        if (resume is not null && !StorePaths.IsCheckpointOf(runKey, resume))
        {
            RefusedCheckpoint(log, runKey, SafeNames.Show(resume));
            resume = null;
        }
        if (resume is not null)
        {
            try
            {
                await DownloadCheckpoint(resume, attempt.Folder, attempt.Kill.Token);
            }
            catch (Exception e) when (!attempt.Kill.IsCancellationRequested)
            {
                // The store is away: hand the run back (a lost attempt: it goes to the front of the queue).
                LogResumeDownloadFailed(log, runKey, attempt.Number, resume, e.Message);
                return ExecutionOutcome.Cancelled();
            }
            catch (OperationCanceledException)
            {
                return ExecutionOutcome.Cancelled();
            }
        }
        var outcome = await executor.ExecuteAsync(new RunExecution(runKey, attempt.Number, attempt.Ticket.ConfigJson, slot, resume, attempt.Folder), attempt, attempt.Kill.Token);
        if (attempt.StallReason is string stalled)
        {
            return new ExecutionOutcome(RunState.Failed, null, stalled, outcome.Files);
        }
        if (outcome.State == RunState.Succeeded && ResultProblem(outcome.ResultJson) is string problem)
        {
            return new ExecutionOutcome(RunState.Failed, null, $"the trainer's result.json cannot be read ({problem})", outcome.Files);
        }
        return outcome;
    }

    /// <summary>Reports a finished attempt. Returns false when it is left in the outbox (the worker is stopping).</summary>
    private async Task<bool> Deliver(RunningAttempt attempt, ExecutionOutcome outcome, IRunGrain run, ISweepGrain sweep, CancellationToken stopping)
    {
        attempt.Finishing = true;
        var newest = attempt.Uploads!.Newest;
        var entry = new OutboxEntry(attempt.Ticket.SweepId, attempt.Ticket.RunKey, attempt.Number, outcome.State, outcome.ResultJson, outcome.Error,
            outcome.Files, newest?.File, newest?.Step);
        if (outcome.State == RunState.Cancelled)
        {
            // Cancelled, or stopped with its silo: reported once; if that fails the lease runs out and the run is re-queued.
            try
            {
                var snapshot = await calls.ExecuteAsync(async _ => await run.Complete(entry.End), CancellationToken.None);
                await calls.ExecuteAsync(async _ => await sweep.OnRunChanged(snapshot), CancellationToken.None);
            }
            catch (Exception e)
            {
                log.LogWarning("{Run}: could not report the end of cancelled attempt {Attempt}: {Message}", entry.RunKey, entry.Attempt, e.Message);
            }
            return true;
        }
        // A success waits in the outbox until it is delivered, across a restart of this worker if need be; a failure
        // is retried while this attempt is current (it only moves the run on to another attempt).
        bool durable = outcome.State == RunState.Succeeded;
        if (durable)
        {
            outbox.Save(entry);
        }
        bool delivered = await DeliverWithRetries(entry, attempt.Uploads, run, sweep, giveUp: () => !durable && attempt.Stale, stopping);
        if (delivered && durable)
        {
            outbox.Remove(entry);
        }
        return delivered || !durable;
    }

    /// <summary>Uploads the newest checkpoint and the attempt's files, then reports the end, retrying everything with
    /// backoff until it went through. False when stopped (or given up) first.</summary>
    private async Task<bool> DeliverWithRetries(OutboxEntry entry, CheckpointUploads uploads, IRunGrain run, ISweepGrain sweep, Func<bool> giveUp, CancellationToken stopping)
    {
        string prefix = StorePaths.Attempt(entry.RunKey, entry.Attempt);
        var uploaded = new HashSet<string>(StringComparer.Ordinal);
        var delay = TimeSpan.FromSeconds(1);
        for (int tries = 1; ; tries++)
        {
            try
            {
                await uploads.FlushAsync(stopping);
                foreach (string file in entry.Files.Where(f => !uploaded.Contains(f)))
                {
                    if (File.Exists(file))
                    {
                        await store.UploadFileAsync($"{prefix}/{Path.GetFileName(file)}", file, stopping);
                    }
                    uploaded.Add(file);
                }
                var snapshot = await run.Complete(entry.End);
                await sweep.OnRunChanged(snapshot);
                if (tries > 1)
                {
                    LogDelivered(log, entry.RunKey, entry.Attempt, entry.State, tries);
                }
                return true;
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                if (giveUp())
                {
                    log.LogWarning("{Run}: attempt {Attempt} is stale (the run moved on); its {State} end is dropped", entry.RunKey, entry.Attempt, entry.State);
                    return false;
                }
                LogDeliveryRetry(log, entry.RunKey, entry.Attempt, entry.State, tries, delay.TotalSeconds, e.GetBaseException().Message);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            try
            {
                await Task.Delay(delay, time, stopping);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            delay = delay * 2 < worker.MaxDeliveryDelay ? delay * 2 : worker.MaxDeliveryDelay;
        }
    }

    /// <summary>Delivers the successes a previous run of this worker finished but could not deliver (the store was away
    /// when it stopped). The run grain accepts a success of an earlier attempt while the run has no result.</summary>
    private List<Task> ResumeOutbox(CancellationToken stopping)
    {
        var redeliveries = new List<Task>();
        foreach (var entry in outbox.Load((file, e) => log.LogWarning("Outbox entry {File} cannot be read ({Message}); it is left alone", file, e.Message)))
        {
            if (entry.State != RunState.Succeeded)
            {
                outbox.Remove(entry);
                DeleteAttemptFolder(entry.RunKey, entry.Attempt);
                continue;
            }
            LogRedelivering(log, entry.RunKey, entry.Attempt);
            var run = grains.GetGrain<IRunGrain>(entry.RunKey);
            var uploads = new CheckpointUploads(store, run, StorePaths.Attempt(entry.RunKey, entry.Attempt), entry.Attempt, onRejected: () => { });
            if (entry.Checkpoint is not null && entry.CheckpointStep is int step)
            {
                uploads.Add(step, entry.Checkpoint, []);
            }
            redeliveries.Add(Task.Run(async () =>
            {
                if (await DeliverWithRetries(entry, uploads, run, grains.GetGrain<ISweepGrain>(entry.SweepId), giveUp: () => false, stopping))
                {
                    outbox.Remove(entry);
                    if (!worker.KeepWorkFiles)
                    {
                        DeleteAttemptFolder(entry.RunKey, entry.Attempt);
                    }
                }
            }, CancellationToken.None));
        }
        return redeliveries;
    }

    private async Task Heartbeats(IRunGrain run, RunningAttempt attempt, CancellationToken stop)
    {
        var lastAnswer = time.GetUtcNow();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.HeartbeatInterval, time, stop);
                if (attempt.CheckStall() is string stalled)
                {
                    LogStalled(log, attempt.Ticket.RunKey, attempt.Number, stalled);
                    await attempt.Kill.CancelAsync(); // reported as a failed attempt; the run resumes from its last checkpoint
                }
                var reply = await run.Heartbeat(attempt.Number, attempt.LatestProgress);
                lastAnswer = time.GetUtcNow();
                if (reply == HeartbeatReply.Continue || (reply is HeartbeatReply.Cancel or HeartbeatReply.Yield && attempt.Finishing))
                {
                    continue; // a finished training is delivered even if the run was cancelled (or asked to yield) meanwhile
                }
                if (!attempt.Kill.IsCancellationRequested || reply == HeartbeatReply.Stale)
                {
                    log.LogInformation("Run {Run} attempt {Attempt}: {Reply}, stopping it", attempt.Ticket.RunKey, attempt.Number, reply);
                }
                if (reply == HeartbeatReply.Stale)
                {
                    attempt.MarkStale();
                    return;
                }
                await attempt.CancelAsync();
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Cut off from the cluster for longer than a lease while training: the run has surely moved on; stop
                // writing. A finished attempt keeps trying to deliver (the run grain decides whether it is still wanted).
                if (!attempt.Finishing && time.GetUtcNow() - lastAnswer > options.LeaseTimeout)
                {
                    log.LogWarning("Run {Run} attempt {Attempt}: no heartbeat answer for {Timeout}; stopping it", attempt.Ticket.RunKey, attempt.Number, options.LeaseTimeout);
                    attempt.MarkStale();
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

    /// <summary>An attempt's local folder, WORK/KEY/attempt-N (strictly inside the work folder, or an exception).</summary>
    private string AttemptFolder(string runKey, int attempt) => ConfinedPaths.Combine(worker.WorkDirectory, runKey, $"attempt-{attempt}");

    /// <summary>Deletes an attempt's local folder, and the run's folder when it is left empty; never anything outside
    /// the work folder.</summary>
    private void DeleteAttemptFolder(string runKey, int attempt)
    {
        if (SafeNames.KeyProblem(runKey) is not null)
        {
            return; // an outbox entry that was tampered with
        }
        string folder = AttemptFolder(runKey, attempt);
        if (ConfinedPaths.TryDeleteDirectory(worker.WorkDirectory, folder) is string problem)
        {
            NotDeleted(log, problem);
            return;
        }
        string runFolder = Path.GetDirectoryName(folder)!;
        if (Directory.Exists(runFolder) && !Directory.EnumerateFileSystemEntries(runFolder).Any())
        {
            ConfinedPaths.TryDeleteDirectory(worker.WorkDirectory, runFolder);
        }
    }

    /// <summary>Null when <paramref name="resultJson"/> has what a table needs, else what is wrong with it.</summary>
    private static string? ResultProblem(string? resultJson)
    {
        try
        {
            ResultFiles.Outcome(resultJson ?? "", "result.json");
            return null;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return e.Message;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Slot}: refused a ticket of sweep {Sweep} for run {Run}: not a valid sweep id and run key")]
    private static partial void RefusedTicket(ILogger logger, WorkerSlot slot, string sweep, string run);

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {Run}: refused to resume from {Checkpoint}: not a checkpoint of this run; the attempt starts over")]
    private static partial void RefusedCheckpoint(ILogger logger, string run, string checkpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Work files: {Problem}")]
    private static partial void NotDeleted(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Run}: attempt {Attempt} killed: {Reason}")]
    private static partial void LogStalled(ILogger logger, string run, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Run}: attempt {Attempt} failed: {Error}")]
    private static partial void LogAttemptFailed(ILogger logger, string run, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Run}: attempt {Attempt} could not download {Checkpoint} to resume from ({Message}); the run is handed back")]
    private static partial void LogResumeDownloadFailed(ILogger logger, string run, int attempt, string checkpoint, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Run}: attempt {Attempt} ({State}) not delivered yet, try {Tries} ({Message}); kept on this worker, next try in {Seconds} s")]
    private static partial void LogDeliveryRetry(ILogger logger, string run, int attempt, RunState state, int tries, double seconds, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Run}: attempt {Attempt} ({State}) delivered after {Tries} tries")]
    private static partial void LogDelivered(ILogger logger, string run, int attempt, RunState state, int tries);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Run}: attempt {Attempt} finished before this worker stopped and was not delivered; delivering it now")]
    private static partial void LogRedelivering(ILogger logger, string run, int attempt);
}
