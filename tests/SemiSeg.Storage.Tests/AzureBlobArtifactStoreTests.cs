using Azure;
using Azure.Core;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Time.Testing;
using SemiSeg.Storage.Tests.Support;
using SemiSeg.Testing;

namespace SemiSeg.Storage.Tests;

/// <summary>The store contract on Azurite, plus the resilience behaviour with faults injected into the SDK pipeline.</summary>
public sealed class AzureBlobArtifactStoreTests : ArtifactStoreContract
{
    // Zero backoff and a fake clock: retries run at once, and timeouts and the breaker's break only move when a test
    // advances the clock.
    private static readonly StoreResilienceOptions Fast = new() { BaseDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero };

    private readonly FakeTimeProvider _time = new();
    private readonly FaultInjection _faults = new();
    private readonly string _containerName = Azurite.NewName();
    private BlobContainerClient? _container;

    protected override IArtifactStore CreateStore() => CreateStore(Fast);

    private AzureBlobArtifactStore CreateStore(StoreResilienceOptions options, string? connectionString = null)
    {
        BlobClientOptions clientOptions = AzureBlobArtifactStore.CreateClientOptions();
        clientOptions.AddPolicy(_faults, HttpPipelinePosition.PerRetry);
        _container = new BlobContainerClient(connectionString ?? Azurite.ConnectionString, _containerName, clientOptions);
        return new AzureBlobArtifactStore(_container, StoreResilience.Create(options, _time));
    }

    public override void Dispose()
    {
        if (_container is not null)
            new BlobContainerClient(Azurite.ConnectionString, _containerName).DeleteIfExists();
        base.Dispose();
    }

    private static RequestFailedException Status(int status, string code) => new(status, $"injected {status}", code, null);

    [Fact]
    public void Location_names_account_and_container()
    {
        Assert.Equal($"azure:devstoreaccount1/{_containerName}", Store.Location);
    }

    [Fact]
    public async Task Creates_the_container_on_first_use()
    {
        Assert.False(await new BlobContainerClient(Azurite.ConnectionString, _containerName).ExistsAsync());
        await Store.WriteTextAsync("a.txt", "a");
        Assert.True(await new BlobContainerClient(Azurite.ConnectionString, _containerName).ExistsAsync());
    }

    [Theory]
    [InlineData(503, "ServerBusy")]
    [InlineData(500, "InternalError")]
    [InlineData(429, "TooManyRequests")]
    [InlineData(0, "")]
    public async Task Transient_failures_are_retried_until_the_write_succeeds(int status, string code)
    {
        await Store.ExistsAsync("warm-up", default); // creates the container before faults are armed
        _faults.Arm(3, () => Status(status, code));

        await Store.WriteTextAsync("runs/r1/result.json", "{}");

        Assert.Equal(4, _faults.Requests); // 3 failures + 1 success
        Assert.Equal("{}", await Store.ReadTextAsync("runs/r1/result.json"));
    }

    [Fact]
    public async Task Network_errors_are_retried_on_reads()
    {
        await Store.WriteTextAsync("a.txt", "payload");
        _faults.Arm(2, () => new HttpRequestException("injected: connection reset"));

        Assert.Equal("payload", await Store.ReadTextAsync("a.txt"));
        Assert.Equal(3, _faults.Requests);
    }

    [Fact]
    public async Task A_create_whose_response_was_lost_still_succeeds_on_retry()
    {
        await Store.ExistsAsync("warm-up", default);
        // The first upload reaches Azurite and creates the blob, but the client sees a network error.
        _faults.Arm(1, () => new IOException("injected: connection reset after sending"), afterSending: true);

        Assert.True(await Store.TryCreateTextAsync("results/r1.json", "{\"miou\":0.7}"));

        // lost create, retried create (409 exists), download to compare: identical, so it was ours.
        Assert.Equal(3, _faults.Requests);
        Assert.False(await Store.TryCreateTextAsync("results/r1.json", "{\"miou\":0.1}"));
    }

    [Fact]
    public async Task A_forbidden_request_is_not_retried()
    {
        await Store.ExistsAsync("warm-up", default);
        _faults.Arm(10, () => Status(403, "AuthorizationFailure"));

        var error = await Assert.ThrowsAsync<ArtifactStoreException>(() => Store.WriteTextAsync("a.txt", "a"));

        Assert.Equal(1, _faults.Requests);
        Assert.Equal(403, error.Status);
        Assert.Equal($"storage azure:devstoreaccount1/{_containerName}: write 'a.txt' failed: 403 AuthorizationFailure: injected 403. "
            + "Fix: check the account key or SAS in the connection string", error.Message);
    }

