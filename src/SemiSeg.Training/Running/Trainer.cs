using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SemiSeg.Training.Algorithms;
using SemiSeg.Training.Config;
using SemiSeg.Training.Data;
using SemiSeg.Training.Metrics;
using SemiSeg.Training.Models;
using SemiSeg.Training.Perturbations;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemiSeg.Training.Running;

/// <summary>
/// Runs one training run to completion: a pure function of (config, data) to checkpoints, metrics (metrics.jsonl and,
/// unless schedule.tensorboard is off, TensorBoard event files in tensorboard/) and a result.
/// The loop runs synchronously on the calling thread (TorchSharp's dispose scopes are per thread), one dispose
/// scope per step so memory stays flat. Cancellation is checked between steps; a cancelled run writes a checkpoint
/// first, so it can be resumed.
/// </summary>
public static class Trainer
{
    public const string ConfigFile = "config.json", MetricsFile = "metrics.jsonl", ResultFile = "result.json", CheckpointFolder = "checkpoints";

    private static readonly JsonSerializerOptions ResultJson = new() { WriteIndented = true };

    public static RunResult Run(RunRequest request, CancellationToken cancellationToken = default)
    {
        var config = request.Config;
        RunConfigLoader.Validate(config);
        // The weights' hash is part of config.json (and of a sweep's run key, where the submitter pinned it already).
        PretrainedEncoders.Pin(config.Model);
        var observer = request.Observer ?? new SilentObserver();
        TorchLogging.Quiet();
        NativeAllocator.KeepFreedMemory();
        var device = DeviceParser.Parse(request.Device);
        if (config.Schedule.Threads > 0)
        {
            set_num_threads(config.Schedule.Threads);
        }

        string configJson = RunConfigLoader.ToCanonicalJson(config);
        string configHash = Sha256(configJson);
        var output = PrepareOutput(request, configJson);

        var train = DatasetFactory.Create(config.Data, Split.Train);
        var val = DatasetFactory.Create(config.Data, Split.Val);
        var info = train.Info;
        int[] labeled = LabelSubsets.Labeled(train, config.Data, config.Seed);
        var labeledStream = new IndexStream(labeled, config.Seed, StepRandom.LabeledData);
        var unlabeledStream = new IndexStream(Enumerable.Range(0, train.Count).ToArray(), config.Seed, StepRandom.UnlabeledData);
        var batches = new BatchBuilder(train, config.Data, info.IsSegmentation, device);

        manual_seed(config.Seed);
        using var student = ModelFactory.Create(config.Model, info);
        student.to(device);
        using var teacher = config.Algorithm.Teacher == TeacherNames.MeanTeacher ? ModelFactory.Create(config.Model, info, loadPretrainedWeights: false) : null;
        if (teacher is not null)
        {
            teacher.to(device);
            MeanTeacher.CopyFrom(teacher, student);
        }
        var perturbation = config.Algorithm.Teacher != TeacherNames.None || config.Algorithm.PerturbLabeled
            ? PerturbationFactory.Create(config.Algorithm)
            : null;
        using var optimizer = OptimizerFactory.Create(config.Optimizer, student);
        var step = new SemiSupervisedStep(config.Algorithm, info.IsSegmentation, info.NumClasses, student, teacher, perturbation, optimizer);

        int startStep = 0;
        int? resumedFrom = null;
        if (request.Resume && LatestCheckpoint(output.Checkpoints) is string checkpointPath)
        {
            var header = Checkpoint.Load(checkpointPath, configHash, student, teacher, optimizer);
            startStep = header.Step;
            resumedFrom = header.Step;
            TruncateMetrics(output.Metrics, header.Step);
            observer.OnMessage($"Resumed from {checkpointPath} at step {header.Step}.");
        }
        else if (request.Resume)
        {
            // No checkpoint: the run restarts at step 0, so lines logged before belong to no state we have.
            TruncateMetrics(output.Metrics, 0);
        }

        var metrics = new MetricsLog(output.Metrics);
        // Started after TruncateMetrics: a resumed run's event file replays exactly the steps metrics.jsonl kept.
        var tensorBoard = config.Schedule.WritesTensorboard ? TensorBoardLog.Start(Path.Combine(request.OutputDirectory, TensorBoardLog.FolderName), output.Metrics) : null;
        var clock = Stopwatch.StartNew();
        var window = Stopwatch.StartNew();
        int windowSteps = 0, lastCheckpoint = startStep;
        int imagesPerStep = config.Schedule.BatchLabeled + (step.UsesUnlabeledData ? config.Schedule.BatchUnlabeled : 0);
        Evaluation? lastEvaluation = null;

        for (int s = startStep + 1; s <= config.Schedule.Steps; s++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                if (s - 1 > lastCheckpoint)
                {
                    WriteCheckpoint(s - 1);
                }
                cancellationToken.ThrowIfCancellationRequested();
            }

            double learningRateFactor = LearningRateSchedule.Factor(config.Schedule, s - 1);
            OptimizerFactory.SetLearningRates(optimizer, config.Optimizer, learningRateFactor);
            StepLosses losses;
            using (var scope = NewDisposeScope())
            {
                using var labeledGenerator = StepRandom.Generator(config.Seed, s, StepRandom.LabeledAugmentation);
                using var unlabeledGenerator = StepRandom.Generator(config.Seed, s, StepRandom.UnlabeledAugmentation);
                var (xl, yl) = batches.Labeled(labeledStream.Batch(s - 1, config.Schedule.BatchLabeled), labeledGenerator);
                Tensor? xu = step.UsesUnlabeledData ? batches.Unlabeled(unlabeledStream.Batch(s - 1, config.Schedule.BatchUnlabeled), unlabeledGenerator) : null;
                using var perturbationGenerator = StepRandom.Generator(config.Seed, s, StepRandom.Perturbation);
                losses = step.Run(xl, yl, xu, perturbationGenerator);
            }
            if (!double.IsFinite(losses.Total))
            {
                throw new TrainingDivergedException($"training diverged at step {s}: the loss is {losses.Total}. Fix: lower the learning rates (optimizer.encoder_lr, optimizer.decoder_lr) or algorithm.alpha in the run config");
            }
            windowSteps++;
            observer.OnStepFinished(s);

            if (s % config.Schedule.LogEvery == 0 || s == config.Schedule.Steps)
            {
                double imagesPerSecond = windowSteps * imagesPerStep / Math.Max(window.Elapsed.TotalSeconds, 1e-9);
                var elapsed = clock.Elapsed;
                var remaining = TimeSpan.FromSeconds(elapsed.TotalSeconds / (s - startStep) * (config.Schedule.Steps - s));
                double learningRate = config.Optimizer.DecoderLr * learningRateFactor;
                metrics.Train(s, losses, learningRate, imagesPerSecond, elapsed.TotalSeconds);
                tensorBoard?.Train(s, losses, learningRate, imagesPerSecond);
                observer.OnStep(new StepProgress(s, config.Schedule.Steps, losses, learningRate, imagesPerSecond, elapsed, remaining));
                window.Restart();
                windowSteps = 0;
            }
            bool last = s == config.Schedule.Steps;
            if (last || (config.Schedule.EvalEvery > 0 && s % config.Schedule.EvalEvery == 0))
            {
                observer.OnEvaluationStarting(s);
                lastEvaluation = Evaluate(student, val, config, device, s, () => observer.OnEvaluationProgress(s));
                metrics.Evaluation(lastEvaluation);
                tensorBoard?.Evaluation(lastEvaluation);
                observer.OnEvaluation(lastEvaluation);
            }
            if (last || (config.Schedule.CheckpointEvery > 0 && s % config.Schedule.CheckpointEvery == 0))
            {
                WriteCheckpoint(s);
            }
        }

