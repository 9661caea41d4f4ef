using System.Net;
using SemiSeg.Clustering;

namespace SemiSeg.Silo;

/// <summary>Everything that configures a silo, from the command line or the environment (see <c>semiseg silo</c>).</summary>
public sealed record SiloSettings
{
    public const string Coordinator = "coordinator";
    public const string Worker = "worker";

    /// <summary>coordinator (dashboard, no slots unless given) or worker (slots).</summary>
    public string Role { get; init; } = Worker;

    /// <summary>CPU slots; ignored when <see cref="Gpus"/> is given.</summary>
    public int? Slots { get; init; }

    /// <summary>GPU device ids, one run each.</summary>
    public IReadOnlyList<int> Gpus { get; init; } = [];

    /// <summary>cpu or cuda: what the slots run on (cuda needs <see cref="Gpus"/>); a check against mistakes.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>localhost (one machine; the first silo is the membership primary), azure-table or postgres.</summary>
    public string Clustering { get; init; } = "localhost";

    public string? ClusteringConnection { get; init; }

    /// <summary>Artifact store and grain state: local:PATH or azure:CONNECTION_STRING.</summary>
    public string Storage { get; init; } = "local:runs/cluster";

    public string ClusterId { get; init; } = "semiseg";

    public string ServiceId { get; init; } = "semiseg";

    public int SiloPort { get; init; } = 11111;

    public int GatewayPort { get; init; } = 30000;

    /// <summary>Localhost clustering: the primary silo's endpoint (default: this silo is the primary).</summary>
    public int? PrimarySiloPort { get; init; }

    public string? AdvertisedIp { get; init; }

    /// <summary>Kestrel URLs serving the dashboard at /dashboard (coordinator only); null: no dashboard.</summary>
    public string? DashboardUrls { get; init; }

    /// <summary>The name a worker's slots show in progress (default: machine:silo-port).</summary>
    public string? WorkerName { get; init; }

    public string WorkDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "semiseg-work");

    /// <summary>Mutual TLS on the silo and gateway endpoints (off unless a certificate is given).</summary>
    public TlsSettings Tls { get; init; } = new();

    /// <summary>A trainer that reports no new step for this long (or 10x its slowest step interval, if longer) is
    /// killed as hung and its run resumes from its last checkpoint; <see cref="TimeSpan.Zero"/> turns detection off.
    /// Startup and evaluations have their own allowance (<see cref="Grains.Execution.StallOptions"/>).</summary>
    public TimeSpan StallTimeout { get; init; } = new Grains.Execution.StallOptions().Floor;

    /// <summary>The devices of this silo's slots ("cpu" or "cuda:N").</summary>
    public List<string> Devices() =>
        Gpus.Count > 0 ? Grains.Execution.WorkerOptions.Gpus(Gpus)
        : Grains.Execution.WorkerOptions.CpuSlots(Slots ?? (Role == Worker ? 1 : 0));

    /// <summary>Checks the settings; each problem names the option and the fix.</summary>
    public void Validate()
    {
        if (Role is not (Coordinator or Worker))
        {
            throw new SiloSettingsException("--role", $"'{Role}' is not a role", "use coordinator or worker");
        }
        if (Slots is < 0 or > 256)
        {
            throw new SiloSettingsException("--slots", $"{Slots} is out of range", "give 0 to 256 CPU slots");
        }
        if (Gpus.Any(g => g < 0) || Gpus.Distinct().Count() != Gpus.Count)
        {
            throw new SiloSettingsException("--gpus", $"'{string.Join(",", Gpus)}' is not a list of distinct device ids", "write e.g. --gpus 0,1");
        }
        if (Device is not ("cpu" or "cuda"))
        {
            throw new SiloSettingsException("--device", $"'{Device}' is not a device kind", "use cpu or cuda (pick GPUs with --gpus)");
        }
        if (Device == "cuda" && Gpus.Count == 0)
        {
            throw new SiloSettingsException("--device", "cuda needs GPU ids", "add --gpus 0 (or 0,1,...)");
        }
        if (Device == "cpu" && Gpus.Count > 0)
        {
            throw new SiloSettingsException("--gpus", "GPU ids were given with --device cpu", "use --device cuda with --gpus, or --slots N for CPU slots");
        }
        if (Clustering is not ("localhost" or "azure-table" or "postgres"))
        {
            throw new SiloSettingsException("--clustering", $"'{Clustering}' is not supported",
                "use localhost (one machine), azure-table (any number of machines; Azurite works locally) or postgres");
        }
        if (Clustering == "postgres" && PostgresClusteringOptions.Problem(ClusteringConnection) is string problem)
        {
            throw new SiloSettingsException("--clustering-connection", problem,
                "pass an Npgsql connection string, e.g. 'Host=db;Port=5432;Username=orleans;Password=...;Database=semiseg' (the tables are created on first use)");
        }
        if (Clustering == "azure-table" && string.IsNullOrWhiteSpace(ClusteringConnection))
        {
            throw new SiloSettingsException("--clustering-connection", "azure-table clustering needs a connection string",
                "pass --clustering-connection 'UseDevelopmentStorage=true' for Azurite, or your storage account's connection string");
        }
        if (!Storage.StartsWith("local:", StringComparison.Ordinal) && !Storage.StartsWith("azure:", StringComparison.Ordinal))
        {
            throw new SiloSettingsException("--storage", $"'{Storage}' is not a store", "use local:PATH or azure:CONNECTION_STRING");
        }
        if (AdvertisedIp is not null && !IPAddress.TryParse(AdvertisedIp, out _))
        {
            throw new SiloSettingsException("--advertised-ip", $"'{AdvertisedIp}' is not an IP address", "give the IP other silos reach this one at (not a host name)");
        }
        if (StallTimeout < TimeSpan.Zero)
        {
            throw new SiloSettingsException("--stall-timeout", $"{StallTimeout.TotalSeconds} s is negative", "give seconds, e.g. 120 (0 turns stall detection off)");
        }
        foreach (var (name, port) in new[] { ("--silo-port", SiloPort), ("--gateway-port", GatewayPort) })
        {
            if (port is < 1 or > 65535)
            {
                throw new SiloSettingsException(name, $"{port} is not a port", "give 1 to 65535");
            }
        }
    }
}

/// <summary>A bad silo or client setting: names the option, the problem and the fix.</summary>
public sealed class SiloSettingsException(string option, string problem, string fix) : Exception($"{option}: {problem}. Fix: {fix}")
{
    public string Option { get; } = option;
}
