using SkiaSharp;

namespace SemiSeg.Reports.Panels;

/// <summary>
/// The paper's qualitative figure: one row per validation image, columns input | ground truth | method A | method B …,
/// label maps coloured with a <see cref="Palette"/>, a title above each column. Pure compositing of the given pixels
/// (SkiaSharp): label maps are scaled nearest-neighbour so every class colour stays exact.
/// </summary>
public static class QualitativePanel
{
    public const int Gap = 4;
    public const int TitleHeight = 28;

    /// <summary>Writes the panel as a PNG and returns its layout.</summary>
    /// <param name="columnTitles">One per column: input, ground truth, then one per prediction of each row.</param>
    /// <param name="cellWidth">Width of each cell in pixels; null: small images are enlarged by a whole factor to at
    /// least 128 px (e.g. 32 px → 4×), images wider than 512 px are shrunk to 512 px, others kept.</param>
    /// <exception cref="ArgumentException">No rows, a title count that does not match the columns, images of
    /// different sizes, arrays of the wrong length, or a label the palette has no colour for.</exception>
    public static PanelLayout Write(string pngPath, IReadOnlyList<PanelRow> rows, IReadOnlyList<string> columnTitles, Palette palette, int? cellWidth = null)
    {
        var layout = Plan(rows, columnTitles, cellWidth);
        using var surface = SKSurface.Create(new SKImageInfo(layout.Width, layout.Height, SKColorType.Rgba8888, SKAlphaType.Opaque))
            ?? throw new InvalidOperationException($"SkiaSharp could not allocate a {layout.Width} × {layout.Height} panel.");
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        DrawTitles(canvas, layout, columnTitles);

        for (int r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            int width = row.Input.Width, height = row.Input.Height;
            byte[][] cells = [ToRgba(row.Input), Colorize(row.GroundTruth, palette), .. row.Predictions.Select(p => Colorize(p, palette))];
            for (int c = 0; c < cells.Length; c++)
            {
                using var image = SKImage.FromPixelCopy(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque), cells[c], width * 4);
                var target = SKRect.Create(layout.CellX(c), layout.CellY(r), layout.CellWidth, layout.CellHeight);
                // Label maps always nearest (exact colours); a shrunk photo reads better with linear filtering.
                var sampling = c == 0 && layout.CellWidth < width ? new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear) : new SKSamplingOptions(SKFilterMode.Nearest);
                canvas.DrawImage(image, target, sampling);
            }
        }

        string? folder = Path.GetDirectoryName(Path.GetFullPath(pngPath));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }
        using var snapshot = surface.Snapshot();
        using var png = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        using (var file = File.Create(pngPath))
        {
            png.SaveTo(file);
        }
        return layout;
    }

    private static PanelLayout Plan(IReadOnlyList<PanelRow> rows, IReadOnlyList<string> columnTitles, int? cellWidth)
    {
        if (rows.Count == 0)
        {
            throw new ArgumentException("A qualitative panel needs at least one row.", nameof(rows));
        }
        int columns = 2 + rows[0].Predictions.Count;
        if (columnTitles.Count != columns)
        {
            throw new ArgumentException($"The panel has {columns} columns (input, ground truth, {columns - 2} method(s)) but {columnTitles.Count} titles were given.", nameof(columnTitles));
        }
        int width = rows[0].Input.Width, height = rows[0].Input.Height;
        for (int r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            row.Input.Check($"row {r} input");
            row.GroundTruth.Check($"row {r} ground truth");
            if (row.Predictions.Count != columns - 2)
            {
                throw new ArgumentException($"Row {r} has {row.Predictions.Count} predictions, row 0 has {columns - 2}; every row needs one per method.", nameof(rows));
            }
            for (int p = 0; p < row.Predictions.Count; p++)
            {
                row.Predictions[p].Check($"row {r} prediction {p} ({columnTitles[2 + p]})");
            }
            var sizes = new[] { (row.Input.Width, row.Input.Height), (row.GroundTruth.Width, row.GroundTruth.Height) }
                .Concat(row.Predictions.Select(p => (p.Width, p.Height)));
            if (sizes.Any(s => s != (width, height)))
            {
                throw new ArgumentException($"Row {r}: every image and label map of a panel must be {width} × {height} (the size of row 0's input).", nameof(rows));
            }
        }
        if (cellWidth is <= 0)
        {
            throw new ArgumentException($"cellWidth must be positive, got {cellWidth}.", nameof(cellWidth));
        }
        int cell = cellWidth ?? (width < 128 ? width * (int)Math.Ceiling(128.0 / width) : Math.Min(width, 512));
        int cellHeight = Math.Max(1, (int)Math.Round((double)height * cell / width));
        return new PanelLayout(
            Width: Gap + columns * (cell + Gap),
            Height: TitleHeight + Gap + rows.Count * (cellHeight + Gap),
            rows.Count, columns, cell, cellHeight, TitleHeight, Gap);
    }

    private static void DrawTitles(SKCanvas canvas, PanelLayout layout, IReadOnlyList<string> titles)
    {
        // Not disposed: ScottPlot caches its typefaces.
        var typeface = ScottPlot.Fonts.GetTypeface(ScottPlot.Fonts.Default, bold: true, italic: false);
        using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        for (int c = 0; c < titles.Count; c++)
        {
            // Shrink a long title until it fits its column.
            float size = 15;
            using var font = new SKFont(typeface, size);
            while (size > 7 && font.MeasureText(titles[c]) > layout.CellWidth - 2)
            {
                font.Size = --size;
            }
            float x = layout.CellX(c) + layout.CellWidth / 2f;
            float y = layout.TitleHeight - 8;
            canvas.DrawText(titles[c], x, y, SKTextAlign.Center, font, paint);
        }
    }

    private static byte[] ToRgba(RgbImage image)
    {
        var rgba = new byte[image.Width * image.Height * 4];
        for (int p = 0, n = image.Width * image.Height; p < n; p++)
        {
            rgba[4 * p] = image.Pixels[3 * p];
            rgba[4 * p + 1] = image.Pixels[3 * p + 1];
            rgba[4 * p + 2] = image.Pixels[3 * p + 2];
            rgba[4 * p + 3] = 255;
        }
        return rgba;
    }

    private static byte[] Colorize(LabelMap map, Palette palette)
    {
        var rgba = new byte[map.Width * map.Height * 4];
        for (int p = 0; p < map.Labels.Length; p++)
        {
            var color = palette.ColorOf(map.Labels[p]);
            rgba[4 * p] = color.R;
            rgba[4 * p + 1] = color.G;
            rgba[4 * p + 2] = color.B;
            rgba[4 * p + 3] = 255;
        }
        return rgba;
    }
}
