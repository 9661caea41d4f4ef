namespace SemiSeg.Deploy.Tests;

/// <summary>
/// The `semiseg` command line as the deployment uses it: subcommands, their options, what values they take, and the
/// environment variables the options read.
/// KEEP IN SYNC WITH THE CLI (src/SemiSeg.Cli): a subcommand, option or variable renamed there must be renamed here,
/// or the compose file would pass these checks and fail at `docker compose up`.
/// </summary>
public static class SemiSegCli
{
    /// <summary>An option: its name, whether it takes a value, and a check of that value (null when any text goes).</summary>
    public sealed record Option(string Name, bool TakesValue, Func<string, string?>? Validate = null);

    /// <summary>A subcommand: its options and how many positional arguments it takes.</summary>
    public sealed record Subcommand(string Name, int Positionals, IReadOnlyList<Option> Options);

    private static Func<string, string?> OneOf(params string[] allowed) =>
        v => allowed.Contains(v, StringComparer.Ordinal) ? null : $"'{v}' is not one of {string.Join(", ", allowed)}";

    private static string? PositiveInt(string v) => int.TryParse(v, out int n) && n > 0 ? null : $"'{v}' is not a positive integer";

    private static string? Port(string v) => int.TryParse(v, out int n) && n is > 0 and < 65536 ? null : $"'{v}' is not a port number";

    private static string? GpuList(string v) =>
        v.Split(',').All(g => int.TryParse(g, out int n) && n >= 0) ? null : $"'{v}' is not a comma-separated list of GPU indices (e.g. 0,1)";

    private static string? Storage(string v) =>
        v.StartsWith("local:", StringComparison.Ordinal) || v.StartsWith("azure:", StringComparison.Ordinal)
            ? null : $"'{v}' must start with local: or azure:";

    private static string? Ipv4(string v) =>
        System.Net.IPAddress.TryParse(v, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? null : $"'{v}' is not an IPv4 address (silos advertise an IP, not a host name)";

    private static string? Urls(string v) =>
        v.Split(';').All(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && !uri.IsDefaultPort)
            ? null : $"'{v}' is not a list of http(s)://HOST:PORT URLs separated by ';'";

    private static readonly Option[] ClusterOptions =
    [
        new("--clustering", true, OneOf("localhost", "azure-table", "postgres")),
        new("--clustering-connection", true),
        new("--cluster-id", true),
    ];

    private static readonly Option[] TlsOptions =
    [
        new("--tls-certificate", true),
        new("--tls-certificate-password-file", true),
        new("--tls-ca", true),
        new("--tls-allowed-thumbprints", true),
    ];

    private static Subcommand Client(string name) => new(name, 1, [.. ClusterOptions, .. TlsOptions]);

    public static readonly IReadOnlyDictionary<string, Subcommand> Subcommands = new Subcommand[]
    {
        new("silo", 0,
        [
            new("--role", true, OneOf("coordinator", "worker")),
            new("--slots", true, PositiveInt),
            new("--gpus", true, GpuList),
            new("--device", true, OneOf("cpu", "cuda")),
            .. ClusterOptions,
            new("--storage", true, Storage),
            new("--advertised-ip", true, Ipv4),
            new("--silo-port", true, Port),
            new("--gateway-port", true, Port),
            new("--dashboard-urls", true, Urls),
            new("--work-dir", true),
            new("--stall-timeout", true, PositiveIntOrZero),
            .. TlsOptions,
        ]),
        new("submit", 1, [.. ClusterOptions, .. TlsOptions, new("--watch", false)]),
        Client("status"),
        Client("watch"),
        Client("cancel"),
        Client("results"),
        Client("report"),
        // Local commands (README "Training one run", "Sweep manifests").
        new("train", 0,
        [
            new("--config", true), new("--out", true), new("--device", true), new("--seed", true, PositiveIntOrZero),
            new("--resume", false), new("--force", false),
        ]),
        new("validate", 1, []),
    }.ToDictionary(s => s.Name, StringComparer.Ordinal);

    private static string? PositiveIntOrZero(string v) => int.TryParse(v, out int n) && n >= 0 ? null : $"'{v}' is not a non-negative integer";

    /// <summary>The environment variable each silo/client option reads (SEMISEG_ + the option name, upper snake case).</summary>
    public static readonly IReadOnlyDictionary<string, string> EnvironmentVariables = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["SEMISEG_ROLE"] = "--role",
        ["SEMISEG_SLOTS"] = "--slots",
        ["SEMISEG_GPUS"] = "--gpus",
        ["SEMISEG_DEVICE"] = "--device",
        ["SEMISEG_CLUSTERING"] = "--clustering",
        ["SEMISEG_CLUSTERING_CONNECTION"] = "--clustering-connection",
        ["SEMISEG_STORAGE"] = "--storage",
        ["SEMISEG_CLUSTER_ID"] = "--cluster-id",
        ["SEMISEG_ADVERTISED_IP"] = "--advertised-ip",
        ["SEMISEG_SILO_PORT"] = "--silo-port",
        ["SEMISEG_GATEWAY_PORT"] = "--gateway-port",
        ["SEMISEG_DASHBOARD_URLS"] = "--dashboard-urls",
        ["SEMISEG_WORK_DIR"] = "--work-dir",
        ["SEMISEG_STALL_TIMEOUT"] = "--stall-timeout",
        ["SEMISEG_TLS_CERTIFICATE"] = "--tls-certificate",
        ["SEMISEG_TLS_CERTIFICATE_PASSWORD_FILE"] = "--tls-certificate-password-file",
        ["SEMISEG_TLS_CA"] = "--tls-ca",
        ["SEMISEG_TLS_ALLOWED_THUMBPRINTS"] = "--tls-allowed-thumbprints",
    };

