using SemiSeg.Contracts;
using SemiSeg.Orchestration.Tests.Support;
using SemiSeg.Storage;

namespace SemiSeg.Orchestration.Tests;

public sealed class SweepOrchestrationTests
{
    [Fact]
    public async Task EveryRunSucceedsOnceAndCapacityIsNeverExceeded()
    {
        var trainer = new FakeTrainer { Steps = 4, StepTime = TimeSpan.FromMilliseconds(30) };
        await using var cluster = await TestClusters.StartAsync(trainer, silos: 2, slotsPerSilo: 2);
        var spec = TestClusters.Spec("capacity", cells: 5, seeds: 4);

        await cluster.Grains.GetGrain<ISweepGrain>("capacity").Submit(spec);
        var status = await cluster.WaitFinishedAsync("capacity", TimeSpan.FromSeconds(60));

        Assert.Equal(SweepState.Completed, status.State);
        Assert.Equal(20, status.Counts.Succeeded);
        Assert.Equal(20, trainer.Finished.Count);
        Assert.Equal(20, trainer.Finished.Select(f => f.RunKey).Distinct().Count());
        Assert.InRange(trainer.PeakRunning, 2, 4);
        Assert.All(trainer.PeakByWorker.Values, peak => Assert.InRange(peak, 1, 2));
        Assert.Equal(2, trainer.PeakByWorker.Count); // both silos worked

        var results = await cluster.Grains.GetGrain<ISweepGrain>("capacity").GetResults();
        Assert.All(results.Runs, r => Assert.Equal(50.0 + r.Seed, r.Value));
        var committed = new List<string>();
        await foreach (string path in cluster.Store.ListAsync(StorePaths.ResultsPrefix, default))
        {
            committed.Add(path);
        }
        Assert.Equal(spec.Runs.Select(r => StorePaths.Result(r.RunKey)).Order(StringComparer.Ordinal), committed);
        Assert.True(await cluster.Store.ExistsAsync($"{StorePaths.SweepReport("capacity")}/results.json", default));
    }

    [Fact]
    public async Task ResubmittingSkipsFinishedRunsAndRerunsFailedOnes()
    {
        // Run c0-s1 fails every attempt the first time round, then works.
        bool broken = true;
        var trainer = new FakeTrainer { Steps = 2, Fails = (key, _) => broken && key == TestClusters.Key("resub-c0-s1") };
        await using var cluster = await TestClusters.StartAsync(trainer, silos: 1, slotsPerSilo: 2);
        var sweep = cluster.Grains.GetGrain<ISweepGrain>("resub");

        await sweep.Submit(TestClusters.Spec("resub", cells: 2, seeds: 2));
        var first = await cluster.WaitFinishedAsync("resub", TimeSpan.FromSeconds(60));
        Assert.Equal((3, 1), (first.Counts.Succeeded, first.Counts.Failed));
        var failed = (await sweep.GetResults()).Runs.Single(r => r.State == RunState.Failed);
        Assert.Equal(3, failed.Attempts); // MaxFailedAttempts
        Assert.Contains("injected failure in attempt 3", failed.Error);
        int startedBefore = trainer.Started.Count;

        broken = false;
        var again = await sweep.Submit(TestClusters.Spec("resub", cells: 2, seeds: 2));
        Assert.Equal(3, again.ReusedResults);
        var second = await cluster.WaitFinishedAsync("resub", TimeSpan.FromSeconds(60));
        Assert.Equal(4, second.Counts.Succeeded);
        Assert.Equal([TestClusters.Key("resub-c0-s1")], trainer.Started.Skip(startedBefore).Select(s => s.RunKey).ToArray());
    }

