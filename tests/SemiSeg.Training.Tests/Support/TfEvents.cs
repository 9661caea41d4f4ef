using System.Buffers.Binary;
using System.Text;

namespace SemiSeg.Training.Tests.Support;

/// <summary>One scalar of a TensorBoard event file.</summary>
public sealed record ScalarEvent(string Tag, long Step, float Value);

/// <summary>
/// Reads TensorBoard event files without TensorBoard's own code, to check what the trainer writes: TFRecord framing
/// (uint64 length, masked CRC-32C of the length, data, masked CRC-32C of the data; all little-endian) and a minimal
/// protobuf decoding of Event {1 wall_time double, 2 step int64, 3 file_version string, 5 summary} → Summary {1 value}
/// → Value {1 tag string, 2 simple_value float}.
/// </summary>
public static class TfEvents
{
    /// <summary>Every record's data, after checking both CRCs.</summary>
    public static List<byte[]> Records(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        var records = new List<byte[]>();
        int at = 0;
        while (at < bytes.Length)
        {
            Assert.True(at + 12 <= bytes.Length, $"{path}: truncated record header at byte {at}");
            var lengthBytes = bytes.AsSpan(at, 8);
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
            Assert.Equal(MaskedCrc32C(lengthBytes), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8)));
            Assert.True(at + 12 + (long)length + 4 <= bytes.Length, $"{path}: truncated record at byte {at}");
            var data = bytes.AsSpan(at + 12, (int)length);
            Assert.Equal(MaskedCrc32C(data), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + (int)length)));
            records.Add(data.ToArray());
            at += 12 + (int)length + 4;
        }
        return records;
    }

    /// <summary>The file_version of the first event ("brain.Event:2") and all scalars.</summary>
    public static (string? FileVersion, List<ScalarEvent> Scalars) Read(string path)
    {
        string? version = null;
        var scalars = new List<ScalarEvent>();
        foreach (byte[] record in Records(path))
        {
            long step = 0;
            var values = new List<(string Tag, float Value)>();
            foreach (var (field, wire, number, payload) in Fields(record))
            {
                if (field == 2 && wire == 0) step = (long)number;
                if (field == 3 && wire == 2) version ??= Encoding.UTF8.GetString(payload);
                if (field == 5 && wire == 2)
                {
                    foreach (var value in Fields(payload).Where(f => f.Field == 1 && f.Wire == 2))
                    {
                        string? tag = null;
                        float? simple = null;
                        foreach (var (f, w, n, p) in Fields(value.Payload))
                        {
                            if (f == 1 && w == 2) tag = Encoding.UTF8.GetString(p);
                            if (f == 2 && w == 5) simple = BitConverter.Int32BitsToSingle((int)n);
                        }
                        if (tag is not null && simple is float v) values.Add((tag, v));
                    }
                }
            }
            scalars.AddRange(values.Select(v => new ScalarEvent(v.Tag, step, v.Value)));
        }
        return (version, scalars);
    }

    private static IEnumerable<(int Field, int Wire, ulong Number, byte[] Payload)> Fields(byte[] message)
    {
        int at = 0;
        while (at < message.Length)
        {
            ulong key = Varint(message, ref at);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0: yield return (field, wire, Varint(message, ref at), []); break;
                case 1: yield return (field, wire, BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(at)), []); at += 8; break;
                case 5: yield return (field, wire, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(at)), []); at += 4; break;
                case 2:
                    int length = (int)Varint(message, ref at);
                    yield return (field, wire, 0, message.AsSpan(at, length).ToArray());
                    at += length;
                    break;
                default: throw new InvalidDataException($"unexpected protobuf wire type {wire}");
            }
        }
    }

    private static ulong Varint(byte[] bytes, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = bytes[at++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return value;
        }
    }

    /// <summary>TFRecord's mask over CRC-32C (Castagnoli, reflected polynomial 0x82F63B78).</summary>
    public static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = Crc32C(data);
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
    }

    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xffffffffu;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }
        }
        return ~crc;
    }
}
