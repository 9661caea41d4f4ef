using SemiSeg.Training.Config;
using SemiSeg.Training.Data;

namespace SemiSeg.Training.Models;

/// <summary>A model section of a run config that cannot be honoured: names the config key and says how to fix it.</summary>
public sealed class ModelConfigException(string message) : ArgumentException(message);

/// <summary>Builds the network a run config asks for.</summary>
public static class ModelFactory
{
    /// <summary>Creates the model named by <paramref name="config"/>.Architecture with one output per class of
    /// <paramref name="data"/>. With <paramref name="config"/>.PretrainedEncoder set, the encoder variant and input
    /// standardisation are the ones those weights need (<see cref="PretrainedEncoders"/>), and the weights are loaded
    /// unless <paramref name="loadPretrainedWeights"/> is false (a Mean Teacher copies the student; a checkpoint holds
    /// every weight).</summary>
    /// <exception cref="ModelConfigException">Unknown architecture, a segmentation model on a classification dataset
    /// or the reverse, or pretrained weights that are missing, differ from the pinned hash or do not fit.</exception>
    public static Network Create(ModelConfig config, DatasetInfo data, bool loadPretrainedWeights = true)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(data);
        CheckTask(config.Architecture, data);

        Network network = config.Architecture switch
        {
            ModelNames.SwiftNetRn18 => new SwiftNet(data.NumClasses, PretrainedEncoders.ResNet18For(config), PretrainedEncoders.StandardizationFor(config)),
            ModelNames.DeepLabV2Rn101 => new DeepLabV2(data.NumClasses),
            ModelNames.Wrn28x2 => new WideResNet(data.NumClasses, depth: 28, widthFactor: 2),
            _ => throw new InvalidOperationException("unreachable: CheckTask accepts only known names"),
        };

        if (loadPretrainedWeights && !string.IsNullOrEmpty(config.PretrainedEncoder))
        {
            try
            {
                PretrainedEncoders.Load(network.EncoderModule, config);
            }
            catch
            {
                network.Dispose();
                throw;
            }
        }
        return network;
    }

    /// <summary>True for architectures that output per-pixel logits.</summary>
    public static bool IsSegmentationModel(string architecture) => ModelNames.IsSegmentation(architecture);

    private static void CheckTask(string architecture, DatasetInfo data)
    {
        if (!ModelNames.All.Contains(architecture))
            throw new ModelConfigException(
                $"model.architecture: unknown model '{architecture}'; valid names are {string.Join(", ", ModelNames.All)}.");

        var segmentationModels = ModelNames.All.Where(IsSegmentationModel).ToArray();
        var classificationModels = ModelNames.All.Where(n => !IsSegmentationModel(n)).ToArray();
        if (IsSegmentationModel(architecture) && !data.IsSegmentation)
            throw new ModelConfigException(
                $"model.architecture: {architecture} is a segmentation model but data.dataset {data.Name} is a " +
                $"classification dataset; use {string.Join(" or ", classificationModels)}.");
        if (!IsSegmentationModel(architecture) && data.IsSegmentation)
            throw new ModelConfigException(
                $"model.architecture: {architecture} is a classification model but data.dataset {data.Name} is a " +
                $"segmentation dataset; use {string.Join(" or ", segmentationModels)}.");
    }
}
