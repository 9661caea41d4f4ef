using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using SemiSeg.Cli.Commands;
using SemiSeg.Client;
using SemiSeg.Contracts;
using SemiSeg.Sweeps;

namespace SemiSeg.Training.Tests.Cli;

/// <summary>The report settings on their way from the manifest through the cluster's records to the report files.</summary>
public class SweepReportsTests
{
    private static readonly ReportLayout Layout = new(["teacher"], ["label_fraction"], "loss",
        new Dictionary<string, string> { ["teacher"] = "none" }, HigherIsBetter: false);

    [Fact]
    public void ReportSettingsSurviveTheReportSpec()
    {
        var spec = SweepSpecs.ToReportSpec(Layout);
        var back = SweepSpecs.ToReportLayout(spec);

        Assert.True(spec.LowerIsBetter);
        Assert.Equal(Layout.Baseline, back.Baseline);
        Assert.False(back.HigherIsBetter);
        Assert.Equal(["teacher"], back.Rows);
        Assert.Equal("loss", back.Metric);
    }

    [Fact]
    public void ASpecSavedBeforeBaselinesReadsAsNoBaselineAndHigherIsBetter()
    {
        // spec.json as written before Baseline and LowerIsBetter existed.
        var spec = JsonSerializer.Deserialize<ReportSpec>("""{"Rows":["teacher"],"Columns":["label_fraction"],"Metric":"value"}""")!;

        Assert.Null(spec.Baseline);
        Assert.False(spec.LowerIsBetter);
        Assert.True(SweepSpecs.ToReportLayout(spec).HigherIsBetter);
    }

    [Fact]
    public void TheOrleansSerializerCarriesTheNewFields()
    {
        var serializer = new ServiceCollection().AddSerializer(builder => builder.AddAssembly(typeof(ReportSpec).Assembly))
            .BuildServiceProvider().GetRequiredService<Serializer>();
        var spec = SweepSpecs.ToReportSpec(Layout);

        var copy = serializer.Deserialize<ReportSpec>(serializer.SerializeToArray(spec))!;

        Assert.Equal(spec.Baseline, copy.Baseline);
        Assert.True(copy.LowerIsBetter);
    }

    [Fact]
    public void WritesTheFourTablesAndTheResults()
    {
        string folder = Path.Combine(Path.GetTempPath(), "semiseg-report-" + Guid.NewGuid().ToString("N"));
        try
        {
            var labels = new Dictionary<string, string> { ["teacher"] = "none", ["label_fraction"] = "1/8" };
            var mt = new Dictionary<string, string> { ["teacher"] = "mt", ["label_fraction"] = "1/8" };
            RunRow Row(string key, string cell, int seed, Dictionary<string, string> l, double value) =>
                new(key, cell, seed, l, RunState.Succeeded, value, 1.0, null, 1);
            var results = new SweepResults("s", SweepState.Completed, SweepSpecs.ToReportSpec(Layout with { HigherIsBetter = true }),
            [
                Row("a0", "a", 0, labels, 17.2), Row("a1", "a", 1, labels, 18.9), Row("a2", "a", 2, labels, 18.1),
                Row("b0", "b", 0, mt, 19.1), Row("b1", "b", 1, mt, 20.3), Row("b2", "b", 2, mt, 21.0),
            ]);

            string markdown = SweepReports.Write(results, folder);

            Assert.Equal(["results.json", "table.csv", "table.json", "table.md", "table.tex"],
                Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            Assert.Equal(markdown, File.ReadAllText(Path.Combine(folder, "table.md")));
            Assert.Contains("baseline row (teacher: none)", markdown);
            Assert.Contains("\\toprule", File.ReadAllText(Path.Combine(folder, "table.tex")));
            Assert.Contains(",paired,", File.ReadAllText(Path.Combine(folder, "table.csv")));
            // No byte-order mark: the files compare byte for byte with a regenerated copy.
            Assert.Equal((byte)'|', File.ReadAllBytes(Path.Combine(folder, "table.md"))[0]);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
