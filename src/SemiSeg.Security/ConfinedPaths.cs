namespace SemiSeg.Security;

/// <summary>Paths that must stay inside a root folder (a worker's work folder, a report's scratch folder): resolved to
/// full paths and compared, so neither '..' nor an absolute part can lead outside.</summary>
public static class ConfinedPaths
{
    /// <summary><paramref name="root"/> joined with <paramref name="parts"/>, as a full path strictly inside the root;
    /// throws an <see cref="ArgumentException"/> when it would be the root itself or outside it.</summary>
    public static string Combine(string root, params string[] parts)
    {
        string full = Path.GetFullPath(Path.Combine([root, .. parts]));
        return IsInside(root, full) ? full
            : throw new ArgumentException($"{SafeNames.Show(string.Join("/", parts))} leads outside {Path.GetFullPath(root)}. Fix: use plain names, never absolute paths or '..'");
    }

    /// <summary>Whether <paramref name="path"/> resolves to a path strictly inside <paramref name="root"/>.</summary>
    public static bool IsInside(string root, string path)
    {
        string fullRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root)) + Path.DirectorySeparatorChar;
        string full = Path.GetFullPath(path);
        return full.StartsWith(fullRoot, StringComparison.Ordinal) && full.Length > fullRoot.Length;
    }

    /// <summary>Deletes a folder and everything in it, only when it lies strictly inside <paramref name="root"/>.</summary>
    /// <returns>null when deleted (or already gone), else why not (outside the root, or an I/O error).</returns>
    public static string? TryDeleteDirectory(string root, string directory)
    {
        if (!IsInside(root, directory))
        {
            return $"refused to delete {SafeNames.Show(directory)}: it is not inside {Path.GetFullPath(root)}";
        }
        try
        {
            Directory.Delete(Path.GetFullPath(directory), recursive: true);
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"could not delete {directory}: {e.Message}";
        }
    }
}
