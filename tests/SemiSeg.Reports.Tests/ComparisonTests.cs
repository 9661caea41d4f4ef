using System.Text.Json;
using SemiSeg.Reports;
using SemiSeg.Sweeps;
using static SemiSeg.Reports.Tests.Fixtures;

namespace SemiSeg.Reports.Tests;

/// <summary>
/// Comparisons with the baseline row: which test, the numbers, Holm over the table, markers and notes. The expected
/// statistics are the mpmath reference values of <see cref="SignificanceTests"/> (X and Y there).
/// </summary>
public class ComparisonTests
{
    private static readonly double?[] X = [19.1, 20.3, 21.0, 18.7, 20.9];
    private static readonly double?[] Y = [17.2, 18.9, 18.1, 17.6, 19.5];

    private static readonly ReportLayout ByTeacher = new(["teacher"], ["label_fraction"], "value", Baseline("teacher", "none"));

    private static Dictionary<string, string> Baseline(string axis, string value) => new() { [axis] = value };

    private static ResultTable Table(ReportLayout layout, ComparisonOptions? options, params IEnumerable<RunRecord>[] cells) =>
        ResultTable.Build(CellSummaries.From(cells.SelectMany(c => c)), layout, options);

    private static ResultTable Table(ReportLayout layout, params IEnumerable<RunRecord>[] cells) => Table(layout, null, cells);

    [Fact]
    public void SameSeedsAndLabelFractionArePaired()
    {
        var table = Table(ByTeacher,
            Cell("none", Labels("teacher", "none", "label_fraction", "1/8"), Y),
            Cell("mt", Labels("teacher", "mt", "label_fraction", "1/8"), X));

        var comparison = table.ComparisonAt(1, 0)!;
        Assert.Equal(TestKind.Paired, comparison.Test);
        Assert.Equal("none", comparison.BaselineCellKey);
        Assert.Null(comparison.Note);
        Assert.Equal(1.74, comparison.Difference!.Value, 12);
        Assert.Equal(5.48592995173906, comparison.T!.Value, 10);
        Assert.Equal(4.0, comparison.Df);
        Assert.Equal(0.00537759506850301, comparison.P!.Value, 10);
        // One test: Holm leaves it as it is.
        Assert.Equal(comparison.P, comparison.AdjustedP);
        Assert.Equal(0.859380938957721, comparison.DifferenceCi!.Value.Low, 8);
        Assert.Equal(Verdict.Better, comparison.Verdict);
        Assert.Null(comparison.BootstrapCi);
        Assert.Null(table.ComparisonAt(0, 0));
        Assert.Equal("| mt | **20.00 ± 1.05**† |", table.ToMarkdown().Split('\n')[3]);
    }

    [Fact]
    public void DifferentSeedSetsFallBackToWelchAndSaySo()
    {
        // Seed 3 of mt failed: 4 of 5 seeds, so the cells cannot be paired.
        var table = Table(ByTeacher,
            Cell("none", Labels("teacher", "none", "label_fraction", "1/8"), Y),
            Cell("mt", Labels("teacher", "mt", "label_fraction", "1/8"), 19.1, 20.3, 21.0, null, 20.9));

        var comparison = table.ComparisonAt(1, 0)!;
        Assert.Equal(TestKind.Welch, comparison.Test);
        Assert.Equal("Welch's t-test: the seeds differ from the baseline's (0 1 2 4 vs 0 1 2 3 4)", comparison.Note);
        // mpmath: Welch of {19.1, 20.3, 21.0, 20.9} vs Y.
        Assert.Equal(3.40764179484098, comparison.T!.Value, 10);
        Assert.Equal(6.77335260789235, comparison.Df!.Value, 10);
        Assert.Equal(0.0119089388100123, comparison.P!.Value, 10);
        Assert.Equal(Verdict.Better, comparison.Verdict);

        var lines = table.ToMarkdown().Split('\n');
        // Incomplete: marked with its count and never bold, although its mean is the column's highest.
        Assert.Equal("| none | **18.26 ± 0.94** |", lines[2]);
        Assert.Equal("| mt | 20.33 ± 0.87† (n=4/5) |", lines[3]);
        Assert.Equal("† better, ‡ worse than the baseline row (teacher: none) in the same column at Holm–Bonferroni-adjusted p < 0.05 " +
            "over the table's 1 t-test: 0 paired by seed (both cells have the same seeds and labeled subsets), 1 Welch's.", lines[5]);
        Assert.Equal("(n=k/m): only k of the cell's m runs succeeded; such cells are never bold.", lines[7]);
    }

