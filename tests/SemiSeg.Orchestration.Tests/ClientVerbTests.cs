using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using SemiSeg.Client;
using SemiSeg.Orchestration.Tests.Support;

namespace SemiSeg.Orchestration.Tests;

/// <summary>
/// The client verbs' edges: a sweep id the cluster does not know is an error at once (found through the sweep
/// directory, so asking creates no empty sweep), SIGTERM stops a waiting verb within seconds, and an unreachable
/// cluster is one line.
/// </summary>
public sealed partial class ClientVerbTests
{
    [Fact]
    public async Task AnUnknownSweepIsAnErrorAndAskingCreatesNoState()
    {
        await using var cluster = await TestClusters.StartAsync(new FakeTrainer { Steps = 2 }, silos: 1, slotsPerSilo: 1);
        var client = new SemiSegClient(cluster.Grains);
        var known = TestClusters.Spec("known", cells: 1, seeds: 1);
        await client.SubmitAsync(known);

        var unknown = await Assert.ThrowsAsync<UnknownSweepException>(() => client.RequireSweepAsync("no-such-sweep"));
        Assert.Equal("the cluster has no sweep 'no-such-sweep' (it has: known). Fix: check the id with 'semiseg status', or submit the manifest first", unknown.Message);

        // watch used to poll an unknown (empty) sweep forever.
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<UnknownSweepException>(async () =>
        {
            await foreach (var _ in client.WatchAsync("no-such-sweep", TimeSpan.FromMilliseconds(100)))
            {
            }
        });
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");

        await client.RequireSweepAsync("known");
        Assert.Equal(["known"], await client.ListSweepsAsync());
        string state = Path.Combine(cluster.Storage["local:".Length..], "grain-state");
        Assert.DoesNotContain(Directory.EnumerateFiles(state, "*", SearchOption.AllDirectories), f => f.Contains("no-such-sweep", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SigtermStopsAWaitingVerbAndAnUnreachableClusterIsOneLine()
    {
        string scratch = Directory.CreateTempSubdirectory("semiseg-client-verbs-").FullName;
        try
        {
            // No silo at this port: the verb waits for one (20 s) until SIGTERM cancels it. The signal goes after the
            // process had time to start (slow on a loaded machine) and well before the connect timeout.
            using var watch = CliProcess.Start(["watch", "some-sweep", "--gateway-port", FreePort()], scratch);
            await Task.Delay(TimeSpan.FromSeconds(10));
            var clock = Stopwatch.StartNew();
            await watch.StopAsync(TimeSpan.FromSeconds(15));

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"stopped after {clock.Elapsed}:\n{watch.Output}");
            Assert.True(watch.ExitCode is 130 or 143, $"exit {watch.ExitCode}:\n{watch.Output}");
            Assert.Contains("error: Stopped. The sweep goes on in the cluster", watch.Output, StringComparison.Ordinal);
            Assert.DoesNotMatch(ExceptionTypeName(), watch.Output);

            var error = await Assert.ThrowsAsync<ClusterUnreachableException>(() =>
                ClusterConnection.ConnectAsync(new ClusterSettings { GatewayPort = int.Parse(FreePort(), System.Globalization.CultureInfo.InvariantCulture), ConnectTimeout = TimeSpan.FromSeconds(2) }));
            Assert.DoesNotContain('\n', error.Message);
            Assert.Contains("no silo answered within 2 s. Fix: start a silo first", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static string FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"\b[A-Z]\w*Exception\b")]
    private static partial Regex ExceptionTypeName();
}
