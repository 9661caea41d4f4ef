using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using SemiSeg.Contracts;
using SemiSeg.Grains.Execution;
using SemiSeg.Orchestration.Tests.Support;
using SemiSeg.Storage;

namespace SemiSeg.Orchestration.Tests;

/// <summary>The orchestrator driving the real trainer in child processes.</summary>
public sealed class RealTrainerTests
{
    public static TrainerCommand Trainer() => TrainerCommand.NextTo(Path.Combine(AppContext.BaseDirectory, "semiseg.dll"));

    [Fact]
    public async Task ARealSweepRunsInChildProcessesAndCommitsResultsAndCheckpoints()
    {
        var executor = new ProcessRunExecutor(Trainer(), NullLogger<ProcessRunExecutor>.Instance);
        await using var cluster = await TestClusters.StartAsync(executor, silos: 1, slotsPerSilo: 1);
        var spec = TinySweeps.Spec("real-tiny", steps: 4, checkpointEvery: 2, seeds: 2);

        await cluster.Grains.GetGrain<ISweepGrain>(spec.SweepId).Submit(spec);
        var status = await cluster.WaitFinishedAsync(spec.SweepId, TimeSpan.FromMinutes(6)); // ~30 s alone; minutes on a loaded machine

        Assert.Equal(2, status.Counts.Succeeded);
        foreach (var run in spec.Runs)
        {
            string? result = await cluster.Store.ReadTextAsync(StorePaths.Result(run.RunKey), default);
            Assert.NotNull(result);
            using var json = JsonDocument.Parse(result);
            Assert.Equal(run.Seed, json.RootElement.GetProperty("seed").GetInt32());
            Assert.Equal(4, json.RootElement.GetProperty("steps").GetInt32());
            var snapshot = await cluster.Grains.GetGrain<IRunGrain>(run.RunKey).GetSnapshot();
            Assert.Equal(4, snapshot.CheckpointStep); // the last one, written at the end of training
            Assert.True(await cluster.Store.ExistsAsync($"{StorePaths.Attempt(run.RunKey, 1)}/metrics.jsonl", default));
            Assert.True(await cluster.Store.ExistsAsync($"{StorePaths.Attempt(run.RunKey, 1)}/checkpoints/step-0000002.ckpt", default));
        }
        var results = await cluster.Grains.GetGrain<ISweepGrain>(spec.SweepId).GetResults();
        Assert.All(results.Runs, r => Assert.InRange(r.Value!.Value, 0.0, 100.0));
    }

    [Fact]
    public async Task ATrainerThatFailsIsReportedWithItsError()
    {
        var executor = new ProcessRunExecutor(Trainer(), NullLogger<ProcessRunExecutor>.Instance);
        var options = TestClusters.FastOptions();
        options.MaxFailedAttempts = 1;
        await using var cluster = await TestClusters.StartAsync(executor, silos: 1, slotsPerSilo: 1, options);
        var good = TinySweeps.Spec("broken", steps: 2, checkpointEvery: 2, seeds: 1);
        // A config the trainer rejects (an unknown model), as if the manifest had been edited by hand.
        var spec = good with { Runs = [good.Runs[0] with { ConfigJson = good.Runs[0].ConfigJson.Replace("swiftnet-rn18", "no-such-model", StringComparison.Ordinal) }] };

        await cluster.Grains.GetGrain<ISweepGrain>(spec.SweepId).Submit(spec);
        await cluster.WaitFinishedAsync(spec.SweepId, TimeSpan.FromMinutes(2));

        var row = (await cluster.Grains.GetGrain<ISweepGrain>(spec.SweepId).GetResults()).Runs.Single();
        Assert.Equal(RunState.Failed, row.State);
        Assert.Contains("exited with code 2", row.Error);
        Assert.Contains("no-such-model", row.Error);
    }
}
