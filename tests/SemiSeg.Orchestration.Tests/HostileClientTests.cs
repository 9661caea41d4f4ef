using SemiSeg.Contracts;
using SemiSeg.Orchestration.Tests.Support;
using SemiSeg.Security;
using SemiSeg.Storage;

namespace SemiSeg.Orchestration.Tests;

/// <summary>
/// A client that talks to the gateway directly (not through the CLI or the typed client) with sweep ids, run keys and
/// cell keys that are paths or not names at all: every one is refused at the grain with an ArgumentException that
/// says why, nothing is written outside the store and the workers' folders, and the cluster goes on working.
/// </summary>
public sealed class HostileClientTests
{
    /// <summary>Values that must never become a sweep id or a key; {0} is replaced by a folder outside the cluster's.</summary>
    private static readonly string[] Hostile =
    [
        "{0}", "{0}/sub", "..", "../..", "../../../../../../../../../../../../tmp/x", "a/b", "a\\b", "", " ", ".", "-rf",
        new string('a', 5000), "0123456789ABCDEF0123456789ABCDEF", "sw\u00e9ep", "0123456789abcdef0123456789abcd\u0661\u0662",
        "a\nb", "a\0b",
    ];

    /// <summary>Fine as sweep ids, but not keys (32 lowercase hex digits).</summary>
    private static readonly string[] NotKeys = ["zz0123456789abcdef0123456789abcd", "good", "0123456789abcdef"];

    [Fact]
    public async Task HostileSweepIdsAndKeysAreRefusedAtTheGrainsAndNothingIsWrittenOutside()
    {
        var trainer = new FakeTrainer { Steps = 2 };
        await using var cluster = await TestClusters.StartAsync(trainer, silos: 1, slotsPerSilo: 1);
        string outside = Path.Combine(cluster.Scratch, "outside");
        var hostile = Hostile.Select(h => h.Replace("{0}", outside, StringComparison.Ordinal)).ToArray();
        var good = TestClusters.Spec("good", cells: 1, seeds: 1);

        foreach (string value in hostile)
        {
            // As a sweep id: the spec's id and the grain's key (Orleans itself refuses an empty or blank grain key, in GetGrain).
            string sweepId = $"sweep id {SafeNames.Show(value)}";
            string asGrainKey = string.IsNullOrWhiteSpace(value) ? "cannot be an empty string" : sweepId;
            ISweepGrain Sweep() => cluster.Grains.GetGrain<ISweepGrain>(value);
            await Refused(() => Sweep().Submit(good with { SweepId = value }), asGrainKey);
            await Refused(() => cluster.Grains.GetGrain<ISweepGrain>("good").Submit(good with { SweepId = value }), sweepId);
            await Refused(() => Sweep().GetStatus(), asGrainKey);
            await Refused(() => Sweep().Cancel(), asGrainKey);
            await Refused(() => cluster.Grains.GetGrain<ISweepDirectoryGrain>(0).SetActive(value, true), sweepId);
        }

        foreach (string value in hostile.Concat(NotKeys))
        {
            // As a run key or a cell key in an otherwise good spec.
            var runs = good.Runs;
            await Refused(() => cluster.Grains.GetGrain<ISweepGrain>("good").Submit(good with { Runs = [runs[0] with { RunKey = value }] }), $"run key {SafeNames.Show(value)}");
            await Refused(() => cluster.Grains.GetGrain<ISweepGrain>("good").Submit(good with { Runs = [runs[0] with { CellKey = value }] }), $"cell key {SafeNames.Show(value)}");

            // As a run grain's key, called the way a worker would.
            IRunGrain Run() => cluster.Grains.GetGrain<IRunGrain>(value);
            string runKey = string.IsNullOrWhiteSpace(value) ? "cannot be an empty string" : $"run key {SafeNames.Show(value)}";
            await Refused(() => Run().Begin("{}", new WorkerSlot(cluster.Cluster.Silos[0].SiloAddress, "hostile", 0, "cpu")), runKey);
            await Refused(() => Run().Prepare(resultInStore: false), runKey);
        }

        // A checkpoint path outside the run's attempt folder is refused too (a worker resumes from it).
        var owned = cluster.Grains.GetGrain<IRunGrain>(TestClusters.Key("owned"));
        var begun = await owned.Begin("{}", new WorkerSlot(cluster.Cluster.Silos[0].SiloAddress, "w", 0, "cpu"));
        foreach (string path in new[] { "/etc/passwd", "../x.ckpt", $"runs/{TestClusters.Key("other")}/attempt-1/checkpoints/s.ckpt",
                     $"{StorePaths.Checkpoints(TestClusters.Key("owned"), begun.Attempt)}/../../../../results/x.json", $"{StorePaths.Checkpoints(TestClusters.Key("owned"), begun.Attempt)}/" })
        {
            await Refused(() => owned.RecordCheckpoint(begun.Attempt, 5, path), $"checkpoint path {SafeNames.Show(path)}");
        }
        Assert.True(await owned.RecordCheckpoint(begun.Attempt, 5, $"{StorePaths.Checkpoints(TestClusters.Key("owned"), begun.Attempt)}/step-0000005.ckpt"));

        // Nothing was refused half-way: no folder outside, no sweep listed, nothing in the store but grain state.
        Assert.False(Directory.Exists(outside));
        Assert.Empty(await cluster.Grains.GetGrain<ISweepDirectoryGrain>(0).GetAll());
        var stored = new List<string>();
        await foreach (string path in cluster.Store.ListAsync("", default))
        {
            stored.Add(path);
        }
        Assert.All(stored, path => Assert.StartsWith("grain-state/", path, StringComparison.Ordinal));
        Assert.Empty(trainer.Started);
        Assert.All(Directory.GetDirectories(cluster.Scratch), d => Assert.Contains(Path.GetFileName(d), new[] { "store", "work" }));
        string work = Path.Combine(cluster.Scratch, "work");
        Assert.Empty(Directory.Exists(work) ? Directory.GetFiles(work, "*", SearchOption.AllDirectories) : []);

        // And the cluster still runs a good sweep.
        await cluster.Grains.GetGrain<ISweepGrain>("good").Submit(good);
        Assert.Equal(1, (await cluster.WaitFinishedAsync("good", TimeSpan.FromSeconds(30))).Counts.Succeeded);
    }

