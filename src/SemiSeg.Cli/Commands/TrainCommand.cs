using System.CommandLine;
using System.Globalization;
using SemiSeg.Contracts;
using SemiSeg.Training.Config;
using SemiSeg.Training.Running;
using Spectre.Console;

namespace SemiSeg.Cli.Commands;

/// <summary>semiseg train --config FILE [--out DIR] [--device cpu|cuda[:N]] [--seed N] [--resume]</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config", "-c") { Description = "Run config (YAML or JSON), e.g. sweeps/examples/tiny-fashionscenes-mt-phtps.yaml", Required = true };
        var output = new Option<DirectoryInfo?>("--out", "-o") { Description = "Output folder (default: runs/NAME-seedSEED)" };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N", DefaultValueFactory = _ => "cpu" };
        var seed = new Option<int?>("--seed") { Description = "Overrides the config's seed" };
        var resume = new Option<bool>("--resume") { Description = "Continue from the newest checkpoint in the output folder" };
        var force = new Option<bool>("--force") { Description = "Start afresh in an output folder that holds a run: its config.json, metrics.jsonl, checkpoints, result.json and tensorboard/ are deleted first" };
        var events = new Option<bool>("--events") { Description = "Write machine-readable progress lines (used by worker silos)" };
        var parentPid = new Option<int?>("--parent-pid") { Description = "Exit at once when this process ends (used by worker silos, so an orphaned run stops)" }
            .InRange(1, int.MaxValue, "give the process id of the worker silo");
        var command = new Command("train", "Train one run and evaluate it") { config, output, device, seed, resume, force, events, parentPid };
        command.Validators.Add(result =>
        {
            if (result.GetValue(resume) && result.GetValue(force))
            {
                result.AddError("--resume and --force contradict each other (continue the run, or replace it). Fix: pass one of them");
            }
        });
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var runConfig = RunConfigLoader.Load(parse.GetValue(config)!.FullName);
            if (parse.GetValue(seed) is int overrideSeed)
            {
                runConfig.Seed = overrideSeed;
            }
            string folder = parse.GetValue(output)?.FullName ?? Path.Combine("runs", $"{runConfig.Name}-seed{runConfig.Seed}");
            CliChecks.WritableFolder(folder, "--out");
            var request = new RunRequest
            {
                Config = runConfig,
                OutputDirectory = folder,
                Device = parse.GetValue(device)!,
                Resume = parse.GetValue(resume),
                Force = parse.GetValue(force),
            };
            if (parse.GetValue(parentPid) is int parent)
            {
                ParentWatch.ExitWhenGone(parent);
            }
            var result = parse.GetValue(events)
                ? Trainer.Run(request with { Observer = new EventsObserver(Console.Out) }, CancellationToken.None)
                : RunWithProgress(request);
            PrintResult(result, folder, runConfig.Schedule.WritesTensorboard);
            return 0;
        }));
        return command;
    }

    /// <summary>A live progress bar on a terminal; plain log lines when output is redirected.</summary>
    public static RunResult RunWithProgress(RunRequest request)
    {
        using var cancellation = new CancellationTokenSource();
        using (CliChecks.CancelOnTermination(cancellation))
        {
            if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            {
                var plain = new PlainObserver(Console.Out);
                return Trainer.Run(request with { Observer = plain }, cancellation.Token);
            }
            RunResult? result = null;
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(context =>
                {
                    var task = context.AddTask(Markup.Escape(request.Config.Name), maxValue: request.Config.Schedule.Steps);
                    var observer = new ProgressObserver(task);
                    result = Trainer.Run(request with { Observer = observer }, cancellation.Token);
                });
            return result!;
        }
    }

    private static void PrintResult(RunResult result, string folder, bool tensorBoard)
    {
        string value = result.Value.ToString("F2", CultureInfo.InvariantCulture);
        Console.WriteLine($"{result.Name}: {result.Metric} = {value}% after {result.Steps} steps ({result.WallSeconds:F0} s, seed {result.Seed}, {result.LabeledExamples} labeled)");
        if (result.AllBackgroundValue is double reference)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  (predicting background everywhere would give {reference:F2}%)"));
        }
        foreach (var (name, classValue) in result.PerClass)
        {
            Console.WriteLine($"  {name,-14} {(classValue is double v ? v.ToString("F2", CultureInfo.InvariantCulture) : "n/a"),7}");
        }
        Console.WriteLine($"Outputs in {folder}: config.json, metrics.jsonl, checkpoints/, result.json{(tensorBoard ? $", tensorboard/ (tensorboard --logdir {folder})" : "")}");
    }

    private sealed class ProgressObserver(ProgressTask task) : IRunObserver
    {
        public void OnStep(StepProgress p)
        {
            task.Value = p.Step;
            task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"step {p.Step}/{p.TotalSteps} loss {p.Losses.Total:F3} (sup {p.Losses.Supervised:F3}, cons {p.Losses.Consistency:F4}) {p.ImagesPerSecond:F1} img/s"));
        }

        public void OnEvaluation(Evaluation e) =>
            AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"step {e.Step}: {e.Metric} {e.Value:F2}%")));

        public void OnMessage(string message) => AnsiConsole.MarkupLine(Markup.Escape(message));
    }
}

