using System.Globalization;
using SemiSeg.Reports;
using SemiSeg.Sweeps;
using static SemiSeg.Reports.Tests.Fixtures;

namespace SemiSeg.Reports.Tests;

public class ResultTableTests
{
    private static ResultTable Table(IEnumerable<RunRecord> runs, ReportLayout? layout = null) =>
        ResultTable.Build(CellSummaries.From(runs), layout ?? Quickstart);

    [Fact]
    public void QuickstartMarkdownIsExactlyTheGolden()
    {
        const string golden =
            "| teacher / perturbation \\ label_fraction | 1/8 | 1/4 |\n" +
            "| :--- | ---: | ---: |\n" +
            "| none / — | 51.00 ± 1.41 | 56.00 ± 0.71 |\n" +
            "| simple / phtps | 56.00 ± 2.83 | 60.00 (n=1/2) |\n" +
            "| mt / phtps | **58.00 ± 1.41** | **62.20 ± 0.28** |\n" +
            "\n" +
            "(n=k/m): only k of the cell's m runs succeeded; such cells are never bold.\n";

        Assert.Equal(golden, Table(QuickstartRuns()).ToMarkdown());
    }

    [Fact]
    public void QuickstartCsvWithoutBaselineHasEmptyComparisonColumns()
    {
        var lines = Table(QuickstartRuns()).ToCsv().Split('\n');

        Assert.Equal(
            "teacher,perturbation,label_fraction,n,expected,complete,failed,seeds,mean,std,sem,ci95_low,ci95_high,min,max,best," +
            "baseline,test,difference,difference_ci95_low,difference_ci95_high,t,df,p,p_holm,bootstrap_ci95_low,bootstrap_ci95_high,verdict,note",
            lines[0]);
        // 51 ± 1.414214 over seeds 0 and 1: sem 1, t(0.975, 1) = 12.706205 → 51 ± 12.706205.
        Assert.Equal("none,,1/8,2,2,true,0,0 1,51.000000,1.414214,1.000000,38.293795,63.706205,50.000000,52.000000,false,false,,,,,,,,,,,,", lines[1]);
        Assert.Equal("simple,phtps,1/4,1,2,false,1,0,60.000000,,,,,60.000000,60.000000,false,false,,,,,,,,,,,,", lines[4]);
        Assert.Equal("mt,phtps,1/4,2,2,true,0,0 1,62.200000,0.282843,0.200000,59.658759,64.741241,62.000000,62.400000,true,false,,,,,,,,,,,,", lines[6]);
        Assert.Equal(8, lines.Length); // header, 6 cells, and the empty string after the last \n
    }

    [Fact]
    public void RenderingIsDeterministic()
    {
        var first = Table(QuickstartRuns());
        var second = Table(QuickstartRuns());

        Assert.Equal(first.ToMarkdown(), second.ToMarkdown());
        Assert.Equal(first.ToCsv(), second.ToCsv());
        Assert.DoesNotContain("\r", first.ToMarkdown() + first.ToCsv());
    }

    [Fact]
    public void CsvNumbersHaveSixFixedDecimals()
    {
        var cell = CellSummaries.From(Cell("c", Labels("teacher", "mt", "perturbation", "phtps", "label_fraction", "1/8"), 0.1, 0.2, 0.7))[0];
        var line = ResultTable.Build([cell], Quickstart).ToCsv().Split('\n')[1].Split(',');

        // mean (0.1 + 0.2 + 0.7) / 3 = 0.333…, std = sqrt(0.103333…) = 0.321455
        Assert.Equal("0.333333", line[8]);
        Assert.Equal("0.321455", line[9]);
        Assert.Equal(cell.Std!.Value, double.Parse(line[9], CultureInfo.InvariantCulture), 6);
    }

    [Fact]
    public void AMissingRowLabelShowsAsADash()
    {
        var table = Table(Cell("c", Labels("teacher", "none", "label_fraction", "1/8"), 50.0, 52.0));

        Assert.Equal(["none", "—"], table.Rows[0]);
        // Alone in its column, so not bold: bold marks the best of several.
        Assert.Equal("| none / — | 51.00 ± 1.41 |", table.ToMarkdown().Split('\n')[2]);
    }

    [Fact]
    public void RowsAndColumnsComeInOrderOfFirstAppearance()
    {
        var table = Table(
        [
            .. Cell("a", Labels("teacher", "mt", "perturbation", "cutmix", "label_fraction", "1/4"), 1.0),
            .. Cell("b", Labels("teacher", "simple", "perturbation", "phtps", "label_fraction", "1/8"), 2.0),
            .. Cell("c", Labels("teacher", "mt", "perturbation", "cutmix", "label_fraction", "1/8"), 3.0),
            .. Cell("d", Labels("teacher", "none", "label_fraction", "1/2"), 4.0),
        ]);

        Assert.Equal([["mt", "cutmix"], ["simple", "phtps"], ["none", "—"]], table.Rows);
        Assert.Equal([["1/4"], ["1/8"], ["1/2"]], table.Columns);
        Assert.Equal("c", table[0, 1]!.CellKey);
        Assert.Null(table[1, 0]);
        Assert.Equal(
            "| teacher / perturbation \\ label_fraction | 1/4 | 1/8 | 1/2 |\n" +
            "| :--- | ---: | ---: | ---: |\n" +
            "| mt / cutmix | 1.00 | **3.00** |  |\n" +
            "| simple / phtps |  | 2.00 |  |\n" +
            "| none / — |  |  | 4.00 |\n",
            table.ToMarkdown());
    }

