using SemiSeg.Training.Tests.Support;

namespace SemiSeg.Training.Tests.Cli;

[Collection(CliRunner.Name)]
public sealed class TrainCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("semiseg-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static (int Exit, string Error) Run(params string[] args)
    {
        var (exit, _, error) = CliRunner.Run(args);
        return (exit, error);
    }

    [Fact]
    public void BadConfigExitsWithAClearMessageAndNoStackTrace()
    {
        string config = Path.Combine(_folder, "bad.yaml");
        File.WriteAllText(config, "name: x\nalgorithm:\n  teacher: mt\n  varient: 1w-ps\n");
        var (exit, error) = Run("train", "--config", config, "--out", Path.Combine(_folder, "out"));
        Assert.Equal(2, exit);
        Assert.Contains($"{config}:4: algorithm.varient: unknown field", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void UnavailableDeviceIsAClearError()
    {
        string config = Path.Combine(_folder, "ok.yaml");
        File.WriteAllText(config, "name: x\n");
        var (exit, error) = Run("train", "--config", config, "--out", Path.Combine(_folder, "out"), "--device", "cuda:0");
        Assert.Equal(2, exit);
        Assert.Contains("CUDA is not available", error, StringComparison.Ordinal);
        Assert.Contains("TorchBackend=cuda", error, StringComparison.Ordinal);
    }
}
