using Microsoft.Extensions.Logging;
using SemiSeg.Storage;

namespace SemiSeg.Grains.Execution;

/// <summary>One attempt while a worker slot runs it: what the trainer reported (progress, stall detection), and the
/// switches that stop it (kill the trainer; stop uploading when the attempt is stale or cancelled).</summary>
internal sealed class RunningAttempt(RunTicket ticket, int number, string folder, StallOptions stall, TimeProvider time, CancellationToken stopping, ILogger log)
    : IExecutionReporter, IDisposable
{
    private readonly StallDetector detector = new(stall, time.GetUtcNow());
    private volatile bool stale;
    private volatile bool finishing;

    public RunTicket Ticket { get; } = ticket;
    public int Number { get; } = number;
    public string Folder { get; } = folder;

    /// <summary>Kills the trainer (a cancel, a stale attempt, a hang, or the silo stopping).</summary>
    public CancellationTokenSource Kill { get; } = CancellationTokenSource.CreateLinkedTokenSource(stopping);

    /// <summary>Stops checkpoint uploads: only when the attempt is stale or cancelled (a hung trainer's last checkpoint
    /// is still worth uploading: the next attempt resumes from it).</summary>
    public CancellationTokenSource StopUploads { get; } = CancellationTokenSource.CreateLinkedTokenSource(stopping);

    public CheckpointUploads? Uploads { get; set; }

    public RunProgress? LatestProgress { get; private set; }

    /// <summary>The run moved on to another attempt: nothing this one does counts any more (except a finished result).</summary>
    public bool Stale => stale;

    /// <summary>The trainer ended; the outcome is being delivered (no stall detection, no giving up on a lost lease).</summary>
    public bool Finishing
    {
        get => finishing;
        set => finishing = value;
    }

    /// <summary>Why the trainer was killed as hung, or null.</summary>
    public string? StallReason { get; private set; }

    public void Progress(RunProgress progress)
    {
        LatestProgress = progress;
        Alive(progress.Step);
    }

    public void Alive(int step)
    {
        lock (detector)
        {
            detector.Step(step, time.GetUtcNow());
        }
    }

    public void Evaluating(bool started)
    {
        lock (detector)
        {
            if (started)
            {
                detector.EvaluationStarted(time.GetUtcNow());
            }
            else
            {
                detector.EvaluationFinished(time.GetUtcNow());
            }
        }
    }

    public async Task CheckpointAsync(int step, string localFile, IReadOnlyList<string> companions)
    {
        lock (detector)
        {
            detector.Checkpoint(time.GetUtcNow());
        }
        Uploads!.Add(step, localFile, companions);
        try
        {
            await Uploads.FlushAsync(StopUploads.Token);
        }
        catch (Exception e) when (!StopUploads.IsCancellationRequested)
        {
            log.LogWarning("{Run}: uploading the checkpoint of step {Step} failed ({Message}); it is retried with the next checkpoint or when the attempt ends",
                Ticket.RunKey, step, e.GetBaseException().Message);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Checks for a hang; the first time one is found it is remembered (the attempt is then killed).</summary>
    public string? CheckStall()
    {
        if (finishing || StallReason is not null)
        {
            return null;
        }
        lock (detector)
        {
            return StallReason = detector.Stalled(time.GetUtcNow());
        }
    }

    public void MarkStale()
    {
        stale = true;
        StopUploads.Cancel();
        Kill.Cancel();
    }

    /// <summary>The run was cancelled: kill the trainer and stop uploading.</summary>
    public async Task CancelAsync()
    {
        await StopUploads.CancelAsync();
        await Kill.CancelAsync();
    }

    public void Dispose()
    {
        Kill.Dispose();
        StopUploads.Dispose();
    }
}

/// <summary>
/// Uploads an attempt's checkpoints into runs/KEY/attempt-N/checkpoints/ and records them with the run grain, one at a
/// time and newest first: a checkpoint that could not be uploaded (the store was away) stays pending until a newer one
/// supersedes it or the attempt's end flushes it, so the recorded checkpoint is always the newest that made it.
/// </summary>
internal sealed class CheckpointUploads(IArtifactStore store, IRunGrain run, string attemptPrefix, int attempt, Action onRejected)
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly object sync = new();
    private Pending? pending;

    private sealed record Pending(int Step, string File, IReadOnlyList<string> Companions);

    /// <summary>The newest checkpoint not yet recorded (null when there is none).</summary>
    public (int Step, string File)? Newest
    {
        get
        {
            lock (sync)
            {
                return pending is null ? null : (pending.Step, pending.File);
            }
        }
    }

    public void Add(int step, string localFile, IReadOnlyList<string> companions)
    {
        lock (sync)
        {
            if (pending is null || step > pending.Step)
            {
                pending = new Pending(step, localFile, companions);
            }
        }
    }

    /// <summary>Uploads and records the newest pending checkpoint. Throws when the store or the run grain fails (the
    /// checkpoint stays pending); a local file that is gone (the trainer pruned it after writing a newer one) is skipped.</summary>
    public async Task FlushAsync(CancellationToken cancellation)
    {
        await gate.WaitAsync(cancellation);
        try
        {
            Pending? item;
            lock (sync)
            {
                item = pending;
            }
            if (item is null)
            {
                return;
            }
            string prefix = $"{attemptPrefix}/checkpoints";
            string path = $"{prefix}/{Path.GetFileName(item.File)}";
            try
            {
                await store.UploadFileAsync(path, item.File, cancellation);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                Done(item);
                return;
            }
            foreach (string companion in item.Companions.Where(File.Exists))
            {
                await store.UploadFileAsync($"{prefix}/{Path.GetFileName(companion)}", companion, cancellation);
            }
            bool accepted = await run.RecordCheckpoint(attempt, item.Step, path);
            Done(item);
            if (!accepted)
            {
                onRejected();
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private void Done(Pending item)
    {
        lock (sync)
        {
            if (pending == item)
            {
                pending = null;
            }
        }
    }
}
