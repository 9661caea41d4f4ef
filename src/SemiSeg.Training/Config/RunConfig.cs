using System.Text.Json.Serialization;

namespace SemiSeg.Training.Config;

// A run config fully describes one training run. It is read from YAML or JSON (snake_case keys), validated before
// anything trains, and written back resolved as config.json. Properties are settable only so that the YAML and JSON
// readers can fill them; code treats a loaded config as immutable.

/// <summary>The whole description of one training run.</summary>
public sealed class RunConfig
{
    /// <summary>A short human name; not part of the run's identity.</summary>
    public string Name { get; set; } = "run";

    /// <summary>Seed of model initialisation, data order, augmentation and perturbations.</summary>
    public int Seed { get; set; }

    public DataConfig Data { get; set; } = new();
    public ModelConfig Model { get; set; } = new();
    public AlgorithmConfig Algorithm { get; set; } = new();
    public OptimizerConfig Optimizer { get; set; } = new();
    public ScheduleConfig Schedule { get; set; } = new();
}

public sealed class DataConfig
{
    /// <summary>fashion-scenes | cityscapes | fashion-mnist | cifar10.</summary>
    public string Dataset { get; set; } = DatasetNames.FashionScenes;

    /// <summary>Folder of the dataset's files; null means the dataset's default location.</summary>
    public string? Root { get; set; }

    /// <summary>Fraction of the training split that is labeled: "1/8", "0.25", "1". Ignored when LabeledCount is set.</summary>
    public string LabelFraction { get; set; } = "1/8";

    /// <summary>Exact number of labeled examples (e.g. 4000 on CIFAR-10); overrides LabelFraction.</summary>
    public int? LabeledCount { get; set; }

    /// <summary>Seed of the labeled-subset permutation; null means the run seed (each seed its own subset, as in the paper).</summary>
    public int? SubsetSeed { get; set; }

    /// <summary>Fold of the permuted training split taken as the labeled subset (the paper uses fold 0).</summary>
    public int SubsetFold { get; set; }

    /// <summary>Training crop side in pixels (segmentation) or the padded-crop size (classification).</summary>
    public int CropSize { get; set; } = 64;

    /// <summary>Log-uniform random scale range for segmentation jitter; [1, 1] turns scaling off.</summary>
    public double[] ScaleRange { get; set; } = [2.0 / 3.0, 1.5];

    public bool HorizontalFlip { get; set; } = true;

    /// <summary>Cityscapes downsampling factor: 1 = full 2048x1024, 2 = the paper's half resolution.</summary>
    public int Downsampling { get; set; } = 1;

    /// <summary>Caps the number of validation examples (0 = the whole split); useful for quick evaluations.</summary>
    public int MaxValExamples { get; set; }

    /// <summary>Which classes mIoU averages over: all (the authors' code: a class absent from both ground truth and
    /// prediction counts as IoU 0) or present (such classes are left out). The two differ only when a class occurs in
    /// neither the ground truth nor the predictions of the evaluated images, e.g. on a capped validation set.</summary>
    public string MiouClasses { get; set; } = MiouClassesNames.All;

    public FashionScenesConfig FashionScenes { get; set; } = new();
}

public static class MiouClassesNames
{
    public const string All = "all";
    public const string Present = "present";
    public static readonly string[] Values = [All, Present];
}

/// <summary>Composition parameters of the FashionScenes segmentation dataset.</summary>
public sealed class FashionScenesConfig
{
    public int ImageSize { get; set; } = 64;
    public int TrainScenes { get; set; } = 4000;
    public int ValScenes { get; set; } = 500;
    public int MinItems { get; set; } = 1;
    public int MaxItems { get; set; } = 4;

    /// <summary>Seed of scene composition; scene i of a split is a pure function of (split, i, this seed).</summary>
    public int DatasetSeed { get; set; }
}

public static class DatasetNames
{
    public const string FashionScenes = "fashion-scenes";
    public const string Cityscapes = "cityscapes";
    public const string FashionMnist = "fashion-mnist";
    public const string Cifar10 = "cifar10";
    public static readonly string[] All = [FashionScenes, Cityscapes, FashionMnist, Cifar10];

