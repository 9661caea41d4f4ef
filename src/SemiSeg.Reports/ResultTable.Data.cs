using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SemiSeg.Reports;

/// <summary>The machine-readable renderings: CSV and JSON, with every statistic and comparison.</summary>
public sealed partial class ResultTable
{
    private static readonly string[] CsvStatisticColumns =
    [
        "n", "expected", "complete", "failed", "seeds", "mean", "std", "sem", "ci95_low", "ci95_high", "min", "max", "best",
        "baseline", "test", "difference", "difference_ci95_low", "difference_ci95_high", "t", "df", "p", "p_holm",
        "bootstrap_ci95_low", "bootstrap_ci95_high", "verdict", "note",
    ];

    /// <summary>
    /// RFC 4180 CSV, one line per cell in table order (rows, then columns): the row axes, the column axes, then
    /// <see cref="CsvStatisticColumns"/>. Numbers are invariant with 6 fixed decimals (so that last-bit differences
    /// between machines do not show); a missing label or number is an empty field. <c>seeds</c> lists the succeeded
    /// seeds, space-separated; <c>baseline</c> is true on the baseline row; the comparison columns are empty where a
    /// cell is not compared. Lines end in \n.
    /// </summary>
    public string ToCsv()
    {
        var sb = new StringBuilder();
        AppendCsvRow(sb, [.. Layout.Rows, .. Layout.Columns, .. CsvStatisticColumns]);
        ForEachCell((r, c, cell) =>
        {
            var comparison = _comparisons[r, c];
            AppendCsvRow(sb,
            [
                .. Layout.Rows.Select(axis => cell.Labels.GetValueOrDefault(axis, "")),
                .. Layout.Columns.Select(axis => cell.Labels.GetValueOrDefault(axis, "")),
                Integer(cell.N), Integer(cell.Expected), Boolean(cell.IsComplete), Integer(cell.Failed),
                string.Join(" ", cell.Seeds.Select(Integer)),
                Fixed6(cell.Mean), Fixed6(cell.Std), Fixed6(cell.Sem), Fixed6(cell.Ci95?.Low), Fixed6(cell.Ci95?.High),
                Fixed6(cell.Min), Fixed6(cell.Max), Boolean(_best[r, c]), Boolean(r == BaselineRow),
                comparison is null ? "" : TestName(comparison.Test),
                Fixed6(comparison?.Difference), Fixed6(comparison?.DifferenceCi?.Low), Fixed6(comparison?.DifferenceCi?.High),
                Fixed6(comparison?.T), Fixed6(comparison?.Df), Fixed6(comparison?.P), Fixed6(comparison?.AdjustedP),
                Fixed6(comparison?.BootstrapCi?.Low), Fixed6(comparison?.BootstrapCi?.High),
                comparison is null ? "" : VerdictName(comparison),
                comparison?.Note ?? "",
            ]);
        });
        return sb.ToString();
    }