    [Fact]
    public async Task CancelStopsRunningRunsPromptly()
    {
        var trainer = new FakeTrainer { Steps = 10_000, StepTime = TimeSpan.FromMilliseconds(20) };
        await using var cluster = await TestClusters.StartAsync(trainer, silos: 1, slotsPerSilo: 2);
        var sweep = cluster.Grains.GetGrain<ISweepGrain>("cancel");
        await sweep.Submit(TestClusters.Spec("cancel", cells: 3, seeds: 1));
        await TestClusters.Eventually(async () => (await sweep.GetStatus()).Counts.Running == 2, TimeSpan.FromSeconds(20), "two running runs");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await sweep.Cancel();
        var status = await cluster.WaitFinishedAsync("cancel", TimeSpan.FromSeconds(10));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"cancel took {clock.Elapsed}");
        Assert.Equal(SweepState.Cancelled, status.State);
        Assert.Equal(3, status.Counts.Cancelled);
        Assert.All(trainer.RunningByRun.Values, n => Assert.Equal(0, n));
        Assert.Empty(trainer.Finished);
    }

    [Fact]
    public async Task KillingTheSiloRunningARunResumesItFromItsCheckpointElsewhereAndRecordsItOnce()
    {
        var trainer = new FakeTrainer { Steps = 40, StepTime = TimeSpan.FromMilliseconds(50), CheckpointEvery = 5 };
        await using var cluster = await TestClusters.StartAsync(trainer, silos: 3, slotsPerSilo: 1);
        var sweep = cluster.Grains.GetGrain<ISweepGrain>("kill");
        await sweep.Submit(TestClusters.Spec("kill", cells: 1, seeds: 1));
        var run = cluster.Grains.GetGrain<IRunGrain>(TestClusters.Key("kill-c0-s0"));
        await TestClusters.Eventually(async () => (await run.GetSnapshot()).CheckpointStep >= 10, TimeSpan.FromSeconds(30), "a checkpoint at step 10");

        string victimName = trainer.Started.Single().Worker;
        var victim = cluster.Cluster.Silos.Single(s => s.Name == victimName);
        await cluster.Cluster.KillSiloAsync(victim);

        var status = await cluster.WaitFinishedAsync("kill", TimeSpan.FromSeconds(60));
        Assert.Equal(1, status.Counts.Succeeded);
        var attempts = trainer.Started.ToArray();
        Assert.Equal(2, attempts.Length);
        Assert.NotEqual(victimName, attempts[1].Worker);
        Assert.True(attempts[1].StartStep >= 10, $"the second attempt started at step {attempts[1].StartStep}, not from a checkpoint");
        Assert.Single(trainer.Finished);
        Assert.Equal(2, (await run.GetSnapshot()).Attempt);
        Assert.Equal(50.0, (await sweep.GetResults()).Runs.Single().Value);
    }

    [Fact]
    public async Task AStaleAttemptIsFencedOff()
    {
        var trainer = new FakeTrainer();
        await using var cluster = await TestClusters.StartAsync(trainer, silos: 1, slotsPerSilo: 0);
        string key = TestClusters.Key("fenced");
        var run = cluster.Grains.GetGrain<IRunGrain>(key);
        var silo = cluster.Cluster.Silos[0].SiloAddress;
        var slotA = new WorkerSlot(silo, "a", 0, "cpu");
        var slotB = new WorkerSlot(silo, "b", 0, "cpu");

        var first = await run.Begin("{}", slotA);
        Assert.Equal((BeginKind.Started, 1), (first.Kind, first.Attempt));
        Assert.Equal(BeginKind.NotStarted, (await run.Begin("{}", slotB)).Kind); // A's lease is alive
        Assert.Equal((BeginKind.Started, 1), ((await run.Begin("{}", slotA)).Kind, 1)); // A asking again is safe

        await Task.Delay(TestClusters.FastOptions().LeaseTimeout + TimeSpan.FromMilliseconds(300)); // A goes silent
        Assert.Equal(RunState.Pending, (await run.Supervise()).State);
        var second = await run.Begin("{}", slotB);
        Assert.Equal((BeginKind.Started, 2), (second.Kind, second.Attempt));

        Assert.Equal(HeartbeatReply.Stale, await run.Heartbeat(1, null));
        Assert.False(await run.RecordCheckpoint(1, 5, $"{StorePaths.Checkpoints(key, 1)}/step-0000005.ckpt"));
        var afterStale = await run.Complete(new AttemptEnd(1, RunState.Failed, null, "stale failure"));
        Assert.Equal((RunState.Running, 2, null, 0, null), (afterStale.State, afterStale.Attempt, afterStale.CheckpointStep, afterStale.FailedAttempts, afterStale.Error));
        Assert.False(await cluster.Store.ExistsAsync(StorePaths.Result(key), default));

        var done = await run.Complete(new AttemptEnd(2, RunState.Succeeded, """{"value": 61.5, "metric": "mIoU", "wall_seconds": 3}""", null));
        Assert.Equal((RunState.Succeeded, 61.5), (done.State, done.Outcome!.Value));
        Assert.Equal(done, await run.Complete(new AttemptEnd(2, RunState.Succeeded, """{"value": 1}""", null))); // a retried report changes nothing
        Assert.Equal(done, await run.Complete(new AttemptEnd(1, RunState.Succeeded, """{"value": 99, "metric": "mIoU"}""", null))); // so does a late one
        Assert.Contains("61.5", await cluster.Store.ReadTextAsync(StorePaths.Result(key), default));
    }
}