/// <summary>Plain lines plus one <see cref="TrainerEvent"/> line per step, checkpoint and evaluation.</summary>
public sealed class EventsObserver(TextWriter writer, TimeProvider? time = null) : IRunObserver
{
    /// <summary>Alive events are written at most this often (a fast trainer's steps would flood the pipe).</summary>
    public static readonly TimeSpan AliveInterval = TimeSpan.FromSeconds(1);

    private readonly PlainObserver plain = new(writer);
    private readonly TimeProvider clock = time ?? TimeProvider.System;
    private long lastWrite = (time ?? TimeProvider.System).GetTimestamp();

    public void OnStep(StepProgress p) => Write(new TrainerEvent(TrainerEvent.StepType, p.Step, p.TotalSteps, p.Losses.Total, p.ImagesPerSecond, p.EstimatedRemaining.TotalSeconds));

    public void OnStepFinished(int step)
    {
        if (clock.GetElapsedTime(lastWrite) >= AliveInterval)
        {
            Write(new TrainerEvent(TrainerEvent.AliveType, step));
        }
    }

    public void OnEvaluationProgress(int step) => OnStepFinished(step);

    public void OnEvaluationStarting(int step) => Write(new TrainerEvent(TrainerEvent.EvaluatingType, step));

    public void OnEvaluation(Evaluation e)
    {
        plain.OnEvaluation(e);
        Write(new TrainerEvent(TrainerEvent.EvaluationType, e.Step, Value: e.Value));
    }

    public void OnCheckpoint(CheckpointWritten c) => Write(new TrainerEvent(TrainerEvent.CheckpointType, c.Step, Path: Path.GetFullPath(c.Path)));

    public void OnMessage(string message) => plain.OnMessage(message);

    private void Write(TrainerEvent e)
    {
        writer.WriteLine(e.ToLine());
        writer.Flush();
        lastWrite = clock.GetTimestamp();
    }
}

/// <summary>Ends this process when its parent (a worker silo) is gone: a run whose silo died must not keep going.</summary>
public static class ParentWatch
{
    public const int ExitCode = 3;

    public static void ExitWhenGone(int parentPid)
    {
        var thread = new Thread(() =>
        {
            while (true)
            {
                if (!IsAlive(parentPid))
                {
                    Console.Error.WriteLine($"parent process {parentPid} is gone: stopping this run");
                    Environment.Exit(ExitCode);
                }
                Thread.Sleep(500);
            }
        }) { IsBackground = true, Name = "parent-watch" };
        thread.Start();
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

/// <summary>Plain progress lines for pipes and log files.</summary>
public sealed class PlainObserver(TextWriter writer) : IRunObserver
{
    public void OnStep(StepProgress p) => writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"step {p.Step}/{p.TotalSteps} loss {p.Losses.Total:F4} sup {p.Losses.Supervised:F4} cons {p.Losses.Consistency:F4} lr {p.LearningRate:G3} {p.ImagesPerSecond:F1} img/s eta {p.EstimatedRemaining:hh\\:mm\\:ss}"));

    public void OnEvaluation(Evaluation e) => writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"eval step {e.Step}: {e.Metric} {e.Value:F2}%"));

    public void OnCheckpoint(CheckpointWritten c) => writer.WriteLine($"checkpoint step {c.Step}: {c.Path}");

    public void OnMessage(string message) => writer.WriteLine(message);
}
