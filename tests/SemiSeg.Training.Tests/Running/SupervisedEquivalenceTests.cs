using SemiSeg.Training.Config;
using SemiSeg.Training.Running;
using SemiSeg.Training.Tests.Support;

namespace SemiSeg.Training.Tests.Running;

/// <summary>
/// Runs compared bit for bit. A trainer seeds torch's global generator before it creates the model, and test classes
/// running in parallel share that generator, so these tests run alone (<see cref="SerialRuns"/>).
/// </summary>
[Collection(SerialRuns.Name)]
public sealed class SupervisedEquivalenceTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("semiseg-equivalence-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void TheAuthorsMeanTeacherOneWayPerturbTeacherRunIsTheSupervisedRun()
    {
        // The paper's MT-1w-pt cell equals supervised because the authors' code trains the student on the supervised
        // loss only; 1w-pt-vidlu does the same, so the whole run (weights, BN statistics, evaluation) is identical.
        RunResult Run(string teacher, string variant) => Trainer.Run(new RunRequest
        {
            Config = TinyRuns.Config(teacher, PerturbationNames.PhTps, variant, steps: 3),
            OutputDirectory = Path.Combine(_root, $"{teacher}-{variant}"),
        });
        var supervised = Run(TeacherNames.None, VariantNames.OneWayPerturbStudent);
        var authors = Run(TeacherNames.MeanTeacher, VariantNames.OneWayPerturbTeacherVidlu);
        var principled = Run(TeacherNames.MeanTeacher, VariantNames.OneWayPerturbTeacher);

        Assert.Equal(supervised.Value, authors.Value);
        Assert.Equal(supervised.PerClass, authors.PerClass);
        Assert.Equal(supervised.PixelAccuracy, authors.PixelAccuracy);
        Assert.NotEqual(supervised.PerClass, principled.PerClass);
    }
}
