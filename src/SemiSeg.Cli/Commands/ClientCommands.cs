using System.CommandLine;
using SemiSeg.Client;
using SemiSeg.Contracts;

namespace SemiSeg.Cli.Commands;

/// <summary>
/// semiseg submit | status | watch | cancel | results: client verbs against a running cluster. Each is an async action
/// whose token Ctrl+C and SIGTERM cancel; a sweep id the cluster does not know is an error (exit 2), found through the
/// sweep directory so that asking never creates an empty sweep.
/// </summary>
public static class ClientCommands
{
    /// <summary>What a client verb says when Ctrl+C or SIGTERM stops it: the cluster goes on.</summary>
    public const string ClientCancelled = "Stopped. The sweep goes on in the cluster ('semiseg watch SWEEP' to follow it, 'semiseg cancel SWEEP' to stop it).";

    public static Option<string> ClusteringOption() =>
        SiloCommand.Env(new Option<string>("--clustering") { Description = "localhost, azure-table or postgres; env SEMISEG_CLUSTERING" }, "SEMISEG_CLUSTERING", "localhost");

    public static Option<string?> ConnectionOption() =>
        SiloCommand.Env(new Option<string?>("--clustering-connection") { Description = "Membership connection string: an Azure storage account (azure-table) or an Npgsql connection string (postgres); env SEMISEG_CLUSTERING_CONNECTION" }, "SEMISEG_CLUSTERING_CONNECTION", null);

    public static Option<string> ClusterIdOption() =>
        SiloCommand.Env(new Option<string>("--cluster-id") { Description = "env SEMISEG_CLUSTER_ID" }, "SEMISEG_CLUSTER_ID", "semiseg");

    public static Option<int> GatewayPortOption() =>
        new Option<int>("--gateway-port") { Description = "localhost: the silo's gateway port; env SEMISEG_GATEWAY_PORT", DefaultValueFactory = _ => SiloCommand.EnvInt("SEMISEG_GATEWAY_PORT") ?? 30000 }
            .InRange(1, 65535, "give the silo's gateway port, e.g. 30000");

    public static IEnumerable<Command> Create()
    {
        var manifest = new Argument<FileInfo>("manifest") { Description = "Sweep manifest (YAML)" };
        var watchAfter = new Option<bool>("--watch") { Description = "Follow the sweep until it finishes" };
        yield return Verb("submit", "Submit a sweep (again, to resume it: finished runs are not rerun)", [manifest, watchAfter], parse =>
        {
            var spec = SweepSpecs.FromManifest(parse.GetValue(manifest)!.FullName);
            return async (client, ct) =>
            {
                var status = await client.SubmitAsync(spec, ct);
                Console.WriteLine(SweepProgress.Line(status));
                return parse.GetValue(watchAfter) ? Finished(await SweepProgress.FollowAsync(client, spec, spec.SweepId, ct)) : 0;
            };
        });

        var sweep = new Argument<string?>("sweep") { Description = "Sweep id (the manifest's 'sweep:' name)", Arity = ArgumentArity.ZeroOrOne };
        yield return Verb("status", "Show a sweep's progress (no id: list the cluster's sweeps)", [sweep], parse => async (client, ct) =>
        {
            if (parse.GetValue(sweep) is not string id)
            {
                foreach (string known in await client.ListSweepsAsync(ct))
                {
                    Console.WriteLine(SweepProgress.Line(await client.GetStatusAsync(known, ct)));
                }
                return 0;
            }
            await client.RequireSweepAsync(id, ct);
            var status = await client.GetStatusAsync(id, ct);
            Console.WriteLine(SweepProgress.Line(status));
            foreach (var run in status.Active)
            {
                Console.WriteLine($"  {run.RunKey[..Math.Min(12, run.RunKey.Length)]} attempt {run.Attempt} on {run.Worker}: step {run.Progress?.Step ?? 0}/{run.Progress?.TotalSteps ?? 0}");
            }
            return 0;
        });

        var required = new Argument<string>("sweep") { Description = "Sweep id" };
        yield return Verb("watch", "Follow a sweep until it finishes", [required], parse => async (client, ct) =>
        {
            string id = parse.GetValue(required)!;
            await client.RequireSweepAsync(id, ct);
            return Finished(await SweepProgress.FollowAsync(client, null, id, ct));
        });

        yield return Verb("cancel", "Cancel a sweep: pending runs are dropped, running ones stopped within seconds", [required], parse => async (client, ct) =>
        {
            string id = parse.GetValue(required)!;
            await client.RequireSweepAsync(id, ct);
            Console.WriteLine(SweepProgress.Line(await client.CancelAsync(id, ct)));
            return 0;
        });

        var output = new Option<DirectoryInfo?>("--out", "-o") { Description = "Folder for table.md, table.tex, table.csv, table.json, results.json (default: runs/SWEEP/report)" };
        yield return Verb("results", "Write a sweep's per-run results and its table", [required, output], parse =>
        {
            string id = parse.GetValue(required)!;
            string folder = CliChecks.WritableFolder(parse.GetValue(output)?.FullName ?? Path.Combine("runs", id, "report"), "--out");
            return async (client, ct) =>
            {
                await client.RequireSweepAsync(id, ct);
                var results = await client.GetResultsAsync(id, ct);
                Console.WriteLine(SweepReports.Write(results, folder));
                Console.WriteLine($"Written: {folder}/table.md, table.tex, table.csv, table.json, results.json");
                return 0;
            };
        });
    }

    /// <summary>The cluster settings of the client options every verb has.</summary>
    public static ClusterSettings Settings(ParseResult parse, Option<string> clustering, Option<string?> connection, Option<string> clusterId, Option<int> gatewayPort, TlsCommandOptions tls) => new()
    {
        Clustering = parse.GetValue(clustering)!,
        ClusteringConnection = parse.GetValue(connection),
        ClusterId = parse.GetValue(clusterId)!,
        GatewayPort = parse.GetValue(gatewayPort),
        Tls = tls.Read(parse),
    };

    private static int Finished(SweepStatus status) => status.Counts.Succeeded == status.Counts.Total ? 0 : 1;

    /// <summary>A client verb: <paramref name="prepare"/> checks the local inputs (a manifest, --out) before anything
    /// connects, and returns what to do with the connected client.</summary>
    private static Command Verb(string name, string description, Symbol[] symbols, Func<ParseResult, Func<SemiSegClient, CancellationToken, Task<int>>> prepare)
    {
        var clustering = ClusteringOption();
        var connection = ConnectionOption();
        var clusterId = ClusterIdOption();
        var gatewayPort = GatewayPortOption();
        var tls = new TlsCommandOptions();
        var command = new Command(name, description) { clustering, connection, clusterId, gatewayPort };
        tls.AddTo(command);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Argument argument:
                    command.Arguments.Add(argument);
                    break;
                case Option option:
                    command.Options.Add(option);
                    break;
            }
        }
        command.SetAction((parse, ct) => CliErrors.RunAsync(async () =>
        {
            var remote = prepare(parse);
            await using var connected = await ClusterConnection.ConnectAsync(Settings(parse, clustering, connection, clusterId, gatewayPort, tls), ct);
            return await remote(connected.Client, ct);
        }, ClientCancelled));
        return command;
    }
}