    [Fact]
    public void DifferentLabelFractionsAreNotPaired()
    {
        var layout = new ReportLayout(["label_fraction"], [], "value", Baseline("label_fraction", "1/8"));
        var table = Table(layout,
            Cell("eighth", Labels("teacher", "mt", "label_fraction", "1/8"), Y),
            Cell("quarter", Labels("teacher", "mt", "label_fraction", "1/4"), X));

        var comparison = table.ComparisonAt(1, 0)!;
        Assert.Equal(TestKind.Welch, comparison.Test);
        Assert.Equal("Welch's t-test: the labeled subsets differ (label_fraction 1/4 vs 1/8)", comparison.Note);
        Assert.Equal(2.76294915776811, comparison.T!.Value, 10);
        Assert.Equal(0.0248435373928422, comparison.P!.Value, 10);
    }

    [Fact]
    public void HolmOverTheWholeTableCanRemoveAMarker()
    {
        // Three Welch tests with raw p = 0.0248 each: Holm makes every one 3 × 0.0248 = 0.0745 ≥ 0.05.
        var layout = new ReportLayout(["label_fraction"], [], "value", Baseline("label_fraction", "1/8"));
        var table = Table(layout,
            Cell("base", Labels("label_fraction", "1/8"), Y),
            Cell("a", Labels("label_fraction", "1/4"), X),
            Cell("b", Labels("label_fraction", "1/2"), X),
            Cell("c", Labels("label_fraction", "1/1"), X));

        for (int row = 1; row <= 3; row++)
        {
            var comparison = table.ComparisonAt(row, 0)!;
            Assert.Equal(0.0248435373928422, comparison.P!.Value, 10);
            Assert.Equal(0.0745306121785264, comparison.AdjustedP!.Value, 10);
            Assert.Equal(Verdict.NotSignificant, comparison.Verdict);
        }
        Assert.DoesNotContain("†", table.ToMarkdown().Split("\n\n")[0]);
    }

    [Fact]
    public void LowerIsBetterTurnsTheMarkerAndTheBold()
    {
        var higher = Table(ByTeacher,
            Cell("none", Labels("teacher", "none", "label_fraction", "1/8"), X),
            Cell("mt", Labels("teacher", "mt", "label_fraction", "1/8"), Y));
        var lower = Table(ByTeacher with { HigherIsBetter = false },
            Cell("none", Labels("teacher", "none", "label_fraction", "1/8"), X),
            Cell("mt", Labels("teacher", "mt", "label_fraction", "1/8"), Y));

        Assert.Equal(Verdict.Worse, higher.ComparisonAt(1, 0)!.Verdict);
        Assert.Equal("| mt | 18.26 ± 0.94‡ |", higher.ToMarkdown().Split('\n')[3]);
        Assert.Equal(Verdict.Better, lower.ComparisonAt(1, 0)!.Verdict);
        Assert.Equal("| none | 20.00 ± 1.05 |", lower.ToMarkdown().Split('\n')[2]);
        Assert.Equal("| mt | **18.26 ± 0.94**† |", lower.ToMarkdown().Split('\n')[3]);
        Assert.Contains("\nBold: the lowest complete mean of each column (lower is better).\n", lower.ToMarkdown());
        Assert.True(lower.IsBest(1, 0));
        Assert.False(lower.IsBest(0, 0));
    }

