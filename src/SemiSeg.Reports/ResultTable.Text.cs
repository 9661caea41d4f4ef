using System.Globalization;
using System.Text;

namespace SemiSeg.Reports;

/// <summary>The paper-style renderings: Markdown and LaTeX.</summary>
public sealed partial class ResultTable
{
    // Placeholders for the markers in notes, replaced per format after escaping.
    private const char BetterToken = '\u0001';
    private const char WorseToken = '\u0002';

    /// <summary>How one format writes a cell's pieces.</summary>
    private sealed record CellStyle(string PlusMinus, string NoValues, Func<string, string> Bold, string Better, string Worse);

    private static readonly CellStyle MarkdownStyle = new(" ± ", Missing, text => $"**{text}**", "†", "‡");

    private static readonly CellStyle LatexStyle = new(" $\\pm$ ", "---", text => $"\\textbf{{{text}}}", "$^{\\dagger}$", "$^{\\ddagger}$");

    /// <summary>How a cell reads in the table: "mean ± std" (2 decimals), the mean alone for one value, "—" for none;
    /// an incomplete cell adds its count, e.g. "61.20 ± 0.80 (n=3/5)".</summary>
    public static string FormatCell(CellSummary cell) => Numbers(cell, MarkdownStyle) + Count(cell);

