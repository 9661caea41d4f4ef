namespace SemiSeg.Training.Tests.Support;

/// <summary>Test classes that must not run alongside any other: they compare whole runs bit for bit, and a run reads
/// torch's global generator (model initialisation), which every test in the process shares.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialRuns
{
    public const string Name = "serial runs (global generator)";
}
