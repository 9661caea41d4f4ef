using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SemiSeg.Testing;

/// <summary>
/// One Azurite process on fixed ports and a data folder, which a test can stop (SIGTERM) and start again on the same
/// ports and data: a storage outage. A shell watchdog stops it if the test process dies without cleaning up.
/// Self-contained (System.* only), like <see cref="Azurite"/>, which uses it for the shared instance.
/// </summary>
public sealed class AzuriteProcess : IDisposable
{
    private readonly string azurite;
    private readonly bool deleteLocation;
    private Process? shell;

    private AzuriteProcess(string azurite, string location, bool deleteLocation)
    {
        this.azurite = azurite;
        Location = location;
        this.deleteLocation = deleteLocation;
        BlobPort = FreePort();
        QueuePort = FreePort();
        TablePort = FreePort();
    }

    public int BlobPort { get; }
    public int QueuePort { get; }
    public int TablePort { get; }
    public string Location { get; }

    public bool Running => shell is { HasExited: false };

    /// <summary>A connection string with explicit blob, queue and table endpoints (the well-known development account).</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={Azurite.AccountName};AccountKey={Azurite.AccountKey};"
        + $"BlobEndpoint={Endpoint(BlobPort)};QueueEndpoint={Endpoint(QueuePort)};TableEndpoint={Endpoint(TablePort)};";

    public Uri Endpoint(int port) => new($"http://127.0.0.1:{port}/{Azurite.AccountName}");

    /// <summary>Starts a new Azurite from the repository's .tools/azurite on free ports with a fresh temp data folder.</summary>
    public static AzuriteProcess StartNew(string repoRoot)
    {
        string azurite = Path.Combine(repoRoot, ".tools", "azurite", "node_modules", ".bin", "azurite");
        if (!File.Exists(azurite))
            throw new InvalidOperationException("Azurite is not installed: run scripts/azurite.sh install (scripts/test.sh does it).");
        var process = new AzuriteProcess(azurite, Directory.CreateTempSubdirectory("semiseg-azurite-").FullName, deleteLocation: true);
        process.Start();
        return process;
    }

    /// <summary>Starts Azurite (again) on this instance's ports and data folder and waits until it listens.</summary>
    public void Start()
    {
        if (Running)
            return;
        // --skipApiVersionCheck: the Azure SDK sends an API version newer than Azurite knows.
        // --disableTelemetry: without it Azurite takes minutes to exit.
        string command = $"'{azurite}' --blobHost 127.0.0.1 --blobPort {BlobPort} --queueHost 127.0.0.1 --queuePort {QueuePort} "
            + $"--tableHost 127.0.0.1 --tablePort {TablePort} --location '{Location}' --silent --skipApiVersionCheck --disableTelemetry";
        // The watchdog stops Azurite if this test process dies; SIGTERM to the shell stops Azurite gracefully.
        // When the test process died (it never got to Dispose), a temporary data folder is deleted here: test runs
        // killed by a timeout once left gigabytes of blobs behind.
        string cleanup = deleteLocation ? $"kill -0 {Environment.ProcessId} 2>/dev/null || {{ kill $a 2>/dev/null; wait $a; rm -rf '{Location}'; }}" : "true";
        string script = $"{command} & a=$!; trap 'kill $a 2>/dev/null; wait $a' EXIT TERM; "
            + $"while kill -0 {Environment.ProcessId} 2>/dev/null && kill -0 $a 2>/dev/null; do sleep 1; done; {cleanup}";
        var process = Process.Start(new ProcessStartInfo("bash", ["-c", script])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("could not start Azurite");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        shell = process;

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!(PortOpen(BlobPort) && PortOpen(QueuePort) && PortOpen(TablePort)))
        {
            if (process.HasExited)
                throw new InvalidOperationException($"Azurite exited at start (code {process.ExitCode}); command: {command}");
            if (DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"Azurite did not open its ports within 60 s; command: {command}");
            Thread.Sleep(50);
        }
    }

    /// <summary>Stops Azurite gracefully (it saves its data) and waits until its ports are closed.</summary>
    public void Stop()
    {
        if (shell is not { } process || process.HasExited)
            return;
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }
        if (!process.WaitForExit(30_000))
            process.Kill(entireProcessTree: true);
        process.WaitForExit();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (PortOpen(BlobPort) && DateTime.UtcNow < deadline)
            Thread.Sleep(50);
        process.Dispose();
        shell = null;
    }

    public void Dispose()
    {
        try
        {
            Stop();
            if (deleteLocation)
                Directory.Delete(Location, recursive: true);
        }
        catch (Exception)
        {
            // best effort
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static bool PortOpen(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
