using System.Globalization;

namespace SemiSeg.Reports.Plots;

/// <summary>Label fractions as sweeps write them ("1/8", "0.25", "1"): parsed to numbers so that plots order them by
/// value (1/8 &lt; 1/4 &lt; 1/2 &lt; 1/1) instead of as text.</summary>
public static class LabelFractions
{
    /// <summary>Parses "a/b" (0 &lt; a ≤ b), a decimal in (0, 1] or "1".</summary>
    /// <exception cref="FormatException">The text is not such a fraction; the message names it.</exception>
    public static double Parse(string text) =>
        TryParse(text, out double value) ? value
            : throw new FormatException($"'{text}' is not a label fraction; write it as a/b (e.g. 1/8), a decimal in (0, 1] or 1.");

    public static bool TryParse(string text, out double value)
    {
        value = 0;
        string[] parts = text.Trim().Split('/');
        double parsed;
        if (parts.Length == 2)
        {
            if (!double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double numerator)
                || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double denominator)
                || denominator == 0)
            {
                return false;
            }
            parsed = numerator / denominator;
        }
        else if (parts.Length != 1 || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out parsed))
        {
            return false;
        }
        if (!(parsed > 0 && parsed <= 1))
        {
            return false;
        }
        value = parsed;
        return true;
    }
}
