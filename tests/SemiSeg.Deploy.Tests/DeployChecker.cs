namespace SemiSeg.Deploy.Tests;

/// <summary>
/// Static checks of docker-compose.yml and the Dockerfiles it builds, as a list of problems, each naming the service
/// (or file) and the field. Empty list: the deployment is consistent with the repository and the semiseg CLI.
/// </summary>
public sealed class DeployChecker
{
    /// <summary>Azurite's well-known development account key (Microsoft's Azurite documentation).</summary>
    public const string AzuriteAccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly string[] DependsOnConditions = ["service_started", "service_healthy", "service_completed_successfully"];

    private readonly string root;
    private readonly List<string> errors = [];
    private readonly Dictionary<string, BuildInfo?> builds = new(StringComparer.Ordinal);
    private Dictionary<string, string> envExample = new(StringComparer.Ordinal);
    private Dictionary<string, object?> services = new(StringComparer.Ordinal);
    private HashSet<string> declaredVolumes = new(StringComparer.Ordinal);

    private sealed record BuildInfo(Dockerfile Dockerfile, string ContextDir, string? EntrypointScript);

    private DeployChecker(string root) => this.root = root;

    /// <summary>Checks <paramref name="composeText"/> as if it were <c>docker-compose.yml</c> at <paramref name="repoRoot"/>.</summary>
    public static IReadOnlyList<string> Check(string repoRoot, string composeText)
    {
        var checker = new DeployChecker(repoRoot);
        checker.Run(composeText);
        return checker.errors.Distinct(StringComparer.Ordinal).ToList();
    }

    private void Run(string composeText)
    {
        object? document;
        try
        {
            document = YamlTree.Parse(composeText);
        }
        catch (FormatException e)
        {
            errors.Add($"docker-compose.yml does not parse: {e.Message}");
            return;
        }
        if (document is not Dictionary<string, object?> top || top.Map("services") is not { Count: > 0 })
        {
            errors.Add("docker-compose.yml: no 'services' mapping at the top level");
            return;
        }
        envExample = ReadEnvExample();
        CheckInterpolation(top);
        var effective = (Dictionary<string, object?>)Substitute(top)!;
        services = effective.Map("services")!;
        declaredVolumes = effective.Map("volumes")?.Keys.ToHashSet(StringComparer.Ordinal) ?? [];

        var clusterIds = new Dictionary<string, string>(StringComparer.Ordinal);
        var clusterConnections = new Dictionary<string, string>(StringComparer.Ordinal);
        var coordinators = new List<string>();
        foreach (var (name, value) in services)
        {
            if (value is not Dictionary<string, object?> service)
            {
                errors.Add($"service '{name}': must be a mapping");
                continue;
            }
            CheckService(name, service, clusterIds, clusterConnections, coordinators);
        }
        if (coordinators.Count != 1)
        {
            errors.Add($"exactly one service must run 'semiseg silo --role coordinator'; found {coordinators.Count}" +
                (coordinators.Count > 0 ? $" ({string.Join(", ", coordinators)})" : ""));
        }
        if (clusterIds.Values.Distinct(StringComparer.Ordinal).Count() > 1)
        {
            errors.Add("services disagree on the cluster id: " + string.Join(", ", clusterIds.Select(p => $"{p.Key}={p.Value}")));
        }
        if (clusterConnections.Values.Distinct(StringComparer.Ordinal).Count() > 1)
        {
            errors.Add("services disagree on the clustering connection: " + string.Join(", ", clusterConnections.Keys));
        }
    }

