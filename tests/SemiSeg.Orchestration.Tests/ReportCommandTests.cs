using Microsoft.Extensions.Logging.Abstractions;
using SemiSeg.Cli.Commands;
using SemiSeg.Contracts;
using SemiSeg.Grains.Execution;
using SemiSeg.Orchestration.Tests.Support;

namespace SemiSeg.Orchestration.Tests;

/// <summary>`semiseg report FOLDER` on the store of a real (tiny) sweep: a finished one, a partial one, bad folders.</summary>
public sealed class ReportCommandTests
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G'];

    [Fact]
    public async Task AReportFromAStoreFolderHasTablesCurvesAPanelAndMarksAPartialSweep()
    {
        var executor = new ProcessRunExecutor(RealTrainerTests.Trainer(), NullLogger<ProcessRunExecutor>.Instance);
        await using var cluster = await TestClusters.StartAsync(executor, silos: 1, slotsPerSilo: 2);
        var spec = TinySweeps.Spec("report-tiny", steps: 4, checkpointEvery: 2, seeds: 2, evalEvery: 2);
        await cluster.Grains.GetGrain<ISweepGrain>(spec.SweepId).Submit(spec);
        Assert.Equal(2, (await cluster.WaitFinishedAsync(spec.SweepId, TimeSpan.FromMinutes(3))).Counts.Succeeded);
        string storeRoot = cluster.Storage["local:".Length..];
        string output = Path.Combine(cluster.Scratch, "report");

        var (folder, markdown) = await ReportCommand.FromFolder(storeRoot, null, output, new ReportOptions { PanelExamples = 2 });

        Assert.Equal(output, folder);
        string report = File.ReadAllText(Path.Combine(folder, "report.md"));
        Assert.StartsWith("# Sweep `report-tiny`\n\n2 succeeded (sweep completed).", report);
        Assert.Contains(markdown, report);
        Assert.Contains("![Learning curves](learning-curves.png)", report);
        Assert.Contains("![Qualitative examples](qualitative.png)", report);
        Assert.Contains("| devices of the runs | cpu |", report);
        foreach (string png in new[] { "learning-curves.png", "qualitative.png" })
        {
            Assert.Equal(PngSignature, File.ReadAllBytes(Path.Combine(folder, png))[..4]);
        }
        // The table's only column axis is not the label fraction: no fraction plot.
        Assert.False(File.Exists(Path.Combine(folder, "label-fractions.png")));
        foreach (string table in new[] { "table.md", "table.tex", "table.csv", "table.json" })
        {
            Assert.True(new FileInfo(Path.Combine(folder, table)).Length > 0, table);
        }

        // Runs evaluated only at their last step: one point per cell is no curve, so a note says how to get curves.
        foreach (string metrics in Directory.EnumerateFiles(Path.Combine(storeRoot, "runs"), "metrics.jsonl", SearchOption.AllDirectories))
        {
            File.WriteAllLines(metrics, File.ReadAllLines(metrics).Where(line => !line.Contains("\"type\":\"eval\",\"step\":2,", StringComparison.Ordinal)));
        }
        await ReportCommand.FromFolder(storeRoot, null, output, new ReportOptions { PanelExamples = 0 });
        report = File.ReadAllText(Path.Combine(folder, "report.md"));
        Assert.DoesNotContain("![Learning curves]", report);
        Assert.Contains("- The runs were evaluated only at their last step, so the report has no learning curves. To get them, set schedule.eval_every", report);

        // A sweep whose end was never written and one of whose results is missing: rebuilt from results/*.json.
        File.Delete(Path.Combine(storeRoot, StorePaths.SweepReport(spec.SweepId), "results.json"));
        File.Delete(Path.Combine(storeRoot, StorePaths.Result(spec.Runs[1].RunKey)));
        var (_, partial) = await ReportCommand.FromFolder(storeRoot, null, output, new ReportOptions { PanelExamples = 0 });
        Assert.Contains("(n=1/2)", partial);
        report = File.ReadAllText(Path.Combine(folder, "report.md"));
        Assert.StartsWith("# Sweep `report-tiny`\n\n1 succeeded, 1 pending (sweep running).", report);
        Assert.DoesNotContain("Qualitative examples", report);
    }

    [Fact]
    public async Task AFolderThatIsNoSweepOutputIsAClearError()
    {
        using var folder = new Support.TempFolder("semiseg-report-");
        string empty = folder.Path;

        var error = await Assert.ThrowsAsync<ReportInputException>(() => ReportCommand.FromFolder(empty, null, null, new ReportOptions()));

        Assert.Equal($"{empty} is not a sweep's output: it has neither store/sweeps/ nor sweeps/. Fix: pass the --out folder of 'semiseg run' or a local store folder (or a sweep id, with the cluster options)", error.Message);
    }

    [Fact]
    public async Task ACorruptSpecOrSeveralSweepsWithoutChoiceAreClearErrors()
    {
        using var folder = new Support.TempFolder("semiseg-report-");
        string root = folder.Path;
        Directory.CreateDirectory(Path.Combine(root, "sweeps", "a"));
        File.WriteAllText(Path.Combine(root, "sweeps", "a", "spec.json"), "{ not json");

        var corrupt = await Assert.ThrowsAsync<ReportInputException>(() => ReportCommand.FromFolder(root, null, null, new ReportOptions()));
        Assert.StartsWith($"{root}/sweeps/a/spec.json is not a sweep spec (", corrupt.Message);
        Assert.EndsWith("Fix: restore it from a copy, or submit the manifest again to rewrite it", corrupt.Message);

        Directory.CreateDirectory(Path.Combine(root, "sweeps", "b"));
        File.WriteAllText(Path.Combine(root, "sweeps", "b", "spec.json"), "{}");
        var several = await Assert.ThrowsAsync<ReportInputException>(() => ReportCommand.FromFolder(root, null, null, new ReportOptions()));
        Assert.Equal($"{root} holds 2 sweeps (a, b). Fix: pick one with --sweep ID", several.Message);
    }

    [Fact]
    public async Task AStoreFolderWhoseSpecHasPathsForKeysIsRefusedBeforeAnythingIsWritten()
    {
        using var folder = new Support.TempFolder("semiseg-report-");
        string root = folder.Path;
        var good = Support.TestClusters.Spec("evil", cells: 1, seeds: 1);
        var evil = good with { Runs = [good.Runs[0] with { RunKey = "../../../../../../tmp/semiseg-evil" }] };
        Directory.CreateDirectory(Path.Combine(root, "sweeps", "evil"));
        File.WriteAllText(Path.Combine(root, "sweeps", "evil", "spec.json"), System.Text.Json.JsonSerializer.Serialize(evil));

        var refused = await Assert.ThrowsAsync<ReportInputException>(() => ReportCommand.FromFolder(root, null, null, new ReportOptions()));
        Assert.StartsWith($"{root}/sweeps/evil/spec.json is refused: run key '../../../../../../tmp/semiseg-evil' is 34 characters long", refused.Message);
        Assert.Equal(["sweeps"], Directory.GetFileSystemEntries(root).Select(Path.GetFileName));

        var badId = await Assert.ThrowsAsync<ArgumentException>(() => ReportCommand.FromFolder(root, "../evil", null, new ReportOptions()));
        Assert.StartsWith("sweep id '../evil' must start with a lowercase letter or a digit", badId.Message);
    }
}
