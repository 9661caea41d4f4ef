using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using SemiSeg.Client;
using SemiSeg.Contracts;
using SemiSeg.Orchestration.Tests.Support;
using SemiSeg.Storage;
using SemiSeg.Testing;
using Xunit.Abstractions;

namespace SemiSeg.Orchestration.Tests;

/// <summary>
/// The real thing on loopback: a coordinator and two worker silo processes (`semiseg silo`) with Azure Table
/// membership (on Azurite) or PostgreSQL membership, blob storage on Azurite, the real trainer in child processes;
/// kill -9 of a worker mid-sweep (with the time until its run trains again), SIGSTOP of a trainer, and the store
/// stopped for 60 s.
/// </summary>
public sealed class MultiProcessClusterTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("azure-table")]
    [InlineData("postgres")]
    public async Task KillingAWorkerProcessMidSweepLosesNothingAndCountsNothingTwice(string clustering)
    {
        var membership = new Membership(clustering, clustering == "postgres" ? Postgres.ConnectionString : Azurite.ConnectionString);
        string clusterId = Azurite.NewName("c");
        string storage = $"azure:{Azurite.ConnectionString};Container={Azurite.NewName("mp")}";
        int dashboardPort = FreePort();
        var silos = new List<SiloProcess>();
        try
        {
            silos.Add(SiloProcess.Start("coordinator", membership, clusterId, storage, slots: 0, dashboardPort));
            await Task.Delay(TimeSpan.FromSeconds(3)); // the coordinator registers first; workers join it
            silos.Add(SiloProcess.Start("worker", membership, clusterId, storage, slots: 1));
            silos.Add(SiloProcess.Start("worker", membership, clusterId, storage, slots: 1));

            await using var connection = await ConnectWithRetry(new ClusterSettings
            {
                Clustering = membership.Clustering, ClusteringConnection = membership.Connection, ClusterId = clusterId,
            });
            var client = connection.Client;
            var spec = TinySweeps.Spec(clusterId, steps: 24, checkpointEvery: 4, seeds: 2, fractions: "[1/8, 1/4]");
            await client.SubmitAsync(spec);

            // Wait for a run with a checkpoint past step 4, then kill -9 the worker running it.
            RunSnapshot? victimRun = null;
            // Generous: three silo processes and TorchSharp start on 2 cores; 3 minutes ran out once while a sweep
            // shared the machine. An unloaded machine gets there much sooner, so this only delays a real failure.
            var deadline = DateTime.UtcNow.AddMinutes(6);
            while (victimRun is null)
            {
                Assert.True(DateTime.UtcNow < deadline, "no run reached a checkpoint in time:\n" + string.Join("\n", silos.Select(s => s.Log)));
                var status = await client.GetStatusAsync(spec.SweepId);
                victimRun = status.Active.FirstOrDefault(a => a.CheckpointStep >= 4 && a.Worker is not null);
                await Task.Delay(200);
            }
            var victim = silos.Single(s => victimRun.Worker!.Contains($":{s.SiloPort}/", StringComparison.Ordinal));
            output.WriteLine($"{DateTime.Now:HH:mm:ss.fff} killing {victim.Role} on port {victim.SiloPort}, running {victimRun.RunKey} at checkpoint {victimRun.CheckpointStep}");
            var sinceKill = Stopwatch.StartNew();
            victim.Kill();
            silos.Add(SiloProcess.Start("worker", membership, clusterId, storage, slots: 1)); // a restart policy brings a worker back

            // Recovery: from kill -9 to the lost run training again (a new attempt past its checkpoint), wherever a
            // slot frees first; it goes to the front of the queue. Progress reaches the grains with each 1 s heartbeat.
            // On the way: the attempt given up as lost, and a slot claiming the next attempt.
            double? lost = null, claimed = null, recovered = null;
            var final = await PollUntilFinished(client, spec.SweepId, TimeSpan.FromMinutes(8), status => // runs take ~40 s alone, minutes on a loaded machine
            {
                double now = sinceKill.Elapsed.TotalSeconds;
                var run = status.Active.FirstOrDefault(a => a.RunKey == victimRun.RunKey); // running runs only
                lost ??= run is null || run.Attempt > victimRun.Attempt ? now : null;
                claimed ??= run?.Attempt > victimRun.Attempt ? now : null;
                recovered ??= run?.Attempt > victimRun.Attempt && run.Progress?.Step > victimRun.CheckpointStep ? now : null;
            });
            output.WriteLine($"recovery ({clustering}): the killed run trained again {recovered:F1} s after kill -9 (given up as lost after {lost:F1} s, claimed by a slot after {claimed:F1} s)");
            Assert.True(recovered is not null, "the killed run was never seen training again");
            Assert.True(claimed < 30, $"the killed run was claimed by a slot only {claimed:F1} s after kill -9"); // the orchestrator's part
            Assert.True(recovered < 90, $"the killed run trained again only {recovered:F1} s after kill -9");
            Assert.Equal(4, final.Counts.Succeeded);
            Assert.Equal(4, final.Counts.Total);

            var store = ArtifactStores.Create(storage);
            var committed = new List<string>();
            await foreach (string path in store.ListAsync(StorePaths.ResultsPrefix, default))
            {
                committed.Add(path);
            }
            Assert.Equal(spec.Runs.Select(r => StorePaths.Result(r.RunKey)).Order(StringComparer.Ordinal), committed);
            using var resumed = JsonDocument.Parse((await store.ReadTextAsync(StorePaths.Result(victimRun.RunKey), default))!);
            Assert.True(resumed.RootElement.GetProperty("resumed_from_step").GetInt32() >= 4, "the killed run did not resume from its checkpoint");
            var results = await client.GetResultsAsync(spec.SweepId);
            Assert.Equal(4, results.Runs.Count(r => r.State == RunState.Succeeded && r.Value is not null));
            Assert.True(results.Runs.Single(r => r.RunKey == victimRun.RunKey).Attempts >= 2);

            // The dashboard is served by the coordinator, on loopback.
            using var http = new HttpClient();
            var page = await http.GetAsync($"http://127.0.0.1:{dashboardPort}/dashboard");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }
        finally
        {
            StopSilos(silos, clusterId);
        }
    }

    /// <summary>
    /// A trainer stopped with SIGSTOP is killed as hung (stall timeout 30 s: a shorter one killed a healthy trainer once on a machine loaded 15-fold) and its run resumes from its checkpoint;
    /// then the store (artifacts and grain state: a private Azurite) is stopped for 60 s while trainings finish: each
    /// finished training is kept on its worker and delivered when the store is back, none is run again, every run ends
    /// with exactly one result. About 4 minutes, 60 s of them the outage itself.
    /// </summary>
    [Fact]
    public async Task AHungTrainerIsResumedAndAStorageOutageLosesNoFinishedTraining()
    {
        var membership = new Membership("azure-table", Azurite.ConnectionString);
        using var store = AzuriteProcess.StartNew(Azurite.RepoRoot());
        string clusterId = Azurite.NewName("c");
        string storage = $"azure:{store.ConnectionString};Container={Azurite.NewName("mp")}";
        var silos = new List<SiloProcess>();
        int? stopped = null;
        try
        {
            silos.Add(SiloProcess.Start("coordinator", membership, clusterId, storage, slots: 0));
            await Task.Delay(TimeSpan.FromSeconds(3));
            silos.Add(SiloProcess.Start("worker", membership, clusterId, storage, slots: 1, stallTimeoutSeconds: 30));
            silos.Add(SiloProcess.Start("worker", membership, clusterId, storage, slots: 1, stallTimeoutSeconds: 30));
            await using var connection = await ConnectWithRetry(new ClusterSettings
            {
                Clustering = membership.Clustering, ClusteringConnection = membership.Connection, ClusterId = clusterId,
            });
            var client = connection.Client;
            var spec = TinySweeps.Spec(clusterId, steps: 24, checkpointEvery: 4, seeds: 2, fractions: "[1/8, 1/4]");
            await client.SubmitAsync(spec);

            // SIGSTOP the trainer of a run past its first checkpoint: the worker still heartbeats, the trainer is silent.
            RunSnapshot? hung = null;
            var deadline = DateTime.UtcNow.AddMinutes(6);
            while (hung is null)
            {
                Assert.True(DateTime.UtcNow < deadline, "no run reached a checkpoint in time:\n" + string.Join("\n", silos.Select(s => s.Log)));
                hung = (await client.GetStatusAsync(spec.SweepId)).Active.FirstOrDefault(a => a.CheckpointStep >= 4 && a.Worker is not null && a.Progress is not null);
                await Task.Delay(200);
            }
            var worker = silos.Single(s => hung.Worker!.Contains($":{s.SiloPort}/", StringComparison.Ordinal));
            stopped = TrainerOf(worker.Pid) ?? throw new InvalidOperationException($"no trainer process under worker {worker.Pid}");
            Signal("STOP", stopped.Value);
            var sinceStop = Stopwatch.StartNew();
            output.WriteLine($"SIGSTOP trainer {stopped} of run {hung.RunKey} attempt {hung.Attempt} at step {hung.Progress!.Step}");
            while (Directory.Exists($"/proc/{stopped}"))
            {
                Assert.True(sinceStop.Elapsed < TimeSpan.FromMinutes(3), "the stopped trainer was never killed:\n" + worker.Log);
                await Task.Delay(200);
            }
            output.WriteLine($"the stopped trainer was killed {sinceStop.Elapsed.TotalSeconds:F1} s after SIGSTOP");
            stopped = null;

            // Stop the store while a training is near its end, for 60 s; note the trainings that finish meanwhile.
            deadline = DateTime.UtcNow.AddMinutes(6);
            while (!(await client.GetStatusAsync(spec.SweepId)).Active.Any(a => a.Progress is { } p && p.Step >= p.TotalSteps - 8 && p.Step < p.TotalSteps))
            {
                Assert.True(DateTime.UtcNow < deadline, "no training came near its end");
                await Task.Delay(200);
            }
            store.Stop();
            output.WriteLine("store stopped");
            var finishedDuringOutage = new Dictionary<string, int>();
            var outage = Stopwatch.StartNew();
            while (outage.Elapsed < TimeSpan.FromSeconds(60))
            {
                foreach (var a in (await client.GetStatusAsync(spec.SweepId)).Active.Where(a => a.Progress is { } p && p.Step == p.TotalSteps))
                {
                    finishedDuringOutage[a.RunKey] = a.Attempt;
                }
                await Task.Delay(500);
            }
            var during = await client.GetStatusAsync(spec.SweepId);
            store.Start();
            output.WriteLine($"store started again; finished during the outage: {string.Join(", ", finishedDuringOutage)}; counts then {during.Counts}");

            var final = await PollUntilFinished(client, spec.SweepId, TimeSpan.FromMinutes(6), _ => { });
            Assert.Equal((4, 4), (final.Counts.Succeeded, final.Counts.Total));
            var results = ArtifactStores.Create(storage);
            var committed = new List<string>();
            await foreach (string path in results.ListAsync(StorePaths.ResultsPrefix, default))
            {
                committed.Add(path);
            }
            Assert.Equal(spec.Runs.Select(r => StorePaths.Result(r.RunKey)).Order(StringComparer.Ordinal), committed); // exactly one result each
            var rows = (await client.GetResultsAsync(spec.SweepId)).Runs.ToDictionary(r => r.RunKey);
            Assert.NotEmpty(finishedDuringOutage);
            foreach (var (run, attempt) in finishedDuringOutage)
            {
                Assert.Equal(attempt, rows[run].Attempts); // the training that finished while the store was away is the one committed
            }
            Assert.True(rows[hung.RunKey].Attempts > hung.Attempt);
            using var resumed = JsonDocument.Parse((await results.ReadTextAsync(StorePaths.Result(hung.RunKey), default))!);
            Assert.True(resumed.RootElement.GetProperty("resumed_from_step").GetInt32() >= 4, "the hung run did not resume from its checkpoint");
        }
        finally
        {
            if (stopped is int pid)
            {
                Signal("CONT", pid);
            }
            StopSilos(silos, clusterId);
        }
    }

    /// <summary>Kills the silos, prints their logs and deletes their work folders: a killed worker leaves its attempt
    /// folders (checkpoints) behind, and test runs once filled the disk with them.</summary>
    private void StopSilos(List<SiloProcess> silos, string clusterId)
    {
        foreach (var silo in silos)
        {
            silo.Kill();
            output.WriteLine($"--- {silo.Role} :{silo.SiloPort}\n{silo.Log}");
        }
        // A killed worker's trainer exits when it notices its parent is gone (within a second or so): until then it may
        // still write there.
        string root = SiloProcess.WorkRoot(clusterId);
        for (int tries = 1; Directory.Exists(root); tries++)
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException) when (tries < 10)
            {
                Thread.Sleep(1000);
            }
        }
    }

    /// <summary>Polls a sweep's status (also while the store is away, when watching might stall) until it finishes.</summary>
    private static async Task<SweepStatus> PollUntilFinished(SemiSegClient client, string sweepId, TimeSpan timeout, Action<SweepStatus> each)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var status = await client.GetStatusAsync(sweepId);
            each(status);
            if (status.FinishedAt is not null)
            {
                return status;
            }
            Assert.True(DateTime.UtcNow < deadline, $"sweep {sweepId} did not finish within {timeout}: {status.Counts}");
            await Task.Delay(200);
        }
    }

    /// <summary>The trainer child process (semiseg train) of a worker silo process, from /proc.</summary>
    private static int? TrainerOf(int workerPid)
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
            {
                continue;
            }
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                int parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
                if (parent == workerPid && File.ReadAllText(Path.Combine(dir, "cmdline")).Contains("\0train\0", StringComparison.Ordinal))
                {
                    return pid;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // the process ended meanwhile
            }
        }
        return null;
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Which membership the silos and the client use.</summary>
    public sealed record Membership(string Clustering, string Connection);

    private static async Task<ClusterConnection> ConnectWithRetry(ClusterSettings settings)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await ClusterConnection.ConnectAsync(settings);
            }
            catch (ClusterUnreachableException) when (attempt < 20)
            {
                await Task.Delay(1000);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class SiloProcess
    {
        private readonly Process process;
        private readonly System.Text.StringBuilder log = new();

        private SiloProcess(Process process, string role, int siloPort)
        {
            this.process = process;
            Role = role;
            SiloPort = siloPort;
        }

        public string Role { get; }
        public int SiloPort { get; }
        public int Pid => process.Id;

        public string Log
        {
            get
            {
                lock (log)
                {
                    return log.ToString();
                }
            }
        }

        /// <summary>The folder under which each silo of a test cluster has its work folder.</summary>
        public static string WorkRoot(string clusterId) => Path.Combine(Path.GetTempPath(), "semiseg-mp", clusterId);

        public static SiloProcess Start(string role, Membership membership, string clusterId, string storage, int slots, int? dashboardPort = null, int? stallTimeoutSeconds = null)
        {
            int siloPort = FreePort();
            var trainer = RealTrainerTests.Trainer();
            var start = new ProcessStartInfo(trainer.FileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string arg in trainer.Arguments.Concat(new[]
            {
                "silo", "--role", role, "--slots", slots.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--clustering", membership.Clustering, "--clustering-connection", membership.Connection, "--cluster-id", clusterId,
                "--storage", storage, "--silo-port", siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--gateway-port", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--work-dir", Path.Combine(WorkRoot(clusterId), siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            }).Concat(dashboardPort is int port ? ["--dashboard-urls", $"http://127.0.0.1:{port}"] : [])
              .Concat(stallTimeoutSeconds is int stall ? ["--stall-timeout", stall.ToString(System.Globalization.CultureInfo.InvariantCulture)] : []))
            {
                start.ArgumentList.Add(arg);
            }
            // Timestamps on every log line (bound by the console formatter's options): a failure's log shows when.
            start.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
            var process = Process.Start(start)!;
            var silo = new SiloProcess(process, role, siloPort);
            process.OutputDataReceived += (_, e) => silo.Append(e.Data);
            process.ErrorDataReceived += (_, e) => silo.Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return silo;
        }

        private void Append(string? line)
        {
            if (line is not null)
            {
                lock (log)
                {
                    log.AppendLine(line);
                }
            }
        }

        /// <summary>SIGKILL: no graceful shutdown, no goodbye to the membership table.</summary>
        public void Kill()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: false);
                process.WaitForExit();
            }
        }
    }
}