        if (lastEvaluation is null)
        {
            observer.OnEvaluationStarting(config.Schedule.Steps);
            lastEvaluation = Evaluate(student, val, config, device, config.Schedule.Steps, () => observer.OnEvaluationProgress(config.Schedule.Steps));
        }
        var result = new RunResult(config.Name, lastEvaluation.Metric, info.IsSegmentation ? config.Data.MiouClasses : null, lastEvaluation.Value, lastEvaluation.PixelAccuracy, lastEvaluation.AllBackgroundValue, lastEvaluation.PerClass,
            config.Schedule.Steps, clock.Elapsed.TotalSeconds, config.Seed, configHash, info.Identity, labeled.Length, device.ToString(), resumedFrom);
        WriteAtomically(output.Result, JsonSerializer.Serialize(result, ResultJson) + "\n");
        return result;

        void WriteCheckpoint(int atStep)
        {
            string path = Path.Combine(output.Checkpoints, Checkpoint.FileName(atStep));
            var header = new CheckpointHeader(Checkpoint.FormatVersion, atStep, config.Seed, configHash, teacher is not null,
                "counter-based: generators derive from (seed, step)", DateTimeOffset.UtcNow);
            Checkpoint.Write(path, header, student, teacher, optimizer);
            lastCheckpoint = atStep;
            PruneCheckpoints(output.Checkpoints, request.KeepCheckpoints);
            observer.OnCheckpoint(new CheckpointWritten(atStep, path));
        }
    }

    /// <summary>Evaluates the student (never the teacher) on the validation split; values in percent.</summary>
    /// <param name="batchDone">Called after each batch (a long evaluation's proof of life for a watching worker).</param>
    public static Evaluation Evaluate(Network model, IImageDataset val, RunConfig config, Device device, int step, Action? batchDone = null)
    {
        var info = val.Info;
        var confusion = new ConfusionMatrix(info.NumClasses);
        int count = config.Data.MaxValExamples > 0 ? Math.Min(config.Data.MaxValExamples, val.Count) : val.Count;
        bool wasTraining = model.training;
        model.eval();
        using (no_grad())
        {
            for (int start = 0; start < count; start += config.Schedule.EvalBatch)
            {
                using var scope = NewDisposeScope();
                var examples = Enumerable.Range(start, Math.Min(config.Schedule.EvalBatch, count - start)).Select(val.Get).ToList();
                var (images, labels) = Batching.Stack(examples);
                var predicted = model.call(images.to(device)).argmax(1);
                confusion.Add(predicted, labels);
                batchDone?.Invoke();
            }
        }
        model.train(wasTraining);

        var iou = confusion.IoUPerClass();
        var perClass = new Dictionary<string, double?>();
        for (int c = 0; c < info.NumClasses; c++)
        {
            perClass[info.ClassNames[c]] = info.IsSegmentation ? (double.IsNaN(iou[c]) ? null : Math.Round(100 * iou[c], 4)) : PerClassAccuracy(confusion, c);
        }
        bool overAllClasses = config.Data.MiouClasses == MiouClassesNames.All;
        return info.IsSegmentation
            ? new Evaluation(step, "mIoU", Math.Round(100 * confusion.MeanIoU(overAllClasses), 4), Math.Round(100 * confusion.Accuracy(), 4), perClass, count,
                Math.Round(100 * confusion.MeanIoUOfConstantPrediction(0, overAllClasses), 4))
            : new Evaluation(step, "accuracy", Math.Round(100 * confusion.Accuracy(), 4), null, perClass, count, null);
    }

    private static double? PerClassAccuracy(ConfusionMatrix confusion, int c)
    {
        long total = Enumerable.Range(0, confusion.NumClasses).Sum(p => confusion[c, p]);
        return total == 0 ? null : Math.Round(100.0 * confusion[c, c] / total, 4);
    }

    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private sealed record OutputPaths(string Config, string Metrics, string Checkpoints, string Result);

    /// <summary>
    /// Checks the output folder and writes config.json. A folder that already holds a run's outputs is continued with
    /// Resume (and only with the same config), replaced with Force, and otherwise refused: nothing is overwritten or
    /// deleted without one of them.
    /// </summary>
    private static OutputPaths PrepareOutput(RunRequest request, string configJson)
    {
        string root = request.OutputDirectory;
        var paths = new OutputPaths(Path.Combine(root, ConfigFile), Path.Combine(root, MetricsFile), Path.Combine(root, CheckpointFolder), Path.Combine(root, ResultFile));
        string tensorBoard = Path.Combine(root, TensorBoardLog.FolderName);
        if (request.Resume && request.Force)
        {
            throw new ConfigException(root, null, "--out", "resume and force contradict each other", "pass --resume to continue the run, or --force to replace it");
        }
        var existing = new[] { paths.Config, paths.Metrics, paths.Result }.Where(File.Exists).Select(Path.GetFileName)
            .Concat(Directory.Exists(paths.Checkpoints) && Directory.EnumerateFiles(paths.Checkpoints, "*.ckpt").Any() ? [$"{CheckpointFolder}/"] : [])
            .Concat(Directory.Exists(tensorBoard) && Directory.EnumerateFileSystemEntries(tensorBoard).Any() ? [$"{TensorBoardLog.FolderName}/"] : [])
            .ToList();
        if (request.Resume)
        {
            if (File.Exists(paths.Config) && File.ReadAllText(paths.Config) != configJson)
            {
                throw new ConfigException(paths.Config, null, "(run folder)", "this folder holds a run with a different config, so it cannot be resumed with this one",
                    "resume with --config pointing at that config.json, or choose a new --out folder");
            }
        }
        else if (existing.Count > 0 && !request.Force)
        {
            throw new ConfigException(root, null, "--out", $"the folder already holds a run's outputs ({string.Join(", ", existing)})",
                "pass --resume to continue it, --force to replace it (its outputs are deleted), or choose a new --out folder");
        }
        else if (request.Force)
        {
            foreach (string file in new[] { paths.Config, paths.Metrics, paths.Result })
            {
                File.Delete(file);
            }
            foreach (string checkpoint in Directory.Exists(paths.Checkpoints) ? Directory.EnumerateFiles(paths.Checkpoints, "*.ckpt*").ToList() : [])
            {
                File.Delete(checkpoint);
            }
            if (Directory.Exists(tensorBoard))
            {
                Directory.Delete(tensorBoard, recursive: true);
            }
        }
        Directory.CreateDirectory(paths.Checkpoints);
        WriteAtomically(paths.Config, configJson);
        return paths;
    }

    private static string? LatestCheckpoint(string folder) =>
        Directory.EnumerateFiles(folder, "step-*.ckpt").Order(StringComparer.Ordinal).LastOrDefault();

    private static void PruneCheckpoints(string folder, int keep)
    {
        foreach (string old in Directory.EnumerateFiles(folder, "step-*.ckpt").Order(StringComparer.Ordinal).SkipLast(Math.Max(keep, 1)))
        {
            File.Delete(old);
        }
    }

    /// <summary>Drops log lines written after the checkpoint we resume from, so no step is logged twice.</summary>
    private static void TruncateMetrics(string path, int step)
    {
        if (!File.Exists(path))
        {
            return;
        }
        var kept = File.ReadAllLines(path).Where(line =>
        {
            try
            {
                using var document = JsonDocument.Parse(line);
                return document.RootElement.GetProperty("step").GetInt32() <= step;
            }
            catch (JsonException)
            {
                return false; // A torn last line from a crash.
            }
        });
        WriteAtomically(path, string.Concat(kept.Select(l => l + "\n")));
    }

    internal static void WriteAtomically(string path, string text)
    {
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }

    private sealed class SilentObserver : IRunObserver;
}

/// <summary>The loss stopped being a number: the config's learning rates or loss weights are too large for the run.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