    [Fact]
    public void WithoutABaselineThereAreNoComparisonsOrMarkers()
    {
        var table = Table(ByTeacher with { Baseline = null },
            Cell("none", Labels("teacher", "none", "label_fraction", "1/8"), Y),
            Cell("mt", Labels("teacher", "mt", "label_fraction", "1/8"), X));

        Assert.Null(table.BaselineRow);
        Assert.Null(table.ComparisonAt(1, 0));
        Assert.Equal(
            "| teacher \\ label_fraction | 1/8 |\n" +
            "| :--- | ---: |\n" +
            "| none | 18.26 ± 0.94 |\n" +
            "| mt | **20.00 ± 1.05** |\n",
            table.ToMarkdown());
        Assert.EndsWith(",true,false,,,,,,,,,,,,", table.ToCsv().Split('\n')[2]);
    }

    [Fact]
    public void ABaselineWithoutTheColumnAxisIsEveryColumnsBaseline()
    {
        // The consistency-variant table: supervised has no variant, so it sits alone in the "—" column.
        var layout = new ReportLayout(["teacher"], ["variant"], "value", Baseline("teacher", "none"));
        var table = Table(layout,
            Cell("sup", Labels("teacher", "none", "label_fraction", "1/4"), Y),
            Cell("ps", Labels("teacher", "simple", "variant", "1w-ps", "label_fraction", "1/4"), X),
            Cell("pt", Labels("teacher", "simple", "variant", "1w-pt", "label_fraction", "1/4"), 10.0, 12.0, 9.0, 11.0, 10.5));

        Assert.True(table.BaselineSpansColumns);
        Assert.Equal(["—", "1w-ps", "1w-pt"], table.Columns.Select(c => c[0]));
        var ps = table.ComparisonAt(1, 1)!;
        Assert.Equal("sup", ps.BaselineCellKey);
        Assert.Equal(TestKind.Paired, ps.Test);
        Assert.Equal(5.48592995173906, ps.T!.Value, 10);
        Assert.Equal(Verdict.Better, ps.Verdict);
        Assert.Equal(Verdict.Worse, table.ComparisonAt(1, 2)!.Verdict);
        Assert.Null(table.ComparisonAt(0, 0));
        string markdown = table.ToMarkdown();
        // Bold is the best of a column with the baseline competing in it: 1w-ps beats supervised, 1w-pt does not, and
        // supervised, alone in its own column, is not bold.
        Assert.Contains("| none | 18.26 ± 0.94 |  |  |", markdown);
        Assert.Contains("| simple |  | **20.00 ± 1.05**† | 10.50 ± 1.12‡ |", markdown);
        Assert.False(table.IsBest(0, 0));
        Assert.True(table.IsBest(1, 1));
        Assert.False(table.IsBest(1, 2));
        Assert.Contains("\n† better, ‡ worse than the baseline (teacher: none; it has no variant, so every column is compared with it) at Holm–Bonferroni-adjusted p < 0.05 over the table's 2 t-tests: 2 paired by seed", markdown);
    }

    [Fact]
    public void ABaselineWithOneCellInARealColumnDoesNotSpanTheOthers()
    {
        var table = Table(ByTeacher,
            Cell("none8", Labels("teacher", "none", "label_fraction", "1/8"), Y),
            Cell("mt8", Labels("teacher", "mt", "label_fraction", "1/8"), X),
            Cell("mt4", Labels("teacher", "mt", "label_fraction", "1/4"), X));

        Assert.False(table.BaselineSpansColumns);
        Assert.Equal("none8", table.ComparisonAt(1, 0)!.BaselineCellKey);
        Assert.Equal("no baseline cell in this column", table.ComparisonAt(1, 1)!.Note);
    }

