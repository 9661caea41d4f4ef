using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Data;

/// <summary>
/// CIFAR-10 in its binary version: data_batch_1..5.bin (train) and test_batch.bin (val), in root or in
/// root/cifar-10-batches-bin. Each record is 1 label byte then 3072 pixel bytes: 1024 red, 1024 green, 1024 blue,
/// each plane row-major 32x32.
/// </summary>
public sealed class Cifar10Dataset : IImageDataset
{
    public const int Side = 32, RecordSize = 1 + 3 * Side * Side;
    public static readonly string[] ClassNames = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    private readonly byte[] _records;

    public Cifar10Dataset(string root, Split split)
    {
        string folder = Directory.Exists(Path.Combine(root, "cifar-10-batches-bin")) ? Path.Combine(root, "cifar-10-batches-bin") : root;
        string[] files = split == Split.Train ? Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin").ToArray() : ["test_batch.bin"];
        using var all = new MemoryStream();
        long totalBytes = 0;
        foreach (string name in files)
        {
            string path = Path.Combine(folder, name);
            if (!File.Exists(path))
            {
                throw new DataFormatException($"{path}: CIFAR-10 file not found. Fix: set data.root to the folder with the binary version " +
                    "(data_batch_1.bin .. data_batch_5.bin, test_batch.bin, or the cifar-10-batches-bin folder from cifar-10-binary.tar.gz).");
            }
            byte[] bytes = File.ReadAllBytes(path);
            if (bytes.Length == 0 || bytes.Length % RecordSize != 0)
            {
                throw new DataFormatException($"{path}: {bytes.Length} bytes is not a whole number of {RecordSize}-byte CIFAR-10 records (truncated, or the Python version). Fix: use the binary version of CIFAR-10.");
            }
            for (int r = 0; r < bytes.Length / RecordSize; r++)
            {
                if (bytes[r * RecordSize] > 9)
                {
                    throw new DataFormatException($"{path}: record {r} has label {bytes[r * RecordSize]}, CIFAR-10 labels are 0..9. Fix: re-download the file.");
                }
            }
            all.Write(bytes);
            totalBytes += bytes.Length;
        }
        _records = all.ToArray();
        Count = _records.Length / RecordSize;
        ClassLabels = Enumerable.Range(0, Count).Select(i => (int)_records[i * RecordSize]).ToArray();
        Info = new DatasetInfo("cifar10", $"cifar10:{split.ToString().ToLowerInvariant()}:{Count}:{totalBytes}", ClassNames, IsSegmentation: false);
    }

    public DatasetInfo Info { get; }
    public int Count { get; }
    public IReadOnlyList<int>? ClassLabels { get; }

    public LabeledImage Get(int index)
    {
        var pixels = new float[3 * Side * Side];
        int offset = index * RecordSize + 1;
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = _records[offset + i] / 255f;
        }
        return new LabeledImage(tensor(pixels, [3, Side, Side]), tensor((long)_records[index * RecordSize]));
    }
}
