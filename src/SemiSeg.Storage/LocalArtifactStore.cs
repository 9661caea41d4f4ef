using System.Runtime.CompilerServices;

namespace SemiSeg.Storage;

// Placeholder until the storage branch is merged.
public sealed class LocalArtifactStore(string root) : IArtifactStore
{
    public string Location => $"local:{Path.GetFullPath(root)}";

    private string Full(string path) => Path.Combine(root, path);

    public async Task WriteAsync(string path, Stream content, CancellationToken ct)
    {
        string full = Full(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = full + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await using (var file = File.Create(temp))
        {
            await content.CopyToAsync(file, ct);
        }
        File.Move(temp, full, overwrite: true);
    }

    public async Task<bool> TryCreateAsync(string path, Stream content, CancellationToken ct)
    {
        string full = Full(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = full + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await using (var file = File.Create(temp))
        {
            await content.CopyToAsync(file, ct);
        }
        try
        {
            File.Move(temp, full, overwrite: false);
            return true;
        }
        catch (IOException)
        {
            File.Delete(temp);
            return false;
        }
    }

    public Task<Stream?> OpenReadAsync(string path, CancellationToken ct) =>
        Task.FromResult<Stream?>(File.Exists(Full(path)) ? File.OpenRead(Full(path)) : null);

    public Task<bool> ExistsAsync(string path, CancellationToken ct) => Task.FromResult(File.Exists(Full(path)));

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        await Task.CompletedTask;
        if (!Directory.Exists(root))
        {
            yield break;
        }
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(f => f.StartsWith(prefix, StringComparison.Ordinal) && !f.EndsWith(".tmp", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal))
        {
            yield return file;
        }
    }

    public Task DeleteAsync(string path, CancellationToken ct)
    {
        File.Delete(Full(path));
        return Task.CompletedTask;
    }
}
