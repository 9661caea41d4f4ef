namespace SemiSeg.Deploy.Tests;

public class ComposeFileTests
{
    private static readonly string Compose = Repo.Read("docker-compose.yml");

    private static Dictionary<string, object?> Service(string name) =>
        ((Dictionary<string, object?>)YamlTree.Parse(Compose)!).Map("services")!.Map(name)!;

    private static List<string> Command(string service) =>
        ((List<object?>)Service(service)["command"]!).Select(a => Interpolation.Apply((string)a!)).ToList();

    [Fact]
    public void RepositoryComposeFile_PassesEveryCheck()
    {
        var errors = DeployChecker.Check(Repo.Root, Compose);
        Assert.True(errors.Count == 0, "docker-compose.yml has problems:\n" + string.Join("\n", errors));
    }

    [Fact]
    public void Services_AreTheClusterAndTheOneShotClient()
    {
        var services = ((Dictionary<string, object?>)YamlTree.Parse(Compose)!).Map("services")!;
        Assert.Equal(["azurite", "coordinator", "worker-cpu", "worker-gpu", "submit"], services.Keys);
        Assert.Equal(["silo", "--role", "coordinator", "--dashboard-urls", "http://0.0.0.0:8080"], Command("coordinator"));
        Assert.Equal(["silo", "--role", "worker", "--slots", "2", "--device", "cpu"], Command("worker-cpu"));
        Assert.Equal(["silo", "--role", "worker", "--gpus", "0", "--device", "cuda"], Command("worker-gpu"));
        Assert.Equal(["submit", "sweeps/quickstart.yaml", "--watch"], Command("submit"));
        Assert.Equal("no", Service("submit").Str("restart"));
        Assert.Equal(["127.0.0.1:8080:8080"], ((List<object?>)Service("coordinator")["ports"]!).Select(p => Interpolation.Apply((string)p!)));
    }

    [Fact]
    public void GpuWorker_IsOptionalAndReservesOneNvidiaGpu()
    {
        var gpu = Service("worker-gpu");
        Assert.Equal(["gpu"], (List<object?>)gpu["profiles"]!);
        Assert.Equal("deploy/Dockerfile.cuda", gpu.Map("build")!.Str("dockerfile"));
        var device = (Dictionary<string, object?>)((List<object?>)gpu.Map("deploy")!.Map("resources")!.Map("reservations")!["devices"]!)[0]!;
        Assert.Equal("nvidia", device.Str("driver"));
        Assert.Equal("1", device.Str("count"));
        Assert.Equal(["gpu"], (List<object?>)device["capabilities"]!);
        // Only the GPU worker is kept out of a plain `docker compose up` on a CPU host (and submit, a one-shot).
        foreach (string name in new[] { "azurite", "coordinator", "worker-cpu" })
        {
            Assert.False(Service(name).ContainsKey("profiles"), name);
        }
    }

    [Fact]
    public void EverySilo_SharesTheAzuriteClusterSettings()
    {
        var env = (Dictionary<string, object?>)Service("coordinator")["environment"]!;
        foreach (string name in new[] { "worker-cpu", "worker-gpu", "submit" })
        {
            Assert.Equal(env, (Dictionary<string, object?>)Service(name)["environment"]!);
        }
        Assert.Equal("azure-table", env.Str("SEMISEG_CLUSTERING"));
        string connection = env.Str("SEMISEG_CLUSTERING_CONNECTION")!;
        Assert.Equal("azure:" + connection, env.Str("SEMISEG_STORAGE"));
        Assert.Contains("AccountKey=" + DeployChecker.AzuriteAccountKey + ";", connection, StringComparison.Ordinal);
        Assert.Contains("TableEndpoint=http://azurite:10002/devstoreaccount1;", connection, StringComparison.Ordinal);
        Assert.Contains("BlobEndpoint=http://azurite:10000/devstoreaccount1;", connection, StringComparison.Ordinal);
        Assert.Equal("semiseg", Interpolation.Apply(env.Str("SEMISEG_CLUSTER_ID")!));
        Assert.Equal("mine", Interpolation.Apply(env.Str("SEMISEG_CLUSTER_ID")!, new Dictionary<string, string> { ["SEMISEG_CLUSTER_ID"] = "mine" }));
    }

