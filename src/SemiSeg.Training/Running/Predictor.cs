using SemiSeg.Training.Config;
using SemiSeg.Training.Data;
using SemiSeg.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Running;

/// <summary>One validation example with its prediction, as plain arrays (row-major, <see cref="Height"/> ×
/// <see cref="Width"/>): <see cref="Rgb"/> is the input image as the model saw it, 3 interleaved bytes per pixel in
/// 0–255 (the datasets give [0, 1] RGB and the model standardizes inside, so this is the image × 255);
/// <see cref="GroundTruth"/> holds class ids with −1 = ignore; <see cref="Prediction"/> the argmax class per pixel.</summary>
public sealed record PredictedExample(int Index, int Height, int Width, byte[] Rgb, int[] GroundTruth, int[] Prediction);

/// <summary>Predictions of one run's checkpoint on the first validation examples.</summary>
/// <param name="Dataset">data.dataset of the run's config (picks the palette of a panel).</param>
/// <param name="UsedTeacher">Whether the Mean Teacher's weights predicted (else the student's).</param>
public sealed record RunPrediction(string Dataset, IReadOnlyList<string> ClassNames, string CheckpointPath, int Step, bool UsedTeacher, IReadOnlyList<PredictedExample> Examples);

/// <summary>
/// Loads a trained segmentation run (its config.json and a checkpoint) and predicts the first k validation examples,
/// for qualitative panels. Deterministic: validation examples are the dataset's own (no augmentation, no crop), the
/// model is in eval mode (BatchNorm running statistics) and the label is the argmax of the logits. Predictions use the
/// student, the network every reported metric is computed on (<see cref="Trainer.Evaluate"/>); the Mean Teacher's EMA
/// weights only when asked with useTeacher.
/// </summary>
public static class Predictor
{
    /// <summary>Predicts with the newest checkpoint of a run folder (the trainer's --out folder or a stored
    /// STORE/runs/RUNKEY/attempt-N/ folder, with config.json and checkpoints/).</summary>
    /// <param name="count">How many validation examples, from index 0 (fewer when the split is smaller).</param>
    /// <param name="device">cpu, cuda or cuda:N.</param>
    /// <param name="dataRoot">Overrides data.root of the config, e.g. when the run was trained on another machine.</param>
    /// <exception cref="ConfigException">config.json missing or invalid, or a classification run.</exception>
    /// <exception cref="CheckpointException">No checkpoint, or one that is corrupt or belongs to another config.</exception>
    public static RunPrediction Predict(string runFolder, int count, string device = "cpu", bool useTeacher = false, string? dataRoot = null)
    {
        string folder = Path.Combine(runFolder, Trainer.CheckpointFolder);
        string? newest = Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "step-*.ckpt").Order(StringComparer.Ordinal).LastOrDefault() : null;
        if (newest is null)
        {
            throw new CheckpointException($"{folder}: no step-*.ckpt checkpoint. Fix: point at a finished run folder (it holds config.json and checkpoints/), or pass the checkpoint path explicitly.");
        }
        return Predict(Path.Combine(runFolder, Trainer.ConfigFile), newest, count, device, useTeacher, dataRoot);
    }

    /// <summary>Predicts with a given config.json (or YAML run config) and checkpoint; see the run-folder overload.</summary>
    public static RunPrediction Predict(string configPath, string checkpointPath, int count, string device = "cpu", bool useTeacher = false, string? dataRoot = null)
    {
        TorchLogging.Quiet();
        NativeAllocator.KeepFreedMemory();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var (config, configHashes) = ReadConfig(configPath);
        if (!DatasetNames.IsSegmentation(config.Data.Dataset))
        {
            throw new ConfigException(configPath, null, "data.dataset", $"{config.Data.Dataset} is a classification dataset, which has no label maps to show", "predict a segmentation run (fashion-scenes or cityscapes)");
        }
        if (!File.Exists(checkpointPath))
        {
            throw new CheckpointException($"{checkpointPath}: checkpoint not found. Fix: check the path; a run folder keeps its newest checkpoints in checkpoints/.");
        }
        if (dataRoot is not null)
        {
            config.Data.Root = dataRoot;
        }

        var targetDevice = DeviceParser.Parse(device);
        var val = DatasetFactory.Create(config.Data, Split.Val);
        // The checkpoint holds every weight, so the pretrained encoder file (perhaps on the machine that trained the run
        // only) is neither needed nor checked; its name still chooses the encoder variant.
        using var model = ModelFactory.Create(config.Model, val.Info, loadPretrainedWeights: false);
        var header = Checkpoint.LoadWeights(checkpointPath, configHashes, model, useTeacher);
        model.to(targetDevice);
        model.eval();

        var examples = new List<PredictedExample>();
        using (no_grad())
        {
            for (int i = 0; i < Math.Min(count, val.Count); i++)
            {
                using var scope = NewDisposeScope();
                var (image, label) = val.Get(i);
                int height = (int)image.shape[1], width = (int)image.shape[2];
                var predicted = model.call(image.unsqueeze(0).to(targetDevice)).argmax(1)[0];
                // [3, H, W] in [0, 1] -> H x W x RGB bytes.
                var rgb = (image * 255).round().clamp(0, 255).to(ScalarType.Byte).permute(1, 2, 0).contiguous();
                examples.Add(new PredictedExample(i, height, width,
                    rgb.data<byte>().ToArray(),
                    label.to(ScalarType.Int32).contiguous().data<int>().ToArray(),
                    predicted.to(ScalarType.Int32).cpu().contiguous().data<int>().ToArray()));
            }
        }
        return new RunPrediction(config.Data.Dataset, val.Info.ClassNames, checkpointPath, header.Step, useTeacher, examples);
    }

    /// <summary>Reads the run config and the hashes its checkpoints may carry: the trainer hashes config.json's text
    /// as it writes it, which equals the canonical form of the config unless config fields were added since.</summary>
    private static (RunConfig Config, string[] Hashes) ReadConfig(string path)
    {
        string text = ConfigFiles.ReadText(path, "run's config.json", "point at a run folder written by the trainer, or give the config the checkpoint was trained with");
        var config = YamlObjectMapper.Read<RunConfig>(text, path);
        string[] hashes = [Trainer.Sha256(text), Trainer.Sha256(RunConfigLoader.ToCanonicalJson(config))];
        RunConfigLoader.Validate(config, path);
        return (config, hashes);
    }
}
