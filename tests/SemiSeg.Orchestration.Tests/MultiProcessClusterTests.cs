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
/// membership (on Azurite) or PostgreSQL membership, blob storage on Azurite, the real trainer in child processes, and
/// kill -9 of a worker mid-sweep.
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
            output.WriteLine($"killing {victim.Role} on port {victim.SiloPort}, running {victimRun.RunKey} at checkpoint {victimRun.CheckpointStep}");
            victim.Kill();

            SweepStatus? final = null;
            await foreach (var status in client.WatchAsync(spec.SweepId, TimeSpan.FromMilliseconds(500)).WithCancellation(new CancellationTokenSource(TimeSpan.FromMinutes(5)).Token))
            {
                final = status;
            }
            Assert.Equal(4, final!.Counts.Succeeded);
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
            foreach (var silo in silos)
            {
                silo.Kill();
                output.WriteLine($"--- {silo.Role} :{silo.SiloPort}\n{silo.Log}");
            }
        }
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

        public static SiloProcess Start(string role, Membership membership, string clusterId, string storage, int slots, int? dashboardPort = null)
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
                "--work-dir", Path.Combine(Path.GetTempPath(), "semiseg-mp", clusterId, siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            }).Concat(dashboardPort is int port ? ["--dashboard-urls", $"http://127.0.0.1:{port}"] : []))
            {
                start.ArgumentList.Add(arg);
            }
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