    [Fact]
    public void EnvExample_DefinesEveryVariableTheComposeFileUses()
    {
        var used = YamlTree.Scalars(YamlTree.Parse(Compose), "")
            .SelectMany(s => Interpolation.References(s.Value)).Select(r => r.Name).ToHashSet();
        var example = Repo.Read(".env.example").Split('\n').Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => l[..l.IndexOf('=', StringComparison.Ordinal)]).ToHashSet();
        Assert.NotEmpty(used);
        Assert.Subset(example, used);
    }

    /// <summary>Each check, broken on purpose in a copy of the real file: the report names the service and the field.</summary>
    [Theory]
    [InlineData("dockerfile: deploy/Dockerfile.cuda", "dockerfile: deploy/Dockerfile.gpu",
        "service 'worker-gpu': build.dockerfile: 'deploy/Dockerfile.gpu' does not exist")]
    [InlineData("\"submit\", \"sweeps/quickstart.yaml\"", "\"submit\", \"sweeps/quickstrat.yaml\"",
        "service 'submit': command: 'sweeps/quickstrat.yaml' does not exist in the repository")]
    [InlineData("\"${SEMISEG_CPU_SLOTS:-2}\"", "\"${SEMISEG_CPU_SLOTZ}\"",
        "service 'worker-cpu': command[4]: variable SEMISEG_CPU_SLOTZ has no default")]
    [InlineData("    depends_on:\n      coordinator:", "    depends_on:\n      coordinater:",
        "service 'submit': depends_on: 'coordinater' is not a service")]
    [InlineData("- driver: nvidia", "- driver: amd",
        "service 'worker-gpu': deploy.resources.reservations.devices[0].driver: 'amd' is not 'nvidia'")]
    [InlineData("\"127.0.0.1:${SEMISEG_DASHBOARD_PORT:-8080}:8080\"", "\"${SEMISEG_DASHBOARD_PORT:-8080}:8080\"",
        "service 'coordinator': ports[0]: '8080:8080' is published on all interfaces")]
    [InlineData("\"--slots\"", "\"--slot\"", "service 'worker-cpu': command: 'semiseg silo' has no option '--slot'")]
    [InlineData("[\"submit\", ", "[\"sumbit\", ", "service 'submit': command: unknown semiseg subcommand 'sumbit'")]
    [InlineData("\"--device\", \"cpu\"", "\"--device\", \"gpu\"", "service 'worker-cpu': command: option '--device': 'gpu' is not one of cpu, cuda")]
    [InlineData("\"--skipApiVersionCheck\", ", "", "service 'azurite': command: Azurite needs --skipApiVersionCheck")]
    [InlineData("\"--tableHost\", \"0.0.0.0\"", "\"--tableHost\", \"127.0.0.1\"", "service 'azurite': command: Azurite must listen on all interfaces inside its container: --tableHost 0.0.0.0")]
    [InlineData("    profiles: [gpu]\n", "", "service 'worker-gpu': profiles: a service that reserves an NVIDIA GPU must be in the 'gpu' profile")]
    [InlineData("    deploy:\n      resources:", "    x-deploy:\n      resources:",
        "service 'worker-gpu': deploy.resources.reservations.devices: this silo uses GPUs (--gpus / --device cuda) but reserves no NVIDIA GPU")]
    [InlineData("\"--gpus\", \"0\"", "\"--gpus\", \"0,1\"", "service 'worker-gpu': command: --gpus 0,1 lists more GPUs than the 1 reserved")]
    [InlineData("SEMISEG_CLUSTERING: azure-table", "SEMISEG_CLUSTERING: localhost",
        "service 'coordinator': environment/command: localhost clustering cannot span containers")]
    [InlineData("  SEMISEG_STORAGE: \"azure:DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=E",
        "  SEMISEG_STORAGE: \"azure:DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=X",
        "service 'worker-cpu': environment/command: storage connection: AccountKey is not Azurite's well-known key")]
    [InlineData("  SEMISEG_CLUSTER_ID:", "  SEMISEG_CLUSTERID:", "service 'coordinator': environment.SEMISEG_CLUSTERID: semiseg reads no such variable")]
    [InlineData("\"silo\", \"--role\", \"coordinator\"", "\"silo\", \"--role\", \"worker\"", "exactly one service must run 'semiseg silo --role coordinator'; found 0")]
    [InlineData("\"--dashboard-urls\", \"http://0.0.0.0:8080\"", "\"--dashboard-urls\", \"http://0.0.0.0:9090\"",
        "service 'coordinator': ports: the dashboard listens on container port 9090, which is not published")]
    [InlineData("      - azurite-data:/data", "      - azurite-state:/data", "service 'azurite': volumes[0]: named volume 'azurite-state' is not declared")]
    [InlineData("      coordinator:\n        condition: service_healthy", "      coordinator:\n        condition: service_ready",
        "service 'submit': depends_on.coordinator.condition: 'service_ready' is not one of")]
    [InlineData("      - ./sweeps:/app/sweeps:ro", "      - ./manifests:/app/sweeps:ro", "service 'submit': volumes[0]: bind-mount source './manifests' does not exist")]
    public void BrokenComposeFile_IsReportedWithServiceAndField(string find, string replace, string expected)
    {
        int at = Compose.IndexOf(find, StringComparison.Ordinal);
        Assert.True(at >= 0, $"test setup: '{find}' no longer occurs in docker-compose.yml");
        string broken = Compose[..at] + replace + Compose[(at + find.Length)..];

        var errors = DeployChecker.Check(Repo.Root, broken);

        Assert.True(errors.Any(e => e.Contains(expected, StringComparison.Ordinal)),
            $"expected a problem containing \"{expected}\"; got:\n{string.Join("\n", errors)}");
    }

    [Fact]
    public void UnparsableComposeFile_IsReportedWithItsLine()
    {
        var errors = DeployChecker.Check(Repo.Root, "services:\n  a:\n    image: x\n   b: [\n");
        var error = Assert.Single(errors);
        Assert.StartsWith("docker-compose.yml does not parse: line 4", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ComposeFileWithoutServices_IsReported()
    {
        Assert.Equal(["docker-compose.yml: no 'services' mapping at the top level"], DeployChecker.Check(Repo.Root, "volumes:\n  a:\n"));
    }
}
