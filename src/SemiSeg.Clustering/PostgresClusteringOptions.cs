using Npgsql;

namespace SemiSeg.Clustering;

/// <summary>Where the membership tables live: an Npgsql connection string, e.g.
/// <c>Host=db;Port=5432;Username=orleans;Password=...;Database=semiseg</c>.</summary>
public sealed record PostgresClusteringOptions(string ConnectionString)
{
    /// <summary>Attempts per membership call on transient database errors (the first included).</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Null when <paramref name="connectionString"/> is usable, else what is wrong with it.</summary>
    public static string? Problem(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return "postgres clustering needs a connection string";
        }
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            return string.IsNullOrWhiteSpace(builder.Host) ? "the connection string names no Host" : null;
        }
        catch (ArgumentException e)
        {
            return $"the connection string is not valid ({e.Message})";
        }
    }
}
