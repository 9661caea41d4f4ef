using SemiSeg.Sweeps;
using SemiSeg.Training.Config;

namespace SemiSeg.Training.Tests.Sweeps;

public class SweepManifestTests
{
    private const string Base = "base: {name: b, schedule: {steps: 10}, data: {fashion_scenes: {image_size: 32}}}\n";

    private static SweepManifest Parse(string text) => SweepManifest.Parse(text, "m.yaml", ".");

    private static string Identity(DataConfig data) => "data-v1";

    [Fact]
    public void ProductOfAxesWithExclusionsAndSeeds()
    {
        var sweep = Parse(Base + """
            sweep: s
            seeds: [53, 54, 55]
            axes:
              teacher: [simple, mt]
              perturbation: [phtps, cutmix, tps]
              label_fraction: [1/8, 1/4]
            exclude:
              - {teacher: mt, perturbation: tps}
            """);
        Assert.Equal(2 * 3 * 2 - 2, sweep.Cells.Count);
        Assert.DoesNotContain(sweep.Cells, c => c.Config.Algorithm.Teacher == "mt" && c.Config.Algorithm.Perturbation == "tps");
        var runs = sweep.Runs("code-1", Identity);
        Assert.Equal(sweep.Cells.Count * 3, runs.Count);
        Assert.Equal([53, 54, 55], runs.Take(3).Select(r => r.Seed));
        Assert.Equal(runs.Count, runs.Select(r => r.Key).Distinct().Count());
        Assert.All(runs, r => Assert.Equal(r.Seed, r.Config.Seed));
        // Cells in the order written: the first axis varies slowest.
        Assert.Equal(("simple", "phtps", "1/8"), (sweep.Cells[0].Labels["teacher"], sweep.Cells[0].Labels["perturbation"], sweep.Cells[0].Labels["label_fraction"]));
        Assert.Equal("1/4", sweep.Cells[1].Labels["label_fraction"]);
    }

    [Fact]
    public void SupervisedCellsCollapseAcrossPerturbations()
    {
        var sweep = Parse(Base + """
            sweep: s
            axes:
              teacher: [none, simple]
              perturbation: [phtps, cutmix]
            """);
        Assert.Equal(3, sweep.Cells.Count); // none (once), simple-phtps, simple-cutmix
        Assert.Single(sweep.Cells, c => c.Config.Algorithm.Teacher == "none");
    }

    [Fact]
    public void ExplicitConfigurationsTimesAxes()
    {
        var sweep = Parse(Base + """
            sweep: s
            seeds: 2
            configurations:
              - {teacher: none}
              - {teacher: mt, perturbation: cutmix*, algorithm.alpha: 1}
            axes:
              label_fraction: [1/8, 1/2]
            """);
        Assert.Equal(4, sweep.Cells.Count);
        Assert.Equal(1.0, sweep.Cells.Single(c => c.Config.Algorithm.Perturbation == "cutmix*" && c.Config.Data.LabelFraction == "1/2").Config.Algorithm.Alpha);
        Assert.Equal([0, 1], sweep.Seeds);
    }

    [Fact]
    public void KeysAreStableUnderFormattingAndChangeWithAnyField()
    {
        string a = Base + "sweep: s\naxes:\n  teacher: [mt]\n  alpha: [0.5]\n";
        string b = "axes: {alpha: [0.50], teacher: [mt]}\nsweep: s\nbase:\n  schedule: {steps: 10}\n  data: {fashion_scenes: {image_size: 32}}\n  name: b\n";
        string c = Base + "sweep: s\naxes:\n  teacher: [mt]\n  alpha: [0.75]\n";
        string Key(string text) => Parse(text).Runs("code-1", Identity).Single().Key;
        Assert.Equal(Key(a), Key(b));
        Assert.NotEqual(Key(a), Key(c));
        Assert.NotEqual(Key(a), Parse(a).Runs("code-2", Identity).Single().Key);
        Assert.NotEqual(Key(a), Parse(a).Runs("code-1", _ => "data-v2").Single().Key);
        Assert.Equal(Parse(a).Cells.Single().Key, Parse(b).Cells.Single().Key);
    }

