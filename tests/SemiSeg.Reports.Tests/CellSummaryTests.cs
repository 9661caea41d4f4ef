using SemiSeg.Reports;
using static SemiSeg.Reports.Tests.Fixtures;

namespace SemiSeg.Reports.Tests;

public class CellSummaryTests
{
    [Fact]
    public void MeanAndSampleStdOfThreeSeeds()
    {
        var cell = Assert.Single(CellSummaries.From(Cell("c", Labels("teacher", "mt"), 60.0, 62.0, 64.0)));

        Assert.Equal(3, cell.N);
        Assert.Equal(3, cell.Expected);
        Assert.Equal(62.0, cell.Mean!.Value, 12);
        // sqrt(((-2)² + 0² + 2²) / (3 − 1)) = 2
        Assert.Equal(2.0, cell.Std!.Value, 12);
        Assert.Equal(60.0, cell.Min);
        Assert.Equal(64.0, cell.Max);
        Assert.Equal(0, cell.Failed);
        Assert.True(cell.IsComplete);
        Assert.Equal([60.0, 62.0, 64.0], cell.Values);
        Assert.Equal("62.00 ± 2.00", ResultTable.FormatCell(cell));
    }

    [Fact]
    public void OneValueHasNoStdAndShowsTheMeanAlone()
    {
        var cell = Assert.Single(CellSummaries.From(Cell("c", Labels("teacher", "mt"), 61.2)));

        Assert.Equal(1, cell.N);
        Assert.Equal(61.2, cell.Mean);
        Assert.Null(cell.Std);
        Assert.Null(cell.Sem);
        Assert.Null(cell.Ci95);
        Assert.Equal([0], cell.Seeds);
        Assert.Equal(61.2, cell.Min);
        Assert.Equal(61.2, cell.Max);
        Assert.Equal("61.20", ResultTable.FormatCell(cell));
    }

    [Fact]
    public void FailedAndUnfinishedRunsAreExcludedFromNButCounted()
    {
        var labels = Labels("teacher", "mt");
        var cell = Assert.Single(CellSummaries.From(
        [
            Run("c", 0, labels, RunStatus.Succeeded, 60.0),
            Run("c", 1, labels, RunStatus.Failed),
            Run("c", 2, labels, RunStatus.Succeeded, 62.0),
            Run("c", 3, labels, RunStatus.Pending),
            Run("c", 4, labels, RunStatus.Cancelled),
        ]));

        Assert.Equal(2, cell.N);
        Assert.Equal(5, cell.Expected);
        Assert.Equal(1, cell.Failed);
        Assert.False(cell.IsComplete);
        Assert.Equal(61.0, cell.Mean!.Value, 12);
        Assert.Equal(Math.Sqrt(2), cell.Std!.Value, 12);
        Assert.Equal("61.00 ± 1.41 (n=2/5)", ResultTable.FormatCell(cell));
        // Only the succeeded runs' seeds, in record order, one per value.
        Assert.Equal([0, 2], cell.Seeds);
    }

    [Fact]
    public void CellWithoutValuesHasNoStatistics()
    {
        var cell = Assert.Single(CellSummaries.From(Cell("c", Labels("teacher", "mt"), null, null)));

        Assert.Equal(0, cell.N);
        Assert.Equal(2, cell.Expected);
        Assert.Equal(2, cell.Failed);
        Assert.Null(cell.Mean);
        Assert.Null(cell.Std);
        Assert.Null(cell.Min);
        Assert.Null(cell.Max);
        Assert.Null(cell.Sem);
        Assert.Null(cell.Ci95);
        Assert.Empty(cell.Seeds);
        Assert.Equal("— (n=0/2)", ResultTable.FormatCell(cell));
    }

