using System.Buffers.Binary;
using System.Globalization;
using Orleans.Serialization;
using Orleans.Storage;

namespace SemiSeg.Silo;

/// <summary>
/// Durable grain state in a local folder, for the embedded default (one machine, no Azure): one file per grain,
/// written atomically (temp file + rename) with a version number as its ETag, so a conflicting write is refused
/// like Azure Blob storage refuses one.
/// </summary>
public sealed class FileGrainStorage(string root, Serializer serializer) : IGrainStorage
{
    private readonly SemaphoreSlim gate = new(1, 1);

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        string path = PathOf(stateName, grainId);
        if (!File.Exists(path))
        {
            grainState.RecordExists = false;
            grainState.ETag = null;
            return;
        }
        byte[] bytes = await File.ReadAllBytesAsync(path);
        if (bytes.Length < sizeof(long))
        {
            throw new InvalidDataException($"grain state file {path} is truncated. Fix: delete it (the grain starts empty) or restore it from a backup");
        }
        grainState.ETag = BinaryPrimitives.ReadInt64LittleEndian(bytes).ToString(CultureInfo.InvariantCulture);
        grainState.State = serializer.Deserialize<T>(bytes.AsMemory(sizeof(long)));
        grainState.RecordExists = true;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        string path = PathOf(stateName, grainId);
        await gate.WaitAsync();
        try
        {
            long current = File.Exists(path) ? ReadVersion(path) : 0;
            string? expected = current == 0 ? null : current.ToString(CultureInfo.InvariantCulture);
            if (grainState.ETag != expected)
            {
                throw new InconsistentStateException($"grain state {path} was written by another activation", grainState.ETag, expected);
            }
            long next = current + 1;
            byte[] payload = serializer.SerializeToArray(grainState.State);
            byte[] bytes = new byte[sizeof(long) + payload.Length];
            BinaryPrimitives.WriteInt64LittleEndian(bytes, next);
            payload.CopyTo(bytes, sizeof(long));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            string temp = path + ".tmp";
            await File.WriteAllBytesAsync(temp, bytes);
            File.Move(temp, path, overwrite: true);
            grainState.ETag = next.ToString(CultureInfo.InvariantCulture);
            grainState.RecordExists = true;
        }
        finally
        {
            gate.Release();
        }
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        File.Delete(PathOf(stateName, grainId));
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private static long ReadVersion(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> header = stackalloc byte[sizeof(long)];
        file.ReadExactly(header);
        return BinaryPrimitives.ReadInt64LittleEndian(header);
    }

    private string PathOf(string stateName, GrainId grainId) =>
        Path.Combine(root, stateName, Uri.EscapeDataString(grainId.Type.ToString()!), Uri.EscapeDataString(grainId.Key.ToString()!) + ".state");
}
