using System.Runtime.CompilerServices;
using SemiSeg.Storage;

namespace SemiSeg.Orchestration.Tests.Support;

/// <summary>An artifact store that can be switched off: while <see cref="Down"/>, every call fails the way a remote
/// store fails once its retries are spent (an <see cref="ArtifactStoreException"/>, e.g. the circuit breaker open).</summary>
public sealed class SwitchableStore(IArtifactStore inner) : IArtifactStore
{
    private volatile bool down;
    private int refused;

    public bool Down
    {
        get => down;
        set => down = value;
    }

    /// <summary>Calls refused while down.</summary>
    public int Refused => Volatile.Read(ref refused);

    public string Location => inner.Location;

    public Task WriteAsync(string path, Stream content, CancellationToken ct)
    {
        Check("write", path);
        return inner.WriteAsync(path, content, ct);
    }

    public Task<bool> TryCreateAsync(string path, Stream content, CancellationToken ct)
    {
        Check("create", path);
        return inner.TryCreateAsync(path, content, ct);
    }

    public Task<Stream?> OpenReadAsync(string path, CancellationToken ct)
    {
        Check("read", path);
        return inner.OpenReadAsync(path, ct);
    }

    public Task<bool> ExistsAsync(string path, CancellationToken ct)
    {
        Check("exists", path);
        return inner.ExistsAsync(path, ct);
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        Check("list", prefix);
        await foreach (string path in inner.ListAsync(prefix, ct))
        {
            yield return path;
        }
    }

    public Task DeleteAsync(string path, CancellationToken ct)
    {
        Check("delete", path);
        return inner.DeleteAsync(path, ct);
    }

    private void Check(string operation, string path)
    {
        if (down)
        {
            Interlocked.Increment(ref refused);
            throw new ArtifactStoreException($"{Location}: {operation} {path} failed: the circuit breaker is open (test outage)", new TimeoutException());
        }
    }
}
