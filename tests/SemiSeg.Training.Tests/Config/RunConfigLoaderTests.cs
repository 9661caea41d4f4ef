using SemiSeg.Training.Config;

namespace SemiSeg.Training.Tests.Config;

public class RunConfigLoaderTests
{
    private const string Valid = """
        name: tiny
        seed: 3
        data:
          dataset: fashion-scenes
          label_fraction: 1/4
          fashion_scenes:
            image_size: 32
        algorithm:
          teacher: mt
          perturbation: phtps
          alpha: 0.5
        schedule:
          steps: 20
        """;

    [Fact]
    public void ParsesYamlAndKeepsDefaultsForMissingFields()
    {
        var config = RunConfigLoader.Parse(Valid, "tiny.yaml");
        Assert.Equal("tiny", config.Name);
        Assert.Equal(3, config.Seed);
        Assert.Equal("1/4", config.Data.LabelFraction);
        Assert.Equal(32, config.Data.FashionScenes.ImageSize);
        Assert.Equal(TeacherNames.MeanTeacher, config.Algorithm.Teacher);
        Assert.Equal(20, config.Schedule.Steps);
        Assert.Equal(0.99, config.Algorithm.EmaDecay);
        Assert.Equal(4e-4, config.Optimizer.DecoderLr);
    }

    [Fact]
    public void WhereTheAuthorsCodeAndThePaperDifferTheDefaultsAreTheCodes()
    {
        var config = RunConfigLoader.Parse(Valid, "tiny.yaml");

        Assert.Equal(TpsPlacementNames.VidluCode, config.Algorithm.TpsControlPoints);
        Assert.Equal(BnStatsNames.Update, config.Algorithm.P2TeacherBnStats);
        Assert.False(config.Algorithm.UpdateBnOnPerturbed);
        Assert.Equal(MiouClassesNames.All, config.Data.MiouClasses);
        string json = RunConfigLoader.ToCanonicalJson(config);
        Assert.Contains("\"p2_teacher_bn_stats\": \"update\"", json);
        Assert.Contains("\"miou_classes\": \"all\"", json);
    }

    [Fact]
    public void TheFidelityOptionsTakeTheirOtherValues()
    {
        var config = RunConfigLoader.Parse("""
            data:
              miou_classes: present
            algorithm:
              teacher: mt
              variant: 1w-pt-vidlu
              tps_control_points: tile-centres
              p2_teacher_bn_stats: freeze
            """, "tiny.yaml");

        Assert.Equal(MiouClassesNames.Present, config.Data.MiouClasses);
        Assert.Equal(VariantNames.OneWayPerturbTeacherVidlu, config.Algorithm.Variant);
        Assert.Equal(TpsPlacementNames.TileCentres, config.Algorithm.TpsControlPoints);
        Assert.Equal(BnStatsNames.Freeze, config.Algorithm.P2TeacherBnStats);
    }

    [Fact]
    public void CanonicalJsonRoundTripsAndIsStable()
    {
        var config = RunConfigLoader.Parse(Valid, "tiny.yaml");
        string json = RunConfigLoader.ToCanonicalJson(config);
        var again = RunConfigLoader.FromCanonicalJson(json, "config.json");
        Assert.Equal(json, RunConfigLoader.ToCanonicalJson(again));
        Assert.Contains("\"label_fraction\": \"1/4\"", json, StringComparison.Ordinal);
        Assert.Contains("\"encoder_weight_decay\": 2.5E-05", json, StringComparison.Ordinal);
    }

    [Fact]
    public void FormattingAndKeyOrderDoNotChangeTheCanonicalForm()
    {
        var reordered = """
            schedule: {steps: 20}
            algorithm: {alpha: 0.50, perturbation: phtps, teacher: mt}
            data:
              fashion_scenes: {image_size: 32}
              label_fraction: 1/4
              dataset: fashion-scenes
            seed: 3
            name: tiny
            """;
        Assert.Equal(RunConfigLoader.ToCanonicalJson(RunConfigLoader.Parse(Valid)), RunConfigLoader.ToCanonicalJson(RunConfigLoader.Parse(reordered)));
    }

