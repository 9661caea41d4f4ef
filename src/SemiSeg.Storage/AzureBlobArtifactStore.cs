using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace SemiSeg.Storage;

/// <summary>
/// Artifacts as block blobs in one container; every call runs through a Polly <see cref="ResiliencePipeline"/>
/// (see <see cref="StoreResilience"/>). Create the container client with <see cref="CreateClientOptions"/> so that
/// Polly is the only retry layer. The container is created on first use if missing.
/// </summary>
/// <remarks>
/// A blob upload is atomic (a single Put Blob, or a block list committed at once), so readers never see part of one.
/// Reads download the whole blob into memory before returning, so that a transient failure mid-read is retried too.
/// Failures that survive the pipeline surface as <see cref="ArtifactStoreException"/>.
/// </remarks>
public sealed class AzureBlobArtifactStore : IArtifactStore
{
    private readonly BlobContainerClient _container;
    private readonly ResiliencePipeline _pipeline;
    private readonly SemaphoreSlim _createLock = new(1, 1);
    private volatile bool _containerReady;

    public AzureBlobArtifactStore(BlobContainerClient container, ResiliencePipeline pipeline)
    {
        _container = container ?? throw new ArgumentNullException(nameof(container));
        _pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
    }

    public string Location => $"azure:{_container.AccountName}/{_container.Name}";

    /// <summary>Client options for the container client: the SDK's own retries are off.</summary>
    public static BlobClientOptions CreateClientOptions()
    {
        var options = new BlobClientOptions();
        // Polly is the only retry layer. SDK retries inside Polly retries would multiply the attempts (6 x 4) and
        // hide failures from the circuit breaker and the timeouts.
        options.Retry.MaxRetries = 0;
        return options;
    }

