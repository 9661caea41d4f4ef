using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using YamlDotNet.RepresentationModel;

namespace SemiSeg.Training.Config;

/// <summary>Reads, validates and writes run configs. Every problem is a <see cref="ConfigException"/>.</summary>
public static class RunConfigLoader
{
    private static readonly JsonSerializerOptions CanonicalJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Loads and validates a YAML or JSON run config file.</summary>
    public static RunConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new ConfigException(path, null, "(file)", "the file does not exist", "check the path passed to --config");
        }
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses and validates config text; <paramref name="file"/> is only used in error messages.</summary>
    public static RunConfig Parse(string text, string? file = null)
    {
        var root = YamlObjectMapper.ParseRoot(text, file);
        var config = new RunConfig();
        YamlObjectMapper.Fill(config, root, "", file);
        Validate(config, file, field => LineOf(root, field));
        return config;
    }

    /// <summary>The canonical resolved form: every field, fixed order, snake_case, invariant numbers.</summary>
    public static string ToCanonicalJson(RunConfig config) => JsonSerializer.Serialize(config, CanonicalJson) + "\n";

    public static RunConfig FromCanonicalJson(string json, string? file = null) => Parse(json, file);

    /// <summary>Checks values and combinations; <paramref name="lineOf"/> maps a dotted field to its line when known.</summary>
    public static void Validate(RunConfig c, string? file = null, Func<string, int?>? lineOf = null)
    {
        lineOf ??= _ => null;
        void Fail(string field, string problem, string fix) => throw new ConfigException(file, lineOf(field), field, problem, fix);
        void OneOf(string field, string value, string[] valid)
        {
            if (!valid.Contains(value, StringComparer.Ordinal))
            {
                Fail(field, $"'{value}' is not a known value", $"use one of: {string.Join(", ", valid)}");
            }
        }
        void Positive(string field, double value)
        {
            if (!(value > 0))
            {
                Fail(field, $"must be greater than 0, got {value.ToString(CultureInfo.InvariantCulture)}", "give a positive value");
            }
        }
        void NonNegative(string field, double value)
        {
            if (!(value >= 0))
            {
                Fail(field, $"must not be negative, got {value.ToString(CultureInfo.InvariantCulture)}", "give 0 or a positive value");
            }
        }

        // Data
        OneOf("data.dataset", c.Data.Dataset, DatasetNames.All);
        bool segmentation = DatasetNames.IsSegmentation(c.Data.Dataset);
        if (c.Data.LabeledCount is null && !LabelFraction.TryParse(c.Data.LabelFraction, out _, out string? why))
        {
            Fail("data.label_fraction", why!, "write a fraction like 1/8, 0.25 or 1");
        }
        if (c.Data.LabeledCount is int count && count <= 0)
        {
            Fail("data.labeled_count", $"must be positive, got {count}", "give the number of labeled examples, or remove it to use label_fraction");
        }
        NonNegative("data.subset_fold", c.Data.SubsetFold);
        Positive("data.crop_size", c.Data.CropSize);
        if (c.Data.ScaleRange.Length != 2 || !(c.Data.ScaleRange[0] > 0) || c.Data.ScaleRange[0] > c.Data.ScaleRange[1])
        {
            Fail("data.scale_range", "must be two numbers [min, max] with 0 < min <= max", "write e.g. [0.667, 1.5], or [1, 1] for no scaling");
        }
        if (c.Data.Downsampling < 1)
        {
            Fail("data.downsampling", $"must be at least 1, got {c.Data.Downsampling}", "use 1 for full resolution or 2 for the paper's half resolution");
        }
        NonNegative("data.max_val_examples", c.Data.MaxValExamples);
        var scenes = c.Data.FashionScenes;
        if (scenes.ImageSize < 16)
        {
            Fail("data.fashion_scenes.image_size", $"must be at least 16, got {scenes.ImageSize}", "use e.g. 64");
        }
        Positive("data.fashion_scenes.train_scenes", scenes.TrainScenes);
        Positive("data.fashion_scenes.val_scenes", scenes.ValScenes);
        if (scenes.MinItems < 1 || scenes.MaxItems < scenes.MinItems)
        {
            Fail("data.fashion_scenes.max_items", $"need 1 <= min_items <= max_items, got {scenes.MinItems}..{scenes.MaxItems}", "use e.g. min_items: 1, max_items: 4");
        }

        // Model
        OneOf("model.architecture", c.Model.Architecture, ModelNames.All);
        bool segmentationModel = ModelNames.IsSegmentation(c.Model.Architecture);
        if (segmentationModel != segmentation)
        {
            Fail("model.architecture",
                $"{c.Model.Architecture} is a {(segmentationModel ? "segmentation" : "classification")} model but data.dataset {c.Data.Dataset} is a {(segmentation ? "segmentation" : "classification")} dataset",
                segmentation ? $"use {ModelNames.SwiftNetRn18} or {ModelNames.DeepLabV2Rn101}" : $"use {ModelNames.Wrn28x2}");
        }
        // Whether a weights file exists is checked where it is used (hashed when a sweep is submitted, loaded by the
        // trainer): a cluster's workers may have files the submitting machine lacks, and the reverse.
        if (c.Model.PretrainedEncoder is string weights)
        {
            if (PretrainedEncoderNames.All.Contains(weights, StringComparer.Ordinal))
            {
                if (c.Model.Architecture != ModelNames.SwiftNetRn18)
                {
                    Fail("model.pretrained_encoder", $"{weights} is a ResNet-18 encoder, but {c.Model.Architecture} has none",
                        $"use it with architecture: {ModelNames.SwiftNetRn18}, or remove the field");
                }
            }
            else if (weights.Length == 0 || (!weights.Contains('/') && !weights.Contains('\\') && !weights.Contains('.')))
            {
                string? closest = YamlObjectMapper.ClosestName(weights, PretrainedEncoderNames.All);
                Fail("model.pretrained_encoder", $"'{weights}' is neither a known name nor a file path",
                    (closest is null ? "" : $"did you mean '{closest}'? ") +
                    $"Use one of {string.Join(", ", PretrainedEncoderNames.All)}, or a .pth, .safetensors or TorchSharp state-dict file (see README, 'Pretrained weights')");
            }
        }
        if (c.Model.PretrainedEncoderSha256 is string sha256)
        {
            if (c.Model.PretrainedEncoder is null)
            {
                Fail("model.pretrained_encoder_sha256", "is set but model.pretrained_encoder is not", "remove it, or name the weights in model.pretrained_encoder");
            }
            if (sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigitLower))
            {
                Fail("model.pretrained_encoder_sha256", $"'{sha256}' is not a SHA-256 in lowercase hex (64 characters)", "write the output of 'sha256sum FILE', or remove the field to have it computed");
            }
        }

        // Algorithm
        var a = c.Algorithm;
        OneOf("algorithm.teacher", a.Teacher, TeacherNames.All);
        OneOf("algorithm.perturbation", a.Perturbation, PerturbationNames.All);
        OneOf("algorithm.variant", a.Variant, VariantNames.All);
        OneOf("algorithm.tps_control_points", a.TpsControlPoints, TpsPlacementNames.All);
        NonNegative("algorithm.alpha", a.Alpha);
        NonNegative("algorithm.photometric_strength", a.PhotometricStrength);
        NonNegative("algorithm.geometric_strength", a.GeometricStrength);
        if (!(a.EmaDecay >= 0 && a.EmaDecay < 1))
        {
            Fail("algorithm.ema_decay", $"must be in [0, 1), got {a.EmaDecay.ToString(CultureInfo.InvariantCulture)}", "use e.g. 0.99");
        }
        if (!(a.ConfidenceThreshold >= 0 && a.ConfidenceThreshold <= 1))
        {
            Fail("algorithm.confidence_threshold", $"must be in [0, 1], got {a.ConfidenceThreshold.ToString(CultureInfo.InvariantCulture)}", "use e.g. 0.97");
        }
        bool isCutMix = a.Perturbation is PerturbationNames.CutMix or PerturbationNames.CutMixStar;
        if (a.Teacher != TeacherNames.None)
        {
            if (a.Variant == VariantNames.OneWayPerturbBoth && isCutMix)
            {
                Fail("algorithm.variant", "1w-p2 maps the teacher's perturbed output back to the clean frame, which needs an invertible geometric perturbation; CutMix is not invertible",
                    "use phtps or tps with 1w-p2, or another variant with CutMix");
            }
            if (a.Variant == VariantNames.TwoWayPerturbOne && a.Teacher == TeacherNames.MeanTeacher)
            {
                Fail("algorithm.variant", "2w-p1 sends gradients through both branches, but a Mean Teacher branch is an EMA copy that is never trained (the paper has no MT-2w-p1)",
                    "use teacher: simple with 2w-p1, or another variant with mt");
            }
            if (isCutMix && c.Schedule.BatchUnlabeled % 2 != 0)
            {
                Fail("schedule.batch_unlabeled", $"CutMix mixes images in pairs, so the unlabeled batch must be even, got {c.Schedule.BatchUnlabeled}", "use an even batch size");
            }
            if (!segmentation && a.Variant == VariantNames.OneWayPerturbBoth)
            {
                Fail("algorithm.variant", "1w-p2 is implemented for segmentation only", "use 1w-ps, 1w-pt or 2w-p1 for classification");
            }
        }

        // Optimizer and schedule
        OneOf("optimizer.name", c.Optimizer.Name, ["adam", "sgd"]);
        NonNegative("optimizer.encoder_lr", c.Optimizer.EncoderLr);
        NonNegative("optimizer.decoder_lr", c.Optimizer.DecoderLr);
        NonNegative("optimizer.encoder_weight_decay", c.Optimizer.EncoderWeightDecay);
        NonNegative("optimizer.decoder_weight_decay", c.Optimizer.DecoderWeightDecay);
        if (c.Optimizer.Betas.Length != 2 || c.Optimizer.Betas.Any(b => !(b >= 0 && b < 1)))
        {
            Fail("optimizer.betas", "must be two numbers in [0, 1)", "write e.g. [0.9, 0.99]");
        }
        var s = c.Schedule;
        Positive("schedule.steps", s.Steps);
        Positive("schedule.batch_labeled", s.BatchLabeled);
        Positive("schedule.batch_unlabeled", s.BatchUnlabeled);
        Positive("schedule.eval_batch", s.EvalBatch);
        OneOf("schedule.lr_schedule", s.LrSchedule, ["quarter-cosine", "multistep", "constant"]);
        if (s.Milestones.Any(m => !(m > 0 && m < 1)) || !s.Milestones.SequenceEqual(s.Milestones.Order()))
        {
            Fail("schedule.milestones", "must be increasing fractions of the run in (0, 1)", "write e.g. [0.3, 0.6, 0.8]");
        }
        Positive("schedule.gamma", s.Gamma);
        Positive("schedule.log_every", s.LogEvery);
        NonNegative("schedule.eval_every", s.EvalEvery);
        NonNegative("schedule.checkpoint_every", s.CheckpointEvery);
        NonNegative("schedule.threads", s.Threads);
    }

    /// <summary>The line of a dotted field in a parsed file, if present.</summary>
    public static int? LineOf(YamlMappingNode root, string field)
    {
        YamlNode node = root;
        foreach (string part in field.Split('.'))
        {
            if (node is not YamlMappingNode mapping)
            {
                return null;
            }
            var match = mapping.Children.FirstOrDefault(kv => ((YamlScalarNode)kv.Key).Value == part);
            if (match.Key is null)
            {
                return null;
            }
            node = match.Value;
        }
        return YamlObjectMapper.Line(node);
    }
}
