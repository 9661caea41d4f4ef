namespace SemiSeg.Testing;

/// <summary>
/// Azurite (the Azure Storage emulator) for tests: blob, queue and table services and their connection string.
/// If SEMISEG_AZURITE is set (scripts/test.sh exports UseDevelopmentStorage=true after starting Azurite) it is used;
/// otherwise the first use starts a private Azurite from .tools/azurite on free ports with a temp data folder
/// (<see cref="AzuriteProcess"/>), and stops it when the test process exits. Isolate tests with <see cref="NewName"/>
/// (a fresh container or table each).
/// </summary>
/// <remarks>
/// Self-contained (System.* only) so that other test projects can include it with AzuriteProcess.cs:
/// <c>&lt;Compile Include="..\SemiSeg.Storage.Tests\Support\Azurite.cs" Link="Support\Azurite.cs" /&gt;</c>.
/// </remarks>
public static class Azurite
{
    /// <summary>The well-known development account of Azurite (public, not a secret).</summary>
    public const string AccountName = "devstoreaccount1";
    public const string AccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly Lazy<Endpoints> Instance = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>A connection string with blob, queue and table endpoints.</summary>
    public static string ConnectionString => Instance.Value.ConnectionString;

    public static Uri BlobEndpoint => Instance.Value.Blob;
    public static Uri QueueEndpoint => Instance.Value.Queue;
    public static Uri TableEndpoint => Instance.Value.Table;

    /// <summary>A unique lowercase name, valid for a blob container or a table (letters and digits, starts with a letter).</summary>
    public static string NewName(string prefix = "t") => prefix.ToLowerInvariant() + Guid.NewGuid().ToString("N");

    private sealed record Endpoints(string ConnectionString, Uri Blob, Uri Queue, Uri Table);

    private static Endpoints Start()
    {
        string? given = Environment.GetEnvironmentVariable("SEMISEG_AZURITE");
        if (!string.IsNullOrWhiteSpace(given))
        {
            Endpoints endpoints = FromConnectionString(given);
            if (!AzuriteProcess.PortOpen(endpoints.Blob.Port))
                throw new InvalidOperationException($"SEMISEG_AZURITE is set but nothing listens on {endpoints.Blob}: run scripts/azurite.sh start, or unset it to let the tests start their own Azurite.");
            return endpoints;
        }

        var process = AzuriteProcess.StartNew(RepoRoot());
        AppDomain.CurrentDomain.ProcessExit += (_, _) => process.Dispose();
        return Explicit(process.Endpoint(process.BlobPort), process.Endpoint(process.QueuePort), process.Endpoint(process.TablePort));
    }

    private static Endpoints FromConnectionString(string connection)
    {
        if (connection.Trim().Equals("UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase))
        {
            return Explicit(new Uri($"http://127.0.0.1:10000/{AccountName}"), new Uri($"http://127.0.0.1:10001/{AccountName}"),
                new Uri($"http://127.0.0.1:10002/{AccountName}"));
        }
        var entries = connection.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => entry.Split('=', 2))
            .Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0].Trim(), pair => pair[1].Trim(), StringComparer.OrdinalIgnoreCase);
        Uri Endpoint(string key) => entries.TryGetValue(key, out string? value)
            ? new Uri(value)
            : throw new InvalidOperationException($"SEMISEG_AZURITE has no {key}: use UseDevelopmentStorage=true or a connection string with explicit endpoints");
        return new Endpoints(connection, Endpoint("BlobEndpoint"), Endpoint("QueueEndpoint"), Endpoint("TableEndpoint"));
    }

    private static Endpoints Explicit(Uri blob, Uri queue, Uri table) => new(
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};"
        + $"BlobEndpoint={blob};QueueEndpoint={queue};TableEndpoint={table};",
        blob, queue, table);

    /// <summary>The repository root (where SemiSegOrleans.sln is): .tools/azurite lives there.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SemiSegOrleans.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"SemiSegOrleans.sln not found above {AppContext.BaseDirectory}");
    }
}
