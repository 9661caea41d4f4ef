using SemiSeg.Training.Config;

namespace SemiSeg.Training.Tests.Support;

/// <summary>Run configs small enough for unit tests: SwiftNet on 32x32 FashionScenes, a few steps.</summary>
public static class TinyRuns
{
    public static RunConfig Config(string teacher = TeacherNames.None, string perturbation = PerturbationNames.PhTps, string variant = VariantNames.OneWayPerturbStudent, int steps = 2)
    {
        var config = new RunConfig
        {
            Name = $"test-{teacher}-{perturbation}-{variant}",
            Seed = 1,
            Data = new DataConfig
            {
                Dataset = DatasetNames.FashionScenes,
                LabelFraction = "1/4",
                CropSize = 32,
                MaxValExamples = 8,
                FashionScenes = new FashionScenesConfig { ImageSize = 32, TrainScenes = 48, ValScenes = 8 },
            },
            Algorithm = new AlgorithmConfig { Teacher = teacher, Perturbation = perturbation, Variant = variant },
            Schedule = new ScheduleConfig { Steps = steps, BatchLabeled = 2, BatchUnlabeled = 2, EvalBatch = 8, LogEvery = 1, CheckpointEvery = 0, Threads = 1 },
        };
        RunConfigLoader.Validate(config);
        return config;
    }
}