    /// <summary>Other SEMISEG_ variables the program reads (the training engine's Fashion-MNIST folder; the TLS certificate's password, never an option).</summary>
    public static readonly IReadOnlySet<string> OtherVariables = new HashSet<string>(StringComparer.Ordinal) { "SEMISEG_FASHION_MNIST", "SEMISEG_TLS_CERTIFICATE_PASSWORD" };

    /// <summary>A parsed command line: subcommand, option values (last one wins), positional arguments.</summary>
    public sealed record Invocation(string Subcommand, IReadOnlyDictionary<string, string> Options, IReadOnlyList<string> Positionals);

    /// <summary>Parses <paramref name="args"/> (after interpolation); adds each problem to <paramref name="errors"/>.</summary>
    public static Invocation? Parse(IReadOnlyList<string> args, List<string> errors)
    {
        if (args.Count == 0)
        {
            errors.Add("no subcommand (the image's entry point runs semiseg; expected one of " + string.Join(", ", Subcommands.Keys) + ")");
            return null;
        }
        if (!Subcommands.TryGetValue(args[0], out var sub))
        {
            errors.Add($"unknown semiseg subcommand '{args[0]}' (known: {string.Join(", ", Subcommands.Keys)})");
            return null;
        }
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var positionals = new List<string>();
        for (int i = 1; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                positionals.Add(arg);
                continue;
            }
            string name = arg;
            string? inline = null;
            int eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                name = arg[..eq];
                inline = arg[(eq + 1)..];
            }
            var option = sub.Options.FirstOrDefault(o => o.Name == name);
            if (option is null)
            {
                errors.Add($"'semiseg {sub.Name}' has no option '{name}' (known: {string.Join(", ", sub.Options.Select(o => o.Name))})");
                continue;
            }
            string value = "true";
            if (option.TakesValue)
            {
                if (inline is not null)
                {
                    value = inline;
                }
                else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    value = args[++i];
                }
                else
                {
                    errors.Add($"option '{name}' of 'semiseg {sub.Name}' needs a value");
                    continue;
                }
                if (option.Validate?.Invoke(value) is { } problem)
                {
                    errors.Add($"option '{name}': {problem}");
                }
            }
            else if (inline is not null)
            {
                errors.Add($"option '{name}' of 'semiseg {sub.Name}' takes no value");
            }
            options[name] = value;
        }
        if (positionals.Count != sub.Positionals)
        {
            errors.Add($"'semiseg {sub.Name}' takes {sub.Positionals} positional argument(s), got {positionals.Count}" +
                (positionals.Count > 0 ? $" ({string.Join(" ", positionals)})" : ""));
        }
        return new Invocation(sub.Name, options, positionals);
    }

    /// <summary>Checks a SEMISEG_ variable's value with the check of the option it stands for.</summary>
    public static string? ValidateVariable(string name, string value)
    {
        if (!EnvironmentVariables.TryGetValue(name, out string? optionName))
        {
            return null;
        }
        var option = Subcommands["silo"].Options.First(o => o.Name == optionName);
        return option.Validate?.Invoke(value);
    }
}