    private Dictionary<string, string> ReadEnvExample()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        string path = Path.Combine(root, ".env.example");
        if (!File.Exists(path))
        {
            return result;
        }
        foreach (string raw in File.ReadAllLines(path))
        {
            string line = raw.Trim();
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (line.Length == 0 || line.StartsWith('#') || eq <= 0)
            {
                continue;
            }
            result[line[..eq].Trim()] = line[(eq + 1)..].Trim().Trim('"');
        }
        return result;
    }

    private void CheckInterpolation(Dictionary<string, object?> top)
    {
        foreach (var (path, text) in YamlTree.Scalars(top, ""))
        {
            IReadOnlyList<Interpolation.Reference> references;
            try
            {
                references = Interpolation.References(text);
            }
            catch (FormatException e)
            {
                errors.Add($"{Where(path)}: {e.Message}");
                continue;
            }
            foreach (var reference in references.Where(r => !r.HasFallback && !envExample.ContainsKey(r.Name)))
            {
                errors.Add($"{Where(path)}: variable {reference.Name} has no default (write ${{{reference.Name}:-value}}) " +
                    "and is not defined in .env.example");
            }
        }
    }

    /// <summary>"services.worker.command[3]" → "service 'worker': command[3]".</summary>
    private static string Where(string path)
    {
        if (!path.StartsWith("services.", StringComparison.Ordinal))
        {
            return path;
        }
        string rest = path["services.".Length..];
        int dot = rest.IndexOfAny(['.', '[']);
        return dot < 0 ? $"service '{rest}'" : $"service '{rest[..dot]}': {rest[dot..].TrimStart('.')}";
    }

    private object? Substitute(object? value) => value switch
    {
        string s => Interpolation.Apply(s, envExample),
        List<object?> list => list.Select(Substitute).ToList(),
        Dictionary<string, object?> map => map.ToDictionary(p => p.Key, p => Substitute(p.Value), StringComparer.Ordinal),
        _ => value,
    };

    private void CheckService(string name, Dictionary<string, object?> service, Dictionary<string, string> clusterIds,
        Dictionary<string, string> clusterConnections, List<string> coordinators)
    {
        void Error(string field, string message) => errors.Add($"service '{name}': {field}: {message}");

        var profiles = service.TryGetValue("profiles", out var p) && p is List<object?> pl ? pl.OfType<string>().ToList() : [];
        if (!service.ContainsKey("image") && !service.ContainsKey("build"))
        {
            Error("image", "neither image nor build is set");
        }
        BuildInfo? build = service.ContainsKey("build") ? CheckBuild(name, service["build"]) : null;

        CheckDependsOn(name, service, profiles, Error);
        CheckPorts(service, Error);
        var mounts = CheckVolumes(service, Error);
        var env = Environment(service, Error);
        bool gpuReserved = CheckGpuReservation(service, Error);
        if (gpuReserved && !profiles.Contains("gpu"))
        {
            Error("profiles", "a service that reserves an NVIDIA GPU must be in the 'gpu' profile, so that " +
                "`docker compose up` works on a host without GPUs");
        }
        if (service.Str("image") is { } image && image.Contains("azurite", StringComparison.OrdinalIgnoreCase))
        {
            CheckAzurite(service, Error);
        }
        if (build is null)
        {
            return;
        }

        // Our image: the entry point runs semiseg, so the command is semiseg's arguments.
        List<string>? args = service.TryGetValue("command", out var command) ? command switch
        {
            string s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList(),
            List<object?> list => list.Select(a => a?.ToString() ?? "").ToList(),
            _ => null,
        } : null;
        if (args is null)
        {
            Error("command", "missing: say which semiseg subcommand this service runs");
            return;
        }
        var cliErrors = new List<string>();
        var invocation = SemiSegCli.Parse(args, cliErrors);
        foreach (string e in cliErrors)
        {
            Error("command", e);
        }
        if (invocation is null)
        {
            return;
        }
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (variable, option) in SemiSegCli.EnvironmentVariables)
        {
            if (env.TryGetValue(variable, out string? v))
            {
                settings[option] = v;
            }
        }
        foreach (var (option, v) in invocation.Options)
        {
            settings[option] = v;
        }

        bool isSilo = invocation.Subcommand == "silo";
        bool isClient = invocation.Subcommand is "submit" or "status" or "watch" or "cancel" or "results" or "report";
        if (isSilo || isClient)
        {
            CheckCluster(name, settings, isSilo, Error, clusterIds, clusterConnections);
        }
        if (isSilo)
        {
            if (settings.GetValueOrDefault("--role") == "coordinator")
            {
                coordinators.Add(name);
                CheckDashboardPublished(service, settings, Error);
            }
            if (!settings.ContainsKey("--advertised-ip") &&
                !(build.EntrypointScript?.Contains("SEMISEG_ADVERTISED_IP", StringComparison.Ordinal) ?? false))
            {
                Error("command", "a silo must advertise an IP address: set --advertised-ip / SEMISEG_ADVERTISED_IP, " +
                    "or use an image whose ENTRYPOINT script derives it (deploy/entrypoint.sh)");
            }
            bool wantsGpu = settings.ContainsKey("--gpus") || settings.GetValueOrDefault("--device") == "cuda";
            if (wantsGpu && !gpuReserved)
            {
                Error("deploy.resources.reservations.devices", "this silo uses GPUs (--gpus / --device cuda) but reserves " +
                    "no NVIDIA GPU (driver: nvidia, count: N, capabilities: [gpu])");
            }
            if (settings.ContainsKey("--gpus") && settings.GetValueOrDefault("--device") == "cpu")
            {
                Error("command", "--gpus with --device cpu");
            }
            if (settings.ContainsKey("--gpus") && settings.ContainsKey("--slots"))
            {
                Error("command", "--gpus and --slots are exclusive (one training per GPU, or N CPU trainings)");
            }
            if (wantsGpu && !build.Dockerfile.Instructions.Any(i => i.Arguments.Contains("TorchBackend=cuda", StringComparison.Ordinal)))
            {
                Error("build.dockerfile", "this silo uses GPUs but its image is not built with -p:TorchBackend=cuda");
            }
            if (settings.TryGetValue("--gpus", out string? gpus) && GpuCount(service) is int reserved &&
                gpus.Split(',').Length > reserved)
            {
                Error("command", $"--gpus {gpus} lists more GPUs than the {reserved} reserved in deploy.resources");
            }
        }
        var files = new List<string>();
        if (invocation.Subcommand is "submit" or "validate")
        {
            files.AddRange(invocation.Positionals);
        }
        if (invocation.Options.TryGetValue("--config", out string? config))
        {
            files.Add(config);
        }
        foreach (string file in files)
        {
            CheckFileInContainer(file, build, mounts, Error);
        }
    }

    private BuildInfo? CheckBuild(string name, object? value)
    {
        string context = ".", dockerfile = "Dockerfile";
        switch (value)
        {
            case string s:
                context = s;
                break;
            case Dictionary<string, object?> map:
                context = map.Str("context") ?? ".";
                dockerfile = map.Str("dockerfile") ?? "Dockerfile";
                break;
            default:
                errors.Add($"service '{name}': build: must be a path or a mapping with context and dockerfile");
                return null;
        }
        string contextDir = Path.GetFullPath(Path.Combine(root, context));
        if (!Directory.Exists(contextDir))
        {
            errors.Add($"service '{name}': build.context: folder '{context}' does not exist");
            return null;
        }
        string dockerfilePath = Path.GetFullPath(Path.Combine(contextDir, dockerfile));
        if (!File.Exists(dockerfilePath))
        {
            errors.Add($"service '{name}': build.dockerfile: '{dockerfile}' does not exist (relative to the context '{context}')");
            return null;
        }
        if (!builds.TryGetValue(dockerfilePath, out var info))
        {
            info = CheckDockerfile(contextDir, dockerfilePath, dockerfile);
            builds[dockerfilePath] = info;
        }
        return info;
    }

    /// <summary>Checks one Dockerfile: COPY/ADD sources exist in the context and are not excluded by .dockerignore,
    /// --from names a stage; returns what the service checks need.</summary>
    private BuildInfo? CheckDockerfile(string contextDir, string dockerfilePath, string display)
    {
        Dockerfile parsed;
        try
        {
            parsed = Dockerfile.Parse(File.ReadAllText(dockerfilePath));
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            errors.Add($"{display}: {e.Message}");
            return null;
        }
        var ignore = DockerIgnore.Parse(File.Exists(Path.Combine(contextDir, ".dockerignore"))
            ? File.ReadAllText(Path.Combine(contextDir, ".dockerignore")) : null);
        var stages = parsed.Instructions.Where(i => i.Keyword == "FROM")
            .Select(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(a => a.Length >= 3 && a[^2].Equals("AS", StringComparison.OrdinalIgnoreCase))
            .Select(a => a[^1]).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var copy in parsed.Copies)
        {
            if (!copy.FromBuildContext)
            {
                string from = copy.Flags["from"];
                if (!stages.Contains(from) && !from.Contains('/', StringComparison.Ordinal) && !from.Contains(':', StringComparison.Ordinal))
                {
                    errors.Add($"{display}:{copy.Line}: COPY --from={from} names no stage (stages: {string.Join(", ", stages)})");
                }
                continue;
            }
            foreach (string source in copy.Sources)
            {
                if (source.Contains("://", StringComparison.Ordinal))
                {
                    continue;
                }
                string relative = source.TrimStart('.', '/');
                bool exists = source.Contains('*', StringComparison.Ordinal)
                    ? Glob(contextDir, source).Any()
                    : File.Exists(Path.Combine(contextDir, source)) || Directory.Exists(Path.Combine(contextDir, source));
                if (!exists)
                {
                    errors.Add($"{display}:{copy.Line}: COPY source '{source}' does not exist in the build context");
                }
                else if (ignore.Excludes(relative))
                {
                    errors.Add($"{display}:{copy.Line}: COPY source '{source}' is excluded by .dockerignore");
                }
            }
        }
        string? script = null;
        if (parsed.FinalEntrypoint() is { } entry)
        {
            var copy = parsed.Copies.LastOrDefault(c => c.Stage == parsed.FinalStage && c.FromBuildContext &&
                c.Sources.Count == 1 && c.Destination == entry);
            string? path = copy is null ? null : Path.Combine(contextDir, copy.Sources[0]);
            script = path is not null && File.Exists(path) ? File.ReadAllText(path) : null;
        }
        return new BuildInfo(parsed, contextDir, script);
    }

    private static IEnumerable<string> Glob(string contextDir, string pattern)
    {
        string dir = Path.GetDirectoryName(pattern) ?? "";
        string full = Path.Combine(contextDir, dir);
        return Directory.Exists(full) ? Directory.EnumerateFileSystemEntries(full, Path.GetFileName(pattern)) : [];
    }

    private void CheckDependsOn(string name, Dictionary<string, object?> service, List<string> profiles, Action<string, string> error)
    {
        if (!service.TryGetValue("depends_on", out var value) || value is null)
        {
            return;
        }
        var entries = value switch
        {
            List<object?> list => list.OfType<string>().Select(s => (Name: s, Condition: (string?)null)).ToList(),
            Dictionary<string, object?> map => map.Select(p => (Name: p.Key,
                Condition: (p.Value as Dictionary<string, object?>)?.Str("condition"))).ToList(),
            _ => null,
        };
        if (entries is null)
        {
            error("depends_on", "must be a list of service names or a mapping");
            return;
        }
        foreach (var (dependency, condition) in entries)
        {
            if (dependency == name)
            {
                error("depends_on", "a service cannot depend on itself");
                continue;
            }
            if (services.GetValueOrDefault(dependency) is not Dictionary<string, object?> target)
            {
                error("depends_on", $"'{dependency}' is not a service (services: {string.Join(", ", services.Keys)})");
                continue;
            }
            if (condition is not null && !DependsOnConditions.Contains(condition))
            {
                error($"depends_on.{dependency}.condition", $"'{condition}' is not one of {string.Join(", ", DependsOnConditions)}");
            }
            if (condition == "service_healthy" && target.Map("healthcheck") is null)
            {
                error($"depends_on.{dependency}.condition", $"service_healthy, but '{dependency}' has no healthcheck");
            }
            var targetProfiles = target.TryGetValue("profiles", out var tp) && tp is List<object?> tpl ? tpl.OfType<string>().ToList() : [];
            if (targetProfiles.Count > 0 && (profiles.Count == 0 || !profiles.All(targetProfiles.Contains)))
            {
                error("depends_on", $"'{dependency}' is only in profile(s) {string.Join(", ", targetProfiles)}, so it is not " +
                    "started whenever this service is");
            }
        }
    }

    private static void CheckPorts(Dictionary<string, object?> service, Action<string, string> error)
    {
        if (service.TryGetValue("ports", out var value) is false || value is not List<object?> ports)
        {
            return;
        }
        for (int i = 0; i < ports.Count; i++)
        {
            string? hostIp = ports[i] switch
            {
                string s => HostIpOfShortPort(s),
                Dictionary<string, object?> map => map.Str("host_ip"),
                _ => null,
            };
            if (hostIp is not ("127.0.0.1" or "::1" or "[::1]"))
            {
                error($"ports[{i}]", $"'{FormatPort(ports[i])}' is published on {(hostIp is null ? "all interfaces" : hostIp)}; " +
                    "publish on 127.0.0.1 only (e.g. \"127.0.0.1:8080:8080\")");
            }
        }
    }

    private static string FormatPort(object? port) => port is Dictionary<string, object?> map
        ? string.Join(", ", map.Select(p => $"{p.Key}: {p.Value}")) : port?.ToString() ?? "";

    /// <summary>"127.0.0.1:8080:80/tcp" → "127.0.0.1"; "8080:80" or "80" → null.</summary>
    private static string? HostIpOfShortPort(string port)
    {
        string spec = port.Split('/')[0];
        if (spec.StartsWith('['))
        {
            int close = spec.IndexOf(']', StringComparison.Ordinal);
            return close > 0 ? spec[..(close + 1)] : null;
        }
        var parts = spec.Split(':');
        return parts.Length == 3 ? parts[0] : null;
    }

    /// <summary>Checks volumes; returns the bind mounts as (container path, absolute host path).</summary>
    private List<(string Target, string Source)> CheckVolumes(Dictionary<string, object?> service, Action<string, string> error)
    {
        var mounts = new List<(string, string)>();
        if (!service.TryGetValue("volumes", out var value) || value is not List<object?> volumes)
        {
            return mounts;
        }
        for (int i = 0; i < volumes.Count; i++)
        {
            string? source, target;
            switch (volumes[i])
            {
                case string s:
                    var parts = s.Split(':');
                    (source, target) = parts.Length >= 2 ? (parts[0], parts[1]) : (null, parts[0]);
                    break;
                case Dictionary<string, object?> map:
                    (source, target) = (map.Str("source"), map.Str("target"));
                    break;
                default:
                    continue;
            }
            if (source is null || target is null)
            {
                continue;
            }
            if (source.StartsWith('.') || source.StartsWith('/') || source.StartsWith('~'))
            {
                string host = Path.GetFullPath(Path.Combine(root, source));
                if (source.StartsWith('.') && !Directory.Exists(host) && !File.Exists(host))
                {
                    error($"volumes[{i}]", $"bind-mount source '{source}' does not exist in the repository");
                }
                mounts.Add((target, host));
            }
            else if (!declaredVolumes.Contains(source))
            {
                error($"volumes[{i}]", $"named volume '{source}' is not declared under the top-level 'volumes'");
            }
        }
        return mounts;
    }

    private Dictionary<string, string> Environment(Dictionary<string, object?> service, Action<string, string> error)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        switch (service.GetValueOrDefault("environment"))
        {
            case Dictionary<string, object?> map:
                foreach (var (k, v) in map)
                {
                    env[k] = v?.ToString() ?? "";
                }
                break;
            case List<object?> list:
                foreach (string item in list.OfType<string>())
                {
                    int eq = item.IndexOf('=', StringComparison.Ordinal);
                    env[eq < 0 ? item : item[..eq]] = eq < 0 ? "" : item[(eq + 1)..];
                }
                break;
        }
        foreach (var (k, v) in env.Where(p => p.Key.StartsWith("SEMISEG_", StringComparison.Ordinal)))
        {
            if (!SemiSegCli.EnvironmentVariables.ContainsKey(k) && !SemiSegCli.OtherVariables.Contains(k))
            {
                error($"environment.{k}", "semiseg reads no such variable (known: " +
                    string.Join(", ", SemiSegCli.EnvironmentVariables.Keys.Concat(SemiSegCli.OtherVariables)) + ")");
            }
            else if (SemiSegCli.ValidateVariable(k, v) is { } problem)
            {
                error($"environment.{k}", problem);
            }
        }
        return env;
    }

    private static List<Dictionary<string, object?>> GpuDevices(Dictionary<string, object?> service) =>
        service.Map("deploy")?.Map("resources")?.Map("reservations")?.GetValueOrDefault("devices") is List<object?> devices
            ? devices.OfType<Dictionary<string, object?>>().ToList()
            : [];

    private static int? GpuCount(Dictionary<string, object?> service) =>
        GpuDevices(service).Where(d => d.Str("driver") == "nvidia").Select(d => int.TryParse(d.Str("count"), out int n) ? n : (int?)null)
            .FirstOrDefault();

    /// <summary>True when the service reserves an NVIDIA GPU correctly; reports a half-written reservation.</summary>
    private static bool CheckGpuReservation(Dictionary<string, object?> service, Action<string, string> error)
    {
        bool ok = false;
        var devices = GpuDevices(service);
        for (int i = 0; i < devices.Count; i++)
        {
            var device = devices[i];
            string field = $"deploy.resources.reservations.devices[{i}]";
            var capabilities = device.GetValueOrDefault("capabilities") as List<object?> ?? [];
            if (device.Str("driver") != "nvidia")
            {
                error(field + ".driver", $"'{device.Str("driver")}' is not 'nvidia'");
                continue;
            }
            if (!capabilities.OfType<string>().Contains("gpu"))
            {
                error(field + ".capabilities", "must contain 'gpu'");
                continue;
            }
            string? count = device.Str("count");
            if (count is null && device.GetValueOrDefault("device_ids") is null)
            {
                error(field, "needs count (a number or 'all') or device_ids");
                continue;
            }
            if (count is not null && count != "all" && !(int.TryParse(count, out int n) && n > 0))
            {
                error(field + ".count", $"'{count}' is not a positive number or 'all'");
                continue;
            }
            ok = true;
        }
        return ok;
    }

    private void CheckCluster(string name, Dictionary<string, string> settings, bool isSilo, Action<string, string> error,
        Dictionary<string, string> clusterIds, Dictionary<string, string> clusterConnections)
    {
        string field = "environment/command";
        switch (settings.GetValueOrDefault("--clustering"))
        {
            case null:
                error(field, "no clustering (SEMISEG_CLUSTERING or --clustering azure-table)");
                break;
            case "localhost":
                error(field, "localhost clustering cannot span containers; use azure-table (Azurite)");
                break;
        }
        if (settings.GetValueOrDefault("--clustering-connection") is { } connection)
        {
            clusterConnections[name] = connection;
            CheckConnectionString(connection, "clustering connection", field, error);
        }
        else
        {
            error(field, "no clustering connection (SEMISEG_CLUSTERING_CONNECTION or --clustering-connection)");
        }
        if (settings.GetValueOrDefault("--cluster-id") is { Length: > 0 } id)
        {
            clusterIds[name] = id;
        }
        else
        {
            error(field, "no cluster id (SEMISEG_CLUSTER_ID or --cluster-id)");
        }
        if (isSilo)
        {
            string? storage = settings.GetValueOrDefault("--storage");
            if (storage is null)
            {
                error(field, "a silo needs grain storage (SEMISEG_STORAGE or --storage azure:CONNECTION)");
            }
            else if (storage.StartsWith("azure:", StringComparison.Ordinal))
            {
                CheckConnectionString(storage["azure:".Length..], "storage connection", field, error);
            }
            else if (storage.StartsWith("local:", StringComparison.Ordinal))
            {
                error(field, "local: storage is one container's file system; silos in different containers must share azure: storage");
            }
        }
    }

    private void CheckConnectionString(string connection, string what, string field, Action<string, string> error)
    {
        var parts = connection.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
        if (parts.GetValueOrDefault("AccountName") == "devstoreaccount1" && parts.GetValueOrDefault("AccountKey") != AzuriteAccountKey)
        {
            error(field, $"{what}: AccountKey is not Azurite's well-known key for devstoreaccount1");
        }
        foreach (string endpoint in new[] { "BlobEndpoint", "TableEndpoint", "QueueEndpoint" })
        {
            if (parts.GetValueOrDefault(endpoint) is not { } url)
            {
                continue;
            }
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
            {
                error(field, $"{what}: {endpoint} '{url}' is not a URL");
            }
            else if (uri.Host is "localhost" or "127.0.0.1")
            {
                error(field, $"{what}: {endpoint} points at {uri.Host}, which inside a container is the container itself; use the Azurite service name");
            }
            else if (!uri.Host.Contains('.', StringComparison.Ordinal) && !services.ContainsKey(uri.Host))
            {
                error(field, $"{what}: {endpoint} host '{uri.Host}' is not a service of this compose file");
            }
        }
    }

    private static void CheckDashboardPublished(Dictionary<string, object?> service, Dictionary<string, string> settings, Action<string, string> error)
    {
        if (settings.GetValueOrDefault("--dashboard-urls") is not { } urls)
        {
            error("command", "the coordinator serves the dashboard: give --dashboard-urls http://0.0.0.0:PORT");
            return;
        }
        var published = (service.GetValueOrDefault("ports") as List<object?> ?? []).Select(p => p switch
        {
            string s => s.Split('/')[0].Split(':')[^1],
            Dictionary<string, object?> map => map.Str("target"),
            _ => null,
        }).ToHashSet(StringComparer.Ordinal);
        foreach (string url in urls.Split(';'))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
            {
                continue;
            }
            if (uri.Host is "localhost" or "127.0.0.1")
            {
                error("command", $"--dashboard-urls {url} listens on the container's loopback, unreachable through a published port; use 0.0.0.0");
            }
            if (!published.Contains(uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            {
                error("ports", $"the dashboard listens on container port {uri.Port}, which is not published");
            }
        }
    }

    private static void CheckAzurite(Dictionary<string, object?> service, Action<string, string> error)
    {
        var args = service.GetValueOrDefault("command") switch
        {
            string s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList(),
            List<object?> list => list.Select(a => a?.ToString() ?? "").ToList(),
            _ => [],
        };
        foreach (string flag in new[] { "--skipApiVersionCheck", "--disableTelemetry" })
        {
            if (!args.Contains(flag))
            {
                error("command", $"Azurite needs {flag}" + (flag == "--skipApiVersionCheck"
                    ? " (Azure.Storage 12.30 uses an API version Azurite rejects otherwise)"
                    : " (else it takes minutes to stop)"));
            }
        }
        foreach (string host in new[] { "--blobHost", "--tableHost" })
        {
            int i = args.IndexOf(host);
            if (i < 0 || i + 1 >= args.Count || args[i + 1] != "0.0.0.0")
            {
                error("command", $"Azurite must listen on all interfaces inside its container: {host} 0.0.0.0");
            }
        }
        if (service.Map("healthcheck") is null)
        {
            error("healthcheck", "Azurite needs a healthcheck so that silos start once it accepts connections");
        }
    }

    /// <summary>A file a command names (relative to the image's WORKDIR) must be in the container: bind-mounted from
    /// the repository or copied into the image from the build context, and it must exist there.</summary>
    private void CheckFileInContainer(string file, BuildInfo build, List<(string Target, string Source)> mounts, Action<string, string> error)
    {
        string containerPath = file.StartsWith('/') ? file : $"{build.Dockerfile.FinalWorkdir().TrimEnd('/')}/{file}";
        string? hostPath = null;
        foreach (var (target, source) in mounts.OrderByDescending(m => m.Target.Length))
        {
            if (Under(containerPath, target) is { } rest)
            {
                hostPath = Path.Combine(source, rest);
                break;
            }
        }
        if (hostPath is null)
        {
            foreach (var copy in build.Dockerfile.Copies.Where(c => c.Stage == build.Dockerfile.FinalStage && c.FromBuildContext && c.Sources.Count == 1))
            {
                if (Under(containerPath, copy.Destination) is { } rest)
                {
                    hostPath = Path.Combine(build.ContextDir, copy.Sources[0], rest);
                    break;
                }
            }
        }
        if (hostPath is null)
        {
            error("command", $"'{file}' ({containerPath} in the container) is neither copied into the image nor bind-mounted");
            return;
        }
        if (!File.Exists(hostPath))
        {
            error("command", $"'{file}' does not exist in the repository ({Path.GetRelativePath(root, hostPath)})");
            return;
        }
        if (Path.GetExtension(hostPath) is ".yaml" or ".yml" &&
            YamlTree.Parse(File.ReadAllText(hostPath)) is Dictionary<string, object?> manifest &&
            manifest.Str("base") is { } baseConfig)
        {
            string basePath = Path.Combine(Path.GetDirectoryName(hostPath)!, baseConfig);
            if (!File.Exists(basePath))
            {
                error("command", $"'{file}' refers to base '{baseConfig}', which does not exist ({Path.GetRelativePath(root, basePath)})");
            }
        }
    }

    /// <summary>The part of <paramref name="path"/> below the folder <paramref name="folder"/>, or null.</summary>
    private static string? Under(string path, string folder)
    {
        string f = folder.TrimEnd('/');
        if (path == f)
        {
            return "";
        }
        return path.StartsWith(f + "/", StringComparison.Ordinal) ? path[(f.Length + 1)..] : null;
    }
}
