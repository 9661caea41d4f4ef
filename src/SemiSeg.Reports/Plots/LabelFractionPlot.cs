using ScottPlot;

namespace SemiSeg.Reports.Plots;

/// <summary>One method's metric at one label fraction: the mean over seeds and its standard deviation (null or 0 when
/// there is a single seed: no error bar).</summary>
public sealed record FractionPoint(string LabelFraction, double Mean, double? Std);

/// <summary>One line of a label-fraction plot: a method (a row of the results table, e.g. "MT-PhTPS") and its points.</summary>
public sealed record MethodSeries(string Method, IReadOnlyList<FractionPoint> Points);

/// <summary>The paper's "metric vs. proportion of labels" figure: one line per method with ±std error bars.</summary>
public static class LabelFractionPlot
{
    /// <summary>Writes the plot as a PNG of <paramref name="width"/> × <paramref name="height"/> pixels. The x axis is
    /// log₂ of the fraction (so 1/8, 1/4, 1/2, 1/1 are evenly spaced), ticked and labelled with the fractions as given;
    /// the y axis is <paramref name="metricName"/> (e.g. "mIoU (%)").</summary>
    /// <exception cref="ArgumentException">No series, a series without points, or a fraction that does not parse.</exception>
    public static void Write(string pngPath, IReadOnlyList<MethodSeries> series, string metricName, string? title = null, int width = 800, int height = 500)
    {
        if (series.Count == 0 || series.Any(s => s.Points.Count == 0))
        {
            throw new ArgumentException("A label-fraction plot needs at least one method, each with at least one point.", nameof(series));
        }
        var fractions = new SortedDictionary<double, string>();
        foreach (var point in series.SelectMany(s => s.Points))
        {
            double value = ParseFraction(point.LabelFraction);
            fractions.TryAdd(value, point.LabelFraction); // "1/4" and "0.25" share a tick; the first spelling names it
        }

        using var plot = new Plot();
        var colors = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < series.Count; i++)
        {
            var points = series[i].Points.OrderBy(p => ParseFraction(p.LabelFraction)).ToArray();
            double[] xs = points.Select(p => Math.Log2(ParseFraction(p.LabelFraction))).ToArray();
            double[] means = points.Select(p => p.Mean).ToArray();
            double[] stds = points.Select(p => p.Std is double s && double.IsFinite(s) ? s : 0).ToArray();
            var color = colors.GetColor(i);
            var line = plot.Add.Scatter(xs, means, color);
            line.LegendText = series[i].Method;
            line.LineWidth = 2;
            line.MarkerSize = 7;
            var bars = plot.Add.ErrorBar(xs, means, stds);
            bars.Color = color;
            bars.LineWidth = 1.5f;
        }

        plot.Axes.Bottom.SetTicks(fractions.Keys.Select(Math.Log2).ToArray(), fractions.Values.ToArray());
        plot.Axes.Bottom.MinorTickStyle.Length = 0;
        PlotFiles.Label(plot, title, "labeled fraction of the training set", metricName);
        plot.Axes.Margins(horizontal: 0.08, vertical: 0.12);
        plot.ShowLegend(Alignment.LowerRight);
        PlotFiles.SavePng(plot, pngPath, width, height);
    }

    private static double ParseFraction(string text) =>
        LabelFractions.TryParse(text, out double value) ? value
            : throw new ArgumentException($"Label fraction '{text}' does not parse; write it as a/b (e.g. 1/8), a decimal in (0, 1] or 1.");
}
