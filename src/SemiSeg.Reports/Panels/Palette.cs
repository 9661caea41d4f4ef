namespace SemiSeg.Reports.Panels;

/// <summary>An opaque 8-bit RGB colour.</summary>
public readonly record struct RgbColor(byte R, byte G, byte B);

/// <summary>
/// Colours of label maps: one per class id, and one for ignored pixels (any negative label).
/// <list type="bullet">
/// <item><see cref="Cityscapes"/>: the standard colours of the 19 Cityscapes train ids (cityscapesScripts'
/// labels.py), ignore = black.</item>
/// <item><see cref="FashionScenes"/>: 0 background = black, classes 1–10 (Fashion-MNIST's T-shirt/top … Ankle boot) =
/// the ten Tableau/Category10 colours in order, ignore = white (FashionScenes has no ignored pixels; white stands out
/// if another dataset has).</item>
/// </list>
/// </summary>
public sealed class Palette
{
    public Palette(string name, IReadOnlyList<RgbColor> classColors, RgbColor ignoreColor)
    {
        if (classColors.Count == 0)
        {
            throw new ArgumentException("A palette needs at least one class colour.", nameof(classColors));
        }
        Name = name;
        ClassColors = classColors;
        IgnoreColor = ignoreColor;
    }

    public string Name { get; }

    public IReadOnlyList<RgbColor> ClassColors { get; }

    public RgbColor IgnoreColor { get; }

    /// <summary>The colour of <paramref name="label"/>: a class colour, or <see cref="IgnoreColor"/> when negative.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A label the palette has no colour for.</exception>
    public RgbColor ColorOf(int label) =>
        label < 0 ? IgnoreColor
        : label < ClassColors.Count ? ClassColors[label]
        : throw new ArgumentOutOfRangeException(nameof(label), $"label {label} has no colour in the {Name} palette ({ClassColors.Count} classes); use the palette of the run's dataset.");

    /// <summary>Cityscapes train ids 0–18: road, sidewalk, building, wall, fence, pole, traffic light, traffic sign,
    /// vegetation, terrain, sky, person, rider, car, truck, bus, train, motorcycle, bicycle.</summary>
    public static Palette Cityscapes { get; } = new("cityscapes",
    [
        new(128, 64, 128), new(244, 35, 232), new(70, 70, 70), new(102, 102, 156), new(190, 153, 153),
        new(153, 153, 153), new(250, 170, 30), new(220, 220, 0), new(107, 142, 35), new(152, 251, 152),
        new(70, 130, 180), new(220, 20, 60), new(255, 0, 0), new(0, 0, 142), new(0, 0, 70),
        new(0, 60, 100), new(0, 80, 100), new(0, 0, 230), new(119, 11, 32),
    ], ignoreColor: new(0, 0, 0));

    /// <summary>FashionScenes: background, T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag,
    /// Ankle boot.</summary>
    public static Palette FashionScenes { get; } = new("fashion-scenes",
    [
        new(0, 0, 0),
        new(31, 119, 180), new(255, 127, 14), new(44, 160, 44), new(214, 39, 40), new(148, 103, 189),
        new(140, 86, 75), new(227, 119, 194), new(127, 127, 127), new(188, 189, 34), new(23, 190, 207),
    ], ignoreColor: new(255, 255, 255));

    /// <summary>The palette for a run config's data.dataset: Cityscapes for "cityscapes", the FashionScenes palette for
    /// every other dataset.</summary>
    public static Palette ForDataset(string dataset) =>
        string.Equals(dataset, "cityscapes", StringComparison.OrdinalIgnoreCase) ? Cityscapes : FashionScenes;
}