    public static bool IsSegmentation(string dataset) => dataset is FashionScenes or Cityscapes;

    /// <summary>Classes of a classification dataset (its labeled subsets are class-balanced); null for segmentation.</summary>
    public static int? ClassCount(string dataset) => dataset is FashionMnist or Cifar10 ? 10 : null;
}

public sealed class ModelConfig
{
    /// <summary>swiftnet-rn18 | deeplabv2-rn101 | wrn-28-2.</summary>
    public string Architecture { get; set; } = ModelNames.SwiftNetRn18;

    /// <summary>Encoder weights: a name (<see cref="PretrainedEncoderNames"/>, e.g. imagenet-resnet18) or a file in
    /// torchvision's layout (.pth, .safetensors, or a TorchSharp state-dict file); null = random init.</summary>
    public string? PretrainedEncoder { get; set; }

    /// <summary>SHA-256 (lowercase hex) of the weights file; part of the run's content key. The submitting side fills it
    /// (a name has a fixed hash; a file is hashed where the sweep is submitted), and the trainer refuses a file whose
    /// hash differs. Give it explicitly when only the workers have the file.</summary>
    public string? PretrainedEncoderSha256 { get; set; }
}

/// <summary>Encoder weights known by name; they reach every machine through NuGet restore.</summary>
public static class PretrainedEncoderNames
{
    /// <summary>The ImageNet ResNet-18 of the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0.</summary>
    public const string ImageNetResNet18 = "imagenet-resnet18";
    public static readonly string[] All = [ImageNetResNet18];
}

public static class ModelNames
{
    public const string SwiftNetRn18 = "swiftnet-rn18";
    public const string DeepLabV2Rn101 = "deeplabv2-rn101";
    public const string Wrn28x2 = "wrn-28-2";
    public static readonly string[] All = [SwiftNetRn18, DeepLabV2Rn101, Wrn28x2];

    /// <summary>True for architectures that output per-pixel logits.</summary>
    public static bool IsSegmentation(string architecture) => architecture is SwiftNetRn18 or DeepLabV2Rn101;
}

public sealed class AlgorithmConfig
{
    /// <summary>none (supervised) | simple (the student with stop-gradient) | mt (Mean Teacher).</summary>
    public string Teacher { get; set; } = TeacherNames.None;

    /// <summary>phtps | ph | tps | cutmix | cutmix* (cutmix* implies the L2 confidence-thresholded loss).</summary>
    public string Perturbation { get; set; } = PerturbationNames.PhTps;

    /// <summary>1w-ps | 1w-pt | 2w-p1 | 1w-p2 | 1w-pt-vidlu (mt only: the authors' code's MT-1w-pt).</summary>
    public string Variant { get; set; } = VariantNames.OneWayPerturbStudent;

    /// <summary>Weight of the consistency loss.</summary>
    public double Alpha { get; set; } = 0.5;

    /// <summary>Photometric strength s_P: 0 = off, 1 = the paper's ranges.</summary>
    public double PhotometricStrength { get; set; } = 1.0;

    /// <summary>Geometric (TPS) strength s_G: 0 = off, 1 = the paper's N(0, 0.1) offsets.</summary>
    public double GeometricStrength { get; set; } = 1.0;

    /// <summary>TPS control points: vidlu-code (0.75/1.25, the authors' code, which produced the paper's numbers) or
    /// tile-centres (0.25/0.75, what the code's comment describes).</summary>
    public string TpsControlPoints { get; set; } = TpsPlacementNames.VidluCode;

    public double EmaDecay { get; set; } = 0.99;

    /// <summary>Teacher confidence threshold of CutMix*.</summary>
    public double ConfidenceThreshold { get; set; } = 0.97;

    /// <summary>Whether the perturbed student pass updates BN running statistics (the paper: no).</summary>
    public bool UpdateBnOnPerturbed { get; set; }

    /// <summary>1w-p2 with the simple teacher: whether the teacher's pass (the student, in train mode, on the teacher's
    /// perturbed input) updates BN running statistics. update = the authors' code (vidlu switches tracking off there
    /// only when pert_bn_stats_updating is set, default false); freeze = leave them to clean batches, as the student's
    /// perturbed pass does by default (trainer 2026.12.1's behaviour).</summary>
    public string P2TeacherBnStats { get; set; } = BnStatsNames.Update;

