using System.Text;
using SemiSeg.Reports;
using static SemiSeg.Reports.Tests.Fixtures;

namespace SemiSeg.Reports.Tests;

/// <summary>
/// The four outputs of the golden fixture (<see cref="Fixtures.GoldenRuns"/>) against tests/SemiSeg.Reports.Tests/Golden/,
/// byte for byte. After an intended change of the output, rewrite them with
/// <c>SEMISEG_UPDATE_GOLDEN=1 dotnet test tests/SemiSeg.Reports.Tests -c Release</c> and review the diff before committing.
/// </summary>
public class GoldenFileTests
{
    private static ResultTable GoldenTable() => ResultTable.Build(CellSummaries.From(GoldenRuns()), GoldenLayout);

    private static string Render(ResultTable table, string file) => Path.GetExtension(file) switch
    {
        ".md" => table.ToMarkdown(),
        ".tex" => table.ToLatex(),
        ".csv" => table.ToCsv(),
        ".json" => table.ToJson(),
        _ => throw new ArgumentException($"no renderer for {file}", nameof(file)),
    };

    [Theory]
    [InlineData("table.md")]
    [InlineData("table.tex")]
    [InlineData("table.csv")]
    [InlineData("table.json")]
    public void OutputIsTheGoldenFile(string file)
    {
        string path = Path.Combine(RepositoryRoot(), "tests", "SemiSeg.Reports.Tests", "Golden", file);
        byte[] actual = Encoding.UTF8.GetBytes(Render(GoldenTable(), file));
        if (Environment.GetEnvironmentVariable("SEMISEG_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllBytes(path, actual);
        }

        Assert.True(File.Exists(path), $"{path} is missing; create it with SEMISEG_UPDATE_GOLDEN=1");
        byte[] expected = File.ReadAllBytes(path);
        // Strings first for a readable difference, then bytes (a byte-order mark or \r\n would differ only there).
        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(actual));
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void TheGoldenTableHasEveryKindOfCell()
    {
        var table = GoldenTable();

        // Rows: none, simple/phtps, mt/phtps, mt/cutmix*, mt/tps; columns 1/8, 1/4.
        Assert.Equal(0, table.BaselineRow);
        Assert.Equal((TestKind.Paired, Verdict.Better), (table.ComparisonAt(1, 0)!.Test, table.ComparisonAt(1, 0)!.Verdict));
        Assert.Equal((TestKind.Paired, Verdict.NotSignificant), (table.ComparisonAt(1, 1)!.Test, table.ComparisonAt(1, 1)!.Verdict));
        Assert.Equal(TestKind.Welch, table.ComparisonAt(2, 0)!.Test);
        Assert.False(table[2, 0]!.IsComplete);
        Assert.Equal(Verdict.Worse, table.ComparisonAt(3, 0)!.Verdict);
        Assert.Equal(TestKind.None, table.ComparisonAt(4, 0)!.Test);
        Assert.True(table.IsBest(1, 0)); // mt/phtps has the highest 1/8 mean but is incomplete
        Assert.True(table.IsBest(2, 1));
    }

    [Fact]
    public void RegeneratingGivesTheSameBytesWhateverTheLabelOrder()
    {
        var first = GoldenTable();
        // The same runs with every label dictionary filled in reverse order.
        var reversed = GoldenRuns().Select(run => run with { Labels = run.Labels.Reverse().ToDictionary(l => l.Key, l => l.Value) }).ToList();
        var layout = GoldenLayout with { Baseline = GoldenLayout.Baseline!.Reverse().ToDictionary(b => b.Key, b => b.Value) };
        var second = ResultTable.Build(CellSummaries.From(reversed), layout);

        foreach (string file in new[] { "table.md", "table.tex", "table.csv", "table.json" })
        {
            string text = Render(first, file);
            Assert.Equal(text, Render(second, file));
            Assert.Equal(text, Render(GoldenTable(), file));
            Assert.DoesNotContain('\r', text);
            Assert.EndsWith("\n", text, StringComparison.Ordinal);
        }
    }
}