    [Fact]
    public void TheWeightsHashIsPartOfTheRunKey()
    {
        string directory = Directory.CreateTempSubdirectory("semiseg-weights-").FullName;
        try
        {
            string weights = Path.Combine(directory, "encoder.safetensors");
            string Manifest(string pretrained) =>
                $"base: {{schedule: {{steps: 10}}, model: {{pretrained_encoder: '{pretrained}'}}}}\nsweep: s\naxes: {{teacher: [mt]}}\n";
            SweepRun Run(string text) => Parse(text).Runs("code-1", Identity).Single();

            File.WriteAllText(weights, "first weights");
            var first = Run(Manifest(weights));
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("first weights"u8.ToArray())), first.Config.Model.PretrainedEncoderSha256);
            File.WriteAllText(weights, "other weights");
            File.SetLastWriteTimeUtc(weights, DateTime.UtcNow.AddMinutes(1));
            Assert.NotEqual(first.Key, Run(Manifest(weights)).Key);

            var named = Run(Manifest("imagenet-resnet18"));
            Assert.Equal(Training.Models.ImageNetResNet18Onnx.Sha256, named.Config.Model.PretrainedEncoderSha256);

            var error = Assert.Throws<ConfigException>(() => Parse(Manifest(Path.Combine(directory, "absent.pth"))));
            Assert.Contains("in the cell {teacher=mt}: the file", error.Message, StringComparison.Ordinal);
            Assert.Contains("set model.pretrained_encoder_sha256", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("sweep: s\nbogus: 1\n", "m.yaml:2: bogus: unknown field", "use one of: sweep")]
    [InlineData("axes: {teacher: [mt]}\n", "m.yaml:1: sweep: is required", "sweep: quickstart")]
    [InlineData("sweep: s\naxes:\n  teacher: mt\n", "m.yaml:3: axes.teacher: must be a non-empty list", "teacher: [a, b]")]
    [InlineData("sweep: s\naxes:\n  colour: [red]\n", "axes.colour: 'colour' is neither a short axis name", "algorithm.alpha")]
    [InlineData("sweep: s\naxes:\n  varaint: [1w-ps]\n", "axes.varaint:", "did you mean 'variant'?")]
    [InlineData("sweep: s\naxes:\n  algorithm.alpah: [1]\n", "algorithm.alpah: unknown field", "did you mean 'alpha'?")]
    [InlineData("sweep: s\naxes:\n  teacher: [mt]\n  variant: [2w-p1]\n", "in the cell {teacher=mt, variant=2w-p1}", "or exclude that cell")]
    [InlineData("sweep: s\nseeds: [1, 1]\n", "m.yaml:2: seeds: a seed is listed twice", "list each seed once")]
    [InlineData("sweep: s\nbase: missing.yaml\n", "m.yaml:2: base: run config 'missing.yaml' not found", "relative to the manifest")]
    [InlineData("sweep: s\naxes: {teacher: [mt]}\nexclude:\n  - {teacher: mt}\n", "every cell is excluded", "narrow an exclusion")]
    [InlineData("sweep: s\naxes: {teacher: [mt]}\nreport: {rows: [model]}\n", "'model' is not an axis of this sweep", "teacher")]
    [InlineData("sweep: s\naxes: {teacher: [mt]}\nreport: teacher\n", "m.yaml:3: report: must be a section", "rows: [teacher]")]
    [InlineData("sweep: s\naxes: {teacher: [none, mt], label_fraction: [1/8]}\nreport: {rows: [teacher], columns: [label_fraction], baseline: {label_fraction: 1/8}}\n",
        "m.yaml:3: report.baseline.label_fraction: 'label_fraction' is not a row axis of the report", "name row axes only (rows: teacher)")]
    [InlineData("sweep: s\naxes: {teacher: [none, mt]}\nreport: {rows: [teacher], baseline: {teacher: nonee}}\n",
        "m.yaml:3: report.baseline: {teacher: nonee} matches no row of the table", "use values the cells have (teacher: none, mt)")]
    [InlineData("sweep: s\naxes: {teacher: [simple], perturbation: [phtps, cutmix]}\nreport: {rows: [teacher, perturbation], baseline: {teacher: simple}}\n",
        "m.yaml:3: report.baseline: {teacher: simple} matches 2 rows (simple / phtps; simple / cutmix)", "add a value for 'perturbation' so that it names one row")]
    [InlineData("sweep: s\naxes: {teacher: [none, mt]}\nreport:\n  rows: [teacher]\n  baseline: none\n",
        "m.yaml:5: report.baseline: must be a mapping of row axis to value", "write e.g. baseline: {teacher: VALUE}")]
    [InlineData("sweep: s\naxes: {teacher: [none, mt]}\nreport: {rows: [teacher], baseline: {teacher: [none]}}\n",
        "m.yaml:3: report.baseline.teacher: must be a single value", "write e.g. teacher: none")]
    [InlineData("sweep: s\naxes: {teacher: [none, mt]}\nreport: {rows: [teacher], higher_is_better: maybe}\n",
        "m.yaml:3: report.higher_is_better: 'maybe' is not true or false", "write true or false")]
    public void BadManifestsFailWithLineFieldAndFix(string text, string expected, string fix)
    {
        var error = Assert.Throws<ConfigException>(() => Parse(text));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(fix, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../../etc", "'../../etc' must start with a lowercase letter or a digit", "'sweep: etc'")]
    [InlineData("/tmp/x", "'/tmp/x' must start with a lowercase letter or a digit", "'sweep: tmp-x'")]
    [InlineData("runs/a", "'runs/a' may hold only lowercase letters, digits, '.', '_' and '-'", "'sweep: runs-a'")]
    [InlineData("''", "'' is empty", "'sweep: my-sweep'")]
    [InlineData("My-Sweep", "'My-Sweep' must start with a lowercase letter or a digit", "'sweep: my-sweep'")]
    [InlineData("swéep", "'sw\\u00e9ep' may hold only lowercase letters, digits, '.', '_' and '-'", "'sweep: sw-ep'")]
    [InlineData("a2345678901234567890123456789012345678901234567890123456789012345", "is 65 characters long (at most 64)", "'sweep: a234567890123456789012345678901234567890123456789012345678901234'")]
    public void SweepIdsThatAreNotSafeNamesFailOnTheirLine(string id, string problem, string fix)
    {
        var error = Assert.Throws<ConfigException>(() => Parse(Base + $"seeds: 1\nsweep: {id}\n"));
        Assert.StartsWith($"m.yaml:3: sweep: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Contains($"Fix: use {SemiSeg.Security.SafeNames.SweepIdRule}, e.g. {fix}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportBaselineAndDirection()
    {
        var sweep = Parse(Base + """
            sweep: s
            axes:
              teacher: [none, simple]
              perturbation: [phtps, cutmix]
            report:
              rows: [teacher, perturbation]
              metric: loss
              baseline: {teacher: none}
              higher_is_better: false
            """);

        // The supervised cell has no perturbation label: naming the teacher alone picks out its row.
        Assert.Equal(new Dictionary<string, string> { ["teacher"] = "none" }, sweep.Report.Baseline);
        Assert.False(sweep.Report.HigherIsBetter);
        Assert.Equal("loss", sweep.Report.Metric);
    }

    [Fact]
    public void WithoutBaselineAReportHasNoneAndHigherIsBetter()
    {
        var sweep = Parse(Base + "sweep: s\naxes: {teacher: [none, mt]}\nreport: {rows: [teacher]}\n");

        Assert.Null(sweep.Report.Baseline);
        Assert.True(sweep.Report.HigherIsBetter);
    }

    [Fact]
    public void TheQuickstartManifestExpands()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "sweeps", "quickstart.yaml");
        var sweep = SweepManifest.Load(path);
        Assert.Equal(2, sweep.Cells.Count);
        Assert.Equal(10, sweep.Runs("code", Identity).Count);
        Assert.Equal([0, 1, 2, 3, 4], sweep.Seeds);
        Assert.Equal(["teacher", "perturbation"], sweep.Report.Rows);
        Assert.Equal("none", sweep.Report.Baseline!["teacher"]);
        // The paper's regime (issue 15): every cell fine-tunes the ImageNet encoder at the paper's rates; the
        // consistency row is simple-Ph, the hypothesis in the manifest's comment.
        Assert.All(sweep.Cells, cell =>
        {
            Assert.Equal(PretrainedEncoderNames.ImageNetResNet18, cell.Config.Model.PretrainedEncoder);
            Assert.Equal((1e-4, 4e-4), (cell.Config.Optimizer.EncoderLr, cell.Config.Optimizer.DecoderLr));
            Assert.Equal("1/512", cell.Config.Data.LabelFraction);
            Assert.Equal(TpsPlacementNames.VidluCode, cell.Config.Algorithm.TpsControlPoints);
        });
        Assert.Equal(("none", "simple", "ph"), (sweep.Cells[0].Config.Algorithm.Teacher, sweep.Cells[1].Config.Algorithm.Teacher, sweep.Cells[1].Config.Algorithm.Perturbation));
    }
}
