using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using SemiSeg.Orchestration.Tests.Support;
using SemiSeg.Testing;
using Xunit.Abstractions;

namespace SemiSeg.Orchestration.Tests;

/// <summary>
/// A sweep run through the CLI (a silo, submit --watch, status, results, report, and a bad command) against Azurite
/// with the account key written out in every connection string: no output, log, report file, work file, blob or
/// membership row may hold the key.
/// </summary>
public sealed class SecretsEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ASweepWithAnAccountKeyInItsConnectionStringsNeverShowsOrStoresTheKey()
    {
        // The well-known Azurite key, written out (not UseDevelopmentStorage=true), in the store and membership specs.
        string connection = $"DefaultEndpointsProtocol=http;AccountName={Azurite.AccountName};AccountKey={Azurite.AccountKey};"
            + $"BlobEndpoint={Azurite.BlobEndpoint};QueueEndpoint={Azurite.QueueEndpoint};TableEndpoint={Azurite.TableEndpoint};";
        string container = Azurite.NewName("sec");
        string storage = $"azure:{connection}Container={container}";
        string sweepId = Azurite.NewName("sec");
        string scratch = Directory.CreateTempSubdirectory("semiseg-secrets-").FullName;
        string manifest = Path.Combine(scratch, "secrets.yaml");
        await File.WriteAllTextAsync(manifest, TinySweeps.Manifest(sweepId, steps: 2, checkpointEvery: 1, seeds: 1));
        string[] cluster = ["--clustering", "azure-table", "--clustering-connection", connection, "--cluster-id", sweepId];
        var outputs = new List<(string What, string Text)>();
        CliProcess? silo = null;
        try
        {
            // The store spec reaches the silo through its environment variable; the trainer it starts must not get it.
            silo = CliProcess.Start(["silo", "--role", "coordinator", "--slots", "1", .. cluster, "--silo-port", FreePort(), "--gateway-port", FreePort(),
                "--work-dir", Path.Combine(scratch, "work")], scratch, new Dictionary<string, string> { ["SEMISEG_STORAGE"] = storage });
            var submit = await Retry(() => CliProcess.RunAsync(["submit", manifest, "--watch", .. cluster], scratch, TimeSpan.FromMinutes(4)));
            outputs.Add(("submit", submit.Output));
            Assert.True(submit.ExitCode == 0, submit.Output + "\n--- silo\n" + silo.Output);

            var status = await CliProcess.RunAsync(["status", sweepId, .. cluster], scratch, TimeSpan.FromMinutes(1));
            outputs.Add(("status", status.Output));
            var results = await CliProcess.RunAsync(["results", sweepId, "--out", Path.Combine(scratch, "results"), .. cluster], scratch, TimeSpan.FromMinutes(1));
            outputs.Add(("results", results.Output));
            var report = await CliProcess.RunAsync(["report", sweepId, "--storage", storage, "--out", Path.Combine(scratch, "report"), "--panels", "0", .. cluster],
                scratch, TimeSpan.FromMinutes(2));
            outputs.Add(("report", report.Output));
            Assert.True(report.ExitCode == 0, report.Output);
            // An error that quotes the store spec (a bad container name).
            var bad = await CliProcess.RunAsync(["report", sweepId, "--storage", storage.Replace(container, "Bad_Name", StringComparison.Ordinal), .. cluster],
                scratch, TimeSpan.FromMinutes(1));
            outputs.Add(("bad report", bad.Output));
            Assert.Equal(2, bad.ExitCode);
            Assert.Contains("AccountKey=***", bad.Output, StringComparison.Ordinal);

            await silo.StopAsync(TimeSpan.FromSeconds(30));
            outputs.Add(("silo", silo.Output));
            Assert.Contains($"store azure:DefaultEndpointsProtocol=http;AccountName={Azurite.AccountName};AccountKey=***;", silo.Output, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(scratch, "report", "report.md")));
            Assert.Contains("AccountKey=***", await File.ReadAllTextAsync(Path.Combine(scratch, "report", "report.md")), StringComparison.Ordinal);

            // Every output, every local file, every blob of the store and of the grain state, every membership row.
            foreach (var (what, text) in outputs)
            {
                AssertNoKey(what, Encoding.UTF8.GetBytes(text));
            }
            var files = Directory.GetFiles(scratch, "*", SearchOption.AllDirectories);
            Assert.Contains(files, f => f.EndsWith("table.csv", StringComparison.Ordinal));
            foreach (string file in files)
            {
                AssertNoKey(file, await File.ReadAllBytesAsync(file));
            }
            int blobs = 0;
            foreach (string name in new[] { container, $"{container}-grain-state" })
            {
                var blobContainer = new BlobContainerClient(connection, name);
                await foreach (var blob in blobContainer.GetBlobsAsync())
                {
                    AssertNoKey($"{name}/{blob.Name}", (await blobContainer.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToArray());
                    blobs++;
                }
            }
            Assert.True(blobs >= 4, $"only {blobs} blobs were checked");
            var tables = new TableServiceClient(connection);
            await foreach (var table in tables.QueryAsync())
            {
                await foreach (var row in tables.GetTableClient(table.Name).QueryAsync<TableEntity>())
                {
                    AssertNoKey($"table {table.Name}", Encoding.UTF8.GetBytes(string.Join(";", row.Select(p => $"{p.Key}={p.Value}"))));
                }
            }
        }
        finally
        {
            silo?.Dispose();
            foreach (var (what, text) in outputs)
            {
                output.WriteLine($"--- {what}\n{text}");
            }
            await new BlobContainerClient(connection, container).DeleteIfExistsAsync();
            await new BlobContainerClient(connection, $"{container}-grain-state").DeleteIfExistsAsync();
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>The first 16 characters of the key (letters and digits only, so URL- or JSON-escaped copies match too).</summary>
    private static void AssertNoKey(string where, byte[] content)
    {
        byte[] needle = Encoding.UTF8.GetBytes(Azurite.AccountKey[..16]);
        Assert.True(content.AsSpan().IndexOf(needle) < 0, $"the account key appears in {where}");
    }

    /// <summary>The first client may start before the silo has joined the membership table.</summary>
    private static async Task<CliProcess> Retry(Func<Task<CliProcess>> run)
    {
        for (int attempt = 1; ; attempt++)
        {
            var cli = await run();
            if (cli.ExitCode == 0 || attempt == 3 || !cli.Output.Contains("cannot reach the cluster", StringComparison.Ordinal))
            {
                return cli;
            }
        }
    }

    private static string FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
    }
}
