using System.Buffers;
using System.Text.Unicode;

namespace SemiSeg.Training.Config;

/// <summary>Reads run configs and manifests as strict UTF-8 text: a missing, unreadable, oversized or non-UTF-8 file is
/// a <see cref="ConfigException"/> naming the file (and the line of the first bad byte), never a silently replaced
/// character.</summary>
public static class ConfigFiles
{
    /// <summary>The largest config or manifest read (a 100,000-cell manifest is well under 1 MiB).</summary>
    public const int MaxBytes = 16 * 1024 * 1024;

    /// <param name="path">The file.</param>
    /// <param name="what">What the file is, for messages ("run config", "manifest").</param>
    /// <param name="fixIfMissing">The fix when the file does not exist.</param>
    public static string ReadText(string path, string what, string fixIfMissing)
    {
        if (Directory.Exists(path))
        {
            throw new ConfigException(path, null, "(file)", $"is a folder, not a {what} file", fixIfMissing);
        }
        if (!File.Exists(path))
        {
            throw new ConfigException(path, null, "(file)", $"the {what} does not exist", fixIfMissing);
        }
        byte[] bytes;
        try
        {
            if (new FileInfo(path).Length > MaxBytes)
            {
                throw new ConfigException(path, null, "(file)", $"the {what} is larger than {MaxBytes / (1024 * 1024)} MiB", $"check that this is a {what} (YAML or JSON text)");
            }
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(path, null, "(file)", $"cannot read the {what} ({e.Message})", "check the file's permissions");
        }
        return Decode(bytes, path);
    }

    /// <summary>Strict UTF-8 (a leading byte-order mark is dropped); the error names the line of the first invalid byte.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes, string? file)
    {
        if (bytes.StartsWith("\uFEFF"u8))
        {
            bytes = bytes[3..];
        }
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            throw new ConfigException(file, 1, "(encoding)", "the file is UTF-16 text", "save it as UTF-8");
        }
        char[] chars = ArrayPool<char>.Shared.Rent(bytes.Length);
        try
        {
            var status = Utf8.ToUtf16(bytes, chars, out int read, out int written, replaceInvalidSequences: false);
            if (status != OperationStatus.Done)
            {
                int line = 1 + bytes[..read].Count((byte)'\n');
                throw new ConfigException(file, line, "(encoding)", $"byte 0x{bytes[read]:x2} at offset {read} is not valid UTF-8 text",
                    "save the file as UTF-8 (names and values must be UTF-8 text)");
            }
            return new string(chars, 0, written);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }
}
