using System.Text.Json;
using SemiSeg.Training.Config;
using SemiSeg.Training.Running;
using SemiSeg.Training.Tests.Support;

namespace SemiSeg.Training.Tests.Running;

[Collection(TrainingRuns.Name)]
public sealed class TensorBoardLogTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("semiseg-tensorboard-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Crc32CMatchesTheStandardCheckValue() =>
        Assert.Equal(0xE3069283u, TfEvents.Crc32C("123456789"u8)); // RFC 3720 / iSCSI check value: the reader's CRC is right

    [Fact]
    public void ARunWritesAnEventFileWithItsLossesAndMetric()
    {
        string output = Path.Combine(_root, "run");
        var result = Trainer.Run(new RunRequest { Config = TinyRuns.Config(steps: 2), OutputDirectory = output });

        string file = Assert.Single(Directory.GetFiles(Path.Combine(output, TensorBoardLog.FolderName), "events.out.tfevents.*"));
        var (version, scalars) = TfEvents.Read(file); // checks every record's two CRCs
        Assert.Equal("brain.Event:2", version);
        Assert.Equal([1, 2], Steps(scalars, "train/loss"));
        foreach (string tag in new[] { "train/supervised", "train/consistency", "train/lr", "train/images_per_second" })
        {
            Assert.Equal([1, 2], Steps(scalars, tag));
        }
        var mIoU = Assert.Single(scalars, s => s.Tag == "eval/mIoU");
        Assert.Equal(2, mIoU.Step);
        Assert.Equal((float)result.Value, mIoU.Value);
        Assert.Equal((float)result.PixelAccuracy!.Value, Assert.Single(scalars, s => s.Tag == "eval/pixel_accuracy").Value);
        Assert.Contains(scalars, s => s.Tag == "eval_per_class/background");
        Assert.Contains(scalars, s => s.Tag == "eval_per_class/T-shirt-top"); // no "/" inside a class name

        // The same numbers as metrics.jsonl.
        var firstLoss = File.ReadLines(Path.Combine(output, Trainer.MetricsFile)).Select(l => JsonDocument.Parse(l).RootElement)
            .First(e => e.GetProperty("type").GetString() == "train").GetProperty("loss").GetDouble();
        Assert.Equal((float)firstLoss, scalars.First(s => s.Tag == "train/loss").Value);
    }

    [Fact]
    public void AResumedRunHasEveryStepOnceInOneEventFile()
    {
        var config = TinyRuns.Config(steps: 4);
        config.Schedule.CheckpointEvery = 2;
        string output = Path.Combine(_root, "resumed");
        using var cancel = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Trainer.Run(new RunRequest { Config = config, OutputDirectory = output, Observer = new CancelAfterStep(cancel, 3) }, cancel.Token));
        // The cancel wrote a checkpoint at step 3; dropping it makes this a crash after step 3 was logged (in
        // metrics.jsonl and the event file) with the newest checkpoint at step 2.
        File.Delete(Path.Combine(output, Trainer.CheckpointFolder, Checkpoint.FileName(3)));
        Assert.Equal([1, 2, 3], Steps(TfEvents.Read(Directory.GetFiles(Path.Combine(output, TensorBoardLog.FolderName)).Single()).Scalars, "train/loss"));

        var resumed = Trainer.Run(new RunRequest { Config = config, OutputDirectory = output, Resume = true });

        Assert.Equal(2, resumed.ResumedFromStep);
        string file = Assert.Single(Directory.GetFiles(Path.Combine(output, TensorBoardLog.FolderName), "events.out.tfevents.*"));
        var (_, scalars) = TfEvents.Read(file);
        Assert.Equal([1, 2, 3, 4], Steps(scalars, "train/loss"));
        Assert.Equal([4], Steps(scalars, "eval/mIoU"));
    }

    [Fact]
    public void TensorBoardCanBeSwitchedOff()
    {
        var config = TinyRuns.Config(steps: 1);
        config.Schedule.Tensorboard = false;
        string output = Path.Combine(_root, "off");
        Trainer.Run(new RunRequest { Config = config, OutputDirectory = output });
        Assert.False(Directory.Exists(Path.Combine(output, TensorBoardLog.FolderName)));
        Assert.Contains("\"tensorboard\": false", File.ReadAllText(Path.Combine(output, Trainer.ConfigFile)));
    }

    [Fact]
    public void AnUnsetSwitchIsOnAndLeavesConfigJsonAsBefore()
    {
        // Configs written before the option existed keep their text, so their content keys and checkpoints stay valid.
        var config = TinyRuns.Config();
        Assert.True(config.Schedule.WritesTensorboard);
        Assert.DoesNotContain("tensorboard", RunConfigLoader.ToCanonicalJson(config));
        var parsed = RunConfigLoader.Parse("schedule: {tensorboard: false}");
        Assert.False(parsed.Schedule.WritesTensorboard);
        Assert.False(RunConfigLoader.FromCanonicalJson(RunConfigLoader.ToCanonicalJson(parsed)).Schedule.WritesTensorboard);
    }

    [Fact]
    public void FromMetricsExportsAStoredRunAndSkipsATornLastLine()
    {
        string metrics = Path.Combine(_root, "metrics.jsonl");
        File.WriteAllText(metrics,
            """{"type":"train","step":10,"loss":1.5,"supervised":1.25,"consistency":0.5,"lr":0.001,"images_per_second":30,"elapsed_seconds":1}""" + "\n" +
            """{"type":"eval","step":10,"metric":"accuracy","value":42.5,"per_class":{"a":null,"b":12.5}}""" + "\n" +
            """{"type":"train","step":20,"lo""");
        string folder = Path.Combine(_root, "export", "cell-seed0");

        TensorBoardLog.FromMetrics(metrics, folder);

        var (_, scalars) = TfEvents.Read(Assert.Single(Directory.GetFiles(folder)));
        Assert.Equal([10], Steps(scalars, "train/loss"));
        Assert.Equal(1.25f, Assert.Single(scalars, s => s.Tag == "train/supervised").Value);
        Assert.Equal(42.5f, Assert.Single(scalars, s => s.Tag == "eval/accuracy").Value);
        Assert.DoesNotContain(scalars, s => s.Tag == "eval/pixel_accuracy");
        Assert.Equal(12.5f, Assert.Single(scalars, s => s.Tag.StartsWith("eval_per_class/", StringComparison.Ordinal)).Value);

        var missing = Assert.Throws<ArgumentException>(() => TensorBoardLog.FromMetrics(Path.Combine(_root, "none.jsonl"), folder));
        Assert.Contains("none.jsonl", missing.Message);
    }

    private static long[] Steps(List<ScalarEvent> scalars, string tag) => scalars.Where(s => s.Tag == tag).Select(s => s.Step).ToArray();

    private sealed class CancelAfterStep(CancellationTokenSource source, int step) : IRunObserver
    {
        public void OnStep(StepProgress progress)
        {
            if (progress.Step == step)
            {
                source.Cancel();
            }
        }
    }
}