    /// <summary>Apply the perturbation to labeled images as a plain augmentation ("supervised PhTPS-aug").</summary>
    public bool PerturbLabeled { get; set; }
}

public static class TeacherNames
{
    public const string None = "none";
    public const string Simple = "simple";
    public const string MeanTeacher = "mt";
    public static readonly string[] All = [None, Simple, MeanTeacher];
}

public static class PerturbationNames
{
    public const string PhTps = "phtps";
    public const string Photometric = "ph";
    public const string Tps = "tps";
    public const string CutMix = "cutmix";
    public const string CutMixStar = "cutmix*";
    public static readonly string[] All = [PhTps, Photometric, Tps, CutMix, CutMixStar];
}

public static class VariantNames
{
    public const string OneWayPerturbStudent = "1w-ps";
    public const string OneWayPerturbTeacher = "1w-pt";
    public const string TwoWayPerturbOne = "2w-p1";
    public const string OneWayPerturbBoth = "1w-p2";

    /// <summary>The authors' code's MT-1w-pt: the student's perturbed output is the target (no gradient) and the
    /// gradient goes into the EMA teacher's clean output, which no optimizer updates, so the student learns from the
    /// supervised loss only.</summary>
    public const string OneWayPerturbTeacherVidlu = "1w-pt-vidlu";

    public static readonly string[] All = [OneWayPerturbStudent, OneWayPerturbTeacher, TwoWayPerturbOne, OneWayPerturbBoth, OneWayPerturbTeacherVidlu];
}

public static class BnStatsNames
{
    public const string Update = "update";
    public const string Freeze = "freeze";
    public static readonly string[] All = [Update, Freeze];
}

public static class TpsPlacementNames
{
    public const string TileCentres = "tile-centres";
    public const string VidluCode = "vidlu-code";
    public static readonly string[] All = [TileCentres, VidluCode];
}

public sealed class OptimizerConfig
{
    /// <summary>adam (segmentation, two parameter groups) | sgd (classification).</summary>
    public string Name { get; set; } = "adam";
    public double EncoderLr { get; set; } = 1e-4;
    public double DecoderLr { get; set; } = 4e-4;
    public double EncoderWeightDecay { get; set; } = 2.5e-5;
    public double DecoderWeightDecay { get; set; } = 1e-4;
    public double[] Betas { get; set; } = [0.9, 0.99];
    public double Momentum { get; set; } = 0.9;
}

public sealed class ScheduleConfig
{
    /// <summary>Total optimizer steps (iteration-based schedule).</summary>
    public int Steps { get; set; } = 300;
    public int BatchLabeled { get; set; } = 8;
    public int BatchUnlabeled { get; set; } = 8;
    public int EvalBatch { get; set; } = 16;

    /// <summary>quarter-cosine (lr · cos(π/2 · t/T)) | multistep (× gamma at each milestone fraction) | constant.</summary>
    public string LrSchedule { get; set; } = "quarter-cosine";
    public double[] Milestones { get; set; } = [0.3, 0.6, 0.8];
    public double Gamma { get; set; } = 0.2;

    public int LogEvery { get; set; } = 10;

    /// <summary>Evaluate every N steps (0 = only at the end; the end is always evaluated).</summary>
    public int EvalEvery { get; set; }

    /// <summary>Write a checkpoint every N steps (0 = only at the end).</summary>
    public int CheckpointEvery { get; set; } = 100;

    /// <summary>Intra-op CPU threads (0 = the library default).</summary>
    public int Threads { get; set; }

    /// <summary>TensorBoard event files of the logged metrics under OUT/tensorboard/ (a few scalars per logged step:
    /// cheap). Unset means on; only an explicit false turns them off. Left out of config.json while unset, so configs,
    /// content keys and checkpoints written before this option existed stay valid.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Tensorboard { get; set; }

    /// <summary>Whether the trainer writes TensorBoard event files (<see cref="Tensorboard"/> is not false).</summary>
    [JsonIgnore]
    public bool WritesTensorboard => Tensorboard != false;
}
