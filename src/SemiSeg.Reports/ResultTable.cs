using System.Globalization;
using System.Text;
using SemiSeg.Sweeps;

namespace SemiSeg.Reports;

/// <summary>
/// Cell summaries pivoted into a table: one row per combination of the layout's row axes, one column per combination of
/// its column axes, both in order of first appearance. Each table position holds at most one cell.
/// </summary>
public sealed class ResultTable
{
    /// <summary>Shown for a label a cell does not have (e.g. perturbation of a supervised cell) and for a cell without
    /// values.</summary>
    public const string Missing = "—";

    private readonly CellSummary?[,] _cells;

    private ResultTable(ReportLayout layout, IReadOnlyList<IReadOnlyList<string>> rows, IReadOnlyList<IReadOnlyList<string>> columns, CellSummary?[,] cells)
    {
        Layout = layout;
        Rows = rows;
        Columns = columns;
        _cells = cells;
    }

    public ReportLayout Layout { get; }

    /// <summary>Each row's values of <see cref="ReportLayout.Rows"/>, in axis order.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Rows { get; }

    /// <summary>Each column's values of <see cref="ReportLayout.Columns"/>, in axis order.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Columns { get; }

    /// <summary>The cell at a table position, or null where the sweep has none.</summary>
    public CellSummary? this[int row, int column] => _cells[row, column];

    /// <exception cref="InvalidOperationException">Two cells land on the same position (the message names the axes that
    /// tell them apart), or the layout has a <c>seed</c> axis and the summaries are not per seed.</exception>
    public static ResultTable Build(IReadOnlyList<CellSummary> cells, ReportLayout layout)
    {
        // A manifest may put seed on an axis, but per-cell summaries have no seed; every cell would land on one "—" seed.
        if (layout.Rows.Concat(layout.Columns).Contains("seed") && !cells.Any(c => c.Labels.ContainsKey("seed")))
        {
            throw new InvalidOperationException("the report layout has a 'seed' axis but no cell has a seed label; build the summaries with CellSummaries.PerSeed");
        }

        var rows = new List<IReadOnlyList<string>>();
        var columns = new List<IReadOnlyList<string>>();
        var rowIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var columnIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var placed = new List<(int Row, int Column, CellSummary Cell)>();
        foreach (var cell in cells)
        {
            int row = IndexOf(AxisValues(cell, layout.Rows), rows, rowIndex);
            int column = IndexOf(AxisValues(cell, layout.Columns), columns, columnIndex);
            var clash = placed.FirstOrDefault(p => p.Row == row && p.Column == column);
            if (clash.Cell is not null)
            {
                throw SamePosition(clash.Cell, cell, rows[row], columns[column], layout);
            }
            placed.Add((row, column, cell));
        }

        var grid = new CellSummary?[rows.Count, columns.Count];
        foreach (var (row, column, cell) in placed)
        {
            grid[row, column] = cell;
        }
        return new ResultTable(layout, rows, columns, grid);
    }

    /// <summary>How a cell reads in the table: "mean ± std" (2 decimals), the mean alone for one value, "—" for none;
    /// an incomplete cell adds its count, e.g. "61.20 ± 0.80 (3/5)".</summary>
    public static string FormatCell(CellSummary cell)
    {
        string text = cell.N switch
        {
            0 => Missing,
            1 => Fixed2(cell.Mean!.Value),
            _ => $"{Fixed2(cell.Mean!.Value)} ± {Fixed2(cell.Std!.Value)}",
        };
        return cell.IsComplete ? text : $"{text} ({cell.N}/{cell.Expected})";
    }

    /// <summary>A GitHub Markdown table; the best complete mean of each column is bold. Lines end in \n.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        var header = new List<string> { Corner() };
        header.AddRange(Columns.Select(ColumnHeader));
        AppendMarkdownRow(sb, header);
        // The row labels align left, the numbers right.
        AppendMarkdownRow(sb, [":---", .. Columns.Select(_ => "---:")]);

        var best = Enumerable.Range(0, Columns.Count).Select(BestMean).ToList();
        for (int r = 0; r < Rows.Count; r++)
        {
            var line = new List<string> { string.Join(" / ", Rows[r]) };
            for (int c = 0; c < Columns.Count; c++)
            {
                var cell = _cells[r, c];
                if (cell is null)
                {
                    line.Add("");
                    continue;
                }
                string text = FormatCell(cell);
                bool isBest = cell.IsComplete && cell.Mean is double mean && best[c] is string b && Fixed2(mean) == b;
                line.Add(isBest ? $"**{text}**" : text);
            }
            AppendMarkdownRow(sb, line);
        }
        return sb.ToString();
    }

    /// <summary>
    /// RFC 4180 CSV, one line per cell in table order (rows, then columns): the row axes, the column axes, n, expected,
    /// mean, std, min, max. Numbers are invariant round-trip ("R"); a missing label or number is an empty field. Lines
    /// end in \n.
    /// </summary>
    public string ToCsv()
    {
        var sb = new StringBuilder();
        AppendCsvRow(sb, [.. Layout.Rows, .. Layout.Columns, "n", "expected", "mean", "std", "min", "max"]);
        for (int r = 0; r < Rows.Count; r++)
        {
            for (int c = 0; c < Columns.Count; c++)
            {
                if (_cells[r, c] is not CellSummary cell)
                {
                    continue;
                }
                AppendCsvRow(sb,
                [
                    .. Layout.Rows.Select(axis => cell.Labels.GetValueOrDefault(axis, "")),
                    .. Layout.Columns.Select(axis => cell.Labels.GetValueOrDefault(axis, "")),
                    cell.N.ToString(CultureInfo.InvariantCulture),
                    cell.Expected.ToString(CultureInfo.InvariantCulture),
                    RoundTrip(cell.Mean), RoundTrip(cell.Std), RoundTrip(cell.Min), RoundTrip(cell.Max),
                ]);
            }
        }
        return sb.ToString();
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

    private string Corner()
    {
        string rows = string.Join(" / ", Layout.Rows);
        if (Layout.Columns.Count != 1)
        {
            return rows;
        }
        return rows.Length == 0 ? Layout.Columns[0] : $"{rows} \\ {Layout.Columns[0]}";
    }

    private string ColumnHeader(IReadOnlyList<string> values) => Layout.Columns.Count switch
    {
        0 => Layout.Metric,
        1 => values[0],
        _ => string.Join(", ", Layout.Columns.Select((axis, i) => $"{axis}={values[i]}")),
    };

    /// <summary>The best complete mean of a column as displayed, so that means equal to 2 decimals are bold together.</summary>
    private string? BestMean(int column)
    {
        var means = Enumerable.Range(0, Rows.Count)
            .Select(r => _cells[r, column])
            .Where(cell => cell is { IsComplete: true, Mean: not null })
            .Select(cell => cell!.Mean!.Value)
            .ToList();
        return means.Count == 0 ? null : Fixed2(means.Max());
    }

    private static void AppendMarkdownRow(StringBuilder sb, IEnumerable<string> fields)
    {
        // A '|' inside a label would end the table cell.
        sb.Append("| ").Append(string.Join(" | ", fields.Select(f => f.Replace("|", "\\|", StringComparison.Ordinal)))).Append(" |\n");
    }

    private static void AppendCsvRow(StringBuilder sb, IEnumerable<string> fields)
    {
        sb.Append(string.Join(',', fields.Select(CsvField))).Append('\n');
    }

    private static string CsvField(string field) =>
        field.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? $"\"{field.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : field;

    private static string Fixed2(double value) => value.ToString("F2", CultureInfo.InvariantCulture);

    private static string RoundTrip(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "";
}
