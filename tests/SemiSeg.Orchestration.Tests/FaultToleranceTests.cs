using System.Buffers.Binary;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using SemiSeg.Contracts;
using SemiSeg.Grains;
using SemiSeg.Orchestration.Tests.Support;
using SemiSeg.Storage;

namespace SemiSeg.Orchestration.Tests;

/// <summary>The faults of issue 14 on an in-process cluster: cancel then resubmit, stale activations, late results,
/// abandoned attempts, a frozen run grain, and the order in which lost runs continue.</summary>
public sealed class FaultToleranceTests
{
    [Fact]
    public async Task ResubmittingRightAfterACancelResumesEveryRun()
    {
        var trainer = new FakeTrainer { Steps = 30, StepTime = TimeSpan.FromMilliseconds(40), CheckpointEvery = 5 };
        await using var cluster = await TestClusters.StartAsync(trainer, silos: 1, slotsPerSilo: 2);
        var sweep = cluster.Grains.GetGrain<ISweepGrain>("recancel");
        var spec = TestClusters.Spec("recancel", cells: 3, seeds: 1);
        await sweep.Submit(spec);
        await TestClusters.Eventually(async () => (await sweep.GetStatus()).Counts.Running == 2, TimeSpan.FromSeconds(20), "two running runs");

        await sweep.Cancel(); // Ctrl+C ...
        await sweep.Submit(spec); // ... and the same command again, at once: running runs are still being cancelled

        var status = await cluster.WaitFinishedAsync("recancel", TimeSpan.FromSeconds(60));
        Assert.Equal((SweepState.Completed, 3), (status.State, status.Counts.Succeeded));
        Assert.Equal(3, trainer.Finished.Select(f => f.RunKey).Distinct().Count());
    }

    [Fact]
    public async Task AStaleActivationOfARunGrainCommitsNothing()
    {
        await using var cluster = await TestClusters.StartAsync(new FakeTrainer(), silos: 1, slotsPerSilo: 0);
        string key = TestClusters.Key("stale-activation");
        var run = cluster.Grains.GetGrain<IRunGrain>(key);
        var slot = new WorkerSlot(cluster.Cluster.Silos[0].SiloAddress, "a", 0, "cpu");
        Assert.Equal(1, (await run.Begin("{}", slot)).Attempt);

        // Another activation wrote the state since this one read it: the file's version moved on.
        string file = Directory.EnumerateFiles(Path.Combine(cluster.Scratch, "store", "grain-state"), $"{key}.state", SearchOption.AllDirectories).Single();
        byte[] bytes = await File.ReadAllBytesAsync(file);
        BinaryPrimitives.WriteInt64LittleEndian(bytes, BinaryPrimitives.ReadInt64LittleEndian(bytes) + 1);
        await File.WriteAllBytesAsync(file, bytes);

        var end = new AttemptEnd(1, RunState.Succeeded, """{"value": 61.5, "metric": "mIoU"}""", null);
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => run.Complete(end));
        Assert.Contains("another activation", refused.Message);
        Assert.False(await cluster.Store.ExistsAsync(StorePaths.Result(key), default));

