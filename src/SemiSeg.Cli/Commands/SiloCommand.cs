using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SemiSeg.Security;
using SemiSeg.Silo;

namespace SemiSeg.Cli.Commands;

/// <summary>semiseg silo: a coordinator or worker silo of a real cluster. Every option also reads an environment
/// variable (SEMISEG_ROLE, SEMISEG_SLOTS, ...) so containers can be configured without a command line.</summary>
public static class SiloCommand
{
    public static Command Create()
    {
        var role = Env(new Option<string>("--role") { Description = "coordinator (dashboard; no slots unless --slots) or worker" }, "SEMISEG_ROLE", SiloSettings.Worker);
        var slots = new Option<int?>("--slots") { Description = "CPU slots (one training each); env SEMISEG_SLOTS", DefaultValueFactory = _ => EnvInt("SEMISEG_SLOTS") }
            .InRange(0, 256, "give 0 to 256 CPU slots");
        var gpus = Env(new Option<string?>("--gpus") { Description = "GPU ids, one training each, e.g. 0,1; env SEMISEG_GPUS" }, "SEMISEG_GPUS", null);
        var device = Env(new Option<string?>("--device") { Description = "cpu or cuda (default: cuda with --gpus, else cpu); env SEMISEG_DEVICE" }, "SEMISEG_DEVICE", null);
        var clustering = ClientCommands.ClusteringOption();
        var connection = ClientCommands.ConnectionOption();
        var clusterId = ClientCommands.ClusterIdOption();
        var storage = Env(new Option<string>("--storage") { Description = "local:PATH or azure:CONNECTION_STRING (artifacts and grain state); env SEMISEG_STORAGE" }, "SEMISEG_STORAGE", "local:runs/cluster");
        var siloPort = new Option<int>("--silo-port") { Description = "env SEMISEG_SILO_PORT", DefaultValueFactory = _ => EnvInt("SEMISEG_SILO_PORT") ?? 11111 }
            .InRange(1, 65535, "give a TCP port, e.g. 11111");
        var gatewayPort = ClientCommands.GatewayPortOption();
        var primaryPort = new Option<int?>("--primary-silo-port") { Description = "localhost clustering: the first silo's port (for a second silo on this machine)" }
            .InRange(1, 65535, "give the first silo's --silo-port, e.g. 11111");
        var advertisedIp = Env(new Option<string?>("--advertised-ip") { Description = "IP other silos reach this one at; env SEMISEG_ADVERTISED_IP" }, "SEMISEG_ADVERTISED_IP", null);
        var dashboardUrls = Env(new Option<string?>("--dashboard-urls") { Description = "Serve the dashboard at URL/dashboard, e.g. http://127.0.0.1:8080; env SEMISEG_DASHBOARD_URLS" }, "SEMISEG_DASHBOARD_URLS", null);
        var workDir = Env(new Option<string?>("--work-dir") { Description = "Local folder for attempts' files; env SEMISEG_WORK_DIR" }, "SEMISEG_WORK_DIR", null);
        var tls = new TlsCommandOptions();
        var stallTimeout = new Option<double>("--stall-timeout")
        {
            Description = "Seconds without a new step after which a trainer is killed as hung and its run resumed (or 10x its slowest step, if longer; 0: off); env SEMISEG_STALL_TIMEOUT",
            DefaultValueFactory = _ => EnvInt("SEMISEG_STALL_TIMEOUT") ?? new SiloSettings().StallTimeout.TotalSeconds,
        };
        var command = new Command("silo", "Run a coordinator or worker silo of a cluster")
        {
            role, slots, gpus, device, clustering, connection, clusterId, storage, siloPort, gatewayPort, primaryPort, advertisedIp, dashboardUrls, workDir, stallTimeout,
        };
        tls.AddTo(command);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var settings = new SiloSettings
            {
                Role = parse.GetValue(role)!,
                Slots = parse.GetValue(slots),
                Gpus = ParseGpus(parse.GetValue(gpus)),
                Device = parse.GetValue(device) ?? (string.IsNullOrWhiteSpace(parse.GetValue(gpus)) ? "cpu" : "cuda"),
                Clustering = parse.GetValue(clustering)!,
                ClusteringConnection = parse.GetValue(connection),
                ClusterId = parse.GetValue(clusterId)!,
                Storage = parse.GetValue(storage)!,
                SiloPort = parse.GetValue(siloPort),
                GatewayPort = parse.GetValue(gatewayPort),
                PrimarySiloPort = parse.GetValue(primaryPort),
                AdvertisedIp = parse.GetValue(advertisedIp),
                DashboardUrls = parse.GetValue(dashboardUrls),
                WorkDirectory = parse.GetValue(workDir) ?? Path.Combine(Path.GetTempPath(), "semiseg-work"),
                Tls = tls.Read(parse),
                StallTimeout = TimeSpan.FromSeconds(parse.GetValue(stallTimeout)),
            };
            var app = SiloHosting.BuildSiloHost(settings);
            Console.WriteLine($"silo ({settings.Role}, cluster '{settings.ClusterId}', {settings.Clustering}): slots [{string.Join(", ", settings.Devices())}], store {Secrets.Redact(settings.Storage)}"
                + (settings.DashboardUrls is null ? "" : $", dashboard {settings.DashboardUrls}/dashboard")
                + (settings.Tls.Enabled ? ", mutual TLS" : settings.AdvertisedIp is null ? "" : ", no TLS: any client that reaches the gateway port can submit and cancel"));
            try
            {
                app.Run();
            }
            catch (Exception e) when (SiloHosting.MembershipStartFailure(e, settings) is { } failure)
            {
                throw failure;
            }
            return 0;
        }));
        return command;
    }

    public static IReadOnlyList<int> ParseGpus(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }
        return text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(part =>
            int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int id) ? id
                : throw new SiloSettingsException("--gpus", $"'{part}' is not a device id", "write e.g. --gpus 0,1")).ToList();
    }

    public static Option<T> Env<T>(Option<T> option, string variable, T fallback)
    {
        option.DefaultValueFactory = _ => Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? (T)(object)value : fallback;
        return option;
    }

    public static int? EnvInt(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n
                : throw new SiloSettingsException(variable, $"'{value}' is not a whole number", $"set {variable} to a number")
            : null;
}
