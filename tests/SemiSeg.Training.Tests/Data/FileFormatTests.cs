using SemiSeg.Training.Config;
using SemiSeg.Training.Data;
using StbImageWriteSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Tests.Data;

/// <summary>Cityscapes and CIFAR-10 in their real formats, on small files written here.</summary>
public sealed class FileFormatTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("semiseg-formats-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static void WritePng(string path, byte[] data, int width, int height, ColorComponents components)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var file = File.Create(path);
        new ImageWriter().WritePng(data, width, height, components, file);
    }

    /// <summary>A Cityscapes tree: 2 train cities, 8x4 images whose label ids cover road (7), car (26), sky (23), and unlabeled (0).</summary>
    private string WriteCityscapes()
    {
        string root = Path.Combine(_root, "cityscapes");
        foreach (var (city, name) in new[] { ("aachen", "aachen_000000_000019"), ("bremen", "bremen_000001_000019"), ("aachen", "aachen_000002_000019") })
        {
            var rgb = new byte[8 * 4 * 3];
            for (int i = 0; i < rgb.Length; i++)
            {
                rgb[i] = (byte)(i * 7 % 256);
            }
            var ids = new byte[8 * 4];
            for (int y = 0; y < 4; y++)
            {
                for (int x = 0; x < 8; x++)
                {
                    ids[y * 8 + x] = (byte)(y < 2 ? (x < 4 ? 7 : 26) : (x < 4 ? 23 : 0));
                }
            }
            WritePng(Path.Combine(root, "leftImg8bit", "train", city, $"{name}_leftImg8bit.png"), rgb, 8, 4, ColorComponents.RedGreenBlue);
            WritePng(Path.Combine(root, "gtFine", "train", city, $"{name}_gtFine_labelIds.png"), ids, 8, 4, ColorComponents.Grey);
        }
        return root;
    }

    [Fact]
    public void CityscapesMapsLabelIdsToTrainIdsAndDownsamples()
    {
        using var scope = NewDisposeScope();
        var dataset = new CityscapesDataset(WriteCityscapes(), Split.Train, downsampling: 1);
        Assert.Equal(3, dataset.Count);
        Assert.Equal(19, dataset.Info.NumClasses);
        var example = dataset.Get(0);
        Assert.Equal([3L, 4, 8], example.Image.shape);
        Assert.Equal(7 / 255f, example.Image[1, 0, 0].item<float>(), 5); // byte 1 of the first pixel = green
        Assert.Equal(0L, example.Label[0, 0].item<long>());   // road
        Assert.Equal(13L, example.Label[0, 7].item<long>());  // car
        Assert.Equal(10L, example.Label[3, 0].item<long>());  // sky
        Assert.Equal(-1L, example.Label[3, 7].item<long>());  // unlabeled → ignore

        var half = new CityscapesDataset(Path.Combine(_root, "cityscapes"), Split.Train, downsampling: 2).Get(0);
        Assert.Equal([3L, 2, 4], half.Image.shape);
        Assert.Equal([2L, 4], half.Label.shape);
        // Nearest-neighbour labels keep valid ids only (no averaging between classes).
        Assert.Equal([-1L, 0, 10, 13], half.Label.flatten().unique().Item1.data<long>().ToArray().Order());
    }

    [Fact]
    public void CityscapesErrorsNameTheFileAndTheFix()
    {
        var missing = Assert.Throws<DataFormatException>(() => new CityscapesDataset(Path.Combine(_root, "none"), Split.Train, 1));
        Assert.Contains("leftImg8bit", missing.Message, StringComparison.Ordinal);

        string root = WriteCityscapes();
        string label = Directory.GetFiles(Path.Combine(root, "gtFine"), "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        File.WriteAllText(label, "not a png");
        var corrupt = Assert.Throws<DataFormatException>(() => new CityscapesDataset(root, Split.Train, 1).Get(0));
        Assert.Contains(label, corrupt.Message, StringComparison.Ordinal);

        WritePng(label, new byte[4 * 4], 4, 4, ColorComponents.Grey);
        var size = Assert.Throws<DataFormatException>(() => new CityscapesDataset(root, Split.Train, 1).Get(0));
        Assert.Contains("4x4", size.Message, StringComparison.Ordinal);

        WritePng(label, new byte[8 * 4 * 3], 8, 4, ColorComponents.RedGreenBlue);
        var colour = Assert.Throws<DataFormatException>(() => new CityscapesDataset(root, Split.Train, 1).Get(0));
        Assert.Contains("single-channel", colour.Message, StringComparison.Ordinal);

        File.Delete(label);
        var orphan = Assert.Throws<DataFormatException>(() => new CityscapesDataset(root, Split.Train, 1));
        Assert.Contains("label file", orphan.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cifar10ReadsTheBinaryLayoutExactly()
    {
        using var scope = NewDisposeScope();
        string folder = Path.Combine(_root, "cifar", "cifar-10-batches-bin");
        Directory.CreateDirectory(folder);
        for (int b = 1; b <= 5; b++)
        {
            var records = new byte[4 * Cifar10Dataset.RecordSize];
            for (int r = 0; r < 4; r++)
            {
                records[r * Cifar10Dataset.RecordSize] = (byte)((b + r) % 10);
                records[r * Cifar10Dataset.RecordSize + 1] = 255;          // red plane, pixel (0, 0)
                records[r * Cifar10Dataset.RecordSize + 1 + 1024 + 33] = 51; // green plane, pixel (1, 1)
            }
            File.WriteAllBytes(Path.Combine(folder, $"data_batch_{b}.bin"), records);
        }
        var train = new Cifar10Dataset(Path.Combine(_root, "cifar"), Split.Train);
        Assert.Equal(20, train.Count);
        var first = train.Get(0);
        Assert.Equal(1L, first.Label.item<long>());
        Assert.Equal(1f, first.Image[0, 0, 0].item<float>());
        Assert.Equal(0.2f, first.Image[1, 1, 1].item<float>(), 5);
        Assert.Equal(0f, first.Image[2, 1, 1].item<float>());

        File.WriteAllBytes(Path.Combine(folder, "data_batch_3.bin"), new byte[100]);
        var size = Assert.Throws<DataFormatException>(() => new Cifar10Dataset(Path.Combine(_root, "cifar"), Split.Train));
        Assert.Contains("data_batch_3.bin", size.Message, StringComparison.Ordinal);
        var bad = new byte[Cifar10Dataset.RecordSize];
        bad[0] = 12;
        File.WriteAllBytes(Path.Combine(folder, "data_batch_3.bin"), bad);
        Assert.Contains("record 0 has label 12", Assert.Throws<DataFormatException>(() => new Cifar10Dataset(Path.Combine(_root, "cifar"), Split.Train)).Message, StringComparison.Ordinal);
        Assert.Contains("test_batch.bin", Assert.Throws<DataFormatException>(() => new Cifar10Dataset(Path.Combine(_root, "cifar"), Split.Val)).Message, StringComparison.Ordinal);
    }

    /// <summary>IDX images and labels (gzipped as Fashion-MNIST ships them) with <paramref name="count"/> 28x28 items.</summary>
    private static void WriteIdx(string folder, string prefix, int count)
    {
        Directory.CreateDirectory(folder);
        byte[] Gzip(byte[] raw)
        {
            using var memory = new MemoryStream();
            using (var gzip = new System.IO.Compression.GZipStream(memory, System.IO.Compression.CompressionLevel.Fastest))
            {
                gzip.Write(raw);
            }
            return memory.ToArray();
        }
        byte[] BigEndian(params int[] values) => values.SelectMany(v => BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v))).ToArray();
        File.WriteAllBytes(Path.Combine(folder, $"{prefix}-images-idx3-ubyte.gz"), Gzip([.. BigEndian(IdxReader.ImagesMagic, count, 28, 28), .. new byte[count * 28 * 28]]));
        File.WriteAllBytes(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte.gz"), Gzip([.. BigEndian(IdxReader.LabelsMagic, count), .. new byte[count]]));
    }

    [Fact]
    public void DataFilesWithoutImagesOrCutShortAreClearErrors()
    {
        string empty = Path.Combine(_root, "fmnist-empty");
        WriteIdx(empty, "train", 0);
        var none = Assert.Throws<DataFormatException>(() => FashionMnistSplit.Load(empty, Split.Train));
        Assert.Equal($"{empty}/train-images-idx3-ubyte.gz: the file holds no images. Fix: point data.root at the Fashion-MNIST files (60,000 train and 10,000 test images).", none.Message);

        string cut = Path.Combine(_root, "fmnist-cut");
        WriteIdx(cut, "train", 3);
        string images = Path.Combine(cut, "train-images-idx3-ubyte.gz");
        byte[] gz = File.ReadAllBytes(images);
        File.WriteAllBytes(images, gz[..(gz.Length / 2)]);
        var truncated = Assert.Throws<DataFormatException>(() => FashionMnistSplit.Load(cut, Split.Train));
        Assert.StartsWith(images, truncated.Message, StringComparison.Ordinal);
        Assert.Contains("Fix: reinstall or re-download the file", truncated.Message, StringComparison.Ordinal);

        Directory.CreateDirectory(Path.Combine(_root, "cifar-empty"));
        File.WriteAllBytes(Path.Combine(_root, "cifar-empty", "test_batch.bin"), []);
        Assert.Contains("0 bytes is not a whole number", Assert.Throws<DataFormatException>(() => new Cifar10Dataset(Path.Combine(_root, "cifar-empty"), Split.Val)).Message, StringComparison.Ordinal);

        string noImages = Path.Combine(_root, "cityscapes-empty");
        Directory.CreateDirectory(Path.Combine(noImages, "leftImg8bit", "train", "aachen"));
        Assert.Contains("no *_leftImg8bit.png images", Assert.Throws<DataFormatException>(() => new CityscapesDataset(noImages, Split.Train, 1)).Message, StringComparison.Ordinal);
    }

    private sealed class FakeDataset(int count, int[]? classes) : IImageDataset
    {
        public DatasetInfo Info { get; } = new("fake", "fake", Enumerable.Range(0, 10).Select(i => $"{i}").ToArray(), classes is null);
        public int Count => count;
        public IReadOnlyList<int>? ClassLabels => classes;
        public LabeledImage Get(int index) => throw new NotSupportedException();
    }

    [Fact]
    public void LabeledSubsetsFollowThePapersFolds()
    {
        var cityscapes = new FakeDataset(2975, null);
        var eighth = LabelSubsets.Labeled(cityscapes, new DataConfig { LabelFraction = "1/8" }, 53);
        Assert.Equal(372, eighth.Length); // array_split: the first 2975 mod 8 = 7 folds get 372
        Assert.Equal(744, LabelSubsets.Labeled(cityscapes, new DataConfig { LabelFraction = "1/4" }, 53).Length);
        Assert.Equal(2975, LabelSubsets.Labeled(cityscapes, new DataConfig { LabelFraction = "1" }, 53).Length);
        Assert.Equal(eighth, LabelSubsets.Labeled(cityscapes, new DataConfig { LabelFraction = "1/8" }, 53));
        Assert.NotEqual(eighth, LabelSubsets.Labeled(cityscapes, new DataConfig { LabelFraction = "1/8" }, 54));
        Assert.Equal(eighth, LabelSubsets.Labeled(cityscapes, new DataConfig { LabelFraction = "1/8", SubsetSeed = 53 }, 99));

        var folds = Enumerable.Range(0, 8).Select(f => LabelSubsets.Labeled(cityscapes, new DataConfig { LabelFraction = "1/8", SubsetFold = f }, 53)).ToList();
        Assert.Equal(2975, folds.SelectMany(f => f).Distinct().Count());
        Assert.Equal(2975, folds.Sum(f => f.Length));
        Assert.Equal(371, folds[7].Length);

        var cifarClasses = Enumerable.Range(0, 50000).Select(i => i % 10).ToArray();
        var cifar = new FakeDataset(50000, cifarClasses);
        var fourThousand = Enumerable.Range(0, 5).Select(f => LabelSubsets.Labeled(cifar, new DataConfig { LabeledCount = 4000, SubsetFold = f }, 0)).ToList();
        Assert.All(fourThousand, fold => Assert.All(fold.GroupBy(i => cifarClasses[i]), g => Assert.Equal(400, g.Count())));
        Assert.Equal(20000, fourThousand.SelectMany(f => f).Distinct().Count()); // five disjoint folds

        var error = Assert.Throws<ConfigException>(() => LabelSubsets.Labeled(cityscapes, new DataConfig { LabelFraction = "0.3" }, 0));
        Assert.Contains("not 1/n", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SegmentationJitterCropsScalesAndPadsWithIgnore()
    {
        using var scope = NewDisposeScope();
        var example = new LabeledImage(rand(3, 20, 30), randint(0, 5, [20, 30]));
        using var generator = new Generator(4);
        for (int i = 0; i < 10; i++)
        {
            var jittered = SegmentationJitter.Apply(example, 24, [0.5, 1.5], true, generator);
            Assert.Equal([3L, 24, 24], jittered.Image.shape);
            Assert.Equal([24L, 24], jittered.Label.shape);
            Assert.InRange(jittered.Label.min().item<long>(), -1, 4);
        }
        // At scale 0.5 the image is 10x15, so a 24x24 crop must be mostly padding labeled -1.
        var small = SegmentationJitter.Apply(example, 24, [0.5, 0.5], false, generator);
        long ignored = small.Label.eq(-1).sum().item<long>();
        Assert.Equal(24 * 24 - 10 * 15, ignored);
    }
}
