using System.Buffers.Binary;
using SkiaSharp;

namespace SemiSeg.Reports.Tests.Plots;

/// <summary>Checks on written PNGs: the signature and header size read from the bytes, pixels decoded by SkiaSharp.</summary>
internal static class PngFiles
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Width and height from the IHDR chunk; fails unless the file is a PNG.</summary>
    public static (int Width, int Height) Size(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 33 && bytes.AsSpan(0, 8).SequenceEqual(Signature), $"{path} is not a PNG");
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    public static SKBitmap Decode(string path) => SKBitmap.Decode(path) ?? throw new InvalidOperationException($"SkiaSharp cannot decode {path}");

    /// <summary>How many pixels differ from white: a plot with lines and text has thousands.</summary>
    public static int NonWhitePixels(string path)
    {
        using var bitmap = Decode(path);
        int count = 0;
        for (int y = 0; y < bitmap.Height; y++)
        {
            for (int x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (c.Red < 250 || c.Green < 250 || c.Blue < 250)
                {
                    count++;
                }
            }
        }
        return count;
    }

    /// <summary>Whether some pixel has exactly this colour.</summary>
    public static bool Contains(string path, byte r, byte g, byte b)
    {
        using var bitmap = Decode(path);
        for (int y = 0; y < bitmap.Height; y++)
        {
            for (int x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (c.Red == r && c.Green == g && c.Blue == b)
                {
                    return true;
                }
            }
        }
        return false;
    }
}
