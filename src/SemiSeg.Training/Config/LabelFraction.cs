using System.Globalization;

namespace SemiSeg.Training.Config;

/// <summary>Parses label fractions written as "1/8", "0.125" or "1".</summary>
public static class LabelFraction
{
    public static bool TryParse(string text, out double fraction, out string? problem)
    {
        fraction = 0;
        problem = null;
        string t = text.Trim();
        int slash = t.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            if (!double.TryParse(t[..slash], NumberStyles.Float, CultureInfo.InvariantCulture, out double numerator)
                || !double.TryParse(t[(slash + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double denominator)
                || denominator == 0)
            {
                problem = $"'{text}' is not a fraction";
                return false;
            }
            fraction = numerator / denominator;
        }
        else if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out fraction))
        {
            problem = $"'{text}' is not a number or fraction";
            return false;
        }
        if (!(fraction > 0 && fraction <= 1))
        {
            problem = $"'{text}' must be in (0, 1]";
            return false;
        }
        return true;
    }

    /// <summary>The most folds a label fraction may make (1/1000000).</summary>
    public const int MaxFolds = 1_000_000;

    /// <summary>n when <paramref name="fraction"/> is 1/n for a whole n up to <see cref="MaxFolds"/>, else null.</summary>
    public static int? Folds(double fraction)
    {
        if (!(fraction > 0 && fraction <= 1) || 1 / fraction > MaxFolds + 0.5)
        {
            return null;
        }
        int folds = (int)Math.Round(1 / fraction);
        return Math.Abs(1.0 / folds - fraction) <= 1e-9 ? folds : null;
    }

    public static double Parse(string text) =>
        TryParse(text, out double fraction, out string? problem) ? fraction : throw new FormatException(problem);
}
