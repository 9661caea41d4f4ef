using System.CommandLine;
using SemiSeg.Client;
using SemiSeg.Contracts;

namespace SemiSeg.Cli.Commands;

/// <summary>semiseg submit | status | watch | cancel | results | report: client verbs against a running cluster.</summary>
public static class ClientCommands
{
    public static Option<string> ClusteringOption() =>
        SiloCommand.Env(new Option<string>("--clustering") { Description = "localhost, azure-table or postgres; env SEMISEG_CLUSTERING" }, "SEMISEG_CLUSTERING", "localhost");

    public static Option<string?> ConnectionOption() =>
        SiloCommand.Env(new Option<string?>("--clustering-connection") { Description = "Membership connection string: an Azure storage account (azure-table) or an Npgsql connection string (postgres); env SEMISEG_CLUSTERING_CONNECTION" }, "SEMISEG_CLUSTERING_CONNECTION", null);

    public static Option<string> ClusterIdOption() =>
        SiloCommand.Env(new Option<string>("--cluster-id") { Description = "env SEMISEG_CLUSTER_ID" }, "SEMISEG_CLUSTER_ID", "semiseg");

    public static Option<int> GatewayPortOption() =>
        new("--gateway-port") { Description = "localhost: the silo's gateway port; env SEMISEG_GATEWAY_PORT", DefaultValueFactory = _ => SiloCommand.EnvInt("SEMISEG_GATEWAY_PORT") ?? 30000 };

    public static IEnumerable<Command> Create()
    {
        var manifest = new Argument<FileInfo>("manifest") { Description = "Sweep manifest (YAML)" };
        var watchAfter = new Option<bool>("--watch") { Description = "Follow the sweep until it finishes" };
        yield return Verb("submit", "Submit a sweep (again, to resume it: finished runs are not rerun)", [manifest, watchAfter], async (client, parse, ct) =>
        {
            var spec = SweepSpecs.FromManifest(parse.GetValue(manifest)!.FullName);
            var status = await client.SubmitAsync(spec, ct);
            Console.WriteLine(SweepProgress.Line(status));
            return parse.GetValue(watchAfter) ? Finished(await SweepProgress.FollowAsync(client, spec, spec.SweepId, ct)) : 0;
        });

        var sweep = new Argument<string?>("sweep") { Description = "Sweep id (the manifest's 'sweep:' name)", Arity = ArgumentArity.ZeroOrOne };
        yield return Verb("status", "Show a sweep's progress (no id: list the cluster's sweeps)", [sweep], async (client, parse, ct) =>
        {
            if (parse.GetValue(sweep) is not string id)
            {
                foreach (string known in await client.ListSweepsAsync(ct))
                {
                    Console.WriteLine(SweepProgress.Line(await client.GetStatusAsync(known, ct)));
                }
                return 0;
            }
            var status = await client.GetStatusAsync(id, ct);
            Console.WriteLine(SweepProgress.Line(status));
            foreach (var run in status.Active)
            {
                Console.WriteLine($"  {run.RunKey[..Math.Min(12, run.RunKey.Length)]} attempt {run.Attempt} on {run.Worker}: step {run.Progress?.Step ?? 0}/{run.Progress?.TotalSteps ?? 0}");
            }
            return 0;
        });

        var required = new Argument<string>("sweep") { Description = "Sweep id" };
        yield return Verb("watch", "Follow a sweep until it finishes", [required], async (client, parse, ct) =>
            Finished(await SweepProgress.FollowAsync(client, null, parse.GetValue(required)!, ct)));

        yield return Verb("cancel", "Cancel a sweep: pending runs are dropped, running ones stopped within seconds", [required], async (client, parse, ct) =>
        {
            Console.WriteLine(SweepProgress.Line(await client.CancelAsync(parse.GetValue(required)!, ct)));
            return 0;
        });

        var output = new Option<DirectoryInfo?>("--out", "-o") { Description = "Folder for table.md, table.tex, table.csv, table.json, results.json (default: runs/SWEEP/report)" };
        Func<SemiSegClient, ParseResult, CancellationToken, Task<int>> report = async (client, parse, ct) =>
        {
            string id = parse.GetValue(required)!;
            var results = await client.GetResultsAsync(id, ct);
            if (results.Runs.Length == 0)
            {
                CliErrors.Error($"the cluster has no sweep '{id}'. Fix: check the id with 'semiseg status'");
                return CliErrors.UserError;
            }
            string folder = parse.GetValue(output)?.FullName ?? Path.GetFullPath(Path.Combine("runs", id, "report"));
            Console.WriteLine(SweepReports.Write(results, folder));
            Console.WriteLine($"Written: {folder}/table.md, table.tex, table.csv, table.json, results.json");
            return 0;
        };
        yield return Verb("results", "Write a sweep's per-run results and its table", [required, output], report);
    }

    private static int Finished(SweepStatus status) => status.Counts.Succeeded == status.Counts.Total ? 0 : 1;

    private static Command Verb(string name, string description, Symbol[] symbols, Func<SemiSegClient, ParseResult, CancellationToken, Task<int>> action)
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
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var settings = new ClusterSettings
            {
                Clustering = parse.GetValue(clustering)!,
                ClusteringConnection = parse.GetValue(connection),
                ClusterId = parse.GetValue(clusterId)!,
                GatewayPort = parse.GetValue(gatewayPort),
                Tls = tls.Read(parse),
            };
            return Task.Run(async () =>
            {
                await using var connected = await ClusterConnection.ConnectAsync(settings);
                return await action(connected.Client, parse, CancellationToken.None);
            }).GetAwaiter().GetResult();
        }));
        return command;
    }
}
