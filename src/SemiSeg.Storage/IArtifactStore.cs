namespace SemiSeg.Storage;

/// <summary>
/// The store for checkpoints, metrics, results and reports: a local folder (<see cref="LocalArtifactStore"/>) or an
/// Azure blob container (<see cref="AzureBlobArtifactStore"/>). Paths are relative and '/'-separated
/// (see <see cref="ArtifactPath"/>); every method throws <see cref="ArgumentException"/> for an invalid path.
/// </summary>
public interface IArtifactStore
{
    /// <summary>Where the store lives, for messages: <c>local:/abs/path</c> or <c>azure:account/container</c>.</summary>
    string Location { get; }

    /// <summary>Creates or overwrites <paramref name="path"/> atomically: readers see the old or the new content, never part of it.</summary>
    Task WriteAsync(string path, Stream content, CancellationToken ct);

    /// <summary>
    /// Creates <paramref name="path"/> only if it is absent, atomically (for exactly-once commits of small results).
    /// Returns true when the path now holds exactly this content: created by this call, or already there with
    /// identical bytes; false when it holds different content (another writer won).
    /// </summary>
    /// <remarks>
    /// "Already there with identical bytes" counts as success because a remote create can succeed on the server while
    /// its response is lost; the retry then finds the blob it wrote itself. Treating identical content as success
    /// makes that retry, and any repeat of the same deterministic commit, idempotent. Writers that must know whether
    /// they were first have to write distinguishable content (e.g. include a writer id).
    /// </remarks>
    Task<bool> TryCreateAsync(string path, Stream content, CancellationToken ct);

    /// <summary>Opens <paramref name="path"/> for reading; null when it does not exist. The caller disposes the stream.</summary>
    Task<Stream?> OpenReadAsync(string path, CancellationToken ct);

    Task<bool> ExistsAsync(string path, CancellationToken ct);

    /// <summary>
    /// The paths that start with <paramref name="prefix"/> (a plain string prefix, so "runs/" lists a folder and
    /// "runs/ab" also matches "runs/abc/x"), in ordinal order. An empty prefix lists everything.
    /// </summary>
    IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken ct);

    /// <summary>Deletes <paramref name="path"/>; no error when it does not exist.</summary>
    Task DeleteAsync(string path, CancellationToken ct);
}
