using SemiSeg.Training.Config;
using SemiSeg.Training.Running;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Data;

/// <summary>
/// FashionScenes: a segmentation dataset small enough for 2 CPU cores, composed from real Fashion-MNIST items.
/// Each scene is an RGB canvas with a coloured, textured background (stripes, checkers or smooth waves) and 1–4
/// colourised items at random scale and position (later items on top, possibly cut by the border). Labels: 0 =
/// background, 1..10 = the item's Fashion-MNIST class + 1; an item's pixels are those above 20 % intensity. Train scenes
/// use the 60k training items, val scenes the 10k test items. Scene i of a split is a pure function of
/// (split, i, dataset seed), so nothing is stored: scenes are generated on demand (well under a millisecond each).
/// Colour carries no class information and shapes vary in scale and position, so photometric and geometric
/// perturbations are both meaningful.
/// </summary>
public sealed class FashionScenesDataset : IImageDataset
{
    public const string Version = "v1";
    private const double ItemThreshold = 0.2;
    private readonly FashionMnistSplit _items;
    private readonly FashionScenesConfig _config;
    private readonly Split _split;

    public FashionScenesDataset(FashionMnistSplit items, FashionScenesConfig config, Split split)
    {
        _items = items;
        _config = config;
        _split = split;
        Count = split == Split.Train ? config.TrainScenes : config.ValScenes;
        string identity = $"fashion-scenes:{Version}:{split.ToString().ToLowerInvariant()}:size={config.ImageSize}:n={Count}:items={config.MinItems}-{config.MaxItems}:seed={config.DatasetSeed}:{items.Identity}";
        Info = new DatasetInfo(DatasetNames.FashionScenes, identity, ["background", .. FashionMnistSplit.ClassNames], IsSegmentation: true);
    }

    public DatasetInfo Info { get; }

    public int Count { get; }

    public IReadOnlyList<int>? ClassLabels => null;

    public LabeledImage Get(int index)
    {
        var (image, labels) = Compose(index);
        int side = _config.ImageSize;
        return new LabeledImage(tensor(image, [3, side, side]), tensor(labels, [side, side]));
    }

    /// <summary>The scene's pixels (channel-major RGB in [0, 1]) and labels (row-major).</summary>
    public (float[] Image, long[] Labels) Compose(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"scene {index} of a split with {Count} scenes");
        }
        int side = _config.ImageSize, area = side * side;
        var random = new Random((int)(StepRandom.SplitMix64(StepRandom.SplitMix64((ulong)_config.DatasetSeed) ^ ((ulong)_split << 40) ^ (ulong)index) & 0x7fffffff));
        var image = new float[3 * area];
        var labels = new long[area];
        PaintBackground(image, side, random);

        int itemCount = random.Next(_config.MinItems, _config.MaxItems + 1);
        var intensity = new float[area];
        for (int item = 0; item < itemCount; item++)
        {
            int source = random.Next(_items.Count);
            int size = (int)Math.Round(side * (0.35 + 0.4 * random.NextDouble()));
            int top = random.Next(-size / 4, side - 3 * size / 4 + 1);
            int left = random.Next(-size / 4, side - 3 * size / 4 + 1);
            var colour = RandomColour(random, minimumBrightness: 0.35);
            ResizeBilinear(_items.Image(source), FashionMnistSplit.Side, intensity, size);
            long label = _items.Labels[source] + 1;
            for (int y = 0; y < size; y++)
            {
                int canvasY = top + y;
                if ((uint)canvasY >= (uint)side)
                {
                    continue;
                }
                for (int x = 0; x < size; x++)
                {
                    int canvasX = left + x;
                    float t = intensity[y * size + x];
                    if ((uint)canvasX >= (uint)side || t <= ItemThreshold)
                    {
                        continue;
                    }
                    int p = canvasY * side + canvasX;
                    float shade = 0.35f + 0.65f * t; // keeps the item's own texture visible
                    for (int c = 0; c < 3; c++)
                    {
                        image[c * area + p] = colour[c] * shade;
                    }
                    labels[p] = label;
                }
            }
        }
        return (image, labels);
    }

    private static void PaintBackground(float[] image, int side, Random random)
    {
        int area = side * side;
        var baseColour = RandomColour(random, minimumBrightness: 0.15);
        var patternColour = RandomColour(random, minimumBrightness: 0.15);
        int kind = random.Next(3);
        double angle = random.NextDouble() * Math.PI, frequency = 2 + random.NextDouble() * 6, phase = random.NextDouble() * 2 * Math.PI;
        double amplitude = 0.15 + 0.2 * random.NextDouble();
        double cos = Math.Cos(angle), sin = Math.Sin(angle);
        for (int y = 0; y < side; y++)
        {
            for (int x = 0; x < side; x++)
            {
                double u = (double)x / side, v = (double)y / side;
                double along = u * cos + v * sin, across = -u * sin + v * cos;
                double pattern = kind switch
                {
                    0 => Math.Sin(2 * Math.PI * frequency * along + phase),
                    1 => Math.Sign(Math.Sin(2 * Math.PI * frequency * along + phase)) * Math.Sign(Math.Sin(2 * Math.PI * frequency * across)),
                    _ => 0.5 * (Math.Sin(2 * Math.PI * frequency / 3 * along + phase) + Math.Sin(2 * Math.PI * frequency / 2 * across)),
                };
                double weight = amplitude * (pattern + 1) / 2;
                int p = y * side + x;
                for (int c = 0; c < 3; c++)
                {
                    image[c * area + p] = (float)((1 - weight) * baseColour[c] + weight * patternColour[c]);
                }
            }
        }
    }

    private static float[] RandomColour(Random random, double minimumBrightness)
    {
        var colour = new float[3];
        for (int c = 0; c < 3; c++)
        {
            colour[c] = (float)(minimumBrightness + (1 - minimumBrightness) * random.NextDouble());
        }
        // Push one channel down to get saturated colours, not only pastels.
        colour[random.Next(3)] *= (float)(0.2 + 0.6 * random.NextDouble());
        return colour;
    }

    /// <summary>Bilinear resize (align_corners = false) of a square u8 image into <paramref name="output"/> in [0, 1].</summary>
    private static void ResizeBilinear(ReadOnlySpan<byte> input, int inputSide, float[] output, int outputSide)
    {
        float scale = (float)inputSide / outputSide;
        for (int y = 0; y < outputSide; y++)
        {
            float sy = Math.Clamp((y + 0.5f) * scale - 0.5f, 0, inputSide - 1);
            int y0 = (int)sy, y1 = Math.Min(y0 + 1, inputSide - 1);
            float fy = sy - y0;
            for (int x = 0; x < outputSide; x++)
            {
                float sx = Math.Clamp((x + 0.5f) * scale - 0.5f, 0, inputSide - 1);
                int x0 = (int)sx, x1 = Math.Min(x0 + 1, inputSide - 1);
                float fx = sx - x0;
                float top = input[y0 * inputSide + x0] * (1 - fx) + input[y0 * inputSide + x1] * fx;
                float bottom = input[y1 * inputSide + x0] * (1 - fx) + input[y1 * inputSide + x1] * fx;
                output[y * outputSide + x] = (top * (1 - fy) + bottom * fy) / 255f;
            }
        }
    }
}
