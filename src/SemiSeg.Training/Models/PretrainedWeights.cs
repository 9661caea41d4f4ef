using System.Text;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SemiSeg.Training.Models;

/// <summary>Loads encoder weights from a file into a module, checking every key and shape before anything is copied,
/// so a wrong file fails with a message instead of a half-loaded model. Three formats, told apart by extension:
/// <c>.pth</c>/<c>.pt</c> (PyTorch's <c>torch.save</c> of a state dict, e.g. torchvision's
/// <c>resnet18-f37072fd.pth</c>) and <c>.safetensors</c>, both read with TorchSharp.PyBridge; anything else is a
/// TorchSharp state-dict file (what <c>module.save(path)</c> or TorchSharp's <c>exportsd.py</c> writes).</summary>
/// <remarks>
/// The encoder's names are torchvision's (<c>conv1</c>, <c>bn1</c>, <c>layer1.0.conv1</c>, …), so torchvision's
/// ResNet state dicts load as they are. Their classifier (<c>fc.weight</c>, <c>fc.bias</c>) is skipped when the
/// encoder has none, and missing <c>num_batches_tracked</c> entries are accepted (they only count BN updates); any
/// other missing, extra or differently shaped entry is an error.
/// </remarks>
public static class PretrainedWeights
{
    private const string ConfigKey = "model.pretrained_encoder";
    private const int ListedMismatches = 5;

    /// <summary>torchvision's classifier, which an encoder does not have.</summary>
    private static readonly string[] Classifier = ["fc.weight", "fc.bias"];

    /// <summary>Reads a weights file (format by extension, see the class summary) into a name → tensor dictionary (CPU
    /// tensors; the caller disposes them).</summary>
    public static Dictionary<string, Tensor> ReadStateDict(string path)
    {
        if (!File.Exists(path))
            throw new ModelConfigException($"{ConfigKey}: the file '{path}' does not exist.");
        string extension = Path.GetExtension(path).ToLowerInvariant();
        return extension switch
        {
            ".pth" or ".pt" => ReadWith(path, "PyTorch state-dict file (torch.save(model.state_dict(), path))", ReadPyTorch),
            ".safetensors" => ReadWith(path, "safetensors file", p => Safetensors.LoadStateDict(p)),
            _ => ReadTorchSharp(path),
        };
    }

    /// <summary>Copies the weights in <paramref name="path"/> into <paramref name="target"/> (on whatever device it is).
    /// Throws <see cref="ModelConfigException"/> naming the file and the first mismatching keys when the file does not
    /// fit the module exactly.</summary>
    public static void Load(nn.Module target, string path)
    {
        var source = ReadStateDict(path);
        try
        {
            Apply(target, source, path);
        }
        finally
        {
            foreach (var t in source.Values)
                t.Dispose();
        }
    }

    /// <summary>Copies <paramref name="source"/> into <paramref name="target"/> after checking that every key and shape
    /// fits; <paramref name="path"/> names the source in the error. The caller keeps ownership of the tensors.</summary>
    public static void Apply(nn.Module target, IReadOnlyDictionary<string, Tensor> source, string path)
    {
        var destination = target.state_dict();
        var entries = source
            .Where(kv => !(Classifier.Contains(kv.Key) && !destination.ContainsKey(kv.Key)))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        var missing = destination.Keys
            .Where(k => !entries.ContainsKey(k) && !k.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            .ToList();
        var unexpected = entries.Keys.Where(k => !destination.ContainsKey(k)).ToList();
        var wrongShape = destination
            .Where(kv => entries.TryGetValue(kv.Key, out var s) && !s.shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"{kv.Key} (file {Shape(entries[kv.Key])}, model {Shape(kv.Value)})")
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
                $"file has {entries.Count}): {string.Join("; ", problems)}. Expected names look like " +
                $"'{destination.Keys.FirstOrDefault()}', the file's like '{entries.Keys.FirstOrDefault()}'.");
        }

        using var _ = no_grad();
        foreach (var (key, value) in entries)
            destination[key].copy_(value);
    }

    private static Dictionary<string, Tensor> ReadPyTorch(string path)
    {
        var table = PyTorchUnpickler.UnpickleStateDict(path);
        var entries = new Dictionary<string, Tensor>();
        foreach (System.Collections.DictionaryEntry entry in table)
        {
            if (entry.Key is not string key || entry.Value is not Tensor tensor)
            {
                foreach (var t in entries.Values)
                    t.Dispose();
                throw new InvalidDataException($"entry '{entry.Key}' is not a named tensor (a whole pickled model or a training checkpoint instead of a state dict?)");
            }
            entries[key] = tensor;
        }
        return entries;
    }

    /// <summary>Runs a PyBridge reader, turning whatever it throws on a bad file into an error that names the file.</summary>
    private static Dictionary<string, Tensor> ReadWith(string path, string format, Func<string, Dictionary<string, Tensor>> read)
    {
        try
        {
            return read(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ModelConfigException(
                $"{ConfigKey}: '{path}' is not a readable {format} ({e.GetType().Name}: {e.Message}). The extension " +
                "chooses the format: .pth/.pt for torch.save, .safetensors, anything else for TorchSharp's module.save.");
        }
    }

    private static Dictionary<string, Tensor> ReadTorchSharp(string path)
    {
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
                "module.save(path) or TorchSharp's exportsd.py, or give a .pth or .safetensors file.");
        }
        return entries;
    }

    /// <summary>Writes <paramref name="state"/> as a TorchSharp state-dict file (what <see cref="ReadStateDict"/> reads
    /// back and <c>module.load</c> accepts), via a temporary file renamed into place, so a concurrent reader sees the
    /// old file or the whole new one.</summary>
    public static void WriteStateDict(string path, IReadOnlyDictionary<string, Tensor> state)
    {
        string temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = File.Create(temporary))
            using (var writer = new BinaryWriter(stream, Encoding.UTF8))
            {
                WriteUnsignedLeb128(writer, state.Count);
                foreach (var (key, value) in state)
                {
                    writer.Write(key);
                    value.Save(writer);
                }
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static void WriteUnsignedLeb128(BinaryWriter writer, long value)
    {
        do
        {
            byte b = (byte)(value & 0x7f);
            value >>= 7;
            writer.Write(value == 0 ? b : (byte)(b | 0x80));
        }
        while (value != 0);
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
