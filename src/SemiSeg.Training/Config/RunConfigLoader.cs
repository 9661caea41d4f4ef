using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using YamlDotNet.RepresentationModel;

namespace SemiSeg.Training.Config;

/// <summary>Reads, validates and writes run configs. Every problem is a <see cref="ConfigException"/>.</summary>
public static class RunConfigLoader
{
    /// <summary>Loads and validates a YAML or JSON run config file.</summary>
    public static RunConfig Load(string path)
    {
        return Parse(ConfigFiles.ReadText(path, "run config", "check the path passed to --config"), path);
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
    public static string ToCanonicalJson(RunConfig config) => JsonSerializer.Serialize(config, CanonicalJson.Default.RunConfig) + "\n";

    /// <summary>The canonical form's UTF-8 bytes without the final newline (for hashing without strings).</summary>
    public static byte[] ToCanonicalJsonUtf8(RunConfig config) => JsonSerializer.SerializeToUtf8Bytes(config, CanonicalJson.Default.RunConfig);

    public static RunConfig FromCanonicalJson(string json, string? file = null) => Parse(json, file);

    /// <summary>A deep copy, exact for every field (a sweep makes one per cell, so it avoids a round trip through text).</summary>
    public static RunConfig Clone(RunConfig config) => YamlObjectMapper.DeepCopy(config);

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

        void InRange(string field, long value, long min, long max, string fix)
        {
            if (value < min || value > max)
            {
                Fail(field, string.Create(CultureInfo.InvariantCulture, $"{value} is out of range (allowed: {min} to {max})"), fix);
            }
        }

        // Name: it names the default output folder (runs/NAME-seedN), so it must be one plain folder name.
        if (NameProblem(c.Name) is string nameProblem)
        {
            Fail("name", nameProblem, "use a short name of letters, digits, '-', '_' or '.', e.g. name: mt-phtps");
        }

        // Data
        OneOf("data.dataset", c.Data.Dataset, DatasetNames.All);
        bool segmentation = DatasetNames.IsSegmentation(c.Data.Dataset);
        int? folds = null;
        if (c.Data.LabeledCount is null)
        {
            if (!LabelFraction.TryParse(c.Data.LabelFraction, out double fraction, out string? why))
            {
                Fail("data.label_fraction", why!, "write a fraction like 1/8, 0.25 or 1");
            }
            folds = LabelFraction.Folds(fraction);
            if (folds is null)
            {
                Fail("data.label_fraction", $"'{c.Data.LabelFraction}' is not 1/n for a whole n up to {LabelFraction.MaxFolds}, so it does not split the training data into folds",
                    "use 1/n (1/8, 1/4, 1/2, 1), or data.labeled_count for an exact number of labels");
            }
        }
        if (c.Data.LabeledCount is int count)
        {
            InRange("data.labeled_count", count, 1, Limits.MaxExamples, "give the number of labeled examples, or remove it to use label_fraction");
            if (DatasetNames.ClassCount(c.Data.Dataset) is int classes && count < classes)
            {
                Fail("data.labeled_count", $"{count} labels cannot cover the {classes} classes of {c.Data.Dataset} (the labeled subset is class-balanced)",
                    $"give at least {classes} (e.g. 4000 for CIFAR-10)");
            }
        }
        InRange("data.subset_fold", c.Data.SubsetFold, 0, (folds ?? LabelFraction.MaxFolds + 1) - 1,
            folds is null ? "use 0 (the paper's fold) or a small fold number" : $"label_fraction {c.Data.LabelFraction} splits the data into {folds} folds: use a fold in 0..{folds - 1}");
        InRange("data.crop_size", c.Data.CropSize, 1, Limits.MaxSide, "use e.g. 64 (FashionScenes) or 768 (Cityscapes)");
        if (c.Data.ScaleRange.Length != 2 || !(c.Data.ScaleRange[0] >= Limits.MinScale) || !(c.Data.ScaleRange[1] <= Limits.MaxScale) || c.Data.ScaleRange[0] > c.Data.ScaleRange[1])
        {
            Fail("data.scale_range", string.Create(CultureInfo.InvariantCulture, $"must be two numbers [min, max] with {Limits.MinScale} <= min <= max <= {Limits.MaxScale}"),
                "write e.g. [0.667, 1.5], or [1, 1] for no scaling");
        }
        InRange("data.downsampling", c.Data.Downsampling, 1, 16, "use 1 for full resolution or 2 for the paper's half resolution");
        InRange("data.max_val_examples", c.Data.MaxValExamples, 0, Limits.MaxExamples, "use 0 for the whole validation split, or a number of examples");
        OneOf("data.miou_classes", c.Data.MiouClasses, MiouClassesNames.Values);
        var scenes = c.Data.FashionScenes;
        InRange("data.fashion_scenes.image_size", scenes.ImageSize, 16, Limits.MaxSceneSide, "use e.g. 64");
        InRange("data.fashion_scenes.train_scenes", scenes.TrainScenes, 1, Limits.MaxExamples, "use e.g. 4000");
        InRange("data.fashion_scenes.val_scenes", scenes.ValScenes, 1, Limits.MaxExamples, "use e.g. 500");
        if (scenes.MinItems < 1 || scenes.MaxItems < scenes.MinItems)
        {
            Fail("data.fashion_scenes.max_items", $"need 1 <= min_items <= max_items, got {scenes.MinItems}..{scenes.MaxItems}", "use e.g. min_items: 1, max_items: 4");
        }
        InRange("data.fashion_scenes.max_items", scenes.MaxItems, 1, 64, "use e.g. max_items: 4");
        if (c.Data.Dataset == DatasetNames.FashionScenes)
        {
            // The training split's size is part of the config here, so the labeled fold can be checked before any data.
            if (folds is int foldCount && scenes.TrainScenes < foldCount)
            {
                Fail("data.fashion_scenes.train_scenes", $"{scenes.TrainScenes} scenes cannot be split into the {foldCount} folds of label_fraction {c.Data.LabelFraction} (fold {c.Data.SubsetFold} would be empty)",
                    $"use at least {foldCount} train_scenes, or a larger label_fraction");
            }
            if (c.Data.LabeledCount is int labeled && (long)(c.Data.SubsetFold + 1) * labeled > scenes.TrainScenes)
            {
                Fail("data.labeled_count", $"fold {c.Data.SubsetFold} of {labeled} labeled scenes needs {(long)(c.Data.SubsetFold + 1) * labeled} scenes but train_scenes is {scenes.TrainScenes}",
                    "use a smaller labeled_count or subset_fold, or more train_scenes");
            }
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
        OneOf("algorithm.p2_teacher_bn_stats", a.P2TeacherBnStats, BnStatsNames.All);
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
            if (a.Variant == VariantNames.OneWayPerturbTeacherVidlu && a.Teacher != TeacherNames.MeanTeacher)
            {
                Fail("algorithm.variant", "1w-pt-vidlu is the authors' code's Mean-Teacher 1w-pt (its gradient goes into the EMA teacher); with the simple teacher the authors' 1w-pt is plain 1w-pt",
                    "use teacher: mt with 1w-pt-vidlu, or variant 1w-pt with the simple teacher");
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
        if (!(c.Optimizer.Momentum >= 0 && c.Optimizer.Momentum < 1))
        {
            Fail("optimizer.momentum", $"must be in [0, 1), got {c.Optimizer.Momentum.ToString(CultureInfo.InvariantCulture)}", "use e.g. 0.9");
        }
        var s = c.Schedule;
        InRange("schedule.steps", s.Steps, 1, Limits.MaxSteps, "use e.g. 300");
        InRange("schedule.batch_labeled", s.BatchLabeled, 1, Limits.MaxBatch, "use e.g. 8");
        InRange("schedule.batch_unlabeled", s.BatchUnlabeled, 1, Limits.MaxBatch, "use e.g. 8");
        InRange("schedule.eval_batch", s.EvalBatch, 1, Limits.MaxBatch, "use e.g. 16");
        long trainPixels = (long)(s.BatchLabeled + s.BatchUnlabeled) * c.Data.CropSize * c.Data.CropSize;
        if (trainPixels > Limits.MaxBatchPixels)
        {
            Fail("schedule.batch_labeled", $"a training step would hold {trainPixels:N0} pixels ((batch_labeled + batch_unlabeled) x crop_size²), more than the limit of {Limits.MaxBatchPixels:N0}",
                "use smaller batches or a smaller data.crop_size");
        }
        if (EvalImagePixels(c) is long evalPixels && evalPixels * s.EvalBatch > Limits.MaxBatchPixels)
        {
            Fail("schedule.eval_batch", $"an evaluation batch would hold {evalPixels * s.EvalBatch:N0} pixels (eval_batch x image pixels), more than the limit of {Limits.MaxBatchPixels:N0}",
                "use a smaller eval_batch");
        }
        OneOf("schedule.lr_schedule", s.LrSchedule, ["quarter-cosine", "multistep", "constant"]);
        if (s.Milestones.Any(m => !(m > 0 && m < 1)) || !s.Milestones.SequenceEqual(s.Milestones.Order()))
        {
            Fail("schedule.milestones", "must be increasing fractions of the run in (0, 1)", "write e.g. [0.3, 0.6, 0.8]");
        }
        Positive("schedule.gamma", s.Gamma);
        InRange("schedule.log_every", s.LogEvery, 1, Limits.MaxSteps, "use e.g. 10");
        InRange("schedule.eval_every", s.EvalEvery, 0, Limits.MaxSteps, "use 0 (only at the end) or e.g. 50");
        InRange("schedule.checkpoint_every", s.CheckpointEvery, 0, Limits.MaxSteps, "use 0 (only at the end) or e.g. 100");
        InRange("schedule.threads", s.Threads, 0, 1024, "use 0 (the library default) or the number of cores");
    }

    /// <summary>Why <paramref name="name"/> cannot name a run (it becomes the folder runs/NAME-seedN), or null.</summary>
    public static string? NameProblem(string name) =>
        name.Trim().Length == 0 ? "must not be empty"
        : name.Length > 100 ? $"is {name.Length} characters long, more than 100"
        : name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal) ? $"'{name}' contains a slash (it names a folder)"
        : name.Contains("..", StringComparison.Ordinal) ? $"'{name}' contains '..' (it names a folder)"
        : name.Any(char.IsControl) ? "contains a control character"
        : null;

    /// <summary>Pixels of one validation image when the config alone says (FashionScenes, Cityscapes); else null.</summary>
    private static long? EvalImagePixels(RunConfig c) => c.Data.Dataset switch
    {
        DatasetNames.FashionScenes => (long)c.Data.FashionScenes.ImageSize * c.Data.FashionScenes.ImageSize,
        DatasetNames.Cityscapes when c.Data.Downsampling >= 1 => 2048L / c.Data.Downsampling * (1024L / c.Data.Downsampling),
        _ => null,
    };

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

/// <summary>The canonical form's serializer (source-generated: a sweep serializes a config per cell and per run).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(RunConfig))]
internal sealed partial class CanonicalJson : JsonSerializerContext;
