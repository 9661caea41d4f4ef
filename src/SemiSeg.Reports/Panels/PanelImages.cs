namespace SemiSeg.Reports.Panels;

/// <summary>An RGB image: <see cref="Pixels"/> holds Width × Height × 3 bytes, row-major, channels interleaved (R, G, B).</summary>
public sealed record RgbImage(int Width, int Height, byte[] Pixels)
{
    internal void Check(string what)
    {
        if (Width <= 0 || Height <= 0 || Pixels.Length != Width * Height * 3)
        {
            throw new ArgumentException($"{what}: an RGB image of {Width} × {Height} needs {Math.Max(Width * Height * 3, 0)} bytes, got {Pixels.Length}.");
        }
    }
}

/// <summary>A label map: <see cref="Labels"/> holds Width × Height class ids, row-major; negative = ignore.</summary>
public sealed record LabelMap(int Width, int Height, int[] Labels)
{
    internal void Check(string what)
    {
        if (Width <= 0 || Height <= 0 || Labels.Length != Width * Height)
        {
            throw new ArgumentException($"{what}: a label map of {Width} × {Height} needs {Math.Max(Width * Height, 0)} labels, got {Labels.Length}.");
        }
    }
}

/// <summary>One row of a qualitative panel: an input image, its ground truth, and one prediction per method (in the
/// order of the panel's method columns).</summary>
public sealed record PanelRow(RgbImage Input, LabelMap GroundTruth, IReadOnlyList<LabelMap> Predictions);

/// <summary>Where a panel put things, in pixels of the written PNG: every cell is <see cref="CellWidth"/> ×
/// <see cref="CellHeight"/>, separated by <see cref="Gap"/>, below a title band of <see cref="TitleHeight"/>.</summary>
public sealed record PanelLayout(int Width, int Height, int Rows, int Columns, int CellWidth, int CellHeight, int TitleHeight, int Gap)
{
    /// <summary>The left x of <paramref name="column"/>'s cells.</summary>
    public int CellX(int column) => Gap + column * (CellWidth + Gap);

    /// <summary>The top y of <paramref name="row"/>'s cells.</summary>
    public int CellY(int row) => TitleHeight + Gap + row * (CellHeight + Gap);
}
