using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.TestingHost;
using SemiSeg.Contracts;
using SemiSeg.Grains;
using SemiSeg.Grains.Execution;
using SemiSeg.Silo;

namespace SemiSeg.Orchestration.Bench;

/// <summary>
/// Orchestration benchmarks on an in-process cluster (results in bench/README.md):
///   overhead [--runs 10000] [--silos 4] [--slots 4] [--run-ms 0]: ms of orchestration per run per slot, and the
///     fraction of ideal throughput when each run takes --run-ms;
///   recovery [--kills 10]: seconds from killing the silo that runs a run to that run running again elsewhere;
///   recovery --queue [--kills 10]: the same with a full queue (3 busy slots, 500 runs waiting), a replacement silo
///     started at each kill (as a restart policy would): the lost run must not wait behind the queue.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        string command = args.FirstOrDefault() ?? "";
        int Arg(string name, int fallback) =>
            Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        switch (command)
        {
            case "overhead":
                await Overhead(Arg("--runs", 10_000), (short)Arg("--silos", 4), Arg("--slots", 4), Arg("--run-ms", 0));
                return 0;
            case "recovery" when args.Contains("--queue"):
                await RecoveryWithAFullQueue(Arg("--kills", 10));
                return 0;
            case "recovery":
                await Recovery(Arg("--kills", 10));
                return 0;
            default:
                Console.Error.WriteLine("usage: semiseg-orchestration-bench overhead [--runs N] [--silos N] [--slots N] [--run-ms N] | recovery [--queue] [--kills N]");
                return 2;
        }
    }

    private static async Task Overhead(int runs, short silos, int slots, int runMs)
    {
        var executor = new SleepExecutor(TimeSpan.FromMilliseconds(runMs));
        await using var cluster = await Start(executor, silos, slots, new OrchestrationOptions { SupervisorInterval = TimeSpan.FromSeconds(1) });
        var spec = Spec("overhead", runs);
        var sweep = cluster.Cluster.Client.GetGrain<ISweepGrain>(spec.SweepId);
        var clock = Stopwatch.StartNew();
        await sweep.Submit(spec);
        double submitted = clock.Elapsed.TotalSeconds;
        while ((await sweep.GetStatus()).FinishedAt is null)
        {
            await Task.Delay(50);
        }
        double wall = clock.Elapsed.TotalSeconds;
        int totalSlots = silos * slots;
        double ideal = runs * runMs / 1000.0 / totalSlots;
        double perRun = (wall - ideal) * 1000.0 * totalSlots / runs;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"overhead: {runs} runs of {runMs} ms over {silos} silos x {slots} slots: {wall:F1} s (submit {submitted:F1} s); ideal {ideal:F1} s; " +
            $"orchestration {perRun:F2} ms per run per slot; {(ideal > 0 ? ideal / wall : double.NaN):P0} of ideal throughput; peak {executor.Peak} concurrent"));
    }

    private static async Task Recovery(int kills)
    {
        var executor = new SleepExecutor(TimeSpan.FromHours(1));
        await using var cluster = await Start(executor, silos: 3, slots: 1, new OrchestrationOptions());
        var times = new List<double>();
        for (int k = 0; k < kills; k++)
        {
            var spec = Spec($"recovery{k}", 1);
            var client = cluster.Cluster.Client;
            await Retry(() => client.GetGrain<ISweepGrain>(spec.SweepId).Submit(spec));
            var run = client.GetGrain<IRunGrain>(spec.Runs[0].RunKey);
            RunSnapshot? snapshot = null;
            while (snapshot?.State != RunState.Running)
            {
                snapshot = await Retry(() => run.GetSnapshot());
                await Task.Delay(20);
            }
            string worker = snapshot.Worker!;
            var victim = cluster.Cluster.Silos.Single(s => worker.StartsWith(s.Name + "/", StringComparison.Ordinal));
            var clock = Stopwatch.StartNew();
            await cluster.Cluster.KillSiloAsync(victim);
            while (true)
            {
                try
                {
                    var now = await run.GetSnapshot();
                    if (now.State == RunState.Running && now.Attempt > snapshot.Attempt)
                    {
                        break;
                    }
                }
                catch (Exception e) when (e is TimeoutException or SiloUnavailableException or OrleansMessageRejectionException or Orleans.Runtime.Messaging.ConnectionFailedException)
                {
                }
                await Task.Delay(50);
            }
            times.Add(clock.Elapsed.TotalSeconds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"kill {k + 1}: running again after {times[^1]:F1} s"));
            await Retry(() => client.GetGrain<ISweepGrain>(spec.SweepId).Cancel());
            await cluster.Cluster.StartAdditionalSiloAsync();
        }
        Summarize("recovery", times);
    }

    private static async Task RecoveryWithAFullQueue(int kills)
    {
        var executor = new SleepExecutor(TimeSpan.FromHours(1));
        await using var cluster = await Start(executor, silos: 3, slots: 1, new OrchestrationOptions());
        var client = cluster.Cluster.Client;
        var spec = Spec("queued", 500);
        await Retry(() => client.GetGrain<ISweepGrain>(spec.SweepId).Submit(spec));
        var sweep = client.GetGrain<ISweepGrain>(spec.SweepId);
        var times = new List<double>();
        for (int k = 0; k < kills; k++)
        {
            // A running run on a live silo, once every slot is busy (the other 497+ runs wait in the queue).
            RunSnapshot? victim = null;
            while (victim is null)
            {
                var status = await Retry(() => sweep.GetStatus());
                var live = cluster.Cluster.Silos.Select(s => s.Name + "/").ToList();
                var running = status.Active.Where(a => a.State == RunState.Running && a.Worker is string w && live.Any(w.StartsWith)).ToList();
                victim = running.Count >= 3 ? running[k % running.Count] : null;
                await Task.Delay(100);
            }
            var run = client.GetGrain<IRunGrain>(victim.RunKey);
            var silo = cluster.Cluster.Silos.Single(s => victim.Worker!.StartsWith(s.Name + "/", StringComparison.Ordinal));
            var clock = Stopwatch.StartNew();
            await cluster.Cluster.KillSiloAsync(silo);
            await cluster.Cluster.StartAdditionalSiloAsync(); // the restart policy's replacement
            var report = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    var now = await run.GetSnapshot();
                    if (now.State == RunState.Running && now.Attempt > victim.Attempt)
                    {
                        break;
                    }
                    if (report.Elapsed > TimeSpan.FromSeconds(30))
                    {
                        report.Restart();
                        var status = await sweep.GetStatus();
                        string running = string.Join(", ", status.Active.Select(a => $"{a.RunKey[..6]}#{a.Attempt}@{a.Worker}"));
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"  still waiting after {clock.Elapsed.TotalSeconds:F0} s: the run is {now.State} (attempt {now.Attempt}, worker {now.Worker}); running: {running}"));
                    }
                }
                catch (Exception e) when (e is TimeoutException or SiloUnavailableException or OrleansMessageRejectionException or Orleans.Runtime.Messaging.ConnectionFailedException)
                {
                }
                await Task.Delay(50);
            }
            times.Add(clock.Elapsed.TotalSeconds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"kill {k + 1}: running again after {times[^1]:F1} s"));
        }
        await Retry(() => sweep.Cancel());
        Summarize("recovery with a full queue", times);
    }

    private static void Summarize(string what, List<double> times)
    {
        times.Sort();
        double P(double q) => times[(int)Math.Ceiling(q * times.Count) - 1];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what} over {times.Count} kills: median {P(0.5):F1} s, p95 {P(0.95):F1} s, max {times[^1]:F1} s"));
    }

    /// <summary>The client's gateway may be the silo just killed: calls fail until it reconnects elsewhere.</summary>
    private static async Task<T> Retry<T>(Func<Task<T>> call)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (attempt < 100 && e is TimeoutException or SiloUnavailableException or OrleansMessageRejectionException or Orleans.Runtime.Messaging.ConnectionFailedException)
            {
                await Task.Delay(100);
            }
        }
    }

    private static async Task<InProcessTestClusterHandle> Start(IRunExecutor executor, short silos, int slots, OrchestrationOptions options)
    {
        string scratch = Path.Combine(Path.GetTempPath(), "semiseg-bench", Guid.NewGuid().ToString("N"));
        var builder = new InProcessTestClusterBuilder(silos);
        builder.ConfigureSilo((siloOptions, silo) =>
        {
            silo.Services.AddSingleton(executor);
            silo.Services.AddLogging(l => l.SetMinimumLevel(LogLevel.Error));
            silo.Configure<ClusterMembershipOptions>(SiloHosting.ApplyFastFailureDetection);
            silo.AddSemiSeg(new SiloSettings
            {
                Slots = slots,
                Storage = $"local:{scratch}/store",
                WorkerName = siloOptions.SiloName,
                WorkDirectory = Path.Combine(scratch, "work"),
            }, options);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new InProcessTestClusterHandle(cluster, scratch);
    }

    private static SweepSpec Spec(string id, int runs) =>
        new(id, $"{id}.yaml", "", "sha", new ReportSpec([], [], "value"),
            [.. Enumerable.Range(0, runs).Select(i => new RunSpec(Key($"{id}-{i}"), Key($"{id}-cell"), i, [], $$"""{"seed":{{i}}}"""))]);

    /// <summary>Run and cell keys are 32 lowercase hex characters (the grains refuse anything else).</summary>
    private static string Key(string name) => Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(name)));

    private sealed record InProcessTestClusterHandle(InProcessTestCluster Cluster, string Scratch) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Cluster.DisposeAsync();
            if (Directory.Exists(Scratch))
            {
                Directory.Delete(Scratch, recursive: true);
            }
        }
    }

    /// <summary>A trainer that only waits: what remains is the orchestrator's own cost.</summary>
    private sealed class SleepExecutor(TimeSpan duration) : IRunExecutor
    {
        private int running;
        public int Peak;

        public async Task<ExecutionOutcome> ExecuteAsync(RunExecution execution, IExecutionReporter reporter, CancellationToken cancellation)
        {
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref Peak, now);
            try
            {
                if (duration > TimeSpan.Zero)
                {
                    await Task.Delay(duration, cancellation);
                }
                return new ExecutionOutcome(RunState.Succeeded, """{"metric":"mIoU","value":1.0,"wall_seconds":0}""", null, []);
            }
            catch (OperationCanceledException)
            {
                return ExecutionOutcome.Cancelled();
            }
            finally
            {
                Interlocked.Decrement(ref running);
            }
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int seen;
            while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
            {
            }
        }
    }
}
