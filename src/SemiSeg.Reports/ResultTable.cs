using System.Globalization;
using SemiSeg.Sweeps;

namespace SemiSeg.Reports;

/// <summary>
/// Cell summaries pivoted into a table: one row per combination of the layout's row axes, one column per combination of
/// its column axes, both in order of first appearance. Each table position holds at most one cell. With a baseline in
/// the layout, every other cell is compared with the baseline row's cell of its column (see <see cref="CellComparison"/>),
/// Holm–Bonferroni-corrected over the whole table. A baseline without the column axes (supervised has no consistency
/// variant, so its cell sits in the "—" column) is every column's baseline. Rendered by <see cref="ToMarkdown"/>, <see cref="ToLatex"/>,
/// <see cref="ToCsv"/> and <see cref="ToJson"/>; each output is byte-identical for the same input.
/// </summary>
public sealed partial class ResultTable
{
    /// <summary>Shown for a label a cell does not have (e.g. perturbation of a supervised cell) and for a cell without
    /// values.</summary>
    public const string Missing = "—";

    /// <summary>Labels that decide a run's labeled subset together with its seed (data.subset_seed defaults to the
    /// run seed): two cells must agree on these, and on every <c>data.*</c> axis, to be paired by seed.</summary>
    private static readonly string[] SubsetAxes = ["label_fraction", "labeled_count", "dataset"];

    private readonly CellSummary?[,] _cells;
    private readonly CellComparison?[,] _comparisons;
    private readonly bool[,] _best;

    private ResultTable(ReportLayout layout, ComparisonOptions options, IReadOnlyList<IReadOnlyList<string>> rows, IReadOnlyList<IReadOnlyList<string>> columns,
        CellSummary?[,] cells, int? baselineRow, bool baselineSpansColumns, CellComparison?[,] comparisons, bool[,] best)
    {
        BaselineSpansColumns = baselineSpansColumns;
        Layout = layout;
        Options = options;
        Rows = rows;
        Columns = columns;
        _cells = cells;
        BaselineRow = baselineRow;
        _comparisons = comparisons;
        _best = best;
    }

    public ReportLayout Layout { get; }

    public ComparisonOptions Options { get; }

    /// <summary>Each row's values of <see cref="ReportLayout.Rows"/>, in axis order.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Rows { get; }

    /// <summary>Each column's values of <see cref="ReportLayout.Columns"/>, in axis order.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Columns { get; }

    /// <summary>The row the layout's baseline names, or null without a baseline.</summary>
    public int? BaselineRow { get; }

    /// <summary>The baseline row's only cell lacks the column axes (its column is all "—"), so cells of every column are
    /// compared with it.</summary>
    public bool BaselineSpansColumns { get; }

    /// <summary>The cell at a table position, or null where the sweep has none.</summary>
    public CellSummary? this[int row, int column] => _cells[row, column];

    /// <summary>How the cell at a position compares with its column's baseline cell; null without a baseline, for the
    /// baseline row itself and where there is no cell.</summary>
    public CellComparison? ComparisonAt(int row, int column) => _comparisons[row, column];

    /// <summary>The cell has the best complete mean of its column (as displayed, to 2 decimals), respecting
    /// <see cref="ReportLayout.HigherIsBetter"/>; incomplete cells are never best.</summary>
    public bool IsBest(int row, int column) => _best[row, column];

