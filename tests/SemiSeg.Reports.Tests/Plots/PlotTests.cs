using SemiSeg.Reports.Plots;

namespace SemiSeg.Reports.Tests.Plots;

public sealed class PlotTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("semiseg-plots-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("1/8", 0.125)]
    [InlineData(" 1/1 ", 1.0)]
    [InlineData("0.25", 0.25)]
    [InlineData("1", 1.0)]
    public void LabelFractionsParse(string text, double expected) => Assert.Equal(expected, LabelFractions.Parse(text), 12);

    [Theory]
    [InlineData("")]
    [InlineData("1/0")]
    [InlineData("3/2")]
    [InlineData("a/8")]
    [InlineData("0")]
    [InlineData("1/2/3")]
    public void BadLabelFractionsAreRejected(string text)
    {
        Assert.False(LabelFractions.TryParse(text, out _));
        var error = Assert.Throws<FormatException>(() => LabelFractions.Parse(text));
        Assert.Contains($"'{text}'", error.Message);
    }

    [Fact]
    public void FractionsSortByValueNotText()
    {
        string[] sorted = new[] { "1/2", "1/1", "1/8", "1/4" }.OrderBy(LabelFractions.Parse).ToArray();
        Assert.Equal(["1/8", "1/4", "1/2", "1/1"], sorted);
    }

    [Fact]
    public void LabelFractionPlotIsAPngOfTheRequestedSizeWithTheSeriesColours()
    {
        string png = Path.Combine(_root, "sub", "fractions.png");
        var series = new List<MethodSeries>
        {
            new("supervised", [new("1/2", 60, 1.0), new("1/8", 45, 2.0), new("1/4", 52, 1.5), new("1/1", 66, 0.5)]),
            new("MT-PhTPS", [new("1/8", 55, 1.2), new("1/4", 59, null), new("1/2", 63, 0.8), new("1/1", 67, 0.4)]),
        };

        LabelFractionPlot.Write(png, series, "mIoU (%)", title: "FashionScenes", width: 640, height: 400);

        Assert.Equal((640, 400), PngFiles.Size(png));
        Assert.InRange(new FileInfo(png).Length, 5_000, 2_000_000);
        Assert.True(PngFiles.NonWhitePixels(png) > 2_000);
        // Category10's first two colours: the lines of the two methods were drawn.
        Assert.True(PngFiles.Contains(png, 0x1f, 0x77, 0xb4));
        Assert.True(PngFiles.Contains(png, 0xff, 0x7f, 0x0e));
    }

    [Fact]
    public void LabelFractionPlotRejectsBadInputClearly()
    {
        string png = Path.Combine(_root, "bad.png");
        var badFraction = Assert.Throws<ArgumentException>(() => LabelFractionPlot.Write(png, [new("m", [new("one eighth", 1, 0)])], "mIoU"));
        Assert.Contains("'one eighth'", badFraction.Message);
        Assert.Throws<ArgumentException>(() => LabelFractionPlot.Write(png, [], "mIoU"));
        Assert.False(File.Exists(png));
    }

    [Fact]
    public void MeanOverSeedsAveragesPerStepWithSampleStd()
    {
        var curve = LearningCurvePlot.MeanOverSeeds(
        [
            [(100, 10.0), (200, 20.0)],
            [(100, 14.0), (200, 22.0)],
            [(100, 12.0)], // stopped early: still counts at step 100
        ]);

        Assert.Equal([100, 200], curve.Select(p => p.Step));
        Assert.Equal(12.0, curve[0].Mean, 9);
        Assert.Equal(2.0, curve[0].Std, 9); // sample std of 10, 14, 12
        Assert.Equal(3, curve[0].Seeds);
        Assert.Equal(21.0, curve[1].Mean, 9);
        Assert.Equal(Math.Sqrt(2), curve[1].Std, 9);
        Assert.Equal(2, curve[1].Seeds);
    }

    [Fact]
    public void LearningCurvePlotIsWrittenFromMetricsFiles()
    {
        string Seed(int seed)
        {
            string path = Path.Combine(_root, $"seed{seed}.jsonl");
            File.WriteAllLines(path, Enumerable.Range(1, 5).SelectMany(i => new[]
            {
                $$$"""{"type":"train","step":{{{i * 10}}},"loss":{{{2.0 / i + seed * 0.1}}},"supervised":1.0,"consistency":0.1,"lr":0.001,"images_per_second":30.0,"elapsed_seconds":1.0}""",
                $$$"""{"type":"eval","step":{{{i * 10}}},"metric":"mIoU","value":{{{10 * i + seed}}},"pixel_accuracy":80.5,"per_class":{"background":90.0}}""",
            }));
            return path;
        }
        var series = new List<LearningCurveSeries>
        {
            new("MT-PhTPS 1/8", [MetricsHistory.Read(Seed(0)), MetricsHistory.Read(Seed(1)), MetricsHistory.Read(Seed(2))]),
        };
        string png = Path.Combine(_root, "curves.png");

        LearningCurvePlot.Write(png, series, title: "learning curves", includeTrainingLoss: true, width: 700, height: 450);

        Assert.Equal((700, 450), PngFiles.Size(png));
        Assert.True(PngFiles.NonWhitePixels(png) > 2_000);
        Assert.True(PngFiles.Contains(png, 0x1f, 0x77, 0xb4)); // the mean line
    }

    [Fact]
    public void CurvesShowProgressOnlyWithEvaluationsAtTwoOrMoreSteps()
    {
        static MetricsHistory Evaluated(params int[] steps) => new([], steps.Select(s => new EvalPoint(s, "mIoU", 10.0 + s, null)).ToList());

        // Every seed of every cell evaluated once, at the end (and two seeds at the same step): nothing to draw.
        Assert.False(LearningCurvePlot.ShowsProgress([new("a", [Evaluated(360), Evaluated(360)]), new("b", [Evaluated(360)])]));
        Assert.False(LearningCurvePlot.ShowsProgress([new("a", [Evaluated()])]));
        // One cell with two evaluation steps, even split over its seeds, is a curve.
        Assert.True(LearningCurvePlot.ShowsProgress([new("a", [Evaluated(360)]), new("b", [Evaluated(200), Evaluated(400)])]));
        Assert.True(LearningCurvePlot.ShowsProgress([new("a", [Evaluated(200, 400)])]));
    }

    [Fact]
    public void LearningCurvePlotNeedsEvaluations()
    {
        var empty = new MetricsHistory([new TrainPoint(10, 1, 1, 0, 0.001)], []);
        var error = Assert.Throws<ArgumentException>(() => LearningCurvePlot.Write(Path.Combine(_root, "none.png"), [new("cell A", [empty])]));
        Assert.Contains("cell A", error.Message);
        Assert.Contains("eval_every", error.Message);
    }
}