    /// <summary>
    /// A GitHub Markdown table: the best complete mean of each column bold, † / ‡ after a cell significantly better /
    /// worse than its column's baseline, and notes under the table that explain the marks. Lines end in \n.
    /// </summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        var header = new List<string> { Corner() };
        header.AddRange(Columns.Select(ColumnHeader));
        AppendMarkdownRow(sb, header.Select(EscapeMarkdown));
        // The row labels align left, the numbers right.
        AppendMarkdownRow(sb, [":---", .. Columns.Select(_ => "---:")]);
        for (int r = 0; r < Rows.Count; r++)
        {
            var line = new List<string> { EscapeMarkdown(string.Join(" / ", Rows[r])) };
            for (int c = 0; c < Columns.Count; c++)
            {
                line.Add(CellText(r, c, MarkdownStyle));
            }
            AppendMarkdownRow(sb, line);
        }
        foreach (string note in Notes())
        {
            string text = EscapeMarkdown(note).Replace(BetterToken.ToString(), MarkdownStyle.Better, StringComparison.Ordinal).Replace(WorseToken.ToString(), MarkdownStyle.Worse, StringComparison.Ordinal);
            sb.Append('\n').Append(text).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>
    /// A LaTeX booktabs tabular (\toprule, \midrule, \bottomrule; needs \usepackage{booktabs}): one column per row
    /// axis, one per table column, \textbf for the best, $^\dagger$ / $^\ddagger$ for significance, labels escaped, and
    /// the notes as footnote-size paragraphs after it. Lines end in \n.
    /// </summary>
    public string ToLatex()
    {
        var sb = new StringBuilder();
        int labelColumns = Math.Max(1, Layout.Rows.Count);
        sb.Append("\\begin{tabular}{").Append('l', labelColumns).Append('r', Columns.Count).Append("}\n");
        sb.Append("\\toprule\n");
        if (Layout.Columns.Count == 1 && Columns.Count > 0)
        {
            // The column axis names its values above them, as in the paper's tables.
            sb.Append(string.Concat(Enumerable.Repeat("& ", labelColumns)));
            AppendLatexRow(sb, [$"\\multicolumn{{{Columns.Count}}}{{c}}{{{EscapeLatex(Layout.Columns[0])}}}"]);
            sb.Append(CultureInfo.InvariantCulture, $"\\cmidrule(lr){{{labelColumns + 1}-{labelColumns + Columns.Count}}}\n");
        }
        var labelHeaders = Layout.Rows.Count > 0 ? Layout.Rows : [""];
        AppendLatexRow(sb, [.. labelHeaders.Select(EscapeLatex), .. Columns.Select(column => EscapeLatex(ColumnHeader(column)))]);
        sb.Append("\\midrule\n");
        for (int r = 0; r < Rows.Count; r++)
        {
            var labels = Rows[r].Count > 0 ? Rows[r] : [""];
            AppendLatexRow(sb,
            [
                .. labels.Select(EscapeLatex),
                .. Enumerable.Range(0, Columns.Count).Select(c => CellText(r, c, LatexStyle)),
            ]);
        }
        sb.Append("\\bottomrule\n");
        sb.Append("\\end{tabular}\n");
        foreach (string note in Notes())
        {
            string text = EscapeLatex(note).Replace(BetterToken.ToString(), LatexStyle.Better, StringComparison.Ordinal).Replace(WorseToken.ToString(), LatexStyle.Worse, StringComparison.Ordinal);
            sb.Append("\n{\\footnotesize ").Append(text).Append("\\par}\n");
        }
        return sb.ToString();
    }

    /// <summary>A cell as shown: numbers (bold when best), marker, then the count of an incomplete cell.</summary>
    private string CellText(int row, int column, CellStyle style)
    {
        if (_cells[row, column] is not CellSummary cell)
        {
            return "";
        }
        string numbers = Numbers(cell, style);
        string marker = _comparisons[row, column]?.Verdict switch
        {
            Verdict.Better => style.Better,
            Verdict.Worse => style.Worse,
            _ => "",
        };
        return (_best[row, column] ? style.Bold(numbers) : numbers) + marker + Count(cell);
    }

    private static string Numbers(CellSummary cell, CellStyle style) => cell.N switch
    {
        0 => style.NoValues,
        1 => Fixed2(cell.Mean!.Value),
        _ => $"{Fixed2(cell.Mean!.Value)}{style.PlusMinus}{Fixed2(cell.Std!.Value)}",
    };

    private static string Count(CellSummary cell) =>
        cell.IsComplete ? "" : string.Create(CultureInfo.InvariantCulture, $" (n={cell.N}/{cell.Expected})");

    /// <summary>The notes under a table, as plain text with marker placeholders: what † / ‡ mean (test, correction,
    /// α, how many tests of which kind), bold when lower is better, and the count of incomplete cells.</summary>
    private List<string> Notes()
    {
        var notes = new List<string>();
        if (BaselineRow is not null)
        {
            var comparisons = _comparisons.Cast<CellComparison?>().OfType<CellComparison>().ToList();
            int paired = comparisons.Count(c => c.Test == TestKind.Paired);
            int welch = comparisons.Count(c => c.Test == TestKind.Welch);
            int untested = comparisons.Count(c => c.Test == TestKind.None);
            string baseline = BaselineSpansColumns
                ? $"{BetterToken} better, {WorseToken} worse than the baseline ({BaselineText(Layout)}; it has no {string.Join(" or ", Layout.Columns)}, so every column is compared with it)"
                : $"{BetterToken} better, {WorseToken} worse than the baseline row ({BaselineText(Layout)}) in the same column";
            string alpha = Options.Alpha.ToString("0.####", CultureInfo.InvariantCulture);
            string note = paired + welch == 0
                ? $"{baseline}: no cell could be tested."
                : $"{baseline} at Holm–Bonferroni-adjusted p < {alpha} over the table's {Plural(paired + welch, "t-test")}: "
                    + $"{paired} paired by seed (both cells have the same seeds and labeled subsets), {welch} Welch's.";
            if (untested > 0)
            {
                note += $" Not tested: {Plural(untested, "cell")} (too few values, no variance or no baseline cell).";
            }
            notes.Add(note);
        }
        if (!Layout.HigherIsBetter)
        {
            notes.Add("Bold: the lowest complete mean of each column (lower is better).");
        }
        if (_cells.Cast<CellSummary?>().Any(cell => cell is { IsComplete: false }))
        {
            notes.Add("(n=k/m): only k of the cell's m runs succeeded; such cells are never bold.");
        }
        return notes;
    }

    private static string Plural(int count, string noun) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {noun}{(count == 1 ? "" : "s")}");

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

    private static void AppendMarkdownRow(StringBuilder sb, IEnumerable<string> fields)
    {
        sb.Append("| ").Append(string.Join(" | ", fields)).Append(" |\n");
    }

    /// <summary>Labels in Markdown: a '|' would end the table cell, a '*' (cutmix*) could start emphasis.</summary>
    private static string EscapeMarkdown(string text) =>
        text.Replace("|", "\\|", StringComparison.Ordinal).Replace("*", "\\*", StringComparison.Ordinal);

    private static void AppendLatexRow(StringBuilder sb, IEnumerable<string> fields)
    {
        sb.Append(string.Join(" & ", fields)).Append(" \\\\\n");
    }

    /// <summary>Plain text for LaTeX: its special characters, and '*' and '[' which a line that starts after "\\"
    /// would read as "\\*" or "\\[...]".</summary>
    private static string EscapeLatex(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char ch in text)
        {
            sb.Append(ch switch
            {
                '\\' => "\\textbackslash{}",
                '&' or '%' or '$' or '#' or '_' or '{' or '}' => $"\\{ch}",
                '~' => "\\textasciitilde{}",
                '^' => "\\textasciicircum{}",
                '<' => "\\textless{}",
                '>' => "\\textgreater{}",
                '|' => "\\textbar{}",
                '*' or '[' or ']' => $"{{{ch}}}",
                '—' => "---",
                '–' => "--",
                '±' => "$\\pm$",
                _ => ch.ToString(),
            });
        }
        return sb.ToString();
    }
}
