using SemiSeg.Training.Config;
using SemiSeg.Training.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemiSeg.Training.Running;

/// <summary>Builds the optimizer with two parameter groups: the encoder (group 0) and everything else (group 1).</summary>
public static class OptimizerFactory
{
    public static OptimizerHelper Create(OptimizerConfig config, Network model)
    {
        var encoder = model.EncoderParameters().ToList();
        var decoder = model.DecoderParameters().ToList();
        return config.Name switch
        {
            // Adam's weight_decay is coupled L2, as in the paper's PyTorch Adam.
            "adam" => optim.Adam(
            [
                new Adam.ParamGroup(encoder, config.EncoderLr, config.Betas[0], config.Betas[1], 1e-8, config.EncoderWeightDecay, false, false),
                new Adam.ParamGroup(decoder, config.DecoderLr, config.Betas[0], config.Betas[1], 1e-8, config.DecoderWeightDecay, false, false),
            ], config.DecoderLr),
            "sgd" => optim.SGD(
            [
                new SGD.ParamGroup(encoder, config.EncoderLr, config.Momentum, 0, config.EncoderWeightDecay, false, false),
                new SGD.ParamGroup(decoder, config.DecoderLr, config.Momentum, 0, config.DecoderWeightDecay, false, false),
            ], config.DecoderLr),
            _ => throw new ConfigException(null, null, "optimizer.name", $"'{config.Name}' is not a known optimizer", "use adam or sgd"),
        };
    }

    public static void SetLearningRates(OptimizerHelper optimizer, OptimizerConfig config, double factor)
    {
        var groups = optimizer.ParamGroups.ToList();
        groups[0].LearningRate = config.EncoderLr * factor;
        groups[1].LearningRate = config.DecoderLr * factor;
    }
}

/// <summary>Iteration-based learning-rate factors.</summary>
public static class LearningRateSchedule
{
    /// <summary>Factor for the step after <paramref name="completedSteps"/> optimizer steps.</summary>
    public static double Factor(ScheduleConfig schedule, int completedSteps)
    {
        double progress = (double)completedSteps / schedule.Steps;
        return schedule.LrSchedule switch
        {
            // The paper's QuarterCosLR: cos(π/2 · t/T), from 1 down to 0.
            "quarter-cosine" => Math.Cos(Math.PI / 2 * progress),
            "multistep" => Math.Pow(schedule.Gamma, schedule.Milestones.Count(m => progress >= m)),
            "constant" => 1,
            _ => throw new ConfigException(null, null, "schedule.lr_schedule", $"'{schedule.LrSchedule}' is not a known schedule", "use quarter-cosine, multistep or constant"),
        };
    }
}

/// <summary>Parses --device values.</summary>
public static class DeviceParser
{
    public static Device Parse(string text)
    {
        string t = text.Trim().ToLowerInvariant();
        if (t == "cpu")
        {
            return CPU;
        }
        if (t == "cuda" || t.StartsWith("cuda:", StringComparison.Ordinal))
        {
            int index = 0;
            if (t.Length > 5 && !int.TryParse(t[5..], out index))
            {
                throw new ConfigException(null, null, "--device", $"'{text}' is not a device", "use cpu, cuda or cuda:N");
            }
            if (!cuda.is_available())
            {
                throw new ConfigException(null, null, "--device", $"'{text}' was asked for but CUDA is not available in this build or on this machine",
                    "build with -p:TorchBackend=cuda on a machine with an NVIDIA GPU (see README, 'GPU'), or use --device cpu");
            }
            if (index >= cuda.device_count())
            {
                throw new ConfigException(null, null, "--device", $"'{text}': only {cuda.device_count()} CUDA device(s) are visible", $"use cuda:0..cuda:{cuda.device_count() - 1}");
            }
            return new Device(DeviceType.CUDA, index);
        }
        throw new ConfigException(null, null, "--device", $"'{text}' is not a device", "use cpu, cuda or cuda:N");
    }
}
