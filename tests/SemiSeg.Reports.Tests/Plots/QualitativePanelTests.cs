using SemiSeg.Reports.Panels;

namespace SemiSeg.Reports.Tests.Plots;

public sealed class QualitativePanelTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("semiseg-panels-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private const int Side = 8;

    /// <summary>An 8x8 label map: left half <paramref name="left"/>, right half <paramref name="right"/>.</summary>
    private static LabelMap Halves(int left, int right) =>
        new(Side, Side, Enumerable.Range(0, Side * Side).Select(p => p % Side < Side / 2 ? left : right).ToArray());

    /// <summary>An 8x8 image whose pixel (x, y) is (10x, 10y, 200).</summary>
    private static RgbImage Gradient() =>
        new(Side, Side, Enumerable.Range(0, Side * Side).SelectMany(p => new[] { (byte)(10 * (p % Side)), (byte)(10 * (p / Side)), (byte)200 }).ToArray());

    private static void AssertPixel(string png, int x, int y, RgbColor expected)
    {
        using var bitmap = PngFiles.Decode(png);
        var actual = bitmap.GetPixel(x, y);
        Assert.Equal(expected, new RgbColor(actual.Red, actual.Green, actual.Blue));
    }

    [Fact]
    public void PanelHasOneCellPerImageAndMethodWithExactPaletteColours()
    {
        var rows = new List<PanelRow>
        {
            new(Gradient(), Halves(0, 13), [Halves(0, 0), Halves(-1, 13)]),
            new(Gradient(), Halves(11, 18), [Halves(11, 2), Halves(18, 18)]),
        };
        string png = Path.Combine(_root, "panel.png");

        var layout = QualitativePanel.Write(png, rows, ["image", "ground truth", "supervised", "MT-PhTPS"], Palette.Cityscapes);

        // 8 px images are enlarged 16x to 128 px cells; 4 columns, 2 rows, 4 px gaps, a 28 px title band.
        Assert.Equal(128, layout.CellWidth);
        Assert.Equal(128, layout.CellHeight);
        Assert.Equal((4 + 4 * (128 + 4), 28 + 4 + 2 * (128 + 4)), (layout.Width, layout.Height));
        Assert.Equal((layout.Width, layout.Height), PngFiles.Size(png));

        int scale = layout.CellWidth / Side;
        // The centre of source pixel (x, y) of cell (row, column).
        (int X, int Y) At(int row, int column, int x, int y) => (layout.CellX(column) + x * scale + scale / 2, layout.CellY(row) + y * scale + scale / 2);
        void Expect(int row, int column, int x, int y, RgbColor color)
        {
            var (px, py) = At(row, column, x, y);
            AssertPixel(png, px, py, color);
        }

        var palette = Palette.Cityscapes;
        Expect(0, 0, 3, 5, new RgbColor(30, 50, 200));            // input pixel (3, 5) unchanged
        Expect(0, 1, 1, 1, palette.ColorOf(0));                   // ground truth, left: road
        Expect(0, 1, 6, 6, new RgbColor(0, 0, 142));              // ground truth, right: car (train id 13)
        Expect(0, 2, 6, 2, palette.ColorOf(0));                   // supervised predicts road everywhere
        Expect(0, 3, 0, 7, new RgbColor(0, 0, 0));                // ignore (-1) is black
        Expect(0, 3, 7, 0, new RgbColor(0, 0, 142));
        Expect(1, 1, 0, 0, new RgbColor(220, 20, 60));            // person (11)
        Expect(1, 1, 7, 7, new RgbColor(119, 11, 32));            // bicycle (18)
        Expect(1, 2, 7, 3, new RgbColor(70, 70, 70));             // building (2)
        AssertPixel(png, layout.CellX(1) - 2, layout.CellY(1) + 10, new RgbColor(255, 255, 255)); // the gap between cells
    }

    [Fact]
    public void FashionScenesPaletteHasElevenDistinctColoursAndShrinksNothingSmall()
    {
        var colors = Palette.FashionScenes.ClassColors;
        Assert.Equal(11, colors.Count);
        Assert.Equal(11, colors.Distinct().Count());
        Assert.DoesNotContain(Palette.FashionScenes.IgnoreColor, colors);
        Assert.Equal(19, Palette.Cityscapes.ClassColors.Count);
        Assert.Same(Palette.Cityscapes, Palette.ForDataset("cityscapes"));
        Assert.Same(Palette.FashionScenes, Palette.ForDataset("fashion-scenes"));

        string png = Path.Combine(_root, "fs.png");
        var layout = QualitativePanel.Write(png, [new(Gradient(), Halves(0, 10), [])], ["image", "ground truth"], Palette.FashionScenes, cellWidth: 40);
        Assert.Equal((40, 40), (layout.CellWidth, layout.CellHeight));
        Assert.Equal((4 + 2 * 44, 28 + 4 + 44), PngFiles.Size(png));
        AssertPixel(png, layout.CellX(1) + 35, layout.CellY(0) + 20, new RgbColor(23, 190, 207)); // Ankle boot (10)
    }

    [Fact]
    public void BadPanelsAreRejectedClearly()
    {
        string png = Path.Combine(_root, "bad.png");
        var row = new PanelRow(Gradient(), Halves(0, 1), [Halves(0, 1)]);

        var titles = Assert.Throws<ArgumentException>(() => QualitativePanel.Write(png, [row], ["image", "ground truth"], Palette.Cityscapes));
        Assert.Contains("3 columns", titles.Message);

        var outOfPalette = Assert.Throws<ArgumentOutOfRangeException>(() =>
            QualitativePanel.Write(png, [row with { Predictions = [Halves(0, 19)] }], ["i", "g", "m"], Palette.Cityscapes));
        Assert.Contains("label 19", outOfPalette.Message);

        var shortArray = Assert.Throws<ArgumentException>(() =>
            QualitativePanel.Write(png, [row with { GroundTruth = new LabelMap(Side, Side, new int[10]) }], ["i", "g", "m"], Palette.Cityscapes));
        Assert.Contains("row 0 ground truth", shortArray.Message);

        var otherSize = Assert.Throws<ArgumentException>(() =>
            QualitativePanel.Write(png, [row, row with { Input = new RgbImage(4, 4, new byte[48]) }], ["i", "g", "m"], Palette.Cityscapes));
        Assert.Contains("Row 1", otherSize.Message);
        Assert.False(File.Exists(png));
    }
}
