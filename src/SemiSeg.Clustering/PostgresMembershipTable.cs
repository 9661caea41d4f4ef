using System.Data;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;
using static SemiSeg.Clustering.PostgresMembershipSchema;

namespace SemiSeg.Clustering;

/// <summary>
/// Orleans' membership table in PostgreSQL. Each write that Orleans makes conditional (insert a silo, update a silo)
/// runs in one transaction that first moves the cluster's version row forward only if its etag is the one the caller
/// read, then writes the silo row only if it is absent (insert) or still has the caller's etag (update); either check
/// failing rolls both back and returns false, as the <see cref="IMembershipTable"/> contract asks.
/// </summary>
public sealed class PostgresMembershipTable : IMembershipTable, IAsyncDisposable
{
    private const string MemberColumns = "silo_address, silo_name, host_name, status, proxy_port, suspect_times, start_time, i_am_alive_time, etag";

    private readonly MembershipDatabase _database;
    private readonly string _clusterId;
    private readonly ILogger<PostgresMembershipTable> _logger;

    public PostgresMembershipTable(PostgresClusteringOptions options, IOptions<ClusterOptions> cluster, ILogger<PostgresMembershipTable> logger, TimeProvider? time = null)
    {
        _database = new MembershipDatabase(options, time ?? TimeProvider.System);
        _clusterId = cluster.Value.ClusterId;
        _logger = logger;
    }

    public Task InitializeMembershipTable(bool tryInitTableVersion) => Run(async (connection, ct) =>
    {
        await PostgresMembershipSchema.EnsureCreatedAsync(_database.DataSource, ct);
        // Every silo makes sure the version row exists: inserting it is idempotent, and a silo that found the
        // tables empty (tryInitTableVersion false) would otherwise fail its first insert.
        await using var command = Command(connection, null,
            $"INSERT INTO {VersionTable} (cluster_id, version, etag) VALUES (@cluster, 0, 0) ON CONFLICT (cluster_id) DO NOTHING");
        await command.ExecuteNonQueryAsync(ct);
        _logger.LogInformation("PostgreSQL membership ready for cluster {ClusterId}", _clusterId);
        return true;
    });

    public Task DeleteMembershipTableEntries(string clusterId) => Run(async (connection, ct) =>
    {
        await using var command = new NpgsqlCommand($"DELETE FROM {VersionTable} WHERE cluster_id = @cluster", connection);
        command.Parameters.AddWithValue("cluster", clusterId);
        return await command.ExecuteNonQueryAsync(ct);
    });

    public Task CleanupDefunctSiloEntries(DateTimeOffset beforeDate) => Run(async (connection, ct) =>
    {
        await using var command = Command(connection, null,
            $"DELETE FROM {MemberTable} WHERE cluster_id = @cluster AND status = @dead AND i_am_alive_time < @before");
        command.Parameters.AddWithValue("dead", (int)SiloStatus.Dead);
        command.Parameters.AddWithValue("before", beforeDate.UtcDateTime);
        return await command.ExecuteNonQueryAsync(ct);
    });

    public Task<MembershipTableData> ReadRow(SiloAddress key) => Read(key);

    public Task<MembershipTableData> ReadAll() => Read(null);

    public Task<bool> InsertRow(MembershipEntry entry, TableVersion tableVersion) => Write(tableVersion, async (connection, transaction, ct) =>
    {
        await using var command = Command(connection, transaction,
            $"""
            INSERT INTO {MemberTable} (cluster_id, {MemberColumns})
            VALUES (@cluster, @address, @name, @host, @status, @proxy, @suspects, @start, @alive, 0)
            ON CONFLICT (cluster_id, silo_address) DO NOTHING
            """);
        AddEntry(command, entry);
        return await command.ExecuteNonQueryAsync(ct) == 1;
    });