    [Fact]
    public void CellsThatCannotBeTestedSayWhy()
    {
        var table = Table(new ReportLayout(["teacher"], ["label_fraction"], "value", Baseline("teacher", "none")),
            Cell("none8", Labels("teacher", "none", "label_fraction", "1/8"), 50.0),
            Cell("mt8", Labels("teacher", "mt", "label_fraction", "1/8"), 60.0, 61.0),
            Cell("none4", Labels("teacher", "none", "label_fraction", "1/4"), 50.0, 51.0),
            Cell("mt4", Labels("teacher", "mt", "label_fraction", "1/4"), 52.0, 53.0),
            Cell("mt2", Labels("teacher", "mt", "label_fraction", "1/2"), 52.0, 53.0));

        var tooFew = table.ComparisonAt(1, 0)!;
        Assert.Equal(TestKind.None, tooFew.Test);
        Assert.Equal("too few values for a t-test (n = 2, baseline n = 1; 2 each at least)", tooFew.Note);
        Assert.Equal(10.5, tooFew.Difference);
        Assert.Null(tooFew.P);
        Assert.Equal("every seed differs from the baseline by the same amount; no t-test", table.ComparisonAt(1, 1)!.Note);
        Assert.Equal("no baseline cell in this column", table.ComparisonAt(1, 2)!.Note);
        Assert.Null(table.ComparisonAt(1, 2)!.BaselineCellKey);
        Assert.Contains("\n† better, ‡ worse than the baseline row (teacher: none) in the same column: no cell could be tested. " +
            "Not tested: 3 cells (too few values, no variance or no baseline cell).\n", table.ToMarkdown());
        Assert.EndsWith(",none,10.500000,,,,,,,,,not tested,\"too few values for a t-test (n = 2, baseline n = 1; 2 each at least)\"", table.ToCsv().Split('\n')[3]);
    }

    [Fact]
    public void TheBaselineMustNameOneRow()
    {
        var cells = CellSummaries.From(
        [
            .. Cell("a", Labels("teacher", "simple", "perturbation", "phtps", "label_fraction", "1/8"), 1.0),
            .. Cell("b", Labels("teacher", "simple", "perturbation", "cutmix", "label_fraction", "1/8"), 2.0),
        ]);

        var notARow = Assert.Throws<ArgumentException>(() => ResultTable.Build(cells, Quickstart with { Baseline = Baseline("label_fraction", "1/8") }));
        Assert.StartsWith("the baseline {label_fraction: 1/8} names 'label_fraction', which is not a row axis (rows: teacher, perturbation); name row axes only", notARow.Message);
        var noRow = Assert.Throws<ArgumentException>(() => ResultTable.Build(cells, Quickstart with { Baseline = Baseline("teacher", "none") }));
        Assert.StartsWith("the baseline {teacher: none} matches no row of the table (rows: simple / phtps; simple / cutmix); name one of them", noRow.Message);
        var twoRows = Assert.Throws<ArgumentException>(() => ResultTable.Build(cells, Quickstart with { Baseline = Baseline("teacher", "simple") }));
        Assert.StartsWith("the baseline {teacher: simple} matches 2 rows (simple / phtps; simple / cutmix); give a value for more row axes", twoRows.Message);
    }

    [Fact]
    public void BootstrapIsOffByDefaultAndSeededWhenOn()
    {
        IEnumerable<RunRecord>[] cells =
        [
            Cell("none", Labels("teacher", "none", "label_fraction", "1/8"), Y),
            Cell("mt", Labels("teacher", "mt", "label_fraction", "1/8"), X),
        ];
        var options = new ComparisonOptions(BootstrapResamples: 10_000, BootstrapSeed: 7);

        var bootstrapped = Table(ByTeacher, options, cells).ComparisonAt(1, 0)!.BootstrapCi;

        Assert.Null(Table(ByTeacher, cells).ComparisonAt(1, 0)!.BootstrapCi);
        // The same as the paired bootstrap of the per-seed differences with that seed.
        Assert.Equal(Significance.BootstrapDifferenceCi([.. X.Select(v => v!.Value)], [.. Y.Select(v => v!.Value)], true, 10_000, 7), bootstrapped);
        Assert.Equal(Table(ByTeacher, options, cells).ToCsv(), Table(ByTeacher, options, cells).ToCsv());
        Assert.Contains("\"bootstrap_resamples\": 10000", Table(ByTeacher, options, cells).ToJson());
    }

    [Fact]
    public void OptionsOutOfRangeAreRejected()
    {
        var cells = CellSummaries.From(Cell("a", Labels("teacher", "mt", "label_fraction", "1/8"), 1.0));

        Assert.StartsWith("alpha is 0; it must lie strictly between 0 and 1",
            Assert.Throws<ArgumentException>(() => ResultTable.Build(cells, ByTeacher with { Baseline = null }, new ComparisonOptions(Alpha: 0))).Message);
        Assert.StartsWith("50 bootstrap resamples: use 0 (no bootstrap) or at least 100",
            Assert.Throws<ArgumentException>(() => ResultTable.Build(cells, ByTeacher with { Baseline = null }, new ComparisonOptions(BootstrapResamples: 50))).Message);
    }

