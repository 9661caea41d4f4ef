using SemiSeg.Sweeps;
using SemiSeg.Training.Config;

namespace SemiSeg.Training.Tests.Config;

/// <summary>
/// Each class of hostile input found by the bad-input corpus (issue 14) gets one clear <see cref="ConfigException"/>
/// with the line and field, in run configs and in manifests alike; nothing escapes as a parser or runtime exception.
/// </summary>
public class HostileConfigTests
{
    /// <summary>YAML that the node model used to crash on or misreport: (text, expected "FILE:LINE: FIELD: problem" start, fix).</summary>
    public static TheoryData<string, string, string> YamlClasses() => new()
    {
        { "name: [unclosed\n", "x.yaml:2: (syntax): not valid YAML or JSON", "brackets" },
        { "? [a, b]\n: c\n", "x.yaml:1: (root): a key is a list, a section or an alias", "plain names" },
        { "algorithm:\n  ? {a: 1}\n  : c\n", "x.yaml:2: algorithm: a key is a list, a section or an alias", "plain names" },
        { "name: &x [*x]\n", "x.yaml:1: name[0]: the alias *x refers to the section or list it is in (a cycle)", "write the value out" },
        { "name: *nowhere\n", "x.yaml:1: name: the alias *nowhere refers to no anchor &nowhere defined above it", "define the anchor" },
        { "name: " + new string('[', 5000) + new string(']', 5000) + "\n", "x.yaml:1: name[0][0]", "nested more than 64 levels deep" },
        { "name: " + string.Concat(Enumerable.Repeat("{a: ", 3000)) + "1" + new string('}', 3000) + "\n", "x.yaml:1: name.a.a.a", "nested more than 64 levels deep" },
        { "name:\n" + string.Concat(Enumerable.Range(0, 100).Select(i => new string(' ', i) + "-\n")), "x.yaml:65: name[0][0]", "nested more than 64 levels deep" },
        { "name: x\nschedule:\n  steps: 3\n\tbatch_labeled: 4\n", "x.yaml:4: (indentation): the line is indented with a tab", "replace the tab with spaces" },
        { "name: x\nschedule:\n\tsteps: 3\n", "x.yaml:3: (indentation): the line is indented with a tab", "replace the tab with spaces" },
        { "name: a\nseed: 1\nname: b\n", "x.yaml:3: name: given twice in the same section (first on line 1)", "remove one of them" },
        { "schedule:\n  steps: 1\n  steps: 2\n", "x.yaml:3: schedule.steps: given twice in the same section (first on line 2)", "remove one of them" },
        { "", "x.yaml:1: (root): the file is empty", "name: value" },
        { "# only a comment\n", "x.yaml:1: (root): the file is empty", "name: value" },
        { "hello\n", "x.yaml:1: (root): the file is a single value, not a mapping of fields", "name: value" },
        { "- a\n- b\n", "x.yaml:1: (root): the file is a list, not a mapping of fields", "name: value" },
        { "name: a\n---\nname: b\n", "x.yaml:2: (document): the file holds more than one YAML document", "one document per file" },
        { "name: \"\\ud800\"\n", "x.yaml:1: (syntax): not valid YAML or JSON", "quoting" },
    };