    [Theory]
    [InlineData("algorithm:\n  varient: 1w-ps\n", "tiny.yaml:2: algorithm.varient: unknown field", "did you mean 'variant'?")]
    [InlineData("schedule:\n  steps: many\n", "tiny.yaml:2: schedule.steps: 'many' is not a whole number", "write a whole number")]
    [InlineData("algorithm:\n  teacher: ema\n", "tiny.yaml:2: algorithm.teacher: 'ema' is not a known value", "use one of: none, simple, mt")]
    [InlineData("data:\n  label_fraction: 3/2\n", "tiny.yaml:2: data.label_fraction: '3/2' must be in (0, 1]", "1/8")]
    [InlineData("model:\n  architecture: wrn-28-2\n", "model.architecture: wrn-28-2 is a classification model", "use swiftnet-rn18 or deeplabv2-rn101")]
    [InlineData("model:\n  pretrained_encoder: imagenet-resnet\n", "tiny.yaml:2: model.pretrained_encoder: 'imagenet-resnet' is neither a known name nor a file path", "did you mean 'imagenet-resnet18'?")]
    [InlineData("model:\n  architecture: deeplabv2-rn101\n  pretrained_encoder: imagenet-resnet18\n", "model.pretrained_encoder: imagenet-resnet18 is a ResNet-18 encoder, but deeplabv2-rn101 has none", "use it with architecture: swiftnet-rn18")]
    [InlineData("model:\n  pretrained_encoder: w.pth\n  pretrained_encoder_sha256: F37072FD\n", "tiny.yaml:3: model.pretrained_encoder_sha256: 'F37072FD' is not a SHA-256 in lowercase hex", "sha256sum FILE")]
    [InlineData("model:\n  pretrained_encoder_sha256: f37072fd\n", "model.pretrained_encoder_sha256: is set but model.pretrained_encoder is not", "remove it")]
    [InlineData("algorithm:\n  teacher: mt\n  variant: 2w-p1\n", "tiny.yaml:3: algorithm.variant:", "use teacher: simple with 2w-p1")]
    [InlineData("algorithm:\n  teacher: simple\n  perturbation: cutmix\n  variant: 1w-p2\n", "algorithm.variant: 1w-p2", "use phtps or tps with 1w-p2")]
    [InlineData("algorithm:\n  teacher: simple\n  perturbation: cutmix\nschedule:\n  batch_unlabeled: 7\n", "schedule.batch_unlabeled: CutMix mixes images in pairs", "use an even batch size")]
    [InlineData("algorithm:\n  teacher: simple\n  variant: 1w-pt-vidlu\n", "tiny.yaml:3: algorithm.variant: 1w-pt-vidlu is the authors' code's Mean-Teacher 1w-pt", "use teacher: mt with 1w-pt-vidlu, or variant 1w-pt with the simple teacher")]
    [InlineData("algorithm:\n  p2_teacher_bn_stats: frozen\n", "tiny.yaml:2: algorithm.p2_teacher_bn_stats: 'frozen' is not a known value", "use one of: update, freeze")]
    [InlineData("data:\n  miou_classes: some\n", "tiny.yaml:2: data.miou_classes: 'some' is not a known value", "use one of: all, present")]
    [InlineData("data:\n  scale_range: [1.5, 0.5]\n", "data.scale_range", "[0.667, 1.5]")]
    [InlineData("data: fashion-scenes\n", "tiny.yaml:1: data: must be a section of fields", "indent its fields")]
    [InlineData("name: [unclosed\n", "tiny.yaml", "(syntax)")]
    [InlineData("- a\n- b\n", "tiny.yaml:1: (root)", "name: value")]
    public void BadConfigsFailWithFileLineFieldAndFix(string text, string expectedLocation, string expectedFix)
    {
        var error = Assert.Throws<ConfigException>(() => RunConfigLoader.Parse(text, "tiny.yaml"));
        Assert.Contains(expectedLocation, error.Message, StringComparison.Ordinal);
        Assert.Contains(expectedFix, error.Message, StringComparison.Ordinal);
        Assert.Contains("Fix:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFileIsAClearError()
    {
        var error = Assert.Throws<ConfigException>(() => RunConfigLoader.Load("/nonexistent/run.yaml"));
        Assert.Contains("/nonexistent/run.yaml", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonConfigsAreAccepted()
    {
        var config = RunConfigLoader.Parse("""{"name": "j", "schedule": {"steps": 7}, "algorithm": {"teacher": "simple"}}""", "run.json");
        Assert.Equal(7, config.Schedule.Steps);
        Assert.Equal(TeacherNames.Simple, config.Algorithm.Teacher);
    }

    /// <summary>The canonical form is what run and cell keys hash, so its source-generated serializer must write exactly
    /// what the reflection serializer with the documented options wrote before it (or every stored result's key changes).</summary>
    [Fact]
    public void TheCanonicalFormIsByteForByteTheReflectionSerializersOutput()
    {
        var reflection = new System.Text.Json.JsonSerializerOptions
        {
            PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
            WriteIndented = true,
            DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never,
        };
        var configs = new[]
        {
            new RunConfig(),
            RunConfigLoader.Parse(Valid),
            RunConfigLoader.Parse("name: t\nschedule: {tensorboard: false, milestones: [0.25, 0.5]}\ndata: {labeled_count: 40, scale_range: [0.6666666666666666, 1.5]}\noptimizer: {encoder_lr: 1.0E-05}\n"),
        };
        foreach (var config in configs)
        {
            string expected = System.Text.Json.JsonSerializer.Serialize(config, reflection) + "\n";
            Assert.Equal(expected, RunConfigLoader.ToCanonicalJson(config));
            Assert.Equal(expected, RunConfigLoader.ToCanonicalJson(RunConfigLoader.Clone(config)));
            Assert.Equal(expected[..^1], System.Text.Encoding.UTF8.GetString(RunConfigLoader.ToCanonicalJsonUtf8(config)));
        }
    }
}