    [Fact]
    public void CellsKeepTheOrderOfFirstAppearance()
    {
        var a = Labels("teacher", "a");
        var b = Labels("teacher", "b");
        var summaries = CellSummaries.From(
        [
            Run("cb", 0, b, RunStatus.Succeeded, 1.0),
            Run("ca", 0, a, RunStatus.Succeeded, 2.0),
            Run("cb", 1, b, RunStatus.Succeeded, 3.0),
        ]);

        Assert.Equal(["cb", "ca"], summaries.Select(s => s.CellKey));
        Assert.Equal([1.0, 3.0], summaries[0].Values);
        Assert.Equal("b", summaries[0].Labels["teacher"]);
    }

    [Fact]
    public void SemAndStudentTIntervalOfFiveSeeds()
    {
        var cell = Assert.Single(CellSummaries.From(Cell("c", Labels("teacher", "mt"), 19.1, 20.3, 21.0, 18.7, 20.9)));

        // Reference values from mpmath at 40 digits (t quantile by root-finding on the regularised incomplete beta),
        // independent of MathNet; R: t.test(c(19.1, 20.3, 21.0, 18.7, 20.9))$conf.int gives 18.69773 21.30227.
        Assert.Equal(20.0, cell.Mean!.Value, 12);
        Assert.Equal(1.04880884817015, cell.Std!.Value, 12);
        Assert.Equal(0.469041575982343, cell.Sem!.Value, 12);
        Assert.Equal(18.6977318122296, cell.Ci95!.Value.Low, 9);
        Assert.Equal(21.3022681877704, cell.Ci95!.Value.High, 9);
        Assert.Equal([0, 1, 2, 3, 4], cell.Seeds);
    }

    [Fact]
    public void ConstantValuesHaveAZeroWidthInterval()
    {
        var cell = Assert.Single(CellSummaries.From(Cell("c", Labels("teacher", "mt"), 60.0, 60.0)));

        Assert.Equal(0.0, cell.Std);
        Assert.Equal(0.0, cell.Sem);
        Assert.Equal(new ConfidenceInterval(60.0, 60.0), cell.Ci95);
    }

    [Fact]
    public void OneSeedTwiceInACellIsAnError()
    {
        var labels = Labels("teacher", "mt");
        var ex = Assert.Throws<ArgumentException>(() => CellSummaries.From(
        [
            new RunRecord("r1", "c", 7, labels, RunStatus.Succeeded, 60.0, null, null),
            new RunRecord("r2", "c", 7, labels, RunStatus.Succeeded, 61.0, null, null),
        ]));

        Assert.StartsWith("cell c has two runs with seed 7 (the second is r2)", ex.Message);
    }

    [Fact]
    public void ARunRecordedTwiceIsAnError()
    {
        var labels = Labels("teacher", "mt");
        var ex = Assert.Throws<ArgumentException>(() => CellSummaries.From(
        [
            Run("c", 0, labels, RunStatus.Failed),
            Run("c", 0, labels, RunStatus.Succeeded, 60.0),
        ]));

        Assert.Contains("c-s0", ex.Message);
        Assert.Contains("appears twice", ex.Message);
    }

    [Fact]
    public void ASucceededRunWithoutAValueIsAnError()
    {
        var ex = Assert.Throws<ArgumentException>(() => CellSummaries.From([Run("c", 0, Labels("teacher", "mt"), RunStatus.Succeeded)]));

        Assert.Contains("succeeded without a finite value", ex.Message);
    }

    [Fact]
    public void PerSeedGivesOneSummaryPerRunWithASeedLabel()
    {
        var summaries = CellSummaries.PerSeed(Cell("c", Labels("teacher", "mt"), 60.0, null));

        Assert.Equal(2, summaries.Count);
        Assert.Equal("0", summaries[0].Labels["seed"]);
        Assert.Equal("mt", summaries[0].Labels["teacher"]);
        Assert.Equal(60.0, summaries[0].Mean);
        Assert.True(summaries[0].IsComplete);
        Assert.Equal("1", summaries[1].Labels["seed"]);
        Assert.Equal(1, summaries[1].Failed);
        Assert.Equal("— (n=0/1)", ResultTable.FormatCell(summaries[1]));
    }
}
