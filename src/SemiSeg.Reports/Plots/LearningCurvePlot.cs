using ScottPlot;

namespace SemiSeg.Reports.Plots;

/// <summary>One curve of a learning-curve plot: a cell (method × label fraction) and the histories of its seeds.</summary>
public sealed record LearningCurveSeries(string Name, IReadOnlyList<MetricsHistory> Seeds);

/// <summary>A point of a curve averaged over seeds: <see cref="Std"/> is the sample standard deviation over the
/// <see cref="Seeds"/> runs that logged this step (0 with one run).</summary>
public sealed record CurvePoint(int Step, double Mean, double Std, int Seeds);

/// <summary>Learning curves: the eval metric vs. step, mean over seeds with a ±std band, optionally with the mean
/// training loss on a right-hand axis.</summary>
public static class LearningCurvePlot
{
    /// <summary>Whether the curves show training progress: some curve was evaluated at two or more steps. Runs that
    /// evaluate only at their last step (schedule.eval_every unset) give one point per curve, which is no curve.</summary>
    public static bool ShowsProgress(IReadOnlyList<LearningCurveSeries> series) =>
        series.Any(s => s.Seeds.SelectMany(h => h.Eval).Select(e => e.Step).Distinct().Skip(1).Any());

    /// <summary>Writes the plot as a PNG of <paramref name="width"/> × <paramref name="height"/> pixels.</summary>
    /// <param name="includeTrainingLoss">Also draw each curve's mean training loss (dashed, right axis).</param>
    /// <exception cref="ArgumentException">No curves, a curve whose seeds logged no evaluation, or curves that
    /// evaluate different metrics.</exception>
    public static void Write(string pngPath, IReadOnlyList<LearningCurveSeries> series, string? title = null, bool includeTrainingLoss = false, int width = 900, int height = 550)
    {
        if (series.Count == 0)
        {
            throw new ArgumentException("A learning-curve plot needs at least one curve.", nameof(series));
        }
        var metrics = series.SelectMany(s => s.Seeds).SelectMany(h => h.Eval).Select(e => e.Metric).Distinct().ToList();
        if (metrics.Count > 1)
        {
            throw new ArgumentException($"The curves evaluate different metrics ({string.Join(", ", metrics)}); plot them separately.", nameof(series));
        }

        using var plot = new Plot();
        var colors = new ScottPlot.Palettes.Category10();
        IYAxis? lossAxis = includeTrainingLoss ? plot.Axes.Right : null;
        for (int i = 0; i < series.Count; i++)
        {
            var curve = MeanOverSeeds(series[i].Seeds.Select(h => h.Eval.Select(e => (e.Step, e.Value)).ToList()).ToList());
            if (curve.Count == 0)
            {
                throw new ArgumentException($"Curve '{series[i].Name}' has no evaluations in any seed's metrics.jsonl; evaluate during training (schedule.eval_every) or check the runs finished.", nameof(series));
            }
            var color = colors.GetColor(i);
            double[] steps = curve.Select(p => (double)p.Step).ToArray();
            double[] means = curve.Select(p => p.Mean).ToArray();
            var band = plot.Add.FillY(steps, curve.Select(p => p.Mean - p.Std).ToArray(), curve.Select(p => p.Mean + p.Std).ToArray());
            band.FillColor = color.WithAlpha(0.2);
            band.LineWidth = 0;
            var line = plot.Add.Scatter(steps, means, color);
            line.LineWidth = 2;
            line.MarkerSize = curve.Count > 30 ? 0 : 5;
            int seeds = series[i].Seeds.Count;
            line.LegendText = $"{series[i].Name} ({seeds} seed{(seeds == 1 ? "" : "s")})";

            if (lossAxis is not null)
            {
                var loss = MeanOverSeeds(series[i].Seeds.Select(h => h.Train.Select(t => (t.Step, t.Loss)).ToList()).ToList());
                if (loss.Count > 0)
                {
                    var lossLine = plot.Add.ScatterLine(loss.Select(p => (double)p.Step).ToArray(), loss.Select(p => p.Mean).ToArray(), color);
                    lossLine.LinePattern = LinePattern.Dashed;
                    lossLine.LineWidth = 1;
                    lossLine.Axes.YAxis = lossAxis;
                    lossLine.LegendText = $"{series[i].Name}: training loss";
                }
            }
        }

        string metric = metrics.Count == 1 ? metrics[0] : "metric";
        PlotFiles.Label(plot, title, "step", metric is "mIoU" or "accuracy" ? $"validation {metric} (%)" : $"validation {metric}");
        if (lossAxis is not null)
        {
            lossAxis.Label.Text = "training loss (dashed)";
        }
        // One x range for all curves and losses (ScottPlot would fit the shared x axis to one axis pair only).
        int lastStep = series.SelectMany(s => s.Seeds).SelectMany(h => h.Eval.Select(e => e.Step).Concat(includeTrainingLoss ? h.Train.Select(t => t.Step) : [])).Max();
        plot.Axes.SetLimitsX(0, lastStep * 1.03);
        plot.ShowLegend(Edge.Bottom); // below the axes: curves rise and losses fall, so no corner stays free
        PlotFiles.SavePng(plot, pngPath, width, height);
    }

    /// <summary>Mean and sample std per step over seeds; a step counts the seeds that logged it (a seed that stopped
    /// early still contributes its earlier steps).</summary>
    public static IReadOnlyList<CurvePoint> MeanOverSeeds(IReadOnlyList<IReadOnlyList<(int Step, double Value)>> seeds) =>
        seeds.SelectMany(points => points)
            .GroupBy(p => p.Step)
            .OrderBy(g => g.Key)
            .Select(g =>
            {
                double[] values = g.Select(p => p.Value).ToArray();
                double mean = values.Average();
                double std = values.Length > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1)) : 0;
                return new CurvePoint(g.Key, mean, std, values.Length);
            })
            .ToList();
}
