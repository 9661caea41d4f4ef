namespace SemiSeg.Storage;

/// <summary>
/// A remote store operation failed for good: a non-transient error, retries exhausted, a timeout, or the circuit
/// breaker open. The message names the store, the operation and the path; the inner exception is the cause. Not an
/// IOException on purpose: IOException counts as transient, and this failure has already been retried.
/// </summary>
public sealed class ArtifactStoreException(string message, Exception inner) : Exception(message, inner)
{
    /// <summary>The HTTP status of the underlying failure (0 when there was none, e.g. a timeout).</summary>
    public int Status { get; init; }
}
