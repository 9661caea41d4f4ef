using System.Text.Json;
using SemiSeg.Training.Config;
using SemiSeg.Training.Running;
using SemiSeg.Training.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Tests.Running;

[Collection(TrainingRuns.Name)]
public sealed class TrainerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("semiseg-trainer-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Out(string name) => Path.Combine(_root, name);

    public static TheoryData<string, string, string> Combinations() => new()
    {
        { TeacherNames.None, PerturbationNames.PhTps, VariantNames.OneWayPerturbStudent },
        { TeacherNames.Simple, PerturbationNames.PhTps, VariantNames.OneWayPerturbStudent },
        { TeacherNames.Simple, PerturbationNames.Photometric, VariantNames.OneWayPerturbStudent },
        { TeacherNames.Simple, PerturbationNames.Tps, VariantNames.OneWayPerturbStudent },
        { TeacherNames.Simple, PerturbationNames.CutMix, VariantNames.OneWayPerturbStudent },
        { TeacherNames.Simple, PerturbationNames.PhTps, VariantNames.OneWayPerturbTeacher },
        { TeacherNames.Simple, PerturbationNames.PhTps, VariantNames.TwoWayPerturbOne },
        { TeacherNames.Simple, PerturbationNames.PhTps, VariantNames.OneWayPerturbBoth },
        { TeacherNames.MeanTeacher, PerturbationNames.PhTps, VariantNames.OneWayPerturbStudent },
        { TeacherNames.MeanTeacher, PerturbationNames.CutMix, VariantNames.OneWayPerturbStudent },
        { TeacherNames.MeanTeacher, PerturbationNames.CutMixStar, VariantNames.OneWayPerturbStudent },
        { TeacherNames.MeanTeacher, PerturbationNames.PhTps, VariantNames.OneWayPerturbTeacher },
        { TeacherNames.MeanTeacher, PerturbationNames.PhTps, VariantNames.OneWayPerturbTeacherVidlu },
        { TeacherNames.MeanTeacher, PerturbationNames.Tps, VariantNames.OneWayPerturbBoth },
    };

    [Theory]
    [MemberData(nameof(Combinations))]
    public void EveryAlgorithmCombinationRunsEndToEnd(string teacher, string perturbation, string variant)
    {
        var config = TinyRuns.Config(teacher, perturbation, variant);
        string output = Out("combo");
        var result = Trainer.Run(new RunRequest { Config = config, OutputDirectory = output });

        Assert.Equal("mIoU", result.Metric);
        Assert.InRange(result.Value, 0, 100);
        Assert.Equal(11, result.PerClass.Count);
        Assert.Equal(12, result.LabeledExamples); // fold 0 of 4 over 48 scenes
        var lines = File.ReadAllLines(Path.Combine(output, Trainer.MetricsFile));
        Assert.Equal(2, lines.Count(l => l.Contains("\"type\":\"train\"", StringComparison.Ordinal)));
        Assert.Single(lines, l => l.Contains("\"type\":\"eval\"", StringComparison.Ordinal));
        var train = lines.Select(l => JsonDocument.Parse(l).RootElement).Where(e => e.GetProperty("type").GetString() == "train").ToList();
        Assert.All(train, e => Assert.True(double.IsFinite(e.GetProperty("loss").GetDouble())));
        // CutMix* counts only pixels where the teacher is ≥ 97 % confident, which an untrained teacher never is.
        bool consistency = teacher != TeacherNames.None && perturbation != PerturbationNames.CutMixStar;
        Assert.Equal(consistency, train.Any(e => e.GetProperty("consistency").GetDouble() != 0));
        Assert.True(result.AllBackgroundValue is > 0 and < 100);
        Assert.True(File.Exists(Path.Combine(output, Trainer.ResultFile)));
        Assert.Equal(RunConfigLoader.ToCanonicalJson(config), File.ReadAllText(Path.Combine(output, Trainer.ConfigFile)));
        Assert.Single(Directory.GetFiles(Path.Combine(output, Trainer.CheckpointFolder), "*.ckpt"));
        Directory.Delete(output, recursive: true);
    }

    [Fact]
    public void TheResultRecordsHowMeanIoUWasAveraged()
    {
        // Each run's value is the mean of its own per-class IoUs: over every class (a class that occurs in neither truth
        // nor prediction has per_class null and counts 0) or over the classes that occur; result.json says which.
        var config = TinyRuns.Config(steps: 1);
        var all = Trainer.Run(new RunRequest { Config = config, OutputDirectory = Out("all") });
        config.Data.MiouClasses = MiouClassesNames.Present;
        var present = Trainer.Run(new RunRequest { Config = config, OutputDirectory = Out("present") });

        Assert.Equal(MiouClassesNames.All, all.MiouClasses);
        Assert.Equal(all.PerClass.Values.Average(v => v ?? 0), all.Value, 1e-3);
        Assert.Equal(MiouClassesNames.Present, present.MiouClasses);
        Assert.Equal(present.PerClass.Values.OfType<double>().Average(), present.Value, 1e-3);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Out("all"), Trainer.ResultFile)));
        Assert.Equal("all", json.RootElement.GetProperty("miou_classes").GetString());
    }

    [Fact]
    public void AShortSupervisedRunLearnsToSegment()
    {
        var config = TinyRuns.Config(steps: 150);
        config.Data.LabelFraction = "1/2";
        config.Data.ScaleRange = [1, 1];
        config.Data.MaxValExamples = 64;
        config.Data.FashionScenes = new FashionScenesConfig { ImageSize = 32, TrainScenes = 400, ValScenes = 64 };
        config.Optimizer = new OptimizerConfig { EncoderLr = 1e-3, DecoderLr = 1e-3 };
        config.Schedule.BatchLabeled = 8;
        config.Schedule.EvalBatch = 64;
        config.Schedule.LogEvery = 10;

        var result = Trainer.Run(new RunRequest { Config = config, OutputDirectory = Out("learns") });

        // 150 steps from random init (about 20 s): clearly better than predicting background everywhere.
        Assert.True(result.Value > 1.25 * result.AllBackgroundValue!.Value, $"mIoU {result.Value} vs all-background {result.AllBackgroundValue}");
        var losses = File.ReadAllLines(Path.Combine(Out("learns"), Trainer.MetricsFile)).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("type").GetString() == "train").Select(e => e.GetProperty("supervised").GetDouble()).ToList();
        Assert.True(losses.TakeLast(3).Average() < 0.8 * losses.Take(3).Average(), $"loss {losses.Take(3).Average()} -> {losses.TakeLast(3).Average()}");
    }

    [Fact]
    public void ClassificationRunsEndToEndOnFashionMnist()
    {
        var config = new RunConfig
        {
            Seed = 2,
            Data = new DataConfig { Dataset = DatasetNames.FashionMnist, LabeledCount = 100, CropSize = 28, MaxValExamples = 40 },
            Model = new ModelConfig { Architecture = ModelNames.Wrn28x2 },
            Algorithm = new AlgorithmConfig { Teacher = TeacherNames.Simple, Perturbation = PerturbationNames.PhTps, Alpha = 1 },
            Optimizer = new OptimizerConfig { Name = "sgd", EncoderLr = 0.05, DecoderLr = 0.05 },
            Schedule = new ScheduleConfig { Steps = 2, BatchLabeled = 4, BatchUnlabeled = 4, EvalBatch = 20, LrSchedule = "multistep", LogEvery = 1, CheckpointEvery = 0, Threads = 1 },
        };
        var result = Trainer.Run(new RunRequest { Config = config, OutputDirectory = Out("classification") });

        Assert.Equal("accuracy", result.Metric);
        Assert.InRange(result.Value, 0, 100);
        Assert.Null(result.AllBackgroundValue);
        Assert.Null(result.MiouClasses);
        Assert.DoesNotContain("miou_classes", File.ReadAllText(Path.Combine(Out("classification"), Trainer.ResultFile)), StringComparison.Ordinal);
        Assert.Equal(100, result.LabeledExamples); // 10 per class
        Assert.Equal(10, result.PerClass.Count);
    }

    [Fact]
    public void ResumedRunEndsExactlyWhereTheUninterruptedRunEnds()
    {
        var config = TinyRuns.Config(TeacherNames.MeanTeacher, PerturbationNames.PhTps, steps: 6);
        config.Schedule.CheckpointEvery = 3;

        var straight = Trainer.Run(new RunRequest { Config = config, OutputDirectory = Out("straight") });

        using var cancel = new CancellationTokenSource();
        var interrupt = new CancelAfterCheckpoint(cancel, 3);
        Assert.ThrowsAny<OperationCanceledException>(() => Trainer.Run(new RunRequest { Config = config, OutputDirectory = Out("resumed"), Observer = interrupt }, cancel.Token));
        Assert.Equal(3, Checkpoint.ReadHeader(Directory.GetFiles(Path.Combine(Out("resumed"), Trainer.CheckpointFolder)).Max()!).Step);
        var resumed = Trainer.Run(new RunRequest { Config = config, OutputDirectory = Out("resumed"), Resume = true });

        Assert.Equal(3, resumed.ResumedFromStep);
        Assert.Equal(straight.Value, resumed.Value);
        Assert.Equal(straight.PerClass, resumed.PerClass);
        AssertSameWeights(Path.Combine(Out("straight"), Trainer.CheckpointFolder, Checkpoint.FileName(6)), Path.Combine(Out("resumed"), Trainer.CheckpointFolder, Checkpoint.FileName(6)), config);
        // No step is logged twice.
        var steps = File.ReadAllLines(Path.Combine(Out("resumed"), Trainer.MetricsFile)).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("type").GetString() == "train").Select(e => e.GetProperty("step").GetInt32()).ToList();
        Assert.Equal([1, 2, 3, 4, 5, 6], steps);
    }

    private static void AssertSameWeights(string a, string b, RunConfig config)
    {
        using var scope = NewDisposeScope();
        var info = Training.Data.DatasetFactory.Create(config.Data, Training.Data.Split.Train).Info;
        var models = new[] { a, b }.Select(path =>
        {
            var student = Training.Models.ModelFactory.Create(config.Model, info);
            var teacher = Training.Models.ModelFactory.Create(config.Model, info);
            Checkpoint.Load(path, Checkpoint.ReadHeader(path).ConfigSha256, student, teacher, OptimizerFactory.Create(config.Optimizer, student));
            return (student, teacher);
        }).ToList();
        var first = models[0].student.state_dict();
        Assert.All(models[1].student.state_dict(), kv => Assert.True(Tensors.Same(kv.Value, first[kv.Key]), kv.Key));
        var firstTeacher = models[0].teacher.state_dict();
        Assert.All(models[1].teacher.state_dict(), kv => Assert.True(Tensors.Same(kv.Value, firstTeacher[kv.Key]), kv.Key));
    }

    [Fact]
    public void ResumingFromACorruptCheckpointIsAnErrorNotARestart()
    {
        var config = TinyRuns.Config(steps: 2);
        config.Schedule.CheckpointEvery = 1;
        Trainer.Run(new RunRequest { Config = config, OutputDirectory = Out("corrupt") });
        string latest = Directory.GetFiles(Path.Combine(Out("corrupt"), Trainer.CheckpointFolder)).Max()!;
        File.WriteAllBytes(latest, File.ReadAllBytes(latest)[..^10]);

        var error = Assert.Throws<CheckpointException>(() => Trainer.Run(new RunRequest { Config = config, OutputDirectory = Out("corrupt"), Resume = true }));
        Assert.Contains(latest, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFolderWithARunIsNotOverwrittenOrResumedWithAnotherConfig()
    {
        var config = TinyRuns.Config(steps: 1);
        Trainer.Run(new RunRequest { Config = config, OutputDirectory = Out("taken") });

        var again = Assert.Throws<ConfigException>(() => Trainer.Run(new RunRequest { Config = config, OutputDirectory = Out("taken") }));
        Assert.Contains("--resume", again.Message, StringComparison.Ordinal);
        var other = TinyRuns.Config(steps: 1);
        other.Algorithm.Alpha = 0.25;
        var mismatch = Assert.Throws<ConfigException>(() => Trainer.Run(new RunRequest { Config = other, OutputDirectory = Out("taken"), Resume = true }));
        Assert.Contains("different config", mismatch.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OutputsWithoutAConfigAreKeptUnlessForceReplacesThem()
    {
        // A folder with results but no config.json: once its metrics.jsonl was deleted and result.json overwritten.
        string folder = Directory.CreateDirectory(Out("orphan")).FullName;
        string tensorBoard = Directory.CreateDirectory(Path.Combine(folder, TensorBoardLog.FolderName)).FullName;
        File.WriteAllText(Path.Combine(folder, Trainer.MetricsFile), "{\"type\":\"train\",\"step\":99}\n");
        File.WriteAllText(Path.Combine(folder, Trainer.ResultFile), "{\"value\": 42.4242}\n");
        File.WriteAllText(Path.Combine(tensorBoard, "events.out.tfevents.old"), "old");
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "mine");
        var config = TinyRuns.Config(steps: 1);

        var refused = Assert.Throws<ConfigException>(() => Trainer.Run(new RunRequest { Config = config, OutputDirectory = folder }));
        Assert.Contains("already holds a run's outputs (metrics.jsonl, result.json, tensorboard/)", refused.Message, StringComparison.Ordinal);
        Assert.Equal("{\"value\": 42.4242}\n", File.ReadAllText(Path.Combine(folder, Trainer.ResultFile)));
        Assert.Equal("{\"type\":\"train\",\"step\":99}\n", File.ReadAllText(Path.Combine(folder, Trainer.MetricsFile)));

        var result = Trainer.Run(new RunRequest { Config = config, OutputDirectory = folder, Force = true });

        Assert.Equal(1, result.Steps);
        Assert.DoesNotContain("\"step\":99", File.ReadAllText(Path.Combine(folder, Trainer.MetricsFile)), StringComparison.Ordinal);
        Assert.DoesNotContain("42.4242", File.ReadAllText(Path.Combine(folder, Trainer.ResultFile)), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(tensorBoard, "events.out.tfevents.old")));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(folder, "notes.txt"))); // only the run's own files go
    }

    [Fact]
    public void MemoryStaysFlatOverAFewHundredSteps()
    {
        var config = TinyRuns.Config(TeacherNames.MeanTeacher, PerturbationNames.PhTps, steps: 300);
        config.Schedule.LogEvery = 10;
        var samples = new List<(int Step, long Bytes)>();
        var observer = new MemoryObserver(samples);
        Trainer.Run(new RunRequest { Config = config, OutputDirectory = Out("memory"), Observer = observer });

        // After warm-up (allocator pools, lazily built kernels) resident memory must not keep growing: a leak of
        // one batch per step (~100 KB) would add ~20 MB over these 200 steps.
        long atWarmUp = samples.Where(s => s.Step >= 100).Take(3).Max(s => s.Bytes);
        long atEnd = samples.TakeLast(3).Max(s => s.Bytes);
        Assert.True(atEnd - atWarmUp < 12L << 20, $"resident memory grew from {atWarmUp >> 20} MiB to {atEnd >> 20} MiB");
    }

    [Fact]
    public void EachEvaluationBatchIsReportedBetweenTheEvaluationsStartAndItsResult()
    {
        // A worker counts these reports as progress: a long evaluation that advances is not a hung trainer.
        var config = TinyRuns.Config(steps: 2);
        config.Schedule.EvalEvery = 1;
        config.Schedule.EvalBatch = 3; // 8 validation examples: batches of 3, 3 and 2
        var events = new List<string>();
        Trainer.Run(new RunRequest { Config = config, OutputDirectory = Out("eval-progress"), Observer = new EvaluationRecorder(events) });

        Assert.Equal(["start 1", "batch 1", "batch 1", "batch 1", "done 1", "start 2", "batch 2", "batch 2", "batch 2", "done 2"], events);
    }

    private sealed class CancelAfterCheckpoint(CancellationTokenSource source, int step) : IRunObserver
    {
        public void OnCheckpoint(CheckpointWritten checkpoint)
        {
            if (checkpoint.Step == step)
            {
                source.Cancel();
            }
        }
    }

    private sealed class MemoryObserver(List<(int Step, long Bytes)> samples) : IRunObserver
    {
        public void OnStep(StepProgress progress)
        {
            using var process = System.Diagnostics.Process.GetCurrentProcess();
            samples.Add((progress.Step, process.WorkingSet64));
        }
    }

    private sealed class EvaluationRecorder(List<string> events) : IRunObserver
    {
        public void OnEvaluationStarting(int step) => events.Add($"start {step}");

        public void OnEvaluationProgress(int step) => events.Add($"batch {step}");

        public void OnEvaluation(Evaluation evaluation) => events.Add($"done {evaluation.Step}");
    }
}