    public Task<bool> UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion) => Write(tableVersion, async (connection, transaction, ct) =>
    {
        if (!int.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out int expected))
        {
            return false;
        }
        await using var command = Command(connection, transaction,
            $"""
            UPDATE {MemberTable}
            SET silo_name = @name, host_name = @host, status = @status, proxy_port = @proxy, suspect_times = @suspects,
                start_time = @start, i_am_alive_time = @alive, etag = etag + 1
            WHERE cluster_id = @cluster AND silo_address = @address AND etag = @etag
            """);
        AddEntry(command, entry);
        command.Parameters.AddWithValue("etag", expected);
        return await command.ExecuteNonQueryAsync(ct) == 1;
    });

    public Task UpdateIAmAlive(MembershipEntry entry) => Run(async (connection, ct) =>
    {
        // A dirty write by contract: no etag check, the table version untouched.
        await using var command = Command(connection, null,
            $"UPDATE {MemberTable} SET i_am_alive_time = @alive WHERE cluster_id = @cluster AND silo_address = @address");
        command.Parameters.AddWithValue("alive", Utc(entry.IAmAliveTime));
        command.Parameters.AddWithValue("address", entry.SiloAddress.ToParsableString());
        return await command.ExecuteNonQueryAsync(ct);
    });

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    /// <summary>The version row and the member rows in one statement, so that both come from one snapshot.</summary>
    private Task<MembershipTableData> Read(SiloAddress? key) => Run(async (connection, ct) =>
    {
        string silo = key is null ? "" : " AND m.silo_address = @address";
        await using var command = Command(connection, null,
            $"""
            SELECT v.version, v.etag, m.silo_address, m.silo_name, m.host_name, m.status, m.proxy_port, m.suspect_times,
                   m.start_time, m.i_am_alive_time, m.etag
            FROM {VersionTable} v LEFT JOIN {MemberTable} m ON m.cluster_id = v.cluster_id{silo}
            WHERE v.cluster_id = @cluster
            """);
        if (key is not null)
        {
            command.Parameters.AddWithValue("address", key.ToParsableString());
        }
        await using var reader = await command.ExecuteReaderAsync(ct);
        var members = new List<Tuple<MembershipEntry, string>>();
        TableVersion? version = null;
        while (await reader.ReadAsync(ct))
        {
            version ??= new TableVersion(reader.GetInt32(0), reader.GetInt32(1).ToString(CultureInfo.InvariantCulture));
            if (!reader.IsDBNull(2))
            {
                members.Add(Tuple.Create(ReadEntry(reader), reader.GetInt32(10).ToString(CultureInfo.InvariantCulture)));
            }
        }
        // No version row: the table was never initialized for this cluster (or was deleted).
        version ??= new TableVersion(0, "0");
        return new MembershipTableData(members, version);
    });

    private Task<bool> Write(TableVersion tableVersion, Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<bool>> writeMember) =>
        Run(async (connection, ct) =>
        {
            if (!int.TryParse(tableVersion.VersionEtag, NumberStyles.None, CultureInfo.InvariantCulture, out int expectedEtag))
            {
                return false;
            }
            // Read committed suffices: a concurrent writer of the version row blocks this UPDATE until it commits,
            // after which the etag condition is evaluated against its new row and fails.
            await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
            await using (var bump = Command(connection, transaction,
                $"UPDATE {VersionTable} SET version = @version, etag = etag + 1, updated_at = now() WHERE cluster_id = @cluster AND etag = @etag"))
            {
                bump.Parameters.AddWithValue("version", tableVersion.Version);
                bump.Parameters.AddWithValue("etag", expectedEtag);
                if (await bump.ExecuteNonQueryAsync(ct) != 1)
                {
                    await transaction.RollbackAsync(ct);
                    return false;
                }
            }
            if (!await writeMember(connection, transaction, ct))
            {
                await transaction.RollbackAsync(ct);
                return false;
            }
            await transaction.CommitAsync(ct);
            return true;
        });

    private async Task<T> Run<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> operation) =>
        await _database.Run(async ct =>
        {
            await using var connection = await _database.DataSource.OpenConnectionAsync(ct);
            return await operation(connection, ct);
        }, CancellationToken.None);

    private NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddWithValue("cluster", _clusterId);
        return command;
    }

    private static void AddEntry(NpgsqlCommand command, MembershipEntry entry)
    {
        command.Parameters.AddWithValue("address", entry.SiloAddress.ToParsableString());
        command.Parameters.AddWithValue("name", entry.SiloName ?? "");
        command.Parameters.AddWithValue("host", entry.HostName ?? "");
        command.Parameters.AddWithValue("status", (int)entry.Status);
        command.Parameters.AddWithValue("proxy", entry.ProxyPort);
        command.Parameters.AddWithValue("suspects", (object?)SuspectTimes.Write(entry.SuspectTimes) ?? DBNull.Value);
        command.Parameters.AddWithValue("start", Utc(entry.StartTime));
        command.Parameters.AddWithValue("alive", Utc(entry.IAmAliveTime));
    }

    private static MembershipEntry ReadEntry(NpgsqlDataReader reader) => new()
    {
        SiloAddress = SiloAddress.FromParsableString(reader.GetString(2)),
        SiloName = reader.GetString(3),
        HostName = reader.GetString(4),
        Status = (SiloStatus)reader.GetInt32(5),
        ProxyPort = reader.GetInt32(6),
        SuspectTimes = SuspectTimes.Read(reader.IsDBNull(7) ? null : reader.GetString(7)),
        StartTime = reader.GetDateTime(8),
        IAmAliveTime = reader.GetDateTime(9),
    };

    // timestamptz takes UTC DateTimes only; Orleans' times are UTC but may come unspecified.
    private static DateTime Utc(DateTime time) => time.Kind switch
    {
        DateTimeKind.Utc => time,
        DateTimeKind.Local => time.ToUniversalTime(),
        _ => DateTime.SpecifyKind(time, DateTimeKind.Utc),
    };

    /// <summary>Suspicion votes as JSON: [{"silo": "ip:port@generation", "time": "2026-01-01T00:00:00.0000000Z"}].</summary>
    private static class SuspectTimes
    {
        private sealed record Vote(string Silo, DateTime Time);

        public static string? Write(List<Tuple<SiloAddress, DateTime>>? votes) =>
            votes is null ? null : JsonSerializer.Serialize(votes.Select(v => new Vote(v.Item1.ToParsableString(), Utc(v.Item2))));

        public static List<Tuple<SiloAddress, DateTime>> Read(string? json) =>
            json is null ? [] : (JsonSerializer.Deserialize<List<Vote>>(json) ?? [])
                .Select(v => Tuple.Create(SiloAddress.FromParsableString(v.Silo), DateTime.SpecifyKind(v.Time, DateTimeKind.Utc)))
                .ToList();
    }
}
