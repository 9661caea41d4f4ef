using System.Runtime.InteropServices;
using Microsoft.Extensions.Time.Testing;
using SemiSeg.Cli.Commands;
using SemiSeg.Contracts;
using SemiSeg.Training.Running;

namespace SemiSeg.Training.Tests.Cli;

/// <summary>The event lines a worker follows (progress, proof of life, evaluations) and libtorch's quieted warnings.</summary>
public sealed class EventsObserverTests
{
    [Fact]
    public void AliveLinesComeAtMostOnceASecondAndEvaluationsAreAnnounced()
    {
        var clock = new FakeTimeProvider();
        var output = new StringWriter();
        var observer = new EventsObserver(output, clock);

        observer.OnStepFinished(1); // nothing written for a second yet
        clock.Advance(TimeSpan.FromMilliseconds(600));
        observer.OnStepFinished(2);
        clock.Advance(TimeSpan.FromMilliseconds(500));
        observer.OnStepFinished(3); // 1.1 s of silence
        observer.OnStepFinished(4);
        clock.Advance(TimeSpan.FromSeconds(2));
        observer.OnEvaluationStarting(5); // any line restarts the second
        observer.OnStepFinished(5);
        clock.Advance(TimeSpan.FromSeconds(1));
        observer.OnEvaluationProgress(5); // a batch of a long evaluation

        var events = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(TrainerEvent.TryParse).ToList();
        Assert.All(events, e => Assert.NotNull(e));
        Assert.Equal([(TrainerEvent.AliveType, 3), (TrainerEvent.EvaluatingType, 5), (TrainerEvent.AliveType, 5)], events.Select(e => (e!.Type, e.Step)));
    }

    [Fact]
    public void LibtorchWarningsAreQuietedUnlessTheUserAsksForThem()
    {
        Assert.True(TorchLogging.Quiet());
        Assert.True(NativeLibrary.TryLoad("libc10.so", typeof(TorchSharp.torch).Assembly, null, out nint c10));
        Assert.True(NativeLibrary.TryGetExport(c10, "FLAGS_caffe2_log_level", out nint level));
        int expected = Environment.GetEnvironmentVariable(TorchLogging.Variable) switch
        {
            "INFO" or "0" => 0,
            "WARNING" or "1" => 1,
            "FATAL" or "3" => 3,
            _ => 2, // ERROR: what Quiet sets when the variable is not given
        };
        Assert.Equal(expected, Marshal.ReadInt32(level));
    }
}