    /// <exception cref="InvalidOperationException">Two cells land on the same position (the message names the axes that
    /// tell them apart), or the layout has a <c>seed</c> axis and the summaries are not per seed.</exception>
    /// <exception cref="ArgumentException">The layout's baseline names an axis that is not a row axis, or matches no
    /// row or several rows; or the options are out of range.</exception>
    public static ResultTable Build(IReadOnlyList<CellSummary> cells, ReportLayout layout, ComparisonOptions? options = null)
    {
        options ??= ComparisonOptions.Default;
        options.Validate();
        // A manifest may put seed on an axis, but per-cell summaries have no seed; every cell would land on one "—" seed.
        if (layout.Rows.Concat(layout.Columns).Contains("seed") && !cells.Any(c => c.Labels.ContainsKey("seed")))
        {
            throw new InvalidOperationException("the report layout has a 'seed' axis but no cell has a seed label; build the summaries with CellSummaries.PerSeed");
        }

        var rows = new List<IReadOnlyList<string>>();
        var columns = new List<IReadOnlyList<string>>();
        var rowIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var columnIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var placed = new Dictionary<(int Row, int Column), CellSummary>();
        foreach (var cell in cells)
        {
            int row = IndexOf(AxisValues(cell, layout.Rows), rows, rowIndex);
            int column = IndexOf(AxisValues(cell, layout.Columns), columns, columnIndex);
            if (placed.TryGetValue((row, column), out var clash))
            {
                throw SamePosition(clash, cell, rows[row], columns[column], layout);
            }
            placed[(row, column)] = cell;
        }

        var grid = new CellSummary?[rows.Count, columns.Count];
        foreach (var ((row, column), cell) in placed)
        {
            grid[row, column] = cell;
        }
        int? baselineRow = layout.Baseline is null ? null : FindBaselineRow(layout, rows);
        var comparisons = new CellComparison?[rows.Count, columns.Count];
        bool spans = false;
        var spanningBaselines = new CellSummary?[columns.Count];
        if (baselineRow is int b)
        {
            var baselines = BaselineCells(grid, b, columns);
            for (int c = 0; c < columns.Count; c++)
            {
                spanningBaselines[c] = grid[b, c] is null ? baselines[c] : null;
            }
            spans = spanningBaselines.Any(cell => cell is not null);
            comparisons = CompareWithBaseline(grid, b, baselines, layout.HigherIsBetter, options);
        }
        return new ResultTable(layout, options, rows, columns, grid, baselineRow, spans, comparisons, BestOfEachColumn(grid, spanningBaselines, layout.HigherIsBetter));
    }

    /// <summary>Each column's baseline cell: the baseline row's cell of that column or, when the baseline row has a single
    /// cell and that cell has none of the column axes, that cell for every column. A supervised cell has no consistency
    /// variant, but it is what each variant is compared with (the paper's "sup." column).</summary>
    private static CellSummary?[] BaselineCells(CellSummary?[,] grid, int baselineRow, List<IReadOnlyList<string>> columns)
    {
        var own = Enumerable.Range(0, columns.Count).Select(c => grid[baselineRow, c]).ToArray();
        var present = Enumerable.Range(0, columns.Count).Where(c => own[c] is not null).ToList();
        if (present is [int only] && columns[only].All(value => value == Missing))
        {
            return Enumerable.Repeat(own[only], columns.Count).ToArray();
        }
        return own;
    }

    private static int FindBaselineRow(ReportLayout layout, List<IReadOnlyList<string>> rows)
    {
        var baseline = layout.Baseline!;
        string named = BaselineText(layout);
        foreach (string axis in baseline.Keys.Where(axis => !layout.Rows.Contains(axis)).Order(StringComparer.Ordinal))
        {
            throw new ArgumentException($"the baseline {{{named}}} names '{axis}', which is not a row axis (rows: {string.Join(", ", layout.Rows)}); name row axes only", nameof(layout));
        }
        var matching = Enumerable.Range(0, rows.Count)
            .Where(r => baseline.All(b => rows[r][IndexOfAxis(layout.Rows, b.Key)] == b.Value))
            .ToList();
        return matching.Count switch
        {
            1 => matching[0],
            0 => throw new ArgumentException($"the baseline {{{named}}} matches no row of the table (rows: {string.Join("; ", rows.Select(r => string.Join(" / ", r)))}); name one of them", nameof(layout)),
            _ => throw new ArgumentException($"the baseline {{{named}}} matches {matching.Count} rows ({string.Join("; ", matching.Select(r => string.Join(" / ", rows[r])))}); give a value for more row axes", nameof(layout)),
        };
    }

