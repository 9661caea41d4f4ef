using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using SemiSeg.Security;

namespace SemiSeg.Grains.Execution;

/// <summary>
/// Runs each attempt as a child <c>semiseg train</c> process: a native crash or out-of-memory kills the child, not
/// the silo; GPU memory is freed when it exits; cancel is a kill. The child watches this process and exits if it dies,
/// and writes only into its own attempt folder, so an orphan can never touch the store.
/// </summary>
public sealed class ProcessRunExecutor(TrainerCommand command, ILogger<ProcessRunExecutor> log) : IRunExecutor
{
    private const string NnpackWarning = "Could not initialize NNPACK!";

    public async Task<ExecutionOutcome> ExecuteAsync(RunExecution execution, IExecutionReporter reporter, CancellationToken cancellation)
    {
        string output = Path.Combine(execution.WorkDirectory, "out");
        string checkpoints = Path.Combine(output, "checkpoints");
        Directory.CreateDirectory(checkpoints);
        string configFile = Path.Combine(execution.WorkDirectory, "run-config.json");
        await File.WriteAllTextAsync(configFile, execution.ConfigJson, cancellation);

        var start = new ProcessStartInfo(command.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = command.WorkingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string arg in command.Arguments)
        {
            start.ArgumentList.Add(arg);
        }
        // The trainer needs no credentials: variables holding one (SEMISEG_STORAGE=azure:...;AccountKey=...) stay here.
        foreach (string name in start.Environment.Where(v => Secrets.ContainsSecret(v.Value)).Select(v => v.Key).ToList())
        {
            start.Environment.Remove(name);
        }
        string device = execution.Slot.Device;
        if (device.StartsWith("cuda:", StringComparison.Ordinal))
        {
            // Pin the child to its GPU: it sees exactly one device, cuda:0.
            start.Environment["CUDA_VISIBLE_DEVICES"] = device["cuda:".Length..];
            device = "cuda";
        }
        foreach (string arg in new[] { "train", "--config", configFile, "--out", output, "--device", device, "--resume", "--events",
                     "--parent-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = new Process { StartInfo = start };
        var errors = new Queue<string>();
        var pending = new List<Task>();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }
            if (e.Data.Contains(NnpackWarning, StringComparison.Ordinal))
            {
                // The trainer quiets libtorch's warnings (TorchLogging) unless TORCH_CPP_LOG_LEVEL asks for them; this
                // one, repeated on every convolution of a CPU NNPACK does not support, would push the real error out.
                return;
            }
            lock (errors)
            {
                errors.Enqueue(e.Data);
                if (errors.Count > 20)
                {
                    errors.Dequeue();
                }
            }
        };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null || TrainerEvent.TryParse(e.Data) is not { } ev)
            {
                if (e.Data is not null)
                {
                    log.LogDebug("{Run}: {Line}", execution.RunKey, e.Data);
                }
                return;
            }
            switch (ev.Type)
            {
                case TrainerEvent.StepType:
                    reporter.Progress(new RunProgress(ev.Step, ev.Total ?? 0, ev.Loss ?? double.NaN, ev.ImagesPerSecond ?? 0, ev.EtaSeconds ?? 0));
                    break;
                case TrainerEvent.AliveType:
                    reporter.Alive(ev.Step);
                    break;
                case TrainerEvent.EvaluatingType:
                    reporter.Evaluating(started: true);
                    break;
                case TrainerEvent.EvaluationType:
                    reporter.Evaluating(started: false);
                    break;
                case TrainerEvent.CheckpointType when ev.Path is not null:
                    lock (pending)
                    {
                        pending.Add(reporter.CheckpointAsync(ev.Step, ev.Path, [Path.Combine(output, "metrics.jsonl")]));
                    }
                    break;
            }
        };

        if (execution.ResumeCheckpoint is not null)
        {
            log.LogInformation("{Run}: attempt {Attempt} resumes from {Checkpoint}", execution.RunKey, execution.Attempt, execution.ResumeCheckpoint);
        }
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(cancellation);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            return ExecutionOutcome.Cancelled();
        }
        process.WaitForExit(); // drains the redirected output
        Task[] uploads;
        lock (pending)
        {
            uploads = [.. pending];
        }
        try
        {
            await Task.WhenAll(uploads);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning(e, "{Run}: a checkpoint upload failed; the run goes on (its result does not depend on it)", execution.RunKey);
        }

        string result = Path.Combine(output, "result.json");
        string metrics = Path.Combine(output, "metrics.jsonl");
        string[] files = [.. new[] { result, metrics, Path.Combine(output, "config.json") }.Where(File.Exists)];
        if (process.ExitCode == 0 && File.Exists(result))
        {
            return new ExecutionOutcome(RunState.Succeeded, await File.ReadAllTextAsync(result, CancellationToken.None), null, files);
        }
        string tail;
        lock (errors)
        {
            tail = string.Join("\n", errors.TakeLast(8));
        }
        return new ExecutionOutcome(RunState.Failed, null, Secrets.Redact($"trainer exited with code {process.ExitCode}: {tail}".Trim()), files);
    }
}

/// <summary>How to start the trainer: e.g. <c>/app/semiseg</c>, or <c>dotnet /path/semiseg.dll</c>.</summary>
public sealed record TrainerCommand(string FileName, IReadOnlyList<string> Arguments, string? WorkingDirectory = null)
{
    /// <summary>The trainer next to a given semiseg.dll: its apphost when there is one, else <c>dotnet semiseg.dll</c>.</summary>
    public static TrainerCommand NextTo(string semisegDll)
    {
        string apphost = Path.ChangeExtension(semisegDll, null);
        return File.Exists(apphost) && !OperatingSystem.IsWindows()
            ? new TrainerCommand(apphost, [])
            : new TrainerCommand("dotnet", [semisegDll]);
    }
}
