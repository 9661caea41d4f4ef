using Microsoft.Extensions.Time.Testing;
using SemiSeg.Grains.Execution;

namespace SemiSeg.Orchestration.Tests;

/// <summary>When a trainer counts as hung: the phases and their allowances, on a fake clock.</summary>
public sealed class StallDetectorTests
{
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    private static readonly StallOptions Options = new()
    {
        Floor = TimeSpan.FromSeconds(120),
        Factor = 10,
        Startup = TimeSpan.FromSeconds(600),
        Evaluation = TimeSpan.FromSeconds(300),
    };

    private StallDetector Start() => new(Options, clock.GetUtcNow());

    private void Wait(double seconds) => clock.Advance(TimeSpan.FromSeconds(seconds));

    [Fact]
    public void StartupHasItsOwnAllowanceAndItsLengthDoesNotCountAsAStep()
    {
        var detector = Start();
        Wait(599);
        Assert.Null(detector.Stalled(clock.GetUtcNow()));
        Wait(2);
        Assert.Contains("starting (no step yet)", detector.Stalled(clock.GetUtcNow()));

        detector = Start();
        Wait(500); // a slow start ...
        detector.Step(1, clock.GetUtcNow());
        Assert.Equal(TimeSpan.FromSeconds(120), detector.Allowance); // ... is not a slow step
    }

    [Fact]
    public void FastStepsGetTheFloorAndSlowStepsTenTimesTheSlowestInterval()
    {
        var detector = Start();
        for (int step = 1; step <= 5; step++)
        {
            Wait(1);
            detector.Step(step, clock.GetUtcNow());
        }
        Wait(119);
        Assert.Null(detector.Stalled(clock.GetUtcNow()));
        Wait(2);
        string? stalled = detector.Stalled(clock.GetUtcNow());
        Assert.Contains("no progress for 121 s while at step 5 (allowed 120 s)", stalled);

        detector = Start();
        Wait(5);
        detector.Step(1, clock.GetUtcNow());
        Wait(30);
        detector.Step(2, clock.GetUtcNow()); // 30 s per step: allowed 300 s
        Wait(299);
        Assert.Null(detector.Stalled(clock.GetUtcNow()));
        Wait(2);
        Assert.NotNull(detector.Stalled(clock.GetUtcNow()));
    }

    [Fact]
    public void AReportedStepThatIsNotNewIsNoProgress()
    {
        var detector = Start();
        detector.Step(7, clock.GetUtcNow());
        Wait(100);
        detector.Step(7, clock.GetUtcNow()); // the same progress line again (e.g. a heartbeat of the last progress)
        detector.Step(6, clock.GetUtcNow());
        Wait(21);
        Assert.Contains("at step 7", detector.Stalled(clock.GetUtcNow()));
        Assert.Equal(7, detector.LastStep);
    }

    [Fact]
    public void EvaluationsAndCheckpointsAreSignsOfLifeWithTheirOwnAllowance()
    {
        var detector = Start();
        detector.Step(1, clock.GetUtcNow());
        Wait(1);
        detector.Step(2, clock.GetUtcNow());
        detector.EvaluationStarted(clock.GetUtcNow());
        Wait(299); // a long first evaluation is not a hang (its allowance: 300 s) ...
        Assert.Null(detector.Stalled(clock.GetUtcNow()));
        detector.EvaluationFinished(clock.GetUtcNow());
        Wait(100); // ... writing a checkpoint ...
        detector.Checkpoint(clock.GetUtcNow());
        Wait(1);
        detector.Step(3, clock.GetUtcNow());
        Assert.Equal(TimeSpan.FromSeconds(120), detector.Allowance); // ... makes no step slow: 1 s since the checkpoint
        detector.EvaluationStarted(clock.GetUtcNow());
        Assert.Equal(TimeSpan.FromSeconds(2990), detector.Allowance); // 10x the longest evaluation so far
        Wait(2991);
        Assert.Contains("evaluating after step 3", detector.Stalled(clock.GetUtcNow()));
    }

    [Fact]
    public void AnEvaluationThatReportsItsBatchesMayTakeLongerThanItsAllowance()
    {
        var detector = Start();
        detector.Step(1, clock.GetUtcNow());
        detector.EvaluationStarted(clock.GetUtcNow());
        for (int batch = 0; batch < 10; batch++)
        {
            Wait(200);
            detector.Step(1, clock.GetUtcNow()); // a batch of the evaluation after step 1
            Assert.Null(detector.Stalled(clock.GetUtcNow()));
        }
        detector.EvaluationFinished(clock.GetUtcNow()); // 2000 s in all
        detector.Step(1, clock.GetUtcNow()); // not a new step outside an evaluation ...
        Wait(121);
        Assert.Contains("at step 1", detector.Stalled(clock.GetUtcNow())); // ... so no sign of life either
    }

    [Fact]
    public void AZeroFloorTurnsDetectionOff()
    {
        var detector = new StallDetector(new StallOptions { Floor = TimeSpan.Zero }, clock.GetUtcNow());
        Wait(100_000);
        Assert.Null(detector.Stalled(clock.GetUtcNow()));
        Assert.Throws<ArgumentException>(() => new StallOptions { Factor = 0.5 }.Validate());
    }
}
