using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using SemiSeg.Contracts;
using SemiSeg.Grains;
using SemiSeg.Security;
using SemiSeg.Grains.Execution;
using SemiSeg.Silo;
using SemiSeg.Storage;

namespace SemiSeg.Orchestration.Tests.Support;

/// <summary>An in-process cluster of SemiSeg silos sharing one local store, all running the given executor.</summary>
public sealed class TestClusters : IAsyncDisposable
{
    public InProcessTestCluster Cluster { get; }
    public string Storage { get; }
    public IArtifactStore Store { get; }

    /// <summary>A temp folder of this cluster's own, deleted with it.</summary>
    public string Scratch => scratch;

    private readonly string scratch;
    private readonly bool ownsScratch;

    private TestClusters(InProcessTestCluster cluster, string storage, string scratch, bool ownsScratch)
    {
        Cluster = cluster;
        Storage = storage;
        Store = ArtifactStores.Create(storage);
        this.scratch = scratch;
        this.ownsScratch = ownsScratch;
    }

    public IGrainFactory Grains => Cluster.Client;

    public static OrchestrationOptions FastOptions() => new()
    {
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        LeaseTimeout = TimeSpan.FromSeconds(3),
        SupervisorInterval = TimeSpan.FromMilliseconds(300),
        MaxFailedAttempts = 3,
    };

    /// <param name="storage">A store spec (default: a fresh local folder); grain state goes with it.</param>
    /// <param name="configure">More silo configuration (e.g. a grain call filter that simulates a frozen silo).</param>
    /// <param name="scratch">The folder for the store (by default) and the silos' work folders; given, it outlives the
    /// cluster (a second cluster started on it finds what the first left on disk).</param>
    /// <param name="stallTimeout">The workers' stall timeout (default: the production default).</param>
    public static async Task<TestClusters> StartAsync(IRunExecutor executor, short silos = 2, int slotsPerSilo = 2, OrchestrationOptions? options = null, string? storage = null,
        Action<Orleans.Hosting.ISiloBuilder>? configure = null, string? scratch = null, TimeSpan? stallTimeout = null)
    {
        bool ownsScratch = scratch is null;
        scratch ??= Path.Combine(Path.GetTempPath(), "semiseg-tests", Guid.NewGuid().ToString("N"));
        storage ??= $"local:{scratch}/store";
        var builder = new InProcessTestClusterBuilder(silos);
        builder.ConfigureSilo((siloOptions, silo) =>
        {
            silo.Services.AddSingleton(executor);
            silo.AddSemiSeg(new SiloSettings
            {
                Role = SiloSettings.Worker,
                Slots = slotsPerSilo,
                Storage = storage,
                WorkerName = siloOptions.SiloName,
                WorkDirectory = Path.Combine(scratch, "work", siloOptions.SiloName),
                StallTimeout = stallTimeout ?? new SiloSettings().StallTimeout,
            }, options ?? FastOptions());
            configure?.Invoke(silo);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new TestClusters(cluster, storage, scratch, ownsScratch);
    }

    /// <summary>A run or cell key (32 lowercase hex digits, as the grains require) for a readable test name, e.g.
    /// Key("kill-c0-s0") for the first run of <see cref="Spec"/>("kill", ...).</summary>
    public static string Key(string name) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..SafeNames.KeyLength];

    /// <summary>A spec of cells × seeds runs; run c, s has key <see cref="Key"/>("ID-cC-sS").</summary>
    public static SweepSpec Spec(string id, int cells, int seeds, string report = "value")
    {
        var runs = new List<RunSpec>();
        for (int c = 0; c < cells; c++)
        {
            for (int s = 0; s < seeds; s++)
            {
                runs.Add(new RunSpec(Key($"{id}-c{c}-s{s}"), Key($"{id}-c{c}"), s, new Dictionary<string, string> { ["teacher"] = $"t{c}" },
                    $$"""{"name":"{{id}}-c{{c}}","seed":{{s}}}"""));
            }
        }
        return new SweepSpec(id, $"{id}.yaml", "sweep: " + id, "sha-" + id, new ReportSpec(["teacher"], [], report), [.. runs]);
    }

    public async Task<SweepStatus> WaitFinishedAsync(string sweepId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var status = await Grains.GetGrain<ISweepGrain>(sweepId).GetStatus();
            if (status.FinishedAt is not null)
            {
                return status;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"sweep {sweepId} did not finish in {timeout}: {status.Counts}");
            }
            await Task.Delay(100);
        }
    }

    public static async Task Eventually(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out after {timeout} waiting for {what}");
            }
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        try
        {
            if (ownsScratch && Directory.Exists(scratch))
            {
                Directory.Delete(scratch, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }
}
