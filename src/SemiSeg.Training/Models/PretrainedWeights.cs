using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Models;

/// <summary>Loads a TorchSharp state-dict file (the format <c>module.save(path)</c> writes) into a module, checking
/// every key and shape before anything is copied, so a wrong file fails with a message instead of a half-loaded
/// model.</summary>
/// <remarks>
/// Converting torchvision's ImageNet ResNet weights (the encoder layout and names here are torchvision's) with
/// <c>exportsd.py</c> from TorchSharp's repository (src/Python/exportsd.py; needs <c>pip install leb128</c>):
/// <code>
/// import torch, torchvision, exportsd
/// net = torchvision.models.resnet18(weights="IMAGENET1K_V1")  # or resnet101(weights="IMAGENET1K_V1")
/// sd = {k: v.float().contiguous() for k, v in net.state_dict().items()
///       if not k.startswith("fc.") and not k.endswith("num_batches_tracked")}
/// with open("resnet18-imagenet.dat", "wb") as f:
///     exportsd.save_state_dict(sd, f)
/// </code>
/// then set <c>model.pretrained_encoder: resnet18-imagenet.dat</c>. Missing <c>num_batches_tracked</c> entries are
/// accepted (they only count BN updates); any other missing, extra or differently shaped entry is an error.
/// </remarks>
public static class PretrainedWeights
{
    private const string ConfigKey = "model.pretrained_encoder";
    private const int ListedMismatches = 5;

    /// <summary>Reads a state-dict file into a name → tensor dictionary (CPU tensors; the caller disposes them).</summary>
    public static Dictionary<string, Tensor> ReadStateDict(string path)
    {
        if (!File.Exists(path))
            throw new ModelConfigException($"{ConfigKey}: the file '{path}' does not exist.");
        var entries = new Dictionary<string, Tensor>();
        try
        {
            using var stream = File.OpenRead(path);
            using var reader = new BinaryReader(stream, Encoding.UTF8);
            long count = ReadUnsignedLeb128(reader);
            for (long i = 0; i < count; i++)
            {
                string key = reader.ReadString();
                entries[key] = TensorExtensionMethods.Load(reader);
            }
            if (stream.Position != stream.Length)
                throw new InvalidDataException($"{stream.Length - stream.Position} bytes left after {count} entries");
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or NotImplementedException or OverflowException)
        {
            foreach (var t in entries.Values)
                t.Dispose();
            throw new ModelConfigException(
                $"{ConfigKey}: '{path}' is not a readable TorchSharp state-dict file ({e.Message}). Write it with " +
                "module.save(path) or TorchSharp's exportsd.py.");
        }
        return entries;
    }

    /// <summary>Copies the weights in <paramref name="path"/> into <paramref name="target"/> (on whatever device it is).
    /// Throws <see cref="ModelConfigException"/> naming the file and the first mismatching keys when the file does not
    /// fit the module exactly.</summary>
    public static void Load(nn.Module target, string path)
    {
        var source = ReadStateDict(path);
        try
        {
            var destination = target.state_dict();
            var missing = destination.Keys
                .Where(k => !source.ContainsKey(k) && !k.EndsWith("num_batches_tracked", StringComparison.Ordinal))
                .ToList();
            var unexpected = source.Keys.Where(k => !destination.ContainsKey(k)).ToList();
            var wrongShape = destination
                .Where(kv => source.TryGetValue(kv.Key, out var s) && !s.shape.SequenceEqual(kv.Value.shape))
                .Select(kv => $"{kv.Key} (file {Shape(source[kv.Key])}, model {Shape(kv.Value)})")
                .ToList();
            if (missing.Count + unexpected.Count + wrongShape.Count > 0)
            {
                var problems = new List<string>();
                if (missing.Count > 0)
                    problems.Add($"{missing.Count} missing key(s): {Listed(missing)}");
                if (unexpected.Count > 0)
                    problems.Add($"{unexpected.Count} unexpected key(s): {Listed(unexpected)}");
                if (wrongShape.Count > 0)
                    problems.Add($"{wrongShape.Count} shape mismatch(es): {Listed(wrongShape)}");
                throw new ModelConfigException(
                    $"{ConfigKey}: '{path}' does not fit the encoder ({target.GetType().Name}, {destination.Count} entries; " +
                    $"file has {source.Count}): {string.Join("; ", problems)}. Expected names look like " +
                    $"'{destination.Keys.FirstOrDefault()}', the file's like '{source.Keys.FirstOrDefault()}'.");
            }

            using var _ = no_grad();
            foreach (var (key, value) in source)
                destination[key].copy_(value);
        }
        finally
        {
            foreach (var t in source.Values)
                t.Dispose();
        }
    }

    /// <summary>The entry count is LEB128-encoded (TorchSharp's codec for it is internal).</summary>
    private static long ReadUnsignedLeb128(BinaryReader reader)
    {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte b = reader.ReadByte();
            value |= (long)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
                return value;
        }
        throw new InvalidDataException("malformed LEB128 entry count");
    }

    private static string Shape(Tensor t) => $"[{string.Join(", ", t.shape)}]";

    private static string Listed(IReadOnlyList<string> items) =>
        string.Join(", ", items.Take(ListedMismatches)) +
        (items.Count > ListedMismatches ? $" and {items.Count - ListedMismatches} more" : "");
}
