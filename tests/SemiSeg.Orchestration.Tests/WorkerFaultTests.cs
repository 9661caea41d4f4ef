using Microsoft.Extensions.DependencyInjection;
using SemiSeg.Contracts;
using SemiSeg.Orchestration.Tests.Support;
using SemiSeg.Storage;

namespace SemiSeg.Orchestration.Tests;

/// <summary>What a worker does when its trainer hangs or its store goes away (in-process cluster, fake trainer).</summary>
public sealed class WorkerFaultTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("semiseg-worker-faults-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task AHungTrainerIsKilledAndItsRunResumesFromItsLastCheckpoint()
    {
        string hung = TestClusters.Key("hang-c0-s0");
        var trainer = new FakeTrainer { Steps = 20, StepTime = TimeSpan.FromMilliseconds(50), CheckpointEvery = 4, Hangs = (key, here, step) => key == hung && here == 1 && step == 10 };
        var failures = new FailureRecorder();
        await using var cluster = await TestClusters.StartAsync(trainer, silos: 1, slotsPerSilo: 2, stallTimeout: TimeSpan.FromSeconds(1),
            configure: silo => silo.Services.AddSingleton<Orleans.IIncomingGrainCallFilter>(failures));
        var sweep = cluster.Grains.GetGrain<ISweepGrain>("hang");
        var spec = TestClusters.Spec("hang", cells: 3, seeds: 1);
        await sweep.Submit(spec);

        // The run's error is cleared when its next attempt begins (at once, on a busy machine), so the worker's report is read.
        await TestClusters.Eventually(() => Task.FromResult(!failures.Ends.IsEmpty), TimeSpan.FromSeconds(30), "the hung attempt to be killed");
        var failed = Assert.Single(failures.Ends);
        Assert.Equal((hung, 1), (failed.RunKey, failed.End.Attempt));
        Assert.Contains("the trainer made no progress for", failed.End.Error);
        Assert.Contains("at step 9", failed.End.Error);
        var run = cluster.Grains.GetGrain<IRunGrain>(hung);

        var status = await cluster.WaitFinishedAsync("hang", TimeSpan.FromSeconds(60));
        Assert.Equal(3, status.Counts.Succeeded);
        var attempts = trainer.Started.Where(s => s.RunKey == hung).ToArray();
        Assert.Equal(2, attempts.Length);
        Assert.Equal(8, attempts[1].StartStep); // resumed from the last checkpoint, not from step 0
        Assert.Equal(2, (await run.GetSnapshot()).Attempt);

        // Only the committed attempt's files remain, in the store and on the worker's disk.
        var stored = new List<string>();
        await foreach (string path in cluster.Store.ListAsync(StorePaths.AttemptsPrefix(hung), default))
        {
            stored.Add(path);
        }
        Assert.NotEmpty(stored);
        Assert.All(stored, path => Assert.StartsWith(StorePaths.Attempt(hung, 2) + "/", path));
        string work = Path.Combine(cluster.Scratch, "work");
        // The slot deletes its attempt folder after delivering the end, which may be just after the sweep finished.
        await TestClusters.Eventually(() => Task.FromResult(!Directory.EnumerateDirectories(work, "attempt-*", SearchOption.AllDirectories).Any()),
            TimeSpan.FromSeconds(10), "the worker to delete its attempt folders");
    }

    [Fact]
    public async Task AStorageOutageNeitherLosesNorRepeatsAFinishedTraining()
    {
        var trainer = new FakeTrainer { Steps = 12, StepTime = TimeSpan.FromMilliseconds(50), CheckpointEvery = 4 };
        string storage = $"local:{Path.Combine(root, "store")}";
        var store = new SwitchableStore(ArtifactStores.Create(storage));
        var options = TestClusters.FastOptions();
        await using var cluster = await TestClusters.StartAsync(trainer, silos: 1, slotsPerSilo: 2, options, storage,
            configure: silo => silo.Services.AddSingleton<IArtifactStore>(store));
        var sweep = cluster.Grains.GetGrain<ISweepGrain>("outage");
        var spec = TestClusters.Spec("outage", cells: 4, seeds: 1);
        await sweep.Submit(spec);
        await TestClusters.Eventually(async () => (await sweep.GetStatus()).Active.Any(a => a.CheckpointStep >= 4), TimeSpan.FromSeconds(30), "a checkpoint");

        store.Down = true;
        // Both slots finish their training and hold it (a slot delivers before it takes new work).
        await TestClusters.Eventually(() => Task.FromResult(trainer.Finished.Count >= 2), TimeSpan.FromSeconds(30), "trainings finishing while the store is away");
        await Task.Delay(options.LeaseTimeout * 2); // longer than a lease: finished runs must not be declared lost
        var during = await sweep.GetStatus();
        Assert.Equal(0, during.Counts.Succeeded);
        foreach (var r in spec.Runs)
        {
            var snapshot = await cluster.Grains.GetGrain<IRunGrain>(r.RunKey).GetSnapshot();
            Assert.Equal((0, 0), (snapshot.LostAttempts, snapshot.FailedAttempts));
        }
        store.Down = false;

        var status = await cluster.WaitFinishedAsync("outage", TimeSpan.FromSeconds(60));
        Assert.Equal(4, status.Counts.Succeeded);
        Assert.True(store.Refused > 0);
        foreach (var r in spec.Runs)
        {
            Assert.Single(trainer.Started, s => s.RunKey == r.RunKey); // no training ran twice
            Assert.True(await cluster.Store.ExistsAsync(StorePaths.Result(r.RunKey), default));
            // The newest checkpoint (written while the store was away, for the runs that started during the outage).
            Assert.True(await cluster.Store.ExistsAsync($"{StorePaths.Attempt(r.RunKey, 1)}/checkpoints/step-0000008.ckpt", default));
        }
        Assert.Equal(4, trainer.Finished.Count);
    }

    [Fact]
    public async Task AResultLeftInTheOutboxWhenItsWorkerStoppedIsDeliveredByItsNextStart()
    {
        var trainer = new FakeTrainer { Steps = 4, StepTime = TimeSpan.FromMilliseconds(200), CheckpointEvery = 2 };
        string storage = $"local:{Path.Combine(root, "store")}";
        var spec = TestClusters.Spec("outbox", cells: 1, seeds: 1);
        string key = spec.Runs[0].RunKey;
        string work = Path.Combine(root, "work");

        var away = new SwitchableStore(ArtifactStores.Create(storage));
        await using (var first = await TestClusters.StartAsync(trainer, silos: 1, slotsPerSilo: 1, storage: storage, scratch: root,
            configure: silo => silo.Services.AddSingleton<IArtifactStore>(away)))
        {
            await first.Grains.GetGrain<ISweepGrain>("outbox").Submit(spec);
            away.Down = true;
            await TestClusters.Eventually(() => Task.FromResult(trainer.Finished.Count == 1 && Directory.EnumerateFiles(work, "*.json", SearchOption.AllDirectories).Any()),
                TimeSpan.FromSeconds(30), "a finished training waiting in the outbox");
        } // the worker stops while the store is still away

        Assert.Single(Directory.EnumerateFiles(work, $"{key}.attempt-1.json", SearchOption.AllDirectories));
        await using var second = await TestClusters.StartAsync(trainer, silos: 1, slotsPerSilo: 1, storage: storage, scratch: root);
        var status = await second.WaitFinishedAsync("outbox", TimeSpan.FromSeconds(60));
        Assert.Equal(1, status.Counts.Succeeded);
        Assert.Single(trainer.Started); // delivered, not run again
        Assert.Equal(1, (await second.Grains.GetGrain<IRunGrain>(key).GetSnapshot()).Attempt);
        Assert.Contains("\"seed\":0", await second.Store.ReadTextAsync(StorePaths.Result(key), default));
        Assert.True(await second.Store.ExistsAsync($"{StorePaths.Attempt(key, 1)}/checkpoints/step-0000002.ckpt", default)); // its newest checkpoint too
        await TestClusters.Eventually(() => Task.FromResult(!Directory.EnumerateFiles(work, "*.json", SearchOption.AllDirectories).Any()), TimeSpan.FromSeconds(10), "the outbox to be emptied");
    }

    /// <summary>Records the failed attempt ends that workers report to run grains.</summary>
    private sealed class FailureRecorder : Orleans.IIncomingGrainCallFilter
    {
        public System.Collections.Concurrent.ConcurrentQueue<(string RunKey, AttemptEnd End)> Ends { get; } = new();

        public async Task Invoke(Orleans.IIncomingGrainCallContext context)
        {
            if (context.InterfaceMethod?.Name == nameof(IRunGrain.Complete) && context.Request.GetArgument(0) is AttemptEnd { State: RunState.Failed } end)
            {
                Ends.Enqueue((context.TargetId.Key.ToString()!, end));
            }
            await context.Invoke();
        }
    }
}
