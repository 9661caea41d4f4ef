namespace SemiSeg.Storage;

public interface IArtifactStore
{
    string Location { get; }
    Task WriteAsync(string path, Stream content, CancellationToken ct);
    Task<bool> TryCreateAsync(string path, Stream content, CancellationToken ct);
    Task<Stream?> OpenReadAsync(string path, CancellationToken ct);
    Task<bool> ExistsAsync(string path, CancellationToken ct);
    IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken ct);
    Task DeleteAsync(string path, CancellationToken ct);
}

public static class ArtifactStoreExtensions
{
    public static async Task WriteTextAsync(this IArtifactStore store, string path, string text, CancellationToken ct)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text));
        await store.WriteAsync(path, stream, ct);
    }

    public static async Task<string?> ReadTextAsync(this IArtifactStore store, string path, CancellationToken ct)
    {
        await using var stream = await store.OpenReadAsync(path, ct);
        if (stream is null)
        {
            return null;
        }
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(ct);
    }

    public static async Task UploadFileAsync(this IArtifactStore store, string path, string localFile, CancellationToken ct)
    {
        await using var stream = File.OpenRead(localFile);
        await store.WriteAsync(path, stream, ct);
    }

    public static async Task<bool> DownloadFileAsync(this IArtifactStore store, string path, string localFile, CancellationToken ct)
    {
        await using var stream = await store.OpenReadAsync(path, ct);
        if (stream is null)
        {
            return false;
        }
        string temp = localFile + ".download";
        await using (var file = File.Create(temp))
        {
            await stream.CopyToAsync(file, ct);
        }
        File.Move(temp, localFile, overwrite: true);
        return true;
    }
}

// Placeholder until the storage branch is merged.
public static class ArtifactStores
{
    public static IArtifactStore Create(string spec) => spec.StartsWith("local:", StringComparison.Ordinal)
        ? new LocalArtifactStore(spec["local:".Length..]) : throw new NotSupportedException(spec);

    public static string AzureConnectionString(string spec) => spec["azure:".Length..];
}