    [Fact]
    public void OnlyCompleteCellsCanBeBest()
    {
        var table = Table(
        [
            .. Cell("a", Labels("teacher", "simple", "perturbation", "phtps", "label_fraction", "1/8"), 60.0, 61.0),
            .. Cell("b", Labels("teacher", "mt", "perturbation", "phtps", "label_fraction", "1/8"), 70.0, null),
        ]);

        var lines = table.ToMarkdown().Split('\n');
        Assert.Equal("| simple / phtps | **60.50 ± 0.71** |", lines[2]);
        Assert.Equal("| mt / phtps | 70.00 (n=1/2) |", lines[3]);
    }

    [Fact]
    public void MeansEqualToTwoDecimalsAreBothBold()
    {
        var table = Table(
        [
            .. Cell("a", Labels("teacher", "simple", "perturbation", "phtps", "label_fraction", "1/8"), 60.001),
            .. Cell("b", Labels("teacher", "mt", "perturbation", "phtps", "label_fraction", "1/8"), 60.004),
            .. Cell("c", Labels("teacher", "none", "label_fraction", "1/8"), 59.0),
        ]);

        var lines = table.ToMarkdown().Split('\n');
        Assert.Equal("| simple / phtps | **60.00** |", lines[2]);
        Assert.Equal("| mt / phtps | **60.00** |", lines[3]);
        Assert.Equal("| none / — | 59.00 |", lines[4]);
    }

    [Fact]
    public void TwoCellsAtOnePositionNameTheAxisToAdd()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Table(
        [
            .. Cell("c1", Labels("teacher", "simple", "perturbation", "phtps", "variant", "1w-ps", "label_fraction", "1/8"), 60.0),
            .. Cell("c2", Labels("teacher", "simple", "perturbation", "phtps", "variant", "2w-p1", "label_fraction", "1/8"), 61.0),
        ]));

        Assert.Equal(
            "cells c1 and c2 both land at row 'simple / phtps', column '1/8': they differ in 'variant'; add it to the report's rows or columns",
            ex.Message);
    }

    [Fact]
    public void ASeedAxisNeedsPerSeedSummaries()
    {
        var ex = Assert.Throws<InvalidOperationException>(() =>
            Table(QuickstartRuns(), new ReportLayout(["teacher"], ["seed"], "value")));

        Assert.Equal("the report layout has a 'seed' axis but no cell has a seed label; build the summaries with CellSummaries.PerSeed", ex.Message);
    }

    [Fact]
    public void PerSeedSummariesMakeASeedTable()
    {
        List<RunRecord> runs =
        [
            .. Cell("a", Labels("teacher", "simple", "label_fraction", "1/8"), 61.0, 62.0),
            .. Cell("b", Labels("teacher", "mt", "label_fraction", "1/8"), 60.0, 62.5),
        ];
        var table = ResultTable.Build(CellSummaries.PerSeed(runs), new ReportLayout(["teacher"], ["seed"], "value"));

        Assert.Equal(
            "| teacher \\ seed | 0 | 1 |\n" +
            "| :--- | ---: | ---: |\n" +
            "| simple | **61.00** | 62.00 |\n" +
            "| mt | 60.00 | **62.50** |\n",
            table.ToMarkdown());
    }

    [Fact]
    public void SeveralColumnAxesAreNamedInTheHeader()
    {
        var layout = new ReportLayout(["teacher"], ["label_fraction", "model"], "value");
        var table = Table(
        [
            .. Cell("a", Labels("teacher", "mt", "label_fraction", "1/8", "model", "swiftnet"), 60.0, 62.0),
            .. Cell("b", Labels("teacher", "mt", "label_fraction", "1/8", "model", "deeplab"), 63.0, 65.0),
        ], layout);

        Assert.Equal(
            "| teacher | label_fraction=1/8, model=swiftnet | label_fraction=1/8, model=deeplab |\n" +
            "| :--- | ---: | ---: |\n" +
            "| mt | 61.00 ± 1.41 | 64.00 ± 1.41 |\n",
            table.ToMarkdown());
    }

    [Fact]
    public void CsvQuotesLabelsWithCommasAndQuotes()
    {
        var table = Table(Cell("c", Labels("teacher", "mt", "perturbation", "phtps,\"strong\"", "label_fraction", "1/8"), 60.0));

        Assert.StartsWith("mt,\"phtps,\"\"strong\"\"\",1/8,1,1,true,0,0,60.000000,", table.ToCsv().Split('\n')[1]);
    }

    [Fact]
    public void MarkdownEscapesPipesInLabels()
    {
        var table = Table(Cell("c", Labels("teacher", "mt", "perturbation", "a|b", "label_fraction", "1/8"), 60.0));

        Assert.Equal("| mt / a\\|b | 60.00 |", table.ToMarkdown().Split('\n')[2]);
    }

    [Fact]
    public void MarkdownEscapesAsterisksInLabels()
    {
        // A second, lower cell makes the first bold, so the escaped asterisk sits next to the bold markers.
        var table = Table(
        [
            .. Cell("c", Labels("teacher", "mt", "perturbation", "cutmix*", "label_fraction", "1/8"), 60.0),
            .. Cell("d", Labels("teacher", "none", "label_fraction", "1/8"), 50.0),
        ]);

        Assert.Equal("| mt / cutmix\\* | **60.00** |", table.ToMarkdown().Split('\n')[2]);
    }
}