    [Fact]
    public async Task ABadSpecIsRefusedBeforeAnythingIsStored()
    {
        await using var cluster = await TestClusters.StartAsync(new FakeTrainer(), silos: 1, slotsPerSilo: 0);
        var good = TestClusters.Spec("dup", cells: 1, seeds: 2);
        var sweep = cluster.Grains.GetGrain<ISweepGrain>("dup");

        await Refused(() => sweep.Submit(good with { Runs = [good.Runs[0], good.Runs[0]] }), $"sweep 'dup' lists run {good.Runs[0].RunKey} twice");
        await Refused(() => sweep.Submit(good with { Runs = [] }), "sweep 'dup' has no runs");
        await Refused(() => sweep.Submit(good with { Report = null! }), "sweep 'dup' has no report layout");
        await Refused(() => sweep.Submit(good with { Runs = [good.Runs[0] with { ConfigJson = null! }] }), "lacks its labels or config");

        Assert.False(await cluster.Store.ExistsAsync(StorePaths.SweepSpec("dup"), default));
    }

    private static async Task Refused(Func<Task> call, string expected)
    {
        ArgumentException? error = null;
        try
        {
            await call();
        }
        catch (ArgumentException e)
        {
            error = e;
        }
        Assert.True(error is not null, $"not refused: {expected}");
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        if (!expected.StartsWith("cannot be", StringComparison.Ordinal))
        {
            Assert.Contains(". Fix: ", error.Message, StringComparison.Ordinal); // ours: the reason and what to do
        }
    }
}