    private static int IndexOfAxis(IReadOnlyList<string> axes, string axis)
    {
        for (int i = 0; i < axes.Count; i++)
        {
            if (axes[i] == axis)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>The baseline as "axis: value" pairs in row-axis order (not dictionary order, which is not guaranteed).</summary>
    private static string BaselineText(ReportLayout layout) =>
        string.Join(", ", layout.Rows.Where(layout.Baseline!.ContainsKey).Select(axis => $"{axis}: {layout.Baseline![axis]}")
            .Concat(layout.Baseline!.Keys.Where(axis => !layout.Rows.Contains(axis)).Order(StringComparer.Ordinal).Select(axis => $"{axis}: {layout.Baseline![axis]}")));

    private static CellComparison?[,] CompareWithBaseline(CellSummary?[,] grid, int baselineRow, CellSummary?[] baselines, bool higherIsBetter, ComparisonOptions options)
    {
        int rowCount = grid.GetLength(0), columnCount = grid.GetLength(1);
        var comparisons = new CellComparison?[rowCount, columnCount];
        var tested = new List<(int Row, int Column)>();
        for (int c = 0; c < columnCount; c++)
        {
            for (int r = 0; r < rowCount; r++)
            {
                if (r == baselineRow || grid[r, c] is not CellSummary cell)
                {
                    continue;
                }
                var comparison = Compare(cell, baselines[c], options);
                comparisons[r, c] = comparison;
                if (comparison.P is not null)
                {
                    tested.Add((r, c));
                }
            }
        }

        // One family: every test of the table.
        var adjusted = Significance.Holm(tested.Select(p => comparisons[p.Row, p.Column]!.P!.Value).ToList());
        for (int i = 0; i < tested.Count; i++)
        {
            var (r, c) = tested[i];
            var comparison = comparisons[r, c]!;
            var verdict = adjusted[i] >= options.Alpha ? Verdict.NotSignificant
                : (comparison.Difference > 0) == higherIsBetter ? Verdict.Better : Verdict.Worse;
            comparisons[r, c] = comparison with { AdjustedP = adjusted[i], Verdict = verdict };
        }
        return comparisons;
    }

    /// <summary>One cell against its column's baseline cell, before the Holm correction.</summary>
    private static CellComparison Compare(CellSummary cell, CellSummary? baseline, ComparisonOptions options)
    {
        if (baseline is null)
        {
            return CellComparison.Untested(null, null, "no baseline cell in this column");
        }
        double? difference = cell.Mean - baseline.Mean;
        if (cell.N < 2 || baseline.N < 2)
        {
            return CellComparison.Untested(baseline.CellKey, difference,
                $"too few values for a t-test (n = {cell.N}, baseline n = {baseline.N}; 2 each at least)");
        }

        string? subsetDifference = SubsetDifference(cell, baseline);
        bool sameSeeds = cell.Seeds.Order().SequenceEqual(baseline.Seeds.Order());
        IReadOnlyList<double> candidateValues = cell.Values, baselineValues = baseline.Values;
        TTestResult result;
        string? note = null;
        if (subsetDifference is null && sameSeeds)
        {
            // Align the baseline's values with the cell's seeds.
            var baselineBySeed = baseline.Seeds.Zip(baseline.Values).ToDictionary(p => p.First, p => p.Second);
            baselineValues = cell.Seeds.Select(seed => baselineBySeed[seed]).ToList();
            if (candidateValues.Zip(baselineValues, (x, y) => x - y).Distinct().Count() == 1)
            {
                return CellComparison.Untested(baseline.CellKey, difference, "every seed differs from the baseline by the same amount; no t-test");
            }
            result = Significance.Paired(candidateValues, baselineValues);
        }
        else
        {
            if (cell.Std == 0 && baseline.Std == 0)
            {
                return CellComparison.Untested(baseline.CellKey, difference, "both cells have constant values; no t-test");
            }
            note = subsetDifference is not null
                ? $"Welch's t-test: the labeled subsets differ ({subsetDifference})"
                : $"Welch's t-test: the seeds differ from the baseline's ({SeedList(cell)} vs {SeedList(baseline)})";
            result = Significance.Welch(candidateValues, baselineValues);
        }

        ConfidenceInterval? bootstrap = options.BootstrapResamples > 0
            ? Significance.BootstrapDifferenceCi(candidateValues, baselineValues, result.Test == TestKind.Paired, options.BootstrapResamples, options.BootstrapSeed)
            : null;
        return new CellComparison(baseline.CellKey, result.Test, note, result.Difference, result.DifferenceCi, result.T, result.Df, result.P, null, bootstrap, Verdict.NotSignificant);
    }

    /// <summary>Which subset-deciding label differs between two cells, e.g. "label_fraction 1/8 vs 1/4"; null if none.</summary>
    private static string? SubsetDifference(CellSummary cell, CellSummary baseline)
    {
        var axes = SubsetAxes
            .Concat(cell.Labels.Keys.Concat(baseline.Labels.Keys).Where(k => k.StartsWith("data.", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            .Distinct();
        foreach (string axis in axes)
        {
            string? mine = cell.Labels.GetValueOrDefault(axis), theirs = baseline.Labels.GetValueOrDefault(axis);
            if (mine != theirs)
            {
                return $"{axis} {mine ?? Missing} vs {theirs ?? Missing}";
            }
        }
        return null;
    }

    private static string SeedList(CellSummary cell) => string.Join(" ", cell.Seeds.Order().Select(s => s.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Bold marks the best of several: a column with a single cell has none, and a baseline that spans
    /// the columns (shown once, compared with every column) competes in each of them, so a method below it is not bold.</summary>
    private static bool[,] BestOfEachColumn(CellSummary?[,] grid, CellSummary?[] spanningBaselines, bool higherIsBetter)
    {
        int rowCount = grid.GetLength(0), columnCount = grid.GetLength(1);
        var best = new bool[rowCount, columnCount];
        for (int c = 0; c < columnCount; c++)
        {
            var present = Enumerable.Range(0, rowCount)
                .Select(r => grid[r, c])
                .Append(spanningBaselines[c])
                .Where(cell => cell is { Mean: not null })
                .ToList();
            var means = present.Where(cell => cell!.IsComplete).Select(cell => cell!.Mean!.Value).ToList();
            if (present.Count < 2 || means.Count == 0)
            {
                continue;
            }
            // Compared as displayed, so that means equal to 2 decimals are best together.
            string bestMean = Fixed2(higherIsBetter ? means.Max() : means.Min());
            for (int r = 0; r < rowCount; r++)
            {
                best[r, c] = grid[r, c] is { IsComplete: true, Mean: double mean } && Fixed2(mean) == bestMean;
            }
        }
        return best;
    }

    private static List<string> AxisValues(CellSummary cell, IReadOnlyList<string> axes) =>
        axes.Select(axis => cell.Labels.GetValueOrDefault(axis, Missing)).ToList();

    private static int IndexOf(List<string> values, List<IReadOnlyList<string>> list, Dictionary<string, int> index)
    {
        // A separator no label contains, so ("a b", "c") and ("a", "b c") stay apart.
        string key = string.Join('\u001f', values);
        if (!index.TryGetValue(key, out int i))
        {
            i = list.Count;
            list.Add(values);
            index[key] = i;
        }
        return i;
    }

    private static InvalidOperationException SamePosition(CellSummary first, CellSummary second, IReadOnlyList<string> row, IReadOnlyList<string> column, ReportLayout layout)
    {
        var differing = first.Labels.Keys.Union(second.Labels.Keys)
            .Where(axis => !layout.Rows.Contains(axis) && !layout.Columns.Contains(axis))
            .Where(axis => first.Labels.GetValueOrDefault(axis) != second.Labels.GetValueOrDefault(axis))
            .ToList();
        string where = $"row '{string.Join(" / ", row)}', column '{string.Join(", ", column)}'";
        string what = differing.Count > 0
            ? $"they differ in {string.Join(", ", differing.Select(a => $"'{a}'"))}; add {(differing.Count == 1 ? "it" : "one of them")} to the report's rows or columns"
            : "their labels are equal; give the cells distinct labels";
        return new InvalidOperationException($"cells {first.CellKey} and {second.CellKey} both land at {where}: {what}");
    }

    private static string Fixed2(double value) => value.ToString("F2", CultureInfo.InvariantCulture);
}