    /// <summary>
    /// The table as indented JSON (2 spaces, \n): the layout, the comparison settings, and one object per cell in table
    /// order with its labels (sorted by name), its runs (seed and value), its statistics and its comparison. Property
    /// order is fixed and numbers have 6 fixed decimals, so equal input gives equal bytes.
    /// </summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions
        {
            Indented = true,
            NewLine = "\n",
            // Keeps "—" and "±" readable; the output is a file, never embedded in HTML.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            json.WriteStartObject();
            json.WriteString("metric", Layout.Metric);
            WriteStrings(json, "rows", Layout.Rows);
            WriteStrings(json, "columns", Layout.Columns);
            json.WriteBoolean("higher_is_better", Layout.HigherIsBetter);
            if (Layout.Baseline is null)
            {
                json.WriteNull("baseline");
            }
            else
            {
                json.WriteStartObject("baseline");
                foreach (var (axis, value) in Layout.Baseline.OrderBy(b => b.Key, StringComparer.Ordinal))
                {
                    json.WriteString(axis, value);
                }
                json.WriteEndObject();
            }
            WriteNumber(json, "alpha", Options.Alpha);
            json.WriteString("correction", "holm");
            json.WriteNumber("bootstrap_resamples", Options.BootstrapResamples);
            json.WriteStartArray("cells");
            ForEachCell((r, c, cell) => WriteCell(json, r, c, cell));
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private void WriteCell(Utf8JsonWriter json, int row, int column, CellSummary cell)
    {
        json.WriteStartObject();
        json.WriteString("cell_key", cell.CellKey);
        WriteStrings(json, "row", Rows[row]);
        WriteStrings(json, "column", Columns[column]);
        json.WriteStartObject("labels");
        foreach (var (axis, value) in cell.Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            json.WriteString(axis, value);
        }
        json.WriteEndObject();
        json.WriteNumber("n", cell.N);
        json.WriteNumber("expected", cell.Expected);
        json.WriteBoolean("complete", cell.IsComplete);
        json.WriteNumber("failed", cell.Failed);
        json.WriteStartArray("runs");
        for (int i = 0; i < cell.Values.Count; i++)
        {
            json.WriteStartObject();
            json.WriteNumber("seed", cell.Seeds[i]);
            WriteNumber(json, "value", cell.Values[i]);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        WriteNumber(json, "mean", cell.Mean);
        WriteNumber(json, "std", cell.Std);
        WriteNumber(json, "sem", cell.Sem);
        WriteInterval(json, "ci95", cell.Ci95);
        WriteNumber(json, "min", cell.Min);
        WriteNumber(json, "max", cell.Max);
        json.WriteBoolean("best", _best[row, column]);
        json.WriteBoolean("baseline", row == BaselineRow);
        if (_comparisons[row, column] is not CellComparison comparison)
        {
            json.WriteNull("comparison");
        }
        else
        {
            json.WriteStartObject("comparison");
            WriteStringOrNull(json, "baseline_cell_key", comparison.BaselineCellKey);
            json.WriteString("test", TestName(comparison.Test));
            WriteNumber(json, "difference", comparison.Difference);
            WriteInterval(json, "difference_ci95", comparison.DifferenceCi);
            WriteNumber(json, "t", comparison.T);
            WriteNumber(json, "df", comparison.Df);
            WriteNumber(json, "p", comparison.P);
            WriteNumber(json, "p_holm", comparison.AdjustedP);
            WriteInterval(json, "bootstrap_ci95", comparison.BootstrapCi);
            json.WriteString("verdict", VerdictName(comparison));
            WriteStringOrNull(json, "note", comparison.Note);
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    private void ForEachCell(Action<int, int, CellSummary> action)
    {
        for (int r = 0; r < Rows.Count; r++)
        {
            for (int c = 0; c < Columns.Count; c++)
            {
                if (_cells[r, c] is CellSummary cell)
                {
                    action(r, c, cell);
                }
            }
        }
    }

    private static string TestName(TestKind test) => test switch
    {
        TestKind.Paired => "paired",
        TestKind.Welch => "welch",
        _ => "none",
    };

    private static string VerdictName(CellComparison comparison) => comparison.Verdict switch
    {
        Verdict.Better => "better",
        Verdict.Worse => "worse",
        _ => comparison.Test == TestKind.None ? "not tested" : "not significant",
    };

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (string value in values)
        {
            json.WriteStringValue(value);
        }
        json.WriteEndArray();
    }

    private static void WriteStringOrNull(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteNumber(Utf8JsonWriter json, string name, double? value)
    {
        json.WritePropertyName(name);
        if (value is double v)
        {
            json.WriteRawValue(Fixed6(v), skipInputValidation: true);
        }
        else
        {
            json.WriteNullValue();
        }
    }

    private static void WriteInterval(Utf8JsonWriter json, string name, ConfidenceInterval? interval)
    {
        if (interval is not ConfidenceInterval ci)
        {
            json.WriteNull(name);
            return;
        }
        // An object, not a [low, high] array: Utf8JsonWriter does not indent raw values inside arrays.
        json.WriteStartObject(name);
        WriteNumber(json, "low", ci.Low);
        WriteNumber(json, "high", ci.High);
        json.WriteEndObject();
    }

    private static void AppendCsvRow(StringBuilder sb, IEnumerable<string> fields)
    {
        sb.Append(string.Join(',', fields.Select(CsvField))).Append('\n');
    }

    private static string CsvField(string field) =>
        field.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? $"\"{field.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : field;

    private static string Integer(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Boolean(bool value) => value ? "true" : "false";

    private static string Fixed6(double? value)
    {
        if (value is not double v)
        {
            return "";
        }
        string text = v.ToString("F6", CultureInfo.InvariantCulture);
        // A tiny negative number would read "-0.000000"; it is the same as zero at this precision.
        return text == "-0.000000" ? "0.000000" : text;
    }
}
