using SemiSeg.Training.Config;

namespace SemiSeg.Training.Perturbations;

public static class PerturbationFactory
{
    public static IPerturbation Create(AlgorithmConfig config) => config.Perturbation switch
    {
        PerturbationNames.PhTps => new PhTpsPerturbation(config.PhotometricStrength, config.GeometricStrength, config.TpsControlPoints),
        PerturbationNames.Photometric => new PhTpsPerturbation(config.PhotometricStrength, 0, config.TpsControlPoints),
        PerturbationNames.Tps => new PhTpsPerturbation(0, config.GeometricStrength, config.TpsControlPoints),
        PerturbationNames.CutMix or PerturbationNames.CutMixStar => new CutMixPerturbation(),
        _ => throw new ConfigException(null, null, "algorithm.perturbation", $"'{config.Perturbation}' is not a known perturbation",
            $"use one of: {string.Join(", ", PerturbationNames.All)}"),
    };
}
