using System.Runtime.CompilerServices;

namespace SemiSeg.Storage;

/// <summary>
/// Artifacts as files under a root folder. Writes go to a temp file in the target folder and are renamed into place,
/// so readers never see a partial file. A path must not be both a file and a folder ("a" and "a/b").
/// </summary>
public sealed class LocalArtifactStore : IArtifactStore
{
    // Temp files carry this suffix; List skips them. A crash can leave one behind: harmless, never listed.
    private const string TempSuffix = ".semiseg-tmp";

    public LocalArtifactStore(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
    }

    /// <summary>The absolute root folder.</summary>
    public string Root { get; }

    public string Location => "local:" + Root;

    public async Task WriteAsync(string path, Stream content, CancellationToken ct)
    {
        string target = FullPath(path);
        string temp = await WriteTempAsync(target, content, ct).ConfigureAwait(false);
        try
        {
            File.Move(temp, target, overwrite: true); // rename(2): atomic replace
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    public async Task<bool> TryCreateAsync(string path, Stream content, CancellationToken ct)
    {
        string target = FullPath(path);
        string temp = await WriteTempAsync(target, content, ct).ConfigureAwait(false);
        try
        {
            if (ExclusiveFile.TryPublish(temp, target))
            {
                return true;
            }
            return await SameContentAsync(temp, target, ct).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(temp); // the published file is a second link (or a copy): removing the temp keeps it
        }
    }

    public Task<Stream?> OpenReadAsync(string path, CancellationToken ct)
    {
        string target = FullPath(path);
        try
        {
            // FileShare.Delete: a concurrent overwrite (rename over this file) must not fail because we are reading.
            Stream stream = new FileStream(target, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete,
                bufferSize: 81920, useAsync: true);
            return Task.FromResult<Stream?>(stream);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    public Task<bool> ExistsAsync(string path, CancellationToken ct) => Task.FromResult(File.Exists(FullPath(path)));

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        ArtifactPath.ValidatePrefix(prefix);
        // Enumerate the deepest folder the prefix names, then filter by the full string prefix.
        int slash = prefix.LastIndexOf('/');
        string folder = slash < 0 ? Root : Path.Combine(Root, prefix[..slash]);
        if (!Directory.Exists(folder))
            yield break;
        var paths = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(file => !file.EndsWith(TempSuffix, StringComparison.Ordinal))
            .Select(file => Path.GetRelativePath(Root, file).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(path => path.StartsWith(prefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        foreach (string path in paths)
        {
            ct.ThrowIfCancellationRequested();
            yield return path;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task DeleteAsync(string path, CancellationToken ct)
    {
        string target = FullPath(path);
        try
        {
            File.Delete(target); // no error when the file is absent
        }
        catch (DirectoryNotFoundException)
        {
        }
        return Task.CompletedTask;
    }

    private string FullPath(string path)
    {
        if (ArtifactPath.Validate(path).EndsWith(TempSuffix, StringComparison.Ordinal))
            throw new ArgumentException($"artifact path '{path}' is invalid: the suffix {TempSuffix} is reserved for temp files", nameof(path));
        return Path.Combine(Root, path.Replace('/', Path.DirectorySeparatorChar));
    }

    private static async Task<string> WriteTempAsync(string target, Stream content, CancellationToken ct)
    {
        string folder = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(folder);
        string temp = Path.Combine(folder, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}{TempSuffix}");
        try
        {
            await using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None,
                bufferSize: 81920, useAsync: true);
            await content.CopyToAsync(file, ct).ConfigureAwait(false);
            file.Flush(flushToDisk: true); // durable before the rename makes it visible
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        return temp;
    }

    private static async Task<bool> SameContentAsync(string a, string b, CancellationToken ct)
    {
        if (new FileInfo(a).Length != new FileInfo(b).Length)
            return false;
        byte[] left = await File.ReadAllBytesAsync(a, ct).ConfigureAwait(false);
        byte[] right = await File.ReadAllBytesAsync(b, ct).ConfigureAwait(false);
        return left.AsSpan().SequenceEqual(right);
    }
}
