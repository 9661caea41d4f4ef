using System.Diagnostics;
using System.Text.Json;
using SemiSeg.Cli.Commands;
using SemiSeg.Contracts;
using SemiSeg.Training.Config;
using SemiSeg.Training.Tests.Support;

namespace SemiSeg.Training.Tests.Cli;

/// <summary>Bad command lines, output folders and results folders: one "error:" line, exit 2, no exception type name,
/// and nothing that was there before is changed.</summary>
[Collection(CliRunner.Name)]
public sealed class CliBadInputTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("semiseg-cli-bad-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static void AssertOneErrorLine(int exit, string error, string expected)
    {
        Assert.Equal(2, exit);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotMatch(CliRunner.ExceptionTypeName(), error);
    }

    [Theory]
    [InlineData(new[] { "bogus" }, "Unrecognized command or argument 'bogus'. Fix: see 'semiseg --help'.")]
    [InlineData(new string[0], "Required command was not provided")]
    [InlineData(new[] { "train", "--config", "x.yaml", "--bogus" }, "Unrecognized command or argument '--bogus'. Fix: see 'semiseg train --help'.")]
    [InlineData(new[] { "validate" }, "Required argument missing for command: 'validate'")]
    [InlineData(new[] { "run", "m.yaml", "--slots", "-3" }, "--slots: -3 is out of range (allowed: 1 to 256). Fix: give 1 to 256 parallel trainings")]
    [InlineData(new[] { "run", "m.yaml", "--slots", "many" }, "Cannot parse argument 'many' for option '--slots'")]
    [InlineData(new[] { "silo", "--slots", "999" }, "--slots: 999 is out of range (allowed: 0 to 256)")]
    [InlineData(new[] { "report", "x", "--panels", "-1" }, "--panels: -1 is out of range (allowed: 0 to 64)")]
    [InlineData(new[] { "status", "--gateway-port", "70000" }, "--gateway-port: 70000 is out of range (allowed: 1 to 65535)")]
    [InlineData(new[] { "train", "--config", "x.yaml", "--resume", "--force" }, "--resume and --force contradict each other")]
    public void BadCommandLinesExitTwoBeforeAnyWork(string[] args, string expected)
    {
        var (exit, _, error) = CliRunner.Run(args);
        AssertOneErrorLine(exit, error, expected);
    }

    private string TinyConfig()
    {
        string path = Path.Combine(folder, "tiny.json");
        File.WriteAllText(path, RunConfigLoader.ToCanonicalJson(TinyRuns.Config()));
        return path;
    }

    [Fact]
    public void AnOutputThatIsAFileUnwritableOrTooLongIsRefused()
    {
        string config = TinyConfig();
        string file = Path.Combine(folder, "a-file");
        File.WriteAllText(file, "keep me");

        var (exit, _, error) = CliRunner.Run("train", "--config", config, "--out", file);
        AssertOneErrorLine(exit, error, $"--out: {file} is a file, not a folder. Fix: choose a folder");
        Assert.Equal("keep me", File.ReadAllText(file));

        (exit, _, error) = CliRunner.Run("train", "--config", config, "--out", Path.Combine(file, "below"));
        AssertOneErrorLine(exit, error, "--out: cannot write into");

        (exit, _, error) = CliRunner.Run("train", "--config", config, "--out", "/proc/semiseg-cannot-write-here");
        AssertOneErrorLine(exit, error, "--out: cannot write into /proc/semiseg-cannot-write-here");

        (exit, _, error) = CliRunner.Run("train", "--config", config, "--out", Path.Combine(folder, new string('n', 300)));
        AssertOneErrorLine(exit, error, "is 300 bytes long, more than the 255 a file system allows");

        string deep = Path.Combine([folder, .. Enumerable.Repeat(new string('d', 200), 20)]);
        (exit, _, error) = CliRunner.Run("train", "--config", config, "--out", deep);
        AssertOneErrorLine(exit, error, "outputs below it would pass the system's limit of 4096. Fix: choose a shorter path");
    }

    [Fact]
    public void TrainNeverOverwritesOrDeletesAnotherRunsOutputs()
    {
        // Results but no config.json: this once deleted metrics.jsonl and overwrote result.json.
        string run = Directory.CreateDirectory(Path.Combine(folder, "done")).FullName;
        File.WriteAllText(Path.Combine(run, "metrics.jsonl"), "{\"type\":\"train\",\"step\":1}\n");
        File.WriteAllText(Path.Combine(run, "result.json"), "{\"value\": 42}\n");

        var (exit, _, error) = CliRunner.Run("train", "--config", TinyConfig(), "--out", run);

        AssertOneErrorLine(exit, error, $"{run}: --out: the folder already holds a run's outputs (metrics.jsonl, result.json). Fix: pass --resume to continue it, --force to replace it");
        Assert.Equal("{\"type\":\"train\",\"step\":1}\n", File.ReadAllText(Path.Combine(run, "metrics.jsonl")));
        Assert.Equal("{\"value\": 42}\n", File.ReadAllText(Path.Combine(run, "result.json")));
        Assert.False(File.Exists(Path.Combine(run, "config.json")));
    }

    [Fact]
    public void ReportOnAMissingPathFailsAtOnceWithoutAskingACluster()
    {
        var clock = Stopwatch.StartNew();
        var (exit, _, error) = CliRunner.Run("report", Path.Combine(folder, "no-such-run"));
        AssertOneErrorLine(exit, error, $"{Path.Combine(folder, "no-such-run")}: no such folder (and not a sweep id: it must start with a lowercase letter or a digit). Fix: pass the --out folder of 'semiseg run'");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");

        string file = Path.Combine(folder, "file.txt");
        File.WriteAllText(file, "x");
        (exit, _, error) = CliRunner.Run("report", file);
        AssertOneErrorLine(exit, error, "is a file, not a sweep's output folder");
    }

    /// <summary>A store folder as 'semiseg run' leaves it: a spec, two committed results, their metrics.</summary>
    public static string WriteResultsFolder(string root)
    {
        var runs = new[] { "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210" }
            .Select((key, seed) => new RunSpec(key, "c0ffee0123456789c0ffee0123456789", seed, new Dictionary<string, string> { ["teacher"] = "none" }, RunConfigLoader.ToCanonicalJson(new RunConfig { Seed = seed })))
            .ToArray();
        var spec = new SweepSpec("fuzzed", "m.yaml", "sweep: fuzzed\n", "sha", new ReportSpec(["teacher"], [], "value"), runs);
        Directory.CreateDirectory(Path.Combine(root, "sweeps", "fuzzed"));
        File.WriteAllText(Path.Combine(root, StorePaths.SweepSpec("fuzzed")), JsonSerializer.Serialize(spec));
        Directory.CreateDirectory(Path.Combine(root, "results"));
        foreach (var (run, i) in runs.Select((r, i) => (r, i)))
        {
            File.WriteAllText(Path.Combine(root, StorePaths.Result(run.RunKey)),
                $$"""{"name":"run","metric":"mIoU","value":{{40 + i}}.5,"steps":2,"wall_seconds":3.25,"seed":{{i}},"device":"cpu","dataset_identity":"fashion-scenes:v1"}""" + "\n");
            string attempt = Path.Combine(root, StorePaths.Attempt(run.RunKey, 1));
            Directory.CreateDirectory(attempt);
            File.WriteAllText(Path.Combine(attempt, "metrics.jsonl"),
                "{\"type\":\"train\",\"step\":1,\"loss\":2.5,\"supervised\":2.5,\"consistency\":0,\"lr\":0.0004}\n" +
                $"{{\"type\":\"eval\",\"step\":2,\"metric\":\"mIoU\",\"value\":{40 + i}.5,\"pixel_accuracy\":80.5}}\n");
        }
        return root;
    }

    [Fact]
    public void ReportOnATruncatedOrNonFiniteResultNamesTheFile()
    {
        string store = WriteResultsFolder(Path.Combine(folder, "store"));
        var (exit, output, error) = CliRunner.Run("report", store, "--panels", "0");
        Assert.True(exit == 0, error);
        Assert.Contains("41.00 ± 0.71", output, StringComparison.Ordinal);

        string result = Path.Combine(store, "results", "0123456789abcdef0123456789abcdef.json");
        string text = File.ReadAllText(result);
        File.WriteAllText(result, text[..(text.Length / 2)]);
        (exit, _, error) = CliRunner.Run("report", store, "--panels", "0");
        AssertOneErrorLine(exit, error, $"{store}/results/0123456789abcdef0123456789abcdef.json is not a result file");

        File.WriteAllText(result, text.Replace("40.5", "1e999", StringComparison.Ordinal));
        (exit, _, error) = CliRunner.Run("report", store, "--panels", "0");
        AssertOneErrorLine(exit, error, $"{store}/results/0123456789abcdef0123456789abcdef.json: 'value' is 1e999, not a finite number");

        // Fields of the wrong type are not used, not a crash.
        File.WriteAllText(result, text.Replace("\"cpu\"", "7", StringComparison.Ordinal).Replace("\"mIoU\"", "[1]", StringComparison.Ordinal));
        (exit, _, error) = CliRunner.Run("report", store, "--panels", "0");
        Assert.True(exit == 0, error);
    }

    [Fact]
    public void ValidateSummarisesALargeSweepAndWarnsAboutMissingData()
    {
        string manifest = Path.Combine(folder, "large.yaml");
        string alphas = string.Join(", ", Enumerable.Range(1, 100).Select(i => $"0.{i:D3}"));
        File.WriteAllText(manifest, $"sweep: large\nseeds: 1000\nbase: {{data: {{root: {folder}/no-data}}}}\naxes:\n  alpha: [{alphas}]\n");

        var (exit, output, error) = CliRunner.Run("validate", manifest);

        Assert.Equal(0, exit);
        Assert.StartsWith("sweep 'large': 100 cells x 1000 seeds = 100000 runs\n", output, StringComparison.Ordinal);
        Assert.Contains("... and 60 more cells (the first 40 are listed)", output, StringComparison.Ordinal);
        Assert.Contains("seeds: 0..999 (1000 seeds); report rows: alpha", output, StringComparison.Ordinal);
        Assert.True(output.Length < 20_000, $"{output.Length} characters");
        Assert.StartsWith($"warning: the data of 100 of 100 cells is not on this machine: {folder}/no-data: Fashion-MNIST files", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateFailsOnACellWithTheManifestLine()
    {
        string manifest = Path.Combine(folder, "fold.yaml");
        File.WriteAllText(manifest, "sweep: fold\naxes:\n  label_fraction: [1/8, 1/4]\n  data.subset_fold: [0, 5]\n");

        var (exit, _, error) = CliRunner.Run("validate", manifest);

        AssertOneErrorLine(exit, error, $"{manifest}:4: data.subset_fold: in the cell {{label_fraction=1/4, data.subset_fold=5}}: 5 is out of range (allowed: 0 to 3)");
    }

    [Fact]
    public void SeedSummariesAreShort()
    {
        Assert.Equal("0..4 (5 seeds)", ValidateCommand.SeedSummary([0, 1, 2, 3, 4]));
        Assert.Equal("53..55", ValidateCommand.SeedSummary([53, 54, 55]));
        Assert.Equal("7, 8", ValidateCommand.SeedSummary([7, 8]));
        Assert.Equal("1, 3..5, 9 (5 seeds)", ValidateCommand.SeedSummary([1, 3, 4, 5, 9]));
        Assert.Equal("0, 2, 4, 6, 8, 10, 12, 14, ... (20 seeds)", ValidateCommand.SeedSummary(Enumerable.Range(0, 20).Select(i => 2 * i).ToList()));
    }
}
