using Npgsql;

namespace SemiSeg.Clustering;

/// <summary>
/// The two tables behind PostgreSQL membership, created on first use (no scripts to apply by hand). One row per
/// cluster in <c>semiseg_membership_version</c> carries the table version and its etag; one row per silo incarnation
/// in <c>semiseg_membership</c>. Etags are integers bumped on every write, so a stale writer's update matches no row.
/// </summary>
public static class PostgresMembershipSchema
{
    public const string VersionTable = "semiseg_membership_version";
    public const string MemberTable = "semiseg_membership";

    // CREATE TABLE IF NOT EXISTS is not safe against a concurrent identical CREATE (two silos starting together can
    // collide on the catalog's unique index), so creation is serialized by a transaction-scoped advisory lock.
    private const long CreationLock = 0x5E415E6_0001;

    private const string CreateSql = $"""
        CREATE TABLE IF NOT EXISTS {VersionTable} (
            cluster_id  text        PRIMARY KEY,
            version     integer     NOT NULL,
            etag        integer     NOT NULL,
            updated_at  timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE IF NOT EXISTS {MemberTable} (
            cluster_id      text        NOT NULL REFERENCES {VersionTable} (cluster_id) ON DELETE CASCADE,
            silo_address    text        NOT NULL,
            silo_name       text        NOT NULL,
            host_name       text        NOT NULL,
            status          integer     NOT NULL,
            proxy_port      integer     NOT NULL,
            suspect_times   text        NULL,
            start_time      timestamptz NOT NULL,
            i_am_alive_time timestamptz NOT NULL,
            etag            integer     NOT NULL,
            PRIMARY KEY (cluster_id, silo_address)
        );
        """;

    /// <summary>Creates the tables if they are missing.</summary>
    public static async Task EnsureCreatedAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({CreationLock}); {CreateSql}", connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }
}
