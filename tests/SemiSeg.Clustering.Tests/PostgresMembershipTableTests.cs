using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;
using SemiSeg.Clustering;
using SemiSeg.Testing;

namespace SemiSeg.Clustering.Tests;

/// <summary>The <see cref="IMembershipTable"/> contract against a real PostgreSQL: atomic, etag-checked writes.</summary>
public sealed class PostgresMembershipTableTests
{
    private static readonly DateTime Start = new(2026, 11, 25, 10, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task AFreshClusterHasVersionZeroAndNoMembersAndInitializingTwiceIsHarmless()
    {
        await using var table = await NewTable();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => table.InitializeMembershipTable(true)));

        var data = await table.ReadAll();
        Assert.Empty(data.Members);
        Assert.Equal(0, data.Version.Version);
    }

    [Fact]
    public async Task AnInsertedEntryReadsBackWholeAndMovesTheVersion()
    {
        await using var table = await NewTable();
        var before = await table.ReadAll();
        var entry = Entry(11111, SiloStatus.Active, proxyPort: 30000);
        entry.SuspectTimes = [Tuple.Create(Address(22222), Start.AddSeconds(5))];

        Assert.True(await table.InsertRow(entry, before.Version.Next()));

        var after = await table.ReadAll();
        Assert.Equal(1, after.Version.Version);
        Assert.NotEqual(before.Version.VersionEtag, after.Version.VersionEtag);
        var (read, etag) = Assert.Single(after.Members);
        Assert.Equal(entry.SiloAddress, read.SiloAddress);
        Assert.Equal((SiloStatus.Active, 30000, "silo-11111", "host-a"), (read.Status, read.ProxyPort, read.SiloName, read.HostName));
        Assert.Equal(Start, read.StartTime);
        Assert.Equal(Start.AddSeconds(1), read.IAmAliveTime);
        var (suspecter, when) = Assert.Single(read.SuspectTimes!);
        Assert.Equal((Address(22222), Start.AddSeconds(5)), (suspecter, when));
        Assert.False(string.IsNullOrEmpty(etag));
    }

    [Fact]
    public async Task AnInsertWithAStaleTableEtagOrForAnExistingSiloFailsWithoutSideEffects()
    {
        await using var table = await NewTable();
        var v0 = (await table.ReadAll()).Version;
        Assert.True(await table.InsertRow(Entry(1), v0.Next()));

        // Stale: v0's etag was used up by the first insert.
        Assert.False(await table.InsertRow(Entry(2), v0.Next()));
        var v1 = (await table.ReadAll()).Version;
        // Duplicate silo: the version must not move even though its etag matched.
        Assert.False(await table.InsertRow(Entry(1), v1.Next()));

        var data = await table.ReadAll();
        Assert.Equal(Address(1), Assert.Single(data.Members).Item1.SiloAddress);
        Assert.Equal((v1.Version, v1.VersionEtag), (data.Version.Version, data.Version.VersionEtag));
    }

    [Fact]
    public async Task AnUpdateNeedsBothTheRowEtagAndTheTableEtag()
    {
        await using var table = await NewTable();
        Assert.True(await table.InsertRow(Entry(1, SiloStatus.Joining), (await table.ReadAll()).Version.Next()));
        var read = await table.ReadAll();
        string rowEtag = read.Members[0].Item2;

        Assert.True(await table.UpdateRow(Entry(1, SiloStatus.Active), rowEtag, read.Version.Next()));
        var updated = await table.ReadAll();
        Assert.Equal(SiloStatus.Active, updated.Members[0].Item1.Status);
        Assert.NotEqual(rowEtag, updated.Members[0].Item2);

        // The old row etag is stale now, even with a current table version.
        Assert.False(await table.UpdateRow(Entry(1, SiloStatus.Dead), rowEtag, updated.Version.Next()));
        // A current row etag with a stale table version fails too.
        Assert.False(await table.UpdateRow(Entry(1, SiloStatus.Dead), updated.Members[0].Item2, read.Version.Next()));
        // An update of a silo that is not in the table fails.
        Assert.False(await table.UpdateRow(Entry(9, SiloStatus.Dead), updated.Members[0].Item2, updated.Version.Next()));

        var final = await table.ReadAll();
        Assert.Equal(SiloStatus.Active, final.Members[0].Item1.Status);
        Assert.Equal((updated.Version.Version, updated.Version.VersionEtag, updated.Members[0].Item2),
            (final.Version.Version, final.Version.VersionEtag, final.Members[0].Item2));
    }

    [Fact]
    public async Task OfConcurrentWritersWithTheSameTableVersionExactlyOneWins()
    {
        await using var table = await NewTable();
        var version = (await table.ReadAll()).Version;

        bool[] won = await Task.WhenAll(Enumerable.Range(1, 8).Select(i => table.InsertRow(Entry(i), version.Next())));

        Assert.Equal(1, won.Count(w => w));
        var data = await table.ReadAll();
        Assert.Equal(Address(Array.IndexOf(won, true) + 1), Assert.Single(data.Members).Item1.SiloAddress);
        Assert.Equal(1, data.Version.Version);
    }

    [Fact]
    public async Task IAmAliveTouchesOnlyTheAliveTime()
    {
        await using var table = await NewTable();
        Assert.True(await table.InsertRow(Entry(1), (await table.ReadAll()).Version.Next()));
        var before = await table.ReadAll();

        var alive = Entry(1, SiloStatus.Dead);
        alive.IAmAliveTime = Start.AddMinutes(3);
        await table.UpdateIAmAlive(alive);

        var after = await table.ReadRow(Address(1));
        var (entry, etag) = Assert.Single(after.Members);
        Assert.Equal(Start.AddMinutes(3), entry.IAmAliveTime);
        Assert.Equal(SiloStatus.Active, entry.Status);
        Assert.Equal(before.Members[0].Item2, etag);
        Assert.Equal(before.Version.VersionEtag, after.Version.VersionEtag);
    }

    [Fact]
    public async Task ReadRowReturnsOneSiloWithTheTableVersion()
    {
        await using var table = await NewTable();
        Assert.True(await table.InsertRow(Entry(1), (await table.ReadAll()).Version.Next()));
        Assert.True(await table.InsertRow(Entry(2), (await table.ReadAll()).Version.Next()));

        var row = await table.ReadRow(Address(2));
        Assert.Equal(Address(2), Assert.Single(row.Members).Item1.SiloAddress);
        Assert.Equal(2, row.Version.Version);
        var missing = await table.ReadRow(Address(3));
        Assert.Empty(missing.Members);
        Assert.Equal(2, missing.Version.Version);
    }

    [Fact]
    public async Task CleanupRemovesOnlyOldDeadSilosAndDeleteRemovesOnlyItsCluster()
    {
        string clusterId = Postgres.NewClusterId();
        await using var table = await NewTable(clusterId);
        await using var other = await NewTable();
        Assert.True(await other.InsertRow(Entry(7), (await other.ReadAll()).Version.Next()));
        var old = Entry(1, SiloStatus.Dead);
        var recent = Entry(2, SiloStatus.Dead);
        recent.IAmAliveTime = Start.AddHours(2);
        var alive = Entry(3, SiloStatus.Active);
        foreach (var entry in new[] { old, recent, alive })
        {
            Assert.True(await table.InsertRow(entry, (await table.ReadAll()).Version.Next()));
        }

        await table.CleanupDefunctSiloEntries(new DateTimeOffset(Start.AddHours(1)));
        Assert.Equal([Address(2), Address(3)], (await table.ReadAll()).Members.Select(m => m.Item1.SiloAddress).OrderBy(a => a.Endpoint.Port));

        await table.DeleteMembershipTableEntries(clusterId);
        Assert.Empty((await table.ReadAll()).Members);
        Assert.Single((await other.ReadAll()).Members);
    }

    [Fact]
    public async Task TheGatewayListHasTheActiveSilosWithAProxyPort()
    {
        string clusterId = Postgres.NewClusterId();
        await using var table = await NewTable(clusterId);
        foreach (var entry in new[] { Entry(1, SiloStatus.Active, 30001), Entry(2, SiloStatus.Active, 0), Entry(3, SiloStatus.Dead, 30003), Entry(4, SiloStatus.Joining, 30004) })
        {
            Assert.True(await table.InsertRow(entry, (await table.ReadAll()).Version.Next()));
        }
        await using var gateways = Gateways(Postgres.ConnectionString, clusterId);

        var list = await gateways.GetGateways();

        Assert.Equal([new Uri("gwy.tcp://127.0.0.1:30001/7")], list);
    }

    [Fact]
    public async Task BeforeAnySiloHasStartedTheGatewayListIsEmptyNotAnError()
    {
        // A schema of its own: the membership tables do not exist there.
        string schema = "s" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = NpgsqlDataSource.Create(Postgres.ConnectionString))
        {
            await using var create = admin.CreateCommand($"CREATE SCHEMA {schema}");
            await create.ExecuteNonQueryAsync();
        }
        await using var gateways = Gateways($"{Postgres.ConnectionString};Search Path={schema}", Postgres.NewClusterId());

        Assert.Empty(await gateways.GetGateways());
    }

    [Theory]
    [InlineData(null, "postgres clustering needs a connection string")]
    [InlineData("Port=5432;Username=x", "the connection string names no Host")]
    [InlineData("Host=db;Bogus Key=1", "the connection string is not valid")]
    public void BadConnectionStringsAreNamed(string? connection, string problem)
    {
        Assert.StartsWith(problem, PostgresClusteringOptions.Problem(connection));
    }

    [Fact]
    public void AGoodConnectionStringHasNoProblem()
    {
        Assert.Null(PostgresClusteringOptions.Problem("Host=127.0.0.1;Port=5432;Username=postgres;Database=postgres"));
    }

    private static async Task<PostgresMembershipTable> NewTable(string? clusterId = null)
    {
        var table = new PostgresMembershipTable(new PostgresClusteringOptions(Postgres.ConnectionString),
            Options.Create(new ClusterOptions { ClusterId = clusterId ?? Postgres.NewClusterId() }), NullLogger<PostgresMembershipTable>.Instance);
        await table.InitializeMembershipTable(true);
        return table;
    }

    private static PostgresGatewayListProvider Gateways(string connection, string clusterId) =>
        new(new PostgresClusteringOptions(connection), Options.Create(new ClusterOptions { ClusterId = clusterId }), Options.Create(new GatewayOptions()));

    private static SiloAddress Address(int port) => SiloAddress.New(IPAddress.Loopback, port, 7);

    private static MembershipEntry Entry(int port, SiloStatus status = SiloStatus.Active, int proxyPort = 0) => new()
    {
        SiloAddress = Address(port),
        Status = status,
        ProxyPort = proxyPort,
        SiloName = $"silo-{port}",
        HostName = "host-a",
        StartTime = Start,
        IAmAliveTime = Start.AddSeconds(1),
        SuspectTimes = [],
    };
}
