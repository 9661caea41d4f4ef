using Azure.Storage.Blobs;
using SemiSeg.Contracts;
using SemiSeg.Orchestration.Tests.Support;
using SemiSeg.Storage;
using SemiSeg.Testing;

namespace SemiSeg.Orchestration.Tests;

/// <summary>Cluster mode storage on Azurite: artifacts in a blob container, grain state in Azure Blob grain storage.</summary>
public sealed class AzureStorageClusterTests
{
    [Fact]
    public async Task ASweepsStateAndResultsSurviveTheWholeClusterOnAzureBlobs()
    {
        string container = Azurite.NewName("art");
        string storage = $"azure:{Azurite.ConnectionString};Container={container}";
        var trainer = new FakeTrainer { Steps = 3 };
        var spec = TestClusters.Spec(Azurite.NewName("sweep"), cells: 3, seeds: 2);

        await using (var cluster = await TestClusters.StartAsync(trainer, silos: 2, slotsPerSilo: 2, storage: storage))
        {
            await cluster.Grains.GetGrain<ISweepGrain>(spec.SweepId).Submit(spec);
            var done = await cluster.WaitFinishedAsync(spec.SweepId, TimeSpan.FromSeconds(60));
            Assert.Equal(6, done.Counts.Succeeded);
        }

        var blobs = new BlobServiceClient(Azurite.ConnectionString);
        var results = new List<string>();
        await foreach (var blob in blobs.GetBlobContainerClient(container).GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, StorePaths.ResultsPrefix, default))
        {
            results.Add(blob.Name);
        }
        Assert.Equal(spec.Runs.Select(r => StorePaths.Result(r.RunKey)).Order(StringComparer.Ordinal), results);
        var state = new List<string>();
        await foreach (var blob in blobs.GetBlobContainerClient($"{container}-grain-state").GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, null, default))
        {
            state.Add(blob.Name);
        }
        Assert.Contains(state, name => name.Contains(spec.SweepId, StringComparison.Ordinal));

        // A new cluster on the same storage: the sweep is known (grain state) and nothing runs again (results).
        int ran = trainer.Started.Count;
        await using (var cluster = await TestClusters.StartAsync(trainer, silos: 1, slotsPerSilo: 1, storage: storage))
        {
            var before = await cluster.Grains.GetGrain<ISweepGrain>(spec.SweepId).GetStatus();
            Assert.Equal((SweepState.Completed, 6), (before.State, before.Counts.Succeeded));
            var again = await cluster.Grains.GetGrain<ISweepGrain>(spec.SweepId).Submit(spec);
            Assert.Equal(6, again.ReusedResults);
            Assert.Equal(SweepState.Completed, again.State);
        }
        Assert.Equal(ran, trainer.Started.Count);
    }
}