    [Theory]
    [MemberData(nameof(YamlClasses))]
    public void RunConfigsRefuseHostileYamlWithLineFieldAndFix(string text, string expected, string fix)
    {
        var error = Assert.Throws<ConfigException>(() => RunConfigLoader.Parse(text, "x.yaml"));
        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(fix, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(YamlClasses))]
    public void ManifestsRefuseHostileYamlWithLineFieldAndFix(string text, string expected, string fix)
    {
        // The same text as a manifest: the syntax checks come before any manifest field is read.
        var error = Assert.Throws<ConfigException>(() => SweepManifest.Parse(text, "x.yaml", "."));
        if (error.Field is "name" or "(root)" && !expected.Contains("(root)", StringComparison.Ordinal) && error.Problem == "unknown field")
        {
            return; // a manifest has no 'name' field; syntax-clean texts reach the field check first
        }
        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(fix, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnchorsThatReferBackToAFinishedValueAreAllowed()
    {
        var config = RunConfigLoader.Parse("optimizer: {betas: &b [0.9, 0.99]}\ndata: {scale_range: [1, 1]}\nname: &n tiny\n", "x.yaml");
        Assert.Equal("tiny", config.Name);
        Assert.Equal([0.9, 0.99], config.Optimizer.Betas);
    }

    [Fact]
    public void NonUtf8BytesAreRefusedWithTheirLine()
    {
        string path = Path.Combine(Path.GetTempPath(), $"semiseg-hostile-{Guid.NewGuid():N}.yaml");
        File.WriteAllBytes(path, [.. "name: ok\nseed: 1\n"u8, .. "name2: "u8, 0xC3, 0x28, (byte)'\n']);
        try
        {
            var error = Assert.Throws<ConfigException>(() => RunConfigLoader.Load(path));
            Assert.Equal($"{path}:3: (encoding): byte 0xc3 at offset 24 is not valid UTF-8 text. Fix: save the file as UTF-8 (names and values must be UTF-8 text)", error.Message);

            File.WriteAllBytes(path, [0xFF, 0xFE, (byte)'n', 0]);
            Assert.Contains("the file is UTF-16 text. Fix: save it as UTF-8", Assert.Throws<ConfigException>(() => SweepManifest.Load(path)).Message, StringComparison.Ordinal);

            // A UTF-8 byte-order mark is fine.
            File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. "name: bom\n"u8]);
            Assert.Equal("bom", RunConfigLoader.Load(path).Name);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AFolderOrAMissingFileIsNamed()
    {
        string folder = Directory.CreateTempSubdirectory("semiseg-hostile-").FullName;
        try
        {
            Assert.Equal($"{folder}: (file): is a folder, not a run config file. Fix: check the path passed to --config",
                Assert.Throws<ConfigException>(() => RunConfigLoader.Load(folder)).Message);
            Assert.Contains("the manifest does not exist", Assert.Throws<ConfigException>(() => SweepManifest.Load(Path.Combine(folder, "none.yaml"))).Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder);
        }
    }

    /// <summary>Numbers that overflow or are not numbers, reported with the field and, for ranges, the allowed range.</summary>
    [Theory]
    [InlineData("schedule:\n  steps: 1e999\n", "x.yaml:2: schedule.steps: 1e999 is out of range (whole numbers here go from -2147483648 to 2147483647)")]
    [InlineData("schedule:\n  steps: 99999999999999999999\n", "x.yaml:2: schedule.steps: 99999999999999999999 is out of range")]
    [InlineData("schedule:\n  steps: 2.5\n", "x.yaml:2: schedule.steps: '2.5' is not a whole number")]
    [InlineData("schedule:\n  steps: \"300\"x\n", "x.yaml:2: (syntax)")]
    [InlineData("algorithm:\n  alpha: 1e999\n", "x.yaml:2: algorithm.alpha: '1e999' is not a finite number")]
    [InlineData("algorithm:\n  alpha: -1e999\n", "x.yaml:2: algorithm.alpha: '-1e999' is not a finite number")]
    [InlineData("algorithm:\n  alpha: NaN\n", "x.yaml:2: algorithm.alpha: 'NaN' is not a finite number")]
    [InlineData("algorithm:\n  alpha: Infinity\n", "x.yaml:2: algorithm.alpha: 'Infinity' is not a finite number")]
    [InlineData("algorithm:\n  alpha: .inf\n", "x.yaml:2: algorithm.alpha: '.inf' is not a number")]
    [InlineData("optimizer:\n  betas: [0.9, .nan]\n", "x.yaml:2: optimizer.betas[1]: '.nan' is not a number")]
    [InlineData("data:\n  fashion_scenes:\n    image_size: 2000000000\n", "x.yaml:3: data.fashion_scenes.image_size: 2000000000 is out of range (allowed: 16 to 2048)")]
    [InlineData("data:\n  crop_size: 100000\n", "x.yaml:2: data.crop_size: 100000 is out of range (allowed: 1 to 4096)")]
    [InlineData("schedule:\n  steps: 2147483647\n", "x.yaml:2: schedule.steps: 2147483647 is out of range (allowed: 1 to 100000000)")]
    [InlineData("schedule:\n  batch_labeled: 1000000\n", "x.yaml:2: schedule.batch_labeled: 1000000 is out of range (allowed: 1 to 4096)")]
    [InlineData("data:\n  crop_size: 4096\nschedule:\n  batch_labeled: 4096\n", "x.yaml:4: schedule.batch_labeled: a training step would hold 68,853,694,464 pixels")]
    [InlineData("data:\n  fashion_scenes: {image_size: 2048}\nschedule:\n  eval_batch: 4096\n", "x.yaml:4: schedule.eval_batch: an evaluation batch would hold 17,179,869,184 pixels")]
    [InlineData("data:\n  fashion_scenes: {train_scenes: 20000000}\n", "x.yaml:2: data.fashion_scenes.train_scenes: 20000000 is out of range (allowed: 1 to 10000000)")]
    [InlineData("data:\n  scale_range: [1e-300, 1e300]\n", "x.yaml:2: data.scale_range: must be two numbers [min, max] with 0.05 <= min <= max <= 8")]
    [InlineData("seed: 3000000000\n", "x.yaml:1: seed: 3000000000 is out of range")]
    [InlineData("optimizer:\n  momentum: 1.5\n", "x.yaml:2: optimizer.momentum: must be in [0, 1), got 1.5")]
    public void NumbersOutOfRangeNameTheFieldAndTheRange(string text, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => RunConfigLoader.Parse(text, "x.yaml"));
        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(". Fix: ", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Checks that need no data, once made only when training started, now made by every load and validate.</summary>
    [Theory]
    [InlineData("data:\n  label_fraction: 0.3\n", "x.yaml:2: data.label_fraction: '0.3' is not 1/n for a whole n", "use 1/n (1/8, 1/4, 1/2, 1)")]
    [InlineData("data:\n  label_fraction: 1e-300\n", "x.yaml:2: data.label_fraction: '1e-300' is not 1/n for a whole n up to 1000000", "use 1/n")]
    [InlineData("data:\n  label_fraction: 1/8\n  subset_fold: 8\n", "x.yaml:3: data.subset_fold: 8 is out of range (allowed: 0 to 7)", "splits the data into 8 folds: use a fold in 0..7")]
    [InlineData("data:\n  subset_fold: -1\n", "x.yaml:2: data.subset_fold: -1 is out of range (allowed: 0 to 7)", "use a fold in 0..7")]
    [InlineData("data:\n  dataset: cifar10\n  labeled_count: 5\nmodel: {architecture: wrn-28-2}\noptimizer: {name: sgd}\n", "x.yaml:3: data.labeled_count: 5 labels cannot cover the 10 classes of cifar10", "at least 10")]
    [InlineData("data:\n  label_fraction: 1/8\n  fashion_scenes: {train_scenes: 4}\n", "x.yaml:3: data.fashion_scenes.train_scenes: 4 scenes cannot be split into the 8 folds", "at least 8 train_scenes")]
    [InlineData("data:\n  labeled_count: 100\n  subset_fold: 3\n  fashion_scenes: {train_scenes: 300}\n", "x.yaml:2: data.labeled_count: fold 3 of 100 labeled scenes needs 400 scenes but train_scenes is 300", "more train_scenes")]
    [InlineData("model:\n  architecture: wrn-28-2\n", "x.yaml:2: model.architecture: wrn-28-2 is a classification model", "swiftnet-rn18")]
    [InlineData("name: ../../etc\n", "x.yaml:1: name: '../../etc' contains a slash", "short name")]
    [InlineData("name: a..b\n", "x.yaml:1: name: 'a..b' contains '..'", "short name")]
    [InlineData("name: \"\"\n", "x.yaml:1: name: must not be empty", "short name")]
    [InlineData("name: \"a\\tb\"\n", "x.yaml:1: name: contains a control character", "short name")]
    public void ChecksThatNeedNoDataFailAtLoad(string text, string expected, string fix)
    {
        var error = Assert.Throws<ConfigException>(() => RunConfigLoader.Parse(text, "x.yaml"));
        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(fix, error.Message, StringComparison.Ordinal);
    }
}
