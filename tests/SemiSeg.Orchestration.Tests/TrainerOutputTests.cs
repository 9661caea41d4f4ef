using SemiSeg.Contracts;
using SemiSeg.Orchestration.Tests.Support;
using SemiSeg.Training.Running;

namespace SemiSeg.Orchestration.Tests;

/// <summary>What a trainer child process prints, as a worker silo sees it.</summary>
public sealed class TrainerOutputTests
{
    /// <summary>
    /// On CPUs NNPACK does not support (this machine's), libtorch printed "Could not initialize NNPACK! Reason:
    /// Unsupported hardware." on every convolution unless TorchLogging quiets it; with TORCH_CPP_LOG_LEVEL=WARNING the
    /// lines come back, which is how this was checked to fail here.
    /// </summary>
    [Fact]
    public async Task ATrainingPrintsItsEventsAndNoLibtorchWarnings()
    {
        string scratch = Directory.CreateTempSubdirectory("semiseg-trainer-output-").FullName;
        try
        {
            var spec = TinySweeps.Spec("quiet", steps: 2, checkpointEvery: 0, seeds: 1);
            string config = Path.Combine(scratch, "config.json");
            await File.WriteAllTextAsync(config, spec.Runs[0].ConfigJson);

            var train = await CliProcess.RunAsync(["train", "--config", config, "--out", Path.Combine(scratch, "out"), "--events"], scratch, TimeSpan.FromMinutes(2),
                unset: [TorchLogging.Variable]); // an in-process training of another test (or the user) may have set it here

            Assert.True(train.ExitCode == 0, train.Output);
            Assert.DoesNotContain("NNPACK", train.Output, StringComparison.Ordinal);
            var lines = train.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Contains(lines, l => TrainerEvent.TryParse(l) is { Type: TrainerEvent.StepType, Step: 2 });
            Assert.Contains(lines, l => TrainerEvent.TryParse(l) is { Type: TrainerEvent.EvaluationType, Step: 2 });
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }
}