        // The stale activation deactivated itself; the retried report reaches a fresh one, which commits.
        var done = await run.Complete(end);
        Assert.Equal((RunState.Succeeded, 61.5), (done.State, done.Outcome!.Value));
        Assert.Contains("61.5", await cluster.Store.ReadTextAsync(StorePaths.Result(key), default));
    }

    [Fact]
    public async Task AFinishedTrainingOfAnEarlierAttemptIsKeptAndOnlyTheCommittedAttemptsFilesRemain()
    {
        await using var cluster = await TestClusters.StartAsync(new FakeTrainer(), silos: 1, slotsPerSilo: 0);
        string key = TestClusters.Key("late"), other = TestClusters.Key("other");
        var run = cluster.Grains.GetGrain<IRunGrain>(key);
        var silo = cluster.Cluster.Silos[0].SiloAddress;
        Assert.Equal(1, (await run.Begin("{}", new WorkerSlot(silo, "a", 0, "cpu"))).Attempt);
        await Task.Delay(TestClusters.FastOptions().LeaseTimeout + TimeSpan.FromMilliseconds(300)); // A goes silent (its store was away)
        Assert.Equal(RunState.Pending, (await run.Supervise()).State);
        Assert.Equal(2, (await run.Begin("{}", new WorkerSlot(silo, "b", 0, "cpu"))).Attempt);
        string[] kept = [$"runs/{key}/attempt-1/checkpoints/step-0000010.ckpt", $"runs/{key}/attempt-1/metrics.jsonl", $"runs/{other}/attempt-2/metrics.jsonl"];
        foreach (string path in kept.Append($"runs/{key}/attempt-2/checkpoints/step-0000005.ckpt").Append($"runs/{key}/attempt-2/metrics.jsonl"))
        {
            await cluster.Store.WriteTextAsync(path, "x");
        }

        // A's outbox delivers its finished training: kept, and B's attempt is fenced off.
        var done = await run.Complete(new AttemptEnd(1, RunState.Succeeded, """{"value": 70, "metric": "mIoU"}""", null));
        Assert.Equal((RunState.Succeeded, 70.0), (done.State, done.Outcome!.Value));
        Assert.Equal(HeartbeatReply.Stale, await run.Heartbeat(2, null));
        var afterB = await run.Complete(new AttemptEnd(2, RunState.Succeeded, """{"value": 1, "metric": "mIoU"}""", null));
        Assert.Equal(70.0, afterB.Outcome!.Value);
        Assert.Contains("70", await cluster.Store.ReadTextAsync(StorePaths.Result(key), default));

        var left = new List<string>();
        await foreach (string path in cluster.Store.ListAsync("runs/", default))
        {
            left.Add(path);
        }
        Assert.Equal(kept.Order(StringComparer.Ordinal), left);
    }

    [Fact]
    public async Task AFrozenRunGrainDelaysNeitherStatusNorDispatch()
    {
        var freezer = new SuperviseFreezer();
        var trainer = new FakeTrainer { Steps = 10, StepTime = TimeSpan.FromMilliseconds(40) };
        var options = TestClusters.FastOptions();
        options.SuperviseCallTimeout = TimeSpan.FromMilliseconds(500);
        await using var cluster = await TestClusters.StartAsync(trainer, silos: 1, slotsPerSilo: 2, options,
            configure: silo => silo.Services.AddSingleton<IIncomingGrainCallFilter>(freezer));
        var sweep = cluster.Grains.GetGrain<ISweepGrain>("frozen");
        var spec = TestClusters.Spec("frozen", cells: 12, seeds: 1);
        freezer.Armed = true; // the first run the supervisor asks about freezes (on a loaded machine, which one is not known)
        await sweep.Submit(spec);
        await TestClusters.Eventually(() => Task.FromResult(freezer.Hits > 0), TimeSpan.FromSeconds(20), "a supervise call to a running run");

        int startedBefore = trainer.Started.Count;
        var slowest = TimeSpan.Zero;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(5))
        {
            var call = Stopwatch.StartNew();
            await sweep.GetStatus();
            slowest = call.Elapsed > slowest ? call.Elapsed : slowest;
            await Task.Delay(50);
        }
        int startedWhileFrozen = trainer.Started.Count - startedBefore;
        freezer.Armed = false;

        Assert.True(slowest < TimeSpan.FromSeconds(1), $"GetStatus took {slowest.TotalMilliseconds:F0} ms while a run grain was frozen");
        Assert.True(startedWhileFrozen >= 2, $"only {startedWhileFrozen} runs started while a run grain was frozen");
        var status = await cluster.WaitFinishedAsync("frozen", TimeSpan.FromSeconds(60));
        Assert.Equal(12, status.Counts.Succeeded);
    }

    [Fact]
    public async Task ARunLostWithItsSiloContinuesBeforeRunsThatNeverStarted()
    {
        // Runs of 3 s: the survivor is still busy when the lost run is re-queued, and takes it next.
        var trainer = new FakeTrainer { Steps = 30, StepTime = TimeSpan.FromMilliseconds(100), CheckpointEvery = 4 };
        await using var cluster = await TestClusters.StartAsync(trainer, silos: 2, slotsPerSilo: 1);
        var sweep = cluster.Grains.GetGrain<ISweepGrain>("front");
        await sweep.Submit(TestClusters.Spec("front", cells: 6, seeds: 1));
        RunSnapshot? victim = null;
        await TestClusters.Eventually(async () =>
        {
            victim = (await sweep.GetStatus()).Active.FirstOrDefault(a => a.CheckpointStep >= 4 && a.Worker is not null);
            return victim is not null;
        }, TimeSpan.FromSeconds(30), "a run with a checkpoint");
        string worker = victim!.Worker!;
        string victimSilo = worker[..worker.IndexOf('/')];
        await cluster.Cluster.KillSiloAsync(cluster.Cluster.Silos.Single(s => s.Name == victimSilo));

        // The sweep drops a run from its active list in the same step as it queues it again.
        await TestClusters.Eventually(async () => (await sweep.GetStatus()).Active.All(a => a.RunKey != victim.RunKey), TimeSpan.FromSeconds(30), "the lost run to be queued again");
        int startedBefore = trainer.Started.Count;
        await TestClusters.Eventually(() => Task.FromResult(trainer.Started.Count > startedBefore), TimeSpan.FromSeconds(30), "another attempt");
        var next = trainer.Started.Skip(startedBefore).First();
        Assert.True(victim.RunKey == next.RunKey, $"{next.RunKey} started after the lost run {victim.RunKey} was queued again; started: "
            + string.Join(", ", trainer.Started.Select(s => $"{s.RunKey[..6]}#{s.Attempt}@{s.StartStep}"))); // not the next run of the queue
        Assert.True(next.StartStep >= 4);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ALostRunTakesTheSlotOfARunThatHadOnlyJustStartedButNotOfAnOlderOne(bool youngStartedBeforeTheWindow)
    {
        // No worker slots: the test plays two slots. Slot a's run goes silent (lost after the 3 s lease) while slot b
        // runs a run that has only just started; no slot is free.
        var options = TestClusters.FastOptions();
        options.YieldAfter = TimeSpan.FromMilliseconds(300);
        options.YieldWindow = youngStartedBeforeTheWindow ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(60); // the loss is known after 3 s
        await using var cluster = await TestClusters.StartAsync(new FakeTrainer(), silos: 1, slotsPerSilo: 0, options);
        var sweep = cluster.Grains.GetGrain<ISweepGrain>("yield");
        var spec = TestClusters.Spec("yield", cells: 3, seeds: 1);
        await sweep.Submit(spec);
        var silo = cluster.Cluster.Silos[0].SiloAddress;
        WorkerSlot a = new(silo, "a", 0, "cpu"), b = new(silo, "b", 0, "cpu");
        var lostTicket = (await sweep.TakeNext(a))!;
        var lost = cluster.Grains.GetGrain<IRunGrain>(lostTicket.RunKey);
        await lost.Begin(lostTicket.ConfigJson, a);
        var youngTicket = (await sweep.TakeNext(b))!;
        var young = cluster.Grains.GetGrain<IRunGrain>(youngTicket.RunKey);
        int attempt = (await young.Begin(youngTicket.ConfigJson, b)).Attempt;

        // Slot b heartbeats as a worker does; the lost run is queued again after its lease.
        var replies = new List<HeartbeatReply>();
        await TestClusters.Eventually(async () =>
        {
            replies.Add(await young.Heartbeat(attempt, null));
            return (await lost.GetSnapshot()).State == RunState.Pending;
        }, TimeSpan.FromSeconds(20), "the lost run to be given up");
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(3) && replies[^1] != HeartbeatReply.Yield)
        {
            await Task.Delay(100);
            replies.Add(await young.Heartbeat(attempt, null));
        }
        if (youngStartedBeforeTheWindow)
        {
            // A run that started before the window keeps its slot: the lost run waits for the next free one.
            Assert.All(replies, reply => Assert.Equal(HeartbeatReply.Continue, reply));
            Assert.Equal(lostTicket.RunKey, (await sweep.TakeNext(a))!.RunKey);
            return;
        }
        Assert.Equal(HeartbeatReply.Yield, replies[^1]);

        // The worker stops the attempt and reports it cancelled: pending again, neither failed nor lost.
        var ended = await young.Complete(new AttemptEnd(attempt, RunState.Cancelled, null, null));
        Assert.Equal((RunState.Pending, 0, 0), (ended.State, ended.FailedAttempts, ended.LostAttempts));
        await sweep.OnRunChanged(ended);

        // The freed slot takes the lost run, then the one that gave way, then the one that never started.
        var order = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            order.Add((await sweep.TakeNext(b))!.RunKey);
        }
        string neverStarted = spec.Runs.Select(r => r.RunKey).Single(k => k != lostTicket.RunKey && k != youngTicket.RunKey);
        Assert.Equal([lostTicket.RunKey, youngTicket.RunKey, neverStarted], order);
    }

    [Fact]
    public async Task AWorkerAskedToYieldStopsTheAttemptAndTheRunRunsAgainWithoutALostOrFailedAttempt()
    {
        var trainer = new FakeTrainer { Steps = 40, StepTime = TimeSpan.FromMilliseconds(50), CheckpointEvery = 1000 };
        await using var cluster = await TestClusters.StartAsync(trainer, silos: 1, slotsPerSilo: 1);
        var sweep = cluster.Grains.GetGrain<ISweepGrain>("yielding");
        await sweep.Submit(TestClusters.Spec("yielding", cells: 2, seeds: 1));
        RunSnapshot? first = null;
        await TestClusters.Eventually(async () =>
        {
            first = (await sweep.GetStatus()).Active.FirstOrDefault(a => a.Attempt == 1 && a.Worker is not null);
            return first is not null;
        }, TimeSpan.FromSeconds(20), "a running run");
        var run = cluster.Grains.GetGrain<IRunGrain>(first!.RunKey);
        Assert.True(await run.RequestYield(1));
        Assert.False(await run.RequestYield(2)); // not the running attempt

        var done = await cluster.WaitFinishedAsync("yielding", TimeSpan.FromSeconds(60));
        Assert.Equal(2, done.Counts.Succeeded);
        var after = await run.GetSnapshot();
        Assert.Equal((RunState.Succeeded, 2, 0, 0), (after.State, after.Attempt, after.FailedAttempts, after.LostAttempts));
        Assert.Equal([1, 2], trainer.Started.Where(s => s.RunKey == first.RunKey).Select(s => s.Attempt));
        Assert.DoesNotContain(trainer.Finished, f => f.RunKey == first.RunKey && f.Attempt == 1);
    }

    [Fact]
    public void TheDispatchQueuePutsResumableRunsFirst()
    {
        var queue = new DispatchQueue();
        queue.Enqueue("new-1", resume: false);
        queue.Enqueue("new-2", resume: false);
        queue.Enqueue("lost-1", resume: true);
        queue.Enqueue("lost-2", resume: true);
        var order = new List<string>();
        while (queue.TryDequeue(out string key))
        {
            order.Add(key);
        }
        Assert.Equal(["lost-1", "lost-2", "new-1", "new-2"], order);
        Assert.Equal(0, queue.Count);
    }

    /// <summary>While armed, holds the first supervised run grain's Supervise call (and so the whole grain) until disarmed.</summary>
    private sealed class SuperviseFreezer : IIncomingGrainCallFilter
    {
        public volatile bool Armed;
        public int Hits;
        private string? frozen;

        public async Task Invoke(IIncomingGrainCallContext context)
        {
            if (context.InterfaceMethod?.Name == nameof(IRunGrain.Supervise) && Armed)
            {
                string key = context.TargetId.Key.ToString()!;
                if ((Interlocked.CompareExchange(ref frozen, key, null) ?? key) == key)
                {
                    Interlocked.Increment(ref Hits);
                    while (Armed)
                    {
                        await Task.Delay(50);
                    }
                }
            }
            await context.Invoke();
        }
    }
}
