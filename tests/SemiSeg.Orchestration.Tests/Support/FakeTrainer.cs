using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using SemiSeg.Contracts;
using SemiSeg.Grains.Execution;

namespace SemiSeg.Orchestration.Tests.Support;

/// <summary>A fast stand-in for the trainer: "steps" are delays, checkpoints are small files holding the step, the
/// result's value is a function of the seed. It records what ran where, and the peak concurrency.</summary>
public sealed class FakeTrainer : IRunExecutor
{
    public int Steps { get; set; } = 6;
    public TimeSpan StepTime { get; set; } = TimeSpan.FromMilliseconds(20);
    public int CheckpointEvery { get; set; } = 2;

    /// <summary>Decides whether an attempt fails (by run key and how many attempts of that run started here).</summary>
    public Func<string, int, bool> Fails { get; set; } = (_, _) => false;

    /// <summary>Decides whether an attempt hangs before a step (run key, attempts of that run started here, step): it
    /// then reports nothing until it is killed, like a trainer process stopped with SIGSTOP.</summary>
    public Func<string, int, int, bool> Hangs { get; set; } = (_, _, _) => false;

    public ConcurrentQueue<(string RunKey, int Attempt, string Worker, int StartStep)> Started { get; } = new();
    public ConcurrentQueue<(string RunKey, int Attempt, string Worker)> Finished { get; } = new();
    public ConcurrentDictionary<string, int> RunningByRun { get; } = new();

    private readonly ConcurrentDictionary<string, int> attemptsByRun = new();
    private readonly ConcurrentDictionary<string, int> runningByWorker = new();
    private int running;

    public int PeakRunning { get; private set; }
    public ConcurrentDictionary<string, int> PeakByWorker { get; } = new();

    public async Task<ExecutionOutcome> ExecuteAsync(RunExecution execution, IExecutionReporter reporter, CancellationToken cancellation)
    {
        string checkpoints = Path.Combine(execution.WorkDirectory, "out", "checkpoints");
        Directory.CreateDirectory(checkpoints);
        int start = Directory.EnumerateFiles(checkpoints, "*.ckpt").Select(f => int.Parse(File.ReadAllText(f), CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
        string worker = execution.Slot.Worker;
        Started.Enqueue((execution.RunKey, execution.Attempt, worker, start));
        int attemptsHere = attemptsByRun.AddOrUpdate(execution.RunKey, 1, (_, n) => n + 1);
        Enter(worker, execution.RunKey);
        try
        {
            for (int step = start + 1; step <= Steps; step++)
            {
                if (Hangs(execution.RunKey, attemptsHere, step))
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, cancellation);
                }
                await Task.Delay(StepTime, cancellation);
                reporter.Progress(new RunProgress(step, Steps, 1.0 / step, 100, (Steps - step) * StepTime.TotalSeconds));
                if (step % CheckpointEvery == 0 && step < Steps)
                {
                    string file = Path.Combine(checkpoints, $"step-{step:D7}.ckpt");
                    await File.WriteAllTextAsync(file, step.ToString(CultureInfo.InvariantCulture), CancellationToken.None);
                    await reporter.CheckpointAsync(step, file, []);
                }
            }
            if (Fails(execution.RunKey, attemptsHere))
            {
                return new ExecutionOutcome(Contracts.RunState.Failed, null, $"injected failure in attempt {execution.Attempt}", []);
            }
            int seed = JsonDocument.Parse(execution.ConfigJson).RootElement.GetProperty("seed").GetInt32();
            string result = JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["metric"] = "mIoU",
                ["value"] = 50.0 + seed,
                ["pixel_accuracy"] = 90.0 + seed,
                ["wall_seconds"] = 0.1,
                ["resumed_from_step"] = start == 0 ? null : start,
                ["seed"] = seed,
            });
            Finished.Enqueue((execution.RunKey, execution.Attempt, worker));
            return new ExecutionOutcome(Contracts.RunState.Succeeded, result, null, []);
        }
        catch (OperationCanceledException)
        {
            return ExecutionOutcome.Cancelled();
        }
        finally
        {
            Leave(worker, execution.RunKey);
        }
    }

    private void Enter(string worker, string runKey)
    {
        lock (this)
        {
            running++;
            PeakRunning = Math.Max(PeakRunning, running);
            int here = runningByWorker.AddOrUpdate(worker, 1, (_, n) => n + 1);
            PeakByWorker.AddOrUpdate(worker, here, (_, n) => Math.Max(n, here));
            RunningByRun.AddOrUpdate(runKey, 1, (_, n) => n + 1);
        }
    }

    private void Leave(string worker, string runKey)
    {
        lock (this)
        {
            running--;
            runningByWorker.AddOrUpdate(worker, 0, (_, n) => n - 1);
            RunningByRun.AddOrUpdate(runKey, 0, (_, n) => n - 1);
        }
    }
}
