using System.Buffers.Binary;
using System.IO.Compression;

namespace SemiSeg.Training.Data;

/// <summary>Reads IDX files (the MNIST family's format), gzipped or plain: u8 images [n, rows, cols] or u8 labels [n].</summary>
public static class IdxReader
{
    public const int ImagesMagic = 0x00000803, LabelsMagic = 0x00000801;

    public sealed record IdxImages(byte[] Pixels, int Count, int Rows, int Columns);

    public static IdxImages ReadImages(string path)
    {
        byte[] bytes = ReadAll(path);
        Require(path, bytes.Length >= 16, "shorter than the 16-byte image header");
        int magic = BinaryPrimitives.ReadInt32BigEndian(bytes);
        Require(path, magic == ImagesMagic, $"magic number 0x{magic:x8} is not an IDX image file's (0x{ImagesMagic:x8})");
        int count = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
        int rows = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(8));
        int columns = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(12));
        // In double: a corrupt header's product of three ints can overflow a long.
        double expected = 16.0 + (double)count * rows * columns;
        Require(path, count >= 0 && rows > 0 && columns > 0 && bytes.Length == expected,
            $"header says {count} images of {rows}x{columns} ({expected} bytes) but the file has {bytes.Length} bytes (truncated or corrupt)");
        return new IdxImages(bytes[16..], count, rows, columns);
    }

    public static byte[] ReadLabels(string path)
    {
        byte[] bytes = ReadAll(path);
        Require(path, bytes.Length >= 8, "shorter than the 8-byte label header");
        int magic = BinaryPrimitives.ReadInt32BigEndian(bytes);
        Require(path, magic == LabelsMagic, $"magic number 0x{magic:x8} is not an IDX label file's (0x{LabelsMagic:x8})");
        int count = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
        Require(path, count >= 0 && bytes.Length == 8L + count, $"header says {count} labels but the file has {bytes.Length - 8} (truncated or corrupt)");
        return bytes[8..];
    }

    private static byte[] ReadAll(string path)
    {
        if (!File.Exists(path))
        {
            throw new DataFormatException($"{path}: file not found.");
        }
        using var file = File.OpenRead(path);
        bool gzipped = file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
        file.Position = 0;
        using var memory = new MemoryStream();
        try
        {
            (gzipped ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file).CopyTo(memory);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new DataFormatException($"{path}: corrupt gzip data ({e.Message}). Fix: reinstall or re-download the file.");
        }
        return memory.ToArray();
    }

    private static void Require(string path, bool condition, string problem)
    {
        if (!condition)
        {
            throw new DataFormatException($"{path}: {problem}. Fix: reinstall or re-download the file.");
        }
    }
}
