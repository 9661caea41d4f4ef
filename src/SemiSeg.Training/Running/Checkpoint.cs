using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemiSeg.Training.Running;

/// <summary>What a checkpoint says about itself (stored as JSON in its header).</summary>
public sealed record CheckpointHeader(
    [property: JsonPropertyName("format")] int Format,
    [property: JsonPropertyName("step")] int Step,
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("config_sha256")] string ConfigSha256,
    [property: JsonPropertyName("has_teacher")] bool HasTeacher,
    [property: JsonPropertyName("rng")] string Rng,
    [property: JsonPropertyName("created_utc")] DateTimeOffset CreatedUtc);

/// <summary>A checkpoint that cannot be used: corrupt, truncated, or written by a different config.</summary>
public sealed class CheckpointException(string message) : Exception(message);

/// <summary>
/// One file per checkpoint: magic, a JSON header, the student's, teacher's and optimizer's state, and a SHA-256 of
/// everything before it. Randomness is counter-based (every step derives its generators from (seed, step)), so the
/// step number is the complete RNG state. Files are written to a temporary name and renamed, so a crash never
/// leaves a half-written checkpoint under the real name.
/// </summary>
public static class Checkpoint
{
    public const int FormatVersion = 1;
    private static readonly byte[] Magic = "SEMISEG-CKPT\n"u8.ToArray();
    private const int HashLength = 32;

    public static string FileName(int step) => $"step-{step:D7}.ckpt";

