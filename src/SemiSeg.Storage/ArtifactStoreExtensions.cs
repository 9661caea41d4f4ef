using System.Text;

namespace SemiSeg.Storage;

/// <summary>Text and file helpers over <see cref="IArtifactStore"/>.</summary>
public static class ArtifactStoreExtensions
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no BOM), atomically.</summary>
    public static Task WriteTextAsync(this IArtifactStore store, string path, string text, CancellationToken ct = default) =>
        store.WriteAsync(path, new MemoryStream(Utf8.GetBytes(text)), ct);

    /// <summary><see cref="IArtifactStore.TryCreateAsync"/> with UTF-8 text.</summary>
    public static Task<bool> TryCreateTextAsync(this IArtifactStore store, string path, string text, CancellationToken ct = default) =>
        store.TryCreateAsync(path, new MemoryStream(Utf8.GetBytes(text)), ct);

    /// <summary>Reads <paramref name="path"/> as UTF-8 text; null when it does not exist.</summary>
    public static async Task<string?> ReadTextAsync(this IArtifactStore store, string path, CancellationToken ct = default)
    {
        Stream? stream = await store.OpenReadAsync(path, ct).ConfigureAwait(false);
        if (stream is null)
            return null;
        using var reader = new StreamReader(stream, Utf8);
        return await reader.ReadToEndAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Uploads the local file <paramref name="localFile"/> to <paramref name="path"/> (create or overwrite).</summary>
    public static async Task UploadFileAsync(this IArtifactStore store, string path, string localFile, CancellationToken ct = default)
    {
        await using var file = new FileStream(localFile, FileMode.Open, FileAccess.Read, FileShare.Read,
            bufferSize: 81920, useAsync: true);
        await store.WriteAsync(path, file, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Downloads <paramref name="path"/> to <paramref name="localFile"/>; false (and the local file untouched) when
    /// the artifact does not exist. Writes a temp file next to the target and renames it, so the target is either the
    /// old file or the complete new one.
    /// </summary>
    public static async Task<bool> DownloadFileAsync(this IArtifactStore store, string path, string localFile, CancellationToken ct = default)
    {
        Stream? source = await store.OpenReadAsync(path, ct).ConfigureAwait(false);
        if (source is null)
            return false;
        string target = Path.GetFullPath(localFile);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        string temp = $"{target}.{Guid.NewGuid():N}.download-tmp";
        try
        {
            await using (source.ConfigureAwait(false))
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None,
                bufferSize: 81920, useAsync: true))
            {
                await source.CopyToAsync(file, ct).ConfigureAwait(false);
            }
            File.Move(temp, target, overwrite: true);
            return true;
        }
        finally
        {
            File.Delete(temp); // no-op once moved
        }
    }
}
