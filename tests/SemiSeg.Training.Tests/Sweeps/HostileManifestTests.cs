using SemiSeg.Sweeps;
using SemiSeg.Training.Config;

namespace SemiSeg.Training.Tests.Sweeps;

/// <summary>Manifest-level bad input: every cell's run-config checks with the manifest's line, and the caps that keep a
/// runaway manifest from expanding.</summary>
public class HostileManifestTests
{
    private const string Base = "base: {name: b, schedule: {steps: 10}, data: {fashion_scenes: {image_size: 32}}}\n";

    private static ConfigException Fails(string text) => Assert.Throws<ConfigException>(() => SweepManifest.Parse(text, "m.yaml", "."));

    [Theory]
    // A label fraction that is not 1/n, and a fold that does not exist, fail in validate with the line of the value.
    [InlineData("sweep: s\naxes:\n  label_fraction:\n    - 1/8\n    - 0.3\n", "m.yaml:5: data.label_fraction: in the cell {label_fraction=0.3}: '0.3' is not 1/n", "or exclude that cell")]
    [InlineData("sweep: s\naxes:\n  data.subset_fold:\n    - 0\n    - 9\n", "m.yaml:5: data.subset_fold: in the cell {data.subset_fold=9}: 9 is out of range (allowed: 0 to 7)", "use a fold in 0..7")]
    // The line of the axis the failed check is about, not of the first axis of the cell.
    [InlineData("sweep: s\naxes:\n  teacher: [mt]\n  variant:\n    - 2w-p1\n", "m.yaml:5: algorithm.variant: in the cell {teacher=mt, variant=2w-p1}", "use teacher: simple with 2w-p1")]
    [InlineData("sweep: s\naxes:\n  model: [wrn-28-2]\n", "m.yaml:3: model.architecture: in the cell {model=wrn-28-2}: wrn-28-2 is a classification model", "swiftnet-rn18")]
    [InlineData("sweep: s\naxes:\n  data.crop_size: [64, 100000]\n", "m.yaml:3: data.crop_size: in the cell {data.crop_size=100000}: 100000 is out of range (allowed: 1 to 4096)", "exclude that cell")]
    [InlineData("sweep: s\naxes:\n  alpha: [0.5, 1e999]\n", "m.yaml:3: algorithm.alpha: '1e999' is not a finite number", "between -1e308 and 1e308")]
    // The inline base is checked with its own lines.
    [InlineData("sweep: s\nbase:\n  name: b\n  data:\n    label_fraction: 0.3\n", "m.yaml:5: data.label_fraction: '0.3' is not 1/n", "use 1/n")]
    [InlineData("sweep: s\nbase: [a, b]\n", "m.yaml:2: base: must be the path of a run config or an inline mapping of its fields", "base: {schedule: {steps: 100}}")]
    [InlineData("sweep: s\nbase: ''\n", "m.yaml:2: base: must be the path of a run config or an inline mapping", "inline mapping")]
    [InlineData("sweep: s\naxes:\n  algorithm.alpha: [1]\n  algorithm.alpha.x: [2]\n", "m.yaml:4: algorithm.alpha.x: 'algorithm.alpha.x' sets a field inside another axis's value", "one axis only")]
    [InlineData("sweep: s\nseeds: 10000000\n", "m.yaml:2: seeds: 10000000 seeds is more than the limit: at most 10,000 seeds", "seeds: 5")]
    [InlineData("sweep: s\nseeds: 0\n", "m.yaml:2: seeds: must be a positive count or a list of whole numbers", "seeds: 5")]
    [InlineData("sweep: s\nseeds: [1, 1e999]\n", "m.yaml:2: seeds: every seed must be a whole number", "seeds: [53, 54, 55]")]
    [InlineData("sweep: [a]\n", "m.yaml:1: sweep: must be a single value", "sweep: value")]
    public void CellChecksAndCapsNameTheManifestLine(string text, string expected, string fix)
    {
        // The base goes last, so the lines in the expectations are the text's own.
        var error = Fails(text.Contains("base:", StringComparison.Ordinal) ? text : text + Base);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(fix, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TooManyCombinationsAreRefusedBeforeExpanding()
    {
        string values = string.Join(", ", Enumerable.Range(1, 1001).Select(i => $"0.{i:D4}"));
        var error = Fails(Base + $"sweep: s\naxes:\n  alpha: [{values}]\n  s_g: [{values}]\n");
        Assert.Equal("m.yaml:4: axes: the axes make 1,002,001 combinations (1001 x 1001), more than the limit of 1,000,000. Fix: split the sweep into several manifests, or use fewer axis values", error.Message);
    }

    [Fact]
    public void TooManyRunsAreRefused()
    {
        string values = string.Join(", ", Enumerable.Range(1, 200).Select(i => $"0.{i:D3}"));
        var error = Fails(Base + $"sweep: s\nseeds: 10000\naxes:\n  alpha: [{values}]\n");
        Assert.StartsWith("m.yaml:3: seeds: 200 cells x 10,000 seeds make 2,000,000 runs, more than the limit of 1,000,000", error.Message, StringComparison.Ordinal);

        string listed = string.Join(", ", Enumerable.Range(0, 10_001));
        Assert.StartsWith("m.yaml:3: seeds: 10,001 seeds are listed: at most 10,000 seeds", Fails(Base + $"sweep: s\nseeds: [{listed}]\n").Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Expansion is linear and cheap per cell (a deep copy, a fill, the checks and one canonical serialization for the
    /// key): measured as bytes allocated per cell, which unlike time does not depend on the machine's load. It was
    /// over 60 s and 1.4 GB for 100,000 cells when every cell went through two YAML round trips.
    /// </summary>
    [Fact]
    public void ExpansionAllocatesLittlePerCell()
    {
        string alphas = string.Join(", ", Enumerable.Range(1, 100).Select(i => $"0.{i:D3}"));
        string strengths = string.Join(", ", Enumerable.Range(1, 100).Select(i => $"0.{i:D3}"));
        string text = Base + $"sweep: s\naxes:\n  alpha: [{alphas}]\n  s_g: [{strengths}]\n";
        SweepManifest.Parse(Base + "sweep: warm\naxes: {alpha: [0.1, 0.2]}\n", "m.yaml", ".");

        long before = GC.GetAllocatedBytesForCurrentThread();
        var sweep = SweepManifest.Parse(text, "m.yaml", ".");
        long perCell = (GC.GetAllocatedBytesForCurrentThread() - before) / sweep.Cells.Count;

        Assert.Equal(10_000, sweep.Cells.Count);
        Assert.True(perCell < 40_000, $"{perCell} bytes allocated per cell");
    }
}