    public static void Write(string path, CheckpointHeader header, nn.Module student, nn.Module? teacher, OptimizerHelper optimizer)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            byte[] headerJson = JsonSerializer.SerializeToUtf8Bytes(header);
            writer.Write(headerJson.Length);
            writer.Write(headerJson);
            WriteSection(writer, w => student.save(w));
            WriteSection(writer, w => teacher?.save(w));
            WriteSection(writer, optimizer.save_state_dict);
        }
        byte[] body = buffer.ToArray();
        byte[] hash = SHA256.HashData(body);

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string temporary = path + ".tmp";
        using (var file = File.Create(temporary))
        {
            file.Write(body);
            file.Write(hash);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Reads and verifies the header only (integrity is checked over the whole file).</summary>
    public static CheckpointHeader ReadHeader(string path) => Open(path).Header;

    /// <summary>Verifies integrity and that the checkpoint belongs to <paramref name="configSha256"/>, then loads state.</summary>
    public static CheckpointHeader Load(string path, string configSha256, nn.Module student, nn.Module? teacher, OptimizerHelper optimizer)
    {
        var (header, reader) = Open(path);
        using (reader)
        {
            if (header.ConfigSha256 != configSha256)
            {
                throw new CheckpointException(
                    $"{path}: checkpoint was written by a different run config (config hash {Short(header.ConfigSha256)}, this run {Short(configSha256)}). " +
                    "Fix: resume with the config.json saved next to it, or use a new --out folder for the changed config.");
            }
            if (header.HasTeacher != (teacher is not null))
            {
                throw new CheckpointException($"{path}: checkpoint {(header.HasTeacher ? "has" : "has no")} Mean Teacher state but this run {(teacher is null ? "has none" : "needs it")}. Fix: use a new --out folder.");
            }
            try
            {
                ReadSection(reader, r => student.load(r, strict: true));
                ReadSection(reader, r => teacher?.load(r, strict: true));
                ReadSection(reader, optimizer.load_state_dict);
            }
            catch (Exception e) when (e is not CheckpointException)
            {
                throw new CheckpointException($"{path}: checkpoint state does not fit this model or optimizer ({e.Message}). Fix: use a new --out folder for a changed model.");
            }
        }
        return header;
    }

    /// <summary>Loads one network's weights for inference: the student's, or with <paramref name="teacher"/> the Mean
    /// Teacher's. The optimizer state is not read. Integrity is checked as in <see cref="Load"/>, and that the
    /// checkpoint's config hash is one of <paramref name="configSha256s"/> (e.g. of config.json's text as written and
    /// of its canonical form today).</summary>
    public static CheckpointHeader LoadWeights(string path, IReadOnlyCollection<string> configSha256s, nn.Module model, bool teacher = false)
    {
        var (header, reader) = Open(path);
        using (reader)
        {
            if (!configSha256s.Contains(header.ConfigSha256))
            {
                throw new CheckpointException(
                    $"{path}: checkpoint was written by a different run config (config hash {Short(header.ConfigSha256)}, config given {string.Join(" or ", configSha256s.Select(Short))}). " +
                    "Fix: use the config.json saved in the same run folder as the checkpoint.");
            }
            if (teacher && !header.HasTeacher)
            {
                throw new CheckpointException($"{path}: checkpoint has no Mean Teacher weights (the run's teacher is not mt). Fix: predict with the student.");
            }
            try
            {
                if (teacher)
                {
                    SkipSection(reader);
                }
                ReadSection(reader, r => model.load(r, strict: true));
            }
            catch (Exception e) when (e is not CheckpointException)
            {
                throw new CheckpointException($"{path}: checkpoint weights do not fit the model its config describes ({e.Message}). Fix: use the config.json saved next to it.");
            }
        }
        return header;
    }

    private static (CheckpointHeader Header, BinaryReader Reader) Open(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"{path}: cannot read checkpoint ({e.Message}).");
        }
        string fix = "Fix: delete this file to resume from the previous checkpoint, or start the run in a new --out folder.";
        if (bytes.Length < Magic.Length + 4 + HashLength || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new CheckpointException($"{path}: not a SemiSeg checkpoint (wrong magic or too short). {fix}");
        }
        var body = bytes.AsSpan(0, bytes.Length - HashLength);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - HashLength)))
        {
            throw new CheckpointException($"{path}: checkpoint is corrupt (SHA-256 mismatch; truncated or modified). {fix}");
        }
        var reader = new BinaryReader(new MemoryStream(bytes, 0, body.Length, writable: false));
        reader.ReadBytes(Magic.Length);
        int headerLength = reader.ReadInt32();
        long left = body.Length - reader.BaseStream.Position;
        if (headerLength <= 0 || headerLength > left)
        {
            reader.Dispose();
            throw new CheckpointException($"{path}: the header length {headerLength} does not fit the file ({left} bytes after it). {fix}");
        }
        CheckpointHeader? header;
        try
        {
            header = JsonSerializer.Deserialize<CheckpointHeader>(reader.ReadBytes(headerLength));
        }
        catch (JsonException e)
        {
            reader.Dispose();
            throw new CheckpointException($"{path}: the header is not a checkpoint header ({e.Message.ReplaceLineEndings(" ")}). {fix}");
        }
        if (header?.ConfigSha256 is null || header.Rng is null)
        {
            reader.Dispose();
            throw new CheckpointException($"{path}: the checkpoint header lacks its config hash or RNG state. {fix}");
        }
        if (header.Format != FormatVersion)
        {
            reader.Dispose();
            throw new CheckpointException($"{path}: checkpoint format {header.Format} is not supported (expected {FormatVersion}). {fix}");
        }
        if (header.Step < 0)
        {
            reader.Dispose();
            throw new CheckpointException($"{path}: the header's step {header.Step} is negative. {fix}");
        }
        return (header, reader);
    }

    private static void WriteSection(BinaryWriter writer, Action<BinaryWriter> write)
    {
        using var section = new MemoryStream();
        using (var sectionWriter = new BinaryWriter(section, Encoding.UTF8, leaveOpen: true))
        {
            write(sectionWriter);
        }
        writer.Write(section.Length);
        writer.Write(section.GetBuffer(), 0, (int)section.Length);
    }

    private static void ReadSection(BinaryReader reader, Action<BinaryReader> read)
    {
        long length = SectionLength(reader);
        if (length == 0)
        {
            return;
        }
        using var section = new BinaryReader(new MemoryStream(reader.ReadBytes((int)length)));
        read(section);
    }

    private static void SkipSection(BinaryReader reader) => reader.BaseStream.Seek(SectionLength(reader), SeekOrigin.Current);

    /// <summary>A section's length, checked against what is left of the file (a crafted length must not allocate); the
    /// callers turn the error into a <see cref="CheckpointException"/> naming the file.</summary>
    private static long SectionLength(BinaryReader reader)
    {
        long length = reader.ReadInt64();
        long left = reader.BaseStream.Length - reader.BaseStream.Position;
        return length >= 0 && length <= left ? length
            : throw new InvalidDataException($"a section length of {length} does not fit the {left} bytes left in the file");
    }

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;
}
