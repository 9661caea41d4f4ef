using System.Diagnostics;
using System.Net.Sockets;

namespace SemiSeg.Testing;

/// <summary>
/// PostgreSQL for tests. If SEMISEG_POSTGRES is set (scripts/test.sh exports it after scripts/postgres.sh start) that
/// server is used; otherwise the first use runs scripts/postgres.sh start itself (on a free port) and stops it when
/// the test process exits. Tests isolate themselves by cluster id (<see cref="NewClusterId"/>), not by database.
/// </summary>
/// <remarks>Self-contained (System.* only) so that other test projects can include it as a linked file.</remarks>
public static class Postgres
{
    private static readonly Lazy<string> Instance = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    private static readonly Lazy<int> FreePort = new(() =>
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    });

    /// <summary>An Npgsql connection string.</summary>
    public static string ConnectionString => Instance.Value;

    public static string NewClusterId(string prefix = "c") => prefix + Guid.NewGuid().ToString("N")[..12];

    private static string Start()
    {
        string? given = Environment.GetEnvironmentVariable("SEMISEG_POSTGRES");
        if (!string.IsNullOrWhiteSpace(given))
        {
            Require(given, "SEMISEG_POSTGRES is set but nothing listens there: run scripts/postgres.sh start, or unset it to let the tests start their own");
            return given;
        }
        string script = Path.Combine(RepoRoot(), "scripts", "postgres.sh");
        string export = Script(script, "start");
        // The script prints: export SEMISEG_POSTGRES='Host=...;Port=...;...'
        string connection = export.Trim().Split('=', 2)[1].Trim('\'');
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Script(script, "stop");
        Require(connection, "scripts/postgres.sh start reported success but nothing listens");
        return connection;
    }

    private static string Script(string script, string verb)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(verb);
        // A free port, in case another checkout's server holds the script's default one.
        start.Environment["SEMISEG_POSTGRES_PORT"] = FreePort.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/postgres.sh {verb} failed ({process.ExitCode}): {stderr.Result}");
        }
        return stdout;
    }

    private static void Require(string connection, string problem)
    {
        string host = "127.0.0.1";
        int port = 5432;
        foreach (string part in connection.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] kv = part.Split('=', 2);
            if (kv.Length == 2 && kv[0].Trim().Equals("Host", StringComparison.OrdinalIgnoreCase)) host = kv[1].Trim();
            if (kv.Length == 2 && kv[0].Trim().Equals("Port", StringComparison.OrdinalIgnoreCase)) port = int.Parse(kv[1].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        try
        {
            using var client = new TcpClient();
            client.Connect(host, port);
        }
        catch (SocketException)
        {
            throw new InvalidOperationException($"{problem} ({host}:{port}).");
        }
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SemiSegOrleans.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("cannot find the repository root (SemiSegOrleans.sln) above " + AppContext.BaseDirectory);
    }
}
