using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SemiSeg.Client;
using SemiSeg.Security;
using SemiSeg.Silo;
using SemiSeg.Storage;

namespace SemiSeg.Cli.Commands;

/// <summary>
/// semiseg run MANIFEST: the embedded default. An in-process silo (localhost clustering, local store and grain state
/// under --out, the dashboard on 127.0.0.1) runs the sweep with --slots parallel trainings, shows live progress, and
/// ends with the mean ± std table. Running the same command again resumes: finished runs are not run twice.
/// </summary>
public static class RunCommand
{
    public static Command Create()
    {
        var manifest = new Argument<FileInfo>("manifest") { Description = "Sweep manifest (YAML), e.g. sweeps/quickstart.yaml" };
        var output = new Option<DirectoryInfo?>("--out", "-o") { Description = "Output folder: store, state, report (default: runs/SWEEP)" };
        var slots = new Option<int>("--slots") { Description = "Parallel CPU trainings (default: 1)", DefaultValueFactory = _ => 1 }
            .InRange(1, 256, "give 1 to 256 parallel trainings, e.g. --slots 2");
        var gpus = new Option<string?>("--gpus") { Description = "GPU ids to use instead of CPU slots, one training each, e.g. 0,1" };
        var dashboardPort = new Option<int>("--dashboard-port") { Description = "Dashboard port on 127.0.0.1 (default: a free port; 0 turns the dashboard off with --no-dashboard)", DefaultValueFactory = _ => 0 }
            .InRange(0, 65535, "give a TCP port, or 0 for a free one");
        var noDashboard = new Option<bool>("--no-dashboard") { Description = "Do not serve the Orleans dashboard" };
        var command = new Command("run", "Run a sweep on this machine and print its table") { manifest, output, slots, gpus, dashboardPort, noDashboard };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var spec = SweepSpecs.FromManifest(parse.GetValue(manifest)!.FullName);
            string folder = CliChecks.WritableFolder(parse.GetValue(output)?.FullName ?? Path.Combine("runs", spec.SweepId), "--out");
            var settings = new SiloSettings
            {
                Role = SiloSettings.Coordinator,
                Slots = parse.GetValue(slots),
                Gpus = SiloCommand.ParseGpus(parse.GetValue(gpus)),
                Device = string.IsNullOrWhiteSpace(parse.GetValue(gpus)) ? "cpu" : "cuda",
                Clustering = "localhost",
                Storage = $"local:{Path.Combine(folder, "store")}",
                ClusterId = $"semiseg-run-{spec.SweepId}",
                SiloPort = FreePort(),
                GatewayPort = FreePort(),
                DashboardUrls = parse.GetValue(noDashboard) ? null : $"http://127.0.0.1:{(parse.GetValue(dashboardPort) is int p and > 0 ? p : FreePort())}",
                WorkDirectory = Path.Combine(folder, "work"),
            };
            if (settings.Devices().Count == 0)
            {
                throw new SiloSettingsException("--slots", "no slot would run anything", "give --slots 1 or more, or --gpus");
            }
            return RunAsync(spec, settings, folder).GetAwaiter().GetResult();
        }, cancelled: "Cancelled. Run the same command again to resume: finished runs are not run again."));
        return command;
    }

    private static async Task<int> RunAsync(Contracts.SweepSpec spec, SiloSettings settings, string folder)
    {
        Directory.CreateDirectory(folder);
        Console.WriteLine($"sweep '{spec.SweepId}': {spec.Runs.Length} runs ({spec.Runs.Select(r => r.CellKey).Distinct().Count()} cells), {settings.Devices().Count} slot(s) [{string.Join(", ", settings.Devices())}], output {folder}");
        var app = SiloHosting.BuildSiloHost(settings, configureHost: builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddRedactingConsole(singleLine: true).SetMinimumLevel(LogLevel.Error);
        });
        await app.StartAsync();
        using var cancellation = new CancellationTokenSource();
        var termination = CliChecks.CancelOnTermination(cancellation);
        try
        {
            if (settings.DashboardUrls is not null)
            {
                Console.WriteLine($"dashboard: {settings.DashboardUrls}/dashboard");
            }
            var client = new SemiSegClient(app.Services.GetRequiredService<IClusterClient>());
            var submitted = await client.SubmitAsync(spec);
            if (submitted.ReusedResults > 0)
            {
                Console.WriteLine($"{submitted.ReusedResults} of {spec.Runs.Length} runs already have results in {settings.Storage}: not run again");
            }
            Contracts.SweepStatus final;
            try
            {
                final = await SweepProgress.FollowAsync(client, spec, spec.SweepId, cancellation.Token);
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("Cancelling: running trainings are stopped; run the same command again to resume.");
                await client.CancelAsync(spec.SweepId);
                await foreach (var _ in client.WatchAsync(spec.SweepId, TimeSpan.FromMilliseconds(500)))
                {
                }
                return CliErrors.Cancelled;
            }
            var results = await client.GetResultsAsync(spec.SweepId);
            string reportFolder = Path.Combine(folder, "report");
            var store = app.Services.GetRequiredService<IArtifactStore>();
            string markdown = await SweepReportWriter.WriteAsync(store, settings.Storage, spec, results, reportFolder, new ReportOptions { Device = settings.Device == "cuda" ? "cuda" : "cpu" });
            Console.WriteLine();
            Console.WriteLine($"{spec.SweepId}: {results.Report.Metric} (%), mean ± std over seeds");
            Console.WriteLine(markdown);
            Console.WriteLine($"Written: {Path.Combine(reportFolder, "report.md")} (with table.md, table.tex, table.csv, table.json, results.json, plots); per-run files in {settings.Storage}");
            var failures = SweepReports.Failures(results).ToList();
            foreach (string failure in failures)
            {
                CliErrors.Error($"failed run: {failure}");
            }
            return final.Counts.Succeeded == final.Counts.Total ? 0 : 1;
        }
        finally
        {
            termination.Dispose();
            await app.StopAsync();
            if (app is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
            else
            {
                app.Dispose();
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
