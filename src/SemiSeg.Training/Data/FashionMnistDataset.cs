using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Data;

/// <summary>The raw Fashion-MNIST split, read once per process and shared.</summary>
public sealed record FashionMnistSplit(byte[] Pixels, byte[] Labels, int Count, string Identity)
{
    public const int Side = 28;

    public static readonly string[] ClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    public const string DefaultRoot = "/usr/share/datasets/fashion-mnist";

    private static readonly ConcurrentDictionary<(string, Split), Lazy<FashionMnistSplit>> Cache = new();

    public static FashionMnistSplit Load(string? root, Split split)
    {
        string folder = Folder(root);
        return Cache.GetOrAdd((folder, split), key => new Lazy<FashionMnistSplit>(() => Read(key.Item1, key.Item2))).Value;
    }

    /// <summary>Why the split's files cannot be found (a message with the fix), or null when both exist.</summary>
    public static string? MissingFiles(string? root, Split split)
    {
        string folder = Folder(root);
        var (images, labels) = Files(folder, split);
        return File.Exists(images) && File.Exists(labels) ? null
            : $"{folder}: Fashion-MNIST files {Path.GetFileName(images)} and {Path.GetFileName(labels)} not found. " +
              "Fix: `apt-get install dataset-fashion-mnist` (Debian), or set data.root (or SEMISEG_FASHION_MNIST) to the folder holding the gzipped IDX files.";
    }

    private static string Folder(string? root) => Path.GetFullPath(root ?? Environment.GetEnvironmentVariable("SEMISEG_FASHION_MNIST") ?? DefaultRoot);

    private static (string Images, string Labels) Files(string folder, Split split)
    {
        string prefix = split == Split.Train ? "train" : "t10k";
        return (Path.Combine(folder, $"{prefix}-images-idx3-ubyte.gz"), Path.Combine(folder, $"{prefix}-labels-idx1-ubyte.gz"));
    }

    private static FashionMnistSplit Read(string folder, Split split)
    {
        string prefix = split == Split.Train ? "train" : "t10k";
        var (images, labels) = Files(folder, split);
        if (MissingFiles(folder, split) is string missing)
        {
            throw new DataFormatException(missing);
        }
        var idx = IdxReader.ReadImages(images);
        if (idx.Count == 0)
        {
            throw new DataFormatException($"{images}: the file holds no images. Fix: point data.root at the Fashion-MNIST files (60,000 train and 10,000 test images).");
        }
        byte[] classes = IdxReader.ReadLabels(labels);
        if (idx.Rows != Side || idx.Columns != Side)
        {
            throw new DataFormatException($"{images}: images are {idx.Rows}x{idx.Columns}, Fashion-MNIST's are 28x28. Fix: point data.root at the Fashion-MNIST files.");
        }
        if (classes.Length != idx.Count)
        {
            throw new DataFormatException($"{labels}: {classes.Length} labels for {idx.Count} images in {Path.GetFileName(images)}. Fix: use matching image and label files.");
        }
        if (classes.Any(c => c > 9))
        {
            throw new DataFormatException($"{labels}: a label is above 9. Fix: use the Fashion-MNIST label file.");
        }
        return new FashionMnistSplit(idx.Pixels, classes, idx.Count, $"fashion-mnist:{prefix}:{new FileInfo(images).Length}:{new FileInfo(labels).Length}");
    }

    /// <summary>Item <paramref name="index"/>'s intensities in [0, 1], row-major 28x28.</summary>
    public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * Side * Side, Side * Side);
}

/// <summary>Fashion-MNIST classification (28x28, 10 classes), grey replicated to three channels.</summary>
public sealed class FashionMnistDataset(FashionMnistSplit data) : IImageDataset
{
    public DatasetInfo Info { get; } = new("fashion-mnist", data.Identity, FashionMnistSplit.ClassNames, IsSegmentation: false);

    public int Count => data.Count;

    public IReadOnlyList<int>? ClassLabels { get; } = data.Labels.Select(l => (int)l).ToArray();

    public LabeledImage Get(int index)
    {
        var pixels = new float[FashionMnistSplit.Side * FashionMnistSplit.Side];
        var source = data.Image(index);
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = source[i] / 255f;
        }
        var grey = tensor(pixels, [1, FashionMnistSplit.Side, FashionMnistSplit.Side]);
        return new LabeledImage(grey.expand(3, -1, -1).contiguous(), tensor((long)data.Labels[index]));
    }
}