    public async Task WriteAsync(string path, Stream content, CancellationToken ct)
    {
        BlobClient blob = Blob(path);
        // Every attempt re-sends the content from the start: buffer a stream that cannot seek.
        Stream body = content.CanSeek ? content : await BufferAsync(content, ct).ConfigureAwait(false);
        long start = body.Position;
        await RunAsync("write", path, async t =>
        {
            body.Position = start;
            await blob.UploadAsync(body, overwrite: true, t).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);
    }

    public async Task<bool> TryCreateAsync(string path, Stream content, CancellationToken ct)
    {
        BlobClient blob = Blob(path);
        BinaryData data = BinaryData.FromBytes((await BufferAsync(content, ct).ConfigureAwait(false)).ToArray());
        var options = new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } };
        return await RunAsync("create", path, async t =>
        {
            try
            {
                await blob.UploadAsync(data, options, t).ConfigureAwait(false);
                return true;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412) // BlobAlreadyExists / ConditionNotMet
            {
                // It exists. If an earlier attempt of this call succeeded but its response was lost, the blob holds
                // our content: identical content counts as success (see IArtifactStore.TryCreateAsync).
                BinaryData? existing = await DownloadAsync(blob, t).ConfigureAwait(false)
                    ?? throw new IOException($"'{path}' was deleted while being created; trying again"); // transient: retried
                return existing.ToMemory().Span.SequenceEqual(data.ToMemory().Span);
            }
        }, ct).ConfigureAwait(false);
    }

    public async Task<Stream?> OpenReadAsync(string path, CancellationToken ct)
    {
        BlobClient blob = Blob(path);
        BinaryData? data = await RunAsync("read", path, t => DownloadAsync(blob, t), ct).ConfigureAwait(false);
        return data?.ToStream();
    }

    public async Task<bool> ExistsAsync(string path, CancellationToken ct)
    {
        BlobClient blob = Blob(path);
        return await RunAsync("check", path, async t => (await blob.ExistsAsync(t).ConfigureAwait(false)).Value, ct)
            .ConfigureAwait(false);
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        ArtifactPath.ValidatePrefix(prefix);
        // One page per pipeline call, so a failed page is retried from its own continuation token.
        var paths = new List<string>();
        string? continuation = null;
        do
        {
            Page<BlobItem> page = await RunAsync("list", prefix, async t =>
            {
                var pages = _container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix.Length == 0 ? null : prefix, t)
                    .AsPages(continuation, pageSizeHint: 1000);
                await foreach (Page<BlobItem> first in pages.ConfigureAwait(false))
                    return first;
                throw new InvalidOperationException("blob listing returned no page");
            }, ct).ConfigureAwait(false);
            paths.AddRange(page.Values.Select(item => item.Name));
            continuation = page.ContinuationToken;
        }
        while (!string.IsNullOrEmpty(continuation));

        // The service lists in its own (UTF-8) order; the contract is ordinal.
        paths.Sort(StringComparer.Ordinal);
        foreach (string path in paths)
            yield return path;
    }

    public async Task DeleteAsync(string path, CancellationToken ct)
    {
        BlobClient blob = Blob(path);
        await RunAsync("delete", path, async t => (await blob.DeleteIfExistsAsync(cancellationToken: t).ConfigureAwait(false)).Value, ct)
            .ConfigureAwait(false);
    }

    private BlobClient Blob(string path) => _container.GetBlobClient(ArtifactPath.Validate(path));

    private static async Task<BinaryData?> DownloadAsync(BlobClient blob, CancellationToken ct)
    {
        try
        {
            return (await blob.DownloadContentAsync(ct).ConfigureAwait(false)).Value.Content;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null; // caught inside the pipeline: an absent blob is an answer, not a failure for the breaker
        }
    }

    private static async Task<MemoryStream> BufferAsync(Stream content, CancellationToken ct)
    {
        var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, ct).ConfigureAwait(false);
        buffer.Position = 0;
        return buffer;
    }

    private async Task<T> RunAsync<T>(string operation, string path, Func<CancellationToken, Task<T>> action, CancellationToken ct)
    {
        await EnsureContainerAsync(ct).ConfigureAwait(false);
        return await ExecuteAsync(operation, path, action, ct).ConfigureAwait(false);
    }

    private async Task<T> ExecuteAsync<T>(string operation, string path, Func<CancellationToken, Task<T>> action, CancellationToken ct)
    {
        try
        {
            return await _pipeline.ExecuteAsync(async t => await action(t).ConfigureAwait(false), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (!(e is OperationCanceledException && ct.IsCancellationRequested))
        {
            throw new ArtifactStoreException($"storage {Location}: {operation} '{path}' failed: {Describe(e)}", e)
            {
                Status = e is RequestFailedException r ? r.Status : 0,
            };
        }
    }

    private async Task EnsureContainerAsync(CancellationToken ct)
    {
        if (_containerReady)
            return;
        await _createLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!_containerReady)
            {
                await ExecuteAsync("create container", _container.Name,
                    async t => await _container.CreateIfNotExistsAsync(cancellationToken: t).ConfigureAwait(false), ct)
                    .ConfigureAwait(false);
                _containerReady = true; // only after success: a failed creation is tried again by the next call
            }
        }
        finally
        {
            _createLock.Release();
        }
    }

    private static string Describe(Exception e) => e switch
    {
        BrokenCircuitException b =>
            "the store failed repeatedly, so calls are paused (circuit breaker open"
            + (b.RetryAfter is { } after ? $", retry after {after.TotalSeconds:0.#} s" : "") + ")"
            + (b.InnerException is { } last ? "; last error: " + Describe(last) : ""),
        TimeoutRejectedException t => $"timed out after {t.Timeout.TotalSeconds:0.###} s",
        RequestFailedException r => $"{r.Status} {r.ErrorCode}: {FirstLine(r.Message)}"
            + (r.Status == 403 ? ". Fix: check the account key or SAS in the connection string" : ""),
        _ => FirstLine(e.Message),
    };

    private static string FirstLine(string text)
    {
        int end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }
}
