namespace SemiSeg.Storage;

/// <summary>Validation of artifact paths: relative, '/'-separated, no empty, "." or ".." segments, no backslash.</summary>
public static class ArtifactPath
{
    /// <summary>Returns <paramref name="path"/> when valid; otherwise throws an <see cref="ArgumentException"/> naming it.</summary>
    public static string Validate(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string? problem = Problem(path);
        return problem is null ? path : throw Invalid(path, problem, nameof(path));
    }

    /// <summary>
    /// Validates a list prefix: empty (everything), or a path, optionally with one trailing '/' ("runs/").
    /// </summary>
    public static string ValidatePrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Length == 0)
            return prefix;
        string? problem = Problem(prefix.EndsWith('/') ? prefix[..^1] : prefix);
        return problem is null ? prefix : throw Invalid(prefix, problem, nameof(prefix));
    }

    private static string? Problem(string path)
    {
        if (path.Length == 0)
            return "it is empty";
        if (path.Contains('\\', StringComparison.Ordinal))
            return "it contains a backslash (use '/')";
        if (path.StartsWith('/'))
            return "it starts with '/' (paths are relative to the store)";
        foreach (string segment in path.Split('/'))
        {
            if (segment.Length == 0)
                return "it has an empty segment ('//' or a trailing '/')";
            if (segment is "." or "..")
                return $"it has a '{segment}' segment";
        }
        return null;
    }

    private static ArgumentException Invalid(string path, string problem, string parameter) =>
        new($"artifact path '{path}' is invalid: {problem}. Fix: use a relative '/'-separated path such as runs/abc/result.json", parameter);
}
