namespace SemiSeg.Training.Tests.Support;

/// <summary>
/// The test classes that train real networks run one after another, not in parallel: on 2 cores parallel trainings
/// gain nothing, and a full run under heavy load once failed two trainer tests with a libtorch "Scalar toFloat" error
/// (in Adam's addcmul_ and a ResNet add_), which looks like TorchSharp 0.107 freeing an implicitly converted Scalar
/// during the native call (not proven); fewer concurrent trainings make it rarer.
/// </summary>
[CollectionDefinition(Name)]
public sealed class TrainingRuns
{
    public const string Name = "real training runs";
}
