using ScottPlot;

namespace SemiSeg.Reports.Plots;

/// <summary>Shared finishing of plots: labels and writing the PNG (creating its folder).</summary>
internal static class PlotFiles
{
    public static void Label(Plot plot, string? title, string xLabel, string yLabel)
    {
        if (!string.IsNullOrEmpty(title))
        {
            plot.Title(title);
        }
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
    }

    public static void SavePng(Plot plot, string pngPath, int width, int height)
    {
        if (width < 100 || height < 100)
        {
            throw new ArgumentException($"A plot needs at least 100 × 100 pixels, got {width} × {height}.");
        }
        string? folder = Path.GetDirectoryName(Path.GetFullPath(pngPath));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }
        plot.SavePng(pngPath, width, height);
    }
}