    [Fact]
    public void LatexUsesBooktabsBoldMarkersAndEscapes()
    {
        var layout = new ReportLayout(["teacher", "perturbation"], ["label_fraction"], "value", Baseline("teacher", "none"));
        var table = Table(layout,
            Cell("none", Labels("teacher", "none", "label_fraction", "1/8"), Y),
            Cell("mt", Labels("teacher", "mean_teacher", "perturbation", "cutmix*", "label_fraction", "1/8"), X),
            Cell("worse", Labels("teacher", "simple", "perturbation", "50% & [a]", "label_fraction", "1/8"), 17.0, 18.0, 17.2, 16.1, 17.9));

        // mt: paired p = 0.0054; simple: paired t = −4.05, p = 0.0155 (mpmath); Holm over 2: 0.0108 and 0.0155, both < 0.05.

        Assert.Equal(
            "\\begin{tabular}{llr}\n" +
            "\\toprule\n" +
            "& & \\multicolumn{1}{c}{label\\_fraction} \\\\\n" +
            "\\cmidrule(lr){3-3}\n" +
            "teacher & perturbation & 1/8 \\\\\n" +
            "\\midrule\n" +
            "none & --- & 18.26 $\\pm$ 0.94 \\\\\n" +
            "mean\\_teacher & cutmix{*} & \\textbf{20.00 $\\pm$ 1.05}$^{\\dagger}$ \\\\\n" +
            "simple & 50\\% \\& {[}a{]} & 17.24 $\\pm$ 0.77$^{\\ddagger}$ \\\\\n" +
            "\\bottomrule\n" +
            "\\end{tabular}\n" +
            "\n" +
            "{\\footnotesize $^{\\dagger}$ better, $^{\\ddagger}$ worse than the baseline row (teacher: none) in the same column at " +
            "Holm--Bonferroni-adjusted p \\textless{} 0.05 over the table's 2 t-tests: 2 paired by seed (both cells have the same seeds " +
            "and labeled subsets), 0 Welch's.\\par}\n",
            table.ToLatex());
    }

    [Fact]
    public void JsonHasAStablePropertyOrder()
    {
        var table = Table(ByTeacher,
            Cell("none", Labels("teacher", "none", "label_fraction", "1/8"), Y),
            Cell("mt", Labels("teacher", "mt", "label_fraction", "1/8"), X));

        using var document = JsonDocument.Parse(table.ToJson());
        var root = document.RootElement;
        Assert.Equal(["metric", "rows", "columns", "higher_is_better", "baseline", "alpha", "correction", "bootstrap_resamples", "cells"],
            root.EnumerateObject().Select(p => p.Name));
        var mt = root.GetProperty("cells")[1];
        Assert.Equal(["cell_key", "row", "column", "labels", "n", "expected", "complete", "failed", "runs", "mean", "std", "sem", "ci95",
            "min", "max", "best", "baseline", "comparison"], mt.EnumerateObject().Select(p => p.Name));
        // Labels sorted by name, whatever the dictionary's order.
        Assert.Equal(["label_fraction", "teacher"], mt.GetProperty("labels").EnumerateObject().Select(p => p.Name));
        Assert.Equal(3, mt.GetProperty("runs")[3].GetProperty("seed").GetInt32());
        Assert.Equal(18.7, mt.GetProperty("runs")[3].GetProperty("value").GetDouble());
        var comparison = mt.GetProperty("comparison");
        Assert.Equal("paired", comparison.GetProperty("test").GetString());
        Assert.Equal(5.485930, comparison.GetProperty("t").GetDouble());
        Assert.Equal(0.005378, comparison.GetProperty("p").GetDouble());
        Assert.Equal("better", comparison.GetProperty("verdict").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("cells")[0].GetProperty("comparison").ValueKind);
    }
}