    [Fact]
    public async Task A_wrong_account_key_fails_at_once_with_403()
    {
        string wrongKey = Convert.ToBase64String(new byte[64]);
        string connection = Azurite.ConnectionString.Replace(Azurite.AccountKey, wrongKey, StringComparison.Ordinal);
        IArtifactStore store = CreateStore(Fast, connection);

        var error = await Assert.ThrowsAsync<ArtifactStoreException>(() => store.WriteTextAsync("a.txt", "a"));

        Assert.Equal(1, _faults.Requests);
        Assert.Equal(403, error.Status);
        Assert.StartsWith($"storage azure:devstoreaccount1/{_containerName}: create container '{_containerName}' failed: 403 ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_write_into_a_deleted_container_fails_with_404_without_retrying()
    {
        await Store.ExistsAsync("warm-up", default);
        await _container!.DeleteAsync();
        _faults.Arm(0, () => new InvalidOperationException("unused"));

        var error = await Assert.ThrowsAsync<ArtifactStoreException>(() => Store.WriteTextAsync("a.txt", "a"));

        Assert.Equal(1, _faults.Requests);
        Assert.Equal(404, error.Status);
        Assert.Contains("write 'a.txt' failed: 404 ContainerNotFound", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Persistent_transient_failures_give_up_after_the_last_attempt()
    {
        await Store.ExistsAsync("warm-up", default);
        _faults.Arm(100, () => Status(503, "ServerBusy"));

        var error = await Assert.ThrowsAsync<ArtifactStoreException>(() => Store.WriteTextAsync("a.txt", "a"));

        Assert.Equal(6, _faults.Requests);
        Assert.Equal(503, error.Status);
        Assert.Contains("write 'a.txt' failed: 503 ServerBusy: injected 503", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_circuit_opens_under_sustained_failure_and_closes_after_the_break()
    {
        IArtifactStore store = CreateStore(Fast with { MaxAttempts = 3, MinimumThroughput = 4, FailureRatio = 0.5 });
        await store.ExistsAsync("warm-up", default);
        _faults.Arm(1000, () => Status(503, "ServerBusy"));

        // The warm-up made 2 successful requests (create container, exists). The first two failures make it 4
        // attempts, half of them failed: the circuit opens, and the third attempt meets it and stops the retries.
        var opened = await Assert.ThrowsAsync<ArtifactStoreException>(() => store.WriteTextAsync("a.txt", "a"));
        Assert.Equal(2, _faults.Requests);

        // While open, calls fail at once without a request.
        var rejected = await Assert.ThrowsAsync<ArtifactStoreException>(() => store.ReadTextAsync("a.txt"));
        Assert.Equal(2, _faults.Requests);
        Assert.Equal($"storage azure:devstoreaccount1/{_containerName}: write 'a.txt' failed: the store failed repeatedly, "
            + "so calls are paused (circuit breaker open, retry after 15 s); last error: 503 ServerBusy: injected 503", opened.Message);
        Assert.StartsWith($"storage azure:devstoreaccount1/{_containerName}: read 'a.txt' failed: the store failed repeatedly, "
            + "so calls are paused (circuit breaker open", rejected.Message, StringComparison.Ordinal);

        // After the break (15 s) a trial call goes through; it succeeds and the circuit closes.
        _faults.Arm(0, () => new InvalidOperationException("unused"));
        _time.Advance(TimeSpan.FromSeconds(16));
        await store.WriteTextAsync("a.txt", "recovered");
        Assert.Equal("recovered", await store.ReadTextAsync("a.txt"));
    }

    [Fact]
    public async Task Cancellation_by_the_caller_is_not_wrapped_or_retried()
    {
        await Store.ExistsAsync("warm-up", default);
        using var cancel = new CancellationTokenSource();
        _faults.Arm(1, () =>
        {
            cancel.Cancel();
            return Status(503, "ServerBusy");
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.WriteTextAsync("a.txt", "a", cancel.Token));
        Assert.Equal(1, _faults.Requests);
    }
}
