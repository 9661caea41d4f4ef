using Microsoft.Extensions.Logging.Abstractions;
using SemiSeg.Contracts;
using SemiSeg.Grains.Execution;

namespace SemiSeg.Orchestration.Tests;

/// <summary>The trainer child process gets the worker's environment less every variable that holds a secret.</summary>
public sealed class TrainerEnvironmentTests
{
    [Fact]
    public async Task VariablesHoldingSecretsAreNotPassedToTheTrainer()
    {
        string work = Directory.CreateTempSubdirectory("semiseg-env-").FullName;
        string secret = $"SEMISEG_TEST_SECRET_{Guid.NewGuid():N}", plain = $"SEMISEG_TEST_PLAIN_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(secret, "azure:AccountName=a;AccountKey=c2VjcmV0a2V5");
        Environment.SetEnvironmentVariable(plain, "local:runs/cluster");
        try
        {
            // A stand-in trainer: bash gets "train --config FILE ..." as $0 $1 $2, writes its environment next to FILE
            // and fails with a message that quotes a password (errors are redacted too).
            var command = new TrainerCommand("bash", ["-c", "env > \"$(dirname \"$2\")/env.txt\"; echo 'Host=db;Password=hunter2' >&2; exit 3"]);
            var executor = new ProcessRunExecutor(command, NullLogger<ProcessRunExecutor>.Instance);
            var outcome = await executor.ExecuteAsync(new RunExecution("0123456789abcdef0123456789abcdef", 1, "{}",
                new WorkerSlot(Orleans.Runtime.SiloAddress.Zero, "w", 0, "cpu"), null, work), new NoReports(), CancellationToken.None);

            string environment = await File.ReadAllTextAsync(Path.Combine(work, "env.txt"));
            Assert.Contains($"{plain}=local:runs/cluster", environment, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, environment, StringComparison.Ordinal);
            Assert.Equal(RunState.Failed, outcome.State);
            Assert.Equal("trainer exited with code 3: Host=db;Password=***", outcome.Error);
        }
        finally
        {
            Environment.SetEnvironmentVariable(secret, null);
            Environment.SetEnvironmentVariable(plain, null);
            Directory.Delete(work, recursive: true);
        }
    }

    private sealed class NoReports : IExecutionReporter
    {
        public void Progress(RunProgress progress)
        {
        }

        public Task CheckpointAsync(int step, string localFile, IReadOnlyList<string> companions) => Task.CompletedTask;
    }
}
