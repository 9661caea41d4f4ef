using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Messaging;
using Orleans.Runtime;
using static SemiSeg.Clustering.PostgresMembershipSchema;

namespace SemiSeg.Clustering;

/// <summary>The client's view of PostgreSQL membership: the gateways of the active silos of its cluster.</summary>
public sealed class PostgresGatewayListProvider(PostgresClusteringOptions options, IOptions<ClusterOptions> cluster, IOptions<GatewayOptions> gateway)
    : IGatewayListProvider, IAsyncDisposable
{
    private readonly MembershipDatabase _database = new(options, TimeProvider.System);
    private readonly string _clusterId = cluster.Value.ClusterId;

    public TimeSpan MaxStaleness { get; } = gateway.Value.GatewayListRefreshPeriod;

    public bool IsUpdatable => true;

    // Clients never create the tables: before the first silo has started there is simply no gateway.
    public Task InitializeGatewayListProvider() => Task.CompletedTask;

    public async Task<IList<Uri>> GetGateways() => await _database.Run(async ct =>
    {
        await using var connection = await _database.DataSource.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(
            $"SELECT silo_address, proxy_port FROM {MemberTable} WHERE cluster_id = @cluster AND status = @active AND proxy_port > 0",
            connection);
        command.Parameters.AddWithValue("cluster", _clusterId);
        command.Parameters.AddWithValue("active", (int)SiloStatus.Active);
        var gateways = new List<Uri>();
        try
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var silo = SiloAddress.FromParsableString(reader.GetString(0));
                gateways.Add(SiloAddress.New(silo.Endpoint.Address, reader.GetInt32(1), silo.Generation).ToGatewayUri());
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // No silo has ever started against this database.
        }
        return (IList<Uri>)gateways;
    }, CancellationToken.None);

    public ValueTask DisposeAsync() => _database.DisposeAsync();
}
