using System.CommandLine;
using SemiSeg.Client;
using SemiSeg.Security;
using SemiSeg.Storage;

namespace SemiSeg.Cli.Commands;

/// <summary>
/// semiseg report TARGET: a sweep's report (report.md, tables, plots, qualitative panel). TARGET is a folder (the --out
/// of semiseg run, or a local store) read offline, or a sweep id read from a running cluster (with --storage for the
/// per-run files behind the plots).
/// </summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("TARGET") { Description = "A sweep's output folder (semiseg run --out), a local store folder, or a sweep id on a cluster" };
        var output = new Option<DirectoryInfo?>("--out", "-o") { Description = "Report folder (default: TARGET/report for a folder, runs/SWEEP/report for a sweep id)" };
        var sweep = new Option<string?>("--sweep") { Description = "Which sweep, when the folder's store holds several" };
        var panels = new Option<int>("--panels") { Description = "Validation images in the qualitative panel (0: none)", DefaultValueFactory = _ => 4 }
            .InRange(0, 64, "give 0 (no panel) or a number of images, e.g. 4");
        var device = new Option<string>("--device") { Description = "Where the panel's predictions run (cpu, cuda)", DefaultValueFactory = _ => "cpu" };
        var storage = new Option<string?>("--storage") { Description = "With a sweep id: the cluster's artifact store (local:PATH or azure:CONNECTION_STRING) for plots and panels" };
        var clustering = ClientCommands.ClusteringOption();
        var connection = ClientCommands.ConnectionOption();
        var clusterId = ClientCommands.ClusterIdOption();
        var gatewayPort = ClientCommands.GatewayPortOption();
        var tls = new TlsCommandOptions();
        var command = new Command("report", "Write a sweep's report: report.md with tables (Markdown, LaTeX, CSV, JSON), significance against the baseline, plots, a qualitative panel and provenance")
        {
            target, output, sweep, panels, device, storage, clustering, connection, clusterId, gatewayPort,
        };
        tls.AddTo(command);
        command.SetAction((parse, ct) => CliErrors.RunAsync(async () =>
        {
            var options = new ReportOptions { PanelExamples = parse.GetValue(panels), Device = parse.GetValue(device)! };
            string where = parse.GetValue(target)!;
            string? outputFolder = parse.GetValue(output)?.FullName is string given ? CliChecks.WritableFolder(given, "--out") : null;
            string folder;
            string markdown;
            // A folder is read offline; only a bare sweep id goes to the cluster (which may take its connect timeout).
            if (Directory.Exists(where))
            {
                (folder, markdown) = await FromFolder(where, parse.GetValue(sweep), outputFolder, options, ct);
            }
            else if (NotASweepId(where) is string problem)
            {
                throw new ReportInputException($"{where}: {problem}. Fix: pass the --out folder of 'semiseg run' or a local store folder, or a sweep id (with the cluster options)");
            }
            else
            {
                var settings = ClientCommands.Settings(parse, clustering, connection, clusterId, gatewayPort, tls);
                (folder, markdown) = await FromCluster(where, settings, parse.GetValue(storage), outputFolder, options, ct);
            }
            Console.WriteLine(markdown);
            Console.WriteLine($"Written: {Path.Combine(folder, "report.md")} (tables, plots and panel next to it)");
            return 0;
        }, ClientCommands.ClientCancelled));
        return command;
    }

    /// <summary>Why <paramref name="target"/> (not an existing folder) cannot be a sweep id, or null: a file, or
    /// anything that breaks the sweep id rule (a path, for one), is a missing folder rather than a question for a cluster.</summary>
    public static string? NotASweepId(string target) =>
        File.Exists(target) ? "is a file, not a sweep's output folder"
        : SafeNames.SweepIdProblem(target) is string problem ? $"no such folder (and not a sweep id: it {problem})"
        : null;

    /// <summary>A report from a folder: a semiseg run --out folder (its store/ inside) or a local store itself.</summary>
    public static async Task<(string Folder, string Markdown)> FromFolder(string path, string? sweepId, string? output, ReportOptions options, CancellationToken ct = default)
    {
        string root = Path.GetFullPath(path);
        string storeRoot = Directory.Exists(Path.Combine(root, "store", "sweeps")) ? Path.Combine(root, "store")
            : Directory.Exists(Path.Combine(root, "sweeps")) ? root
            : throw new ReportInputException($"{root} is not a sweep's output: it has neither store/sweeps/ nor sweeps/. Fix: pass the --out folder of 'semiseg run' or a local store folder (or a sweep id, with the cluster options)");
        var store = new LocalArtifactStore(storeRoot);
        var ids = await SweepReportWriter.SweepIdsAsync(store, ct);
        string id = sweepId ?? (ids.Count == 1 ? ids[0]
            : throw new ReportInputException(ids.Count == 0
                ? $"{storeRoot}/sweeps/ holds no sweep (no spec.json). Fix: run or submit the manifest first"
                : $"{storeRoot} holds {ids.Count} sweeps ({string.Join(", ", ids)}). Fix: pick one with --sweep ID"));
        var (spec, results) = await SweepReportWriter.ReadAsync(store, id, storeRoot, ct);
        string folder = CliChecks.WritableFolder(output ?? (storeRoot == root ? Path.Combine(root, "report", id) : Path.Combine(root, "report")), "--out");
        string markdown = await SweepReportWriter.WriteAsync(store, $"local:{storeRoot}", spec, results, folder, options, ct);
        return (folder, markdown);
    }

    private static async Task<(string Folder, string Markdown)> FromCluster(string sweepId, ClusterSettings settings, string? storage, string? output, ReportOptions options, CancellationToken ct)
    {
        string folder = CliChecks.WritableFolder(output ?? Path.Combine("runs", sweepId, "report"), "--out");
        IArtifactStore? store = storage is null ? null : ArtifactStores.Create(storage);
        await using var connected = await ClusterConnection.ConnectAsync(settings, ct);
        await connected.Client.RequireSweepAsync(sweepId, ct);
        var results = await connected.Client.GetResultsAsync(sweepId, ct);
        var spec = store is null ? null : (await SweepReportWriter.ReadAsync(store, sweepId, storage!, ct)).Spec;
        string markdown = await SweepReportWriter.WriteAsync(store, storage ?? "(not given)", spec, results, folder, options, ct);
        return (folder, markdown);
    }
}
