using System.IO.Compression;
using SemiSeg.Training.Config;
using SemiSeg.Training.Data;
using SemiSeg.Training.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Tests.Data;

/// <summary>Fashion-MNIST (the real files from the Debian package) and FashionScenes built from it.</summary>
public class FashionDataTests
{
    private static FashionScenesConfig Scenes(int seed = 0) => new() { ImageSize = 48, TrainScenes = 300, ValScenes = 20, DatasetSeed = seed };

    [Fact]
    public void FashionMnistLoadsTheRealFiles()
    {
        using var scope = NewDisposeScope();
        var train = new FashionMnistDataset(FashionMnistSplit.Load(null, Split.Train));
        var val = new FashionMnistDataset(FashionMnistSplit.Load(null, Split.Val));
        Assert.Equal(60000, train.Count);
        Assert.Equal(10000, val.Count);
        var example = train.Get(0);
        Assert.Equal([3L, 28, 28], example.Image.shape);
        Assert.InRange(example.Image.max().item<float>(), 0.5f, 1f);
        Assert.Equal(10, train.ClassLabels!.Distinct().Count());
        Assert.Equal(6000, train.ClassLabels!.Count(c => c == 3));
    }

    [Fact]
    public void SceneIsAPureFunctionOfSplitIndexAndSeed()
    {
        using var scope = NewDisposeScope();
        var items = FashionMnistSplit.Load(null, Split.Train);
        var a = new FashionScenesDataset(items, Scenes(), Split.Train);
        var b = new FashionScenesDataset(items, Scenes(), Split.Train);
        Assert.True(Tensors.Same(a.Get(5).Image, b.Get(5).Image));
        Assert.True(Tensors.Same(a.Get(5).Label, b.Get(5).Label));
        Assert.False(Tensors.Same(a.Get(5).Image, a.Get(6).Image));
        Assert.False(Tensors.Same(a.Get(5).Image, new FashionScenesDataset(items, Scenes(seed: 1), Split.Train).Get(5).Image));
        var val = new FashionScenesDataset(FashionMnistSplit.Load(null, Split.Val), Scenes(), Split.Val);
        Assert.False(Tensors.Same(a.Get(5).Image, val.Get(5).Image));
        Assert.NotEqual(a.Info.Identity, val.Info.Identity);
    }

    [Fact]
    public void ScenesHaveEveryClassAndMostlyBackground()
    {
        using var scope = NewDisposeScope();
        var scenes = new FashionScenesDataset(FashionMnistSplit.Load(null, Split.Train), Scenes(), Split.Train);
        var counts = new long[11];
        for (int i = 0; i < 300; i++)
        {
            var example = scenes.Get(i);
            Assert.Equal([3L, 48, 48], example.Image.shape);
            Assert.InRange(example.Image.min().item<float>(), 0f, 1f);
            Assert.InRange(example.Image.max().item<float>(), 0f, 1f);
            var histogram = bincount(example.Label.flatten(), minlength: 11).data<long>().ToArray();
            Assert.Equal(11, histogram.Length);
            for (int c = 0; c < 11; c++)
            {
                counts[c] += histogram[c];
            }
        }
        Assert.All(counts, c => Assert.True(c > 0));
        double background = (double)counts[0] / counts.Sum();
        Assert.InRange(background, 0.3, 0.95);
    }

    [Fact]
    public void MissingFashionMnistIsAClearError()
    {
        var error = Assert.Throws<DataFormatException>(() => FashionMnistSplit.Load("/nonexistent/fmnist", Split.Train));
        Assert.Contains("apt-get install dataset-fashion-mnist", error.Message, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/fmnist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MalformedIdxFilesAreClearErrors()
    {
        string folder = Directory.CreateTempSubdirectory("semiseg-idx-").FullName;
        try
        {
            string badMagic = Path.Combine(folder, "bad.gz");
            WriteGzip(badMagic, [0, 0, 8, 1, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28]);
            Assert.Contains("magic number", Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(badMagic)).Message, StringComparison.Ordinal);

            string truncated = Path.Combine(folder, "truncated.gz");
            WriteGzip(truncated, [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3]);
            var error = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(truncated));
            Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
            Assert.Contains(truncated, error.Message, StringComparison.Ordinal);

            string labels = Path.Combine(folder, "labels");
            File.WriteAllBytes(labels, [0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3]);
            Assert.Equal([1, 2, 3], IdxReader.ReadLabels(labels));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void WriteGzip(string path, byte[] content)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(content);
    }
}
