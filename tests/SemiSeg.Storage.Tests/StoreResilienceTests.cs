using Azure;
using Microsoft.Extensions.Time.Testing;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace SemiSeg.Storage.Tests;

/// <summary>The resilience pipeline on its own, with a fake clock so that backoff and timeouts take no real time.</summary>
public sealed class StoreResilienceTests
{
    private readonly FakeTimeProvider _time = new();

    [Theory]
    [InlineData(0, true)]
    [InlineData(408, true)]
    [InlineData(429, true)]
    [InlineData(500, true)]
    [InlineData(502, true)]
    [InlineData(503, true)]
    [InlineData(504, true)]
    [InlineData(400, false)]
    [InlineData(403, false)]
    [InlineData(404, false)]
    [InlineData(409, false)]
    [InlineData(412, false)]
    public void Only_timeouts_throttling_and_server_errors_are_transient(int status, bool transient)
    {
        Assert.Equal(transient, StoreResilience.IsTransient(new RequestFailedException(status, "x")));
    }

    [Fact]
    public void Network_errors_and_timeouts_are_transient_but_logic_errors_are_not()
    {
        Assert.True(StoreResilience.IsTransient(new HttpRequestException("reset")));
        Assert.True(StoreResilience.IsTransient(new IOException("broken pipe")));
        Assert.True(StoreResilience.IsTransient(new TimeoutRejectedException()));
        Assert.True(StoreResilience.IsTransient(new TaskCanceledException("network timeout", new TimeoutException())));
        Assert.False(StoreResilience.IsTransient(new TaskCanceledException("cancelled by the caller")));
        Assert.False(StoreResilience.IsTransient(new ArgumentException("bad")));
        Assert.False(StoreResilience.IsTransient(new FileNotFoundException("no such checkpoint")));
        Assert.False(StoreResilience.IsTransient(new BrokenCircuitException()));
        Assert.False(StoreResilience.IsTransient(new ArtifactStoreException("already retried", new IOException())));
    }

    [Fact]
    public async Task Retries_back_off_exponentially_up_to_the_cap()
    {
        ResiliencePipeline pipeline = StoreResilience.Create(new StoreResilienceOptions(), _time);
        var attempts = new List<DateTimeOffset>();

        Task<int> call = pipeline.ExecuteAsync(_ =>
        {
            attempts.Add(_time.GetUtcNow());
            return attempts.Count < 6 ? throw new RequestFailedException(503, "busy") : ValueTask.FromResult(42);
        }).AsTask();

        Assert.Equal(42, await DriveAsync(call, TimeSpan.FromMilliseconds(50)));
        Assert.Equal(6, attempts.Count);
        TimeSpan[] gaps = attempts.Zip(attempts.Skip(1), (a, b) => b - a).ToArray();
        Assert.All(gaps, gap => Assert.InRange(gap, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(5.05)));
        // Exponential with jitter: the 5 delays sum to several seconds, not 5 x 200 ms.
        Assert.InRange(gaps.Sum(g => g.TotalSeconds), 1.5, 25.5);
    }

    [Fact]
    public async Task A_hung_attempt_times_out_and_is_retried()
    {
        ResiliencePipeline pipeline = StoreResilience.Create(new StoreResilienceOptions { AttemptTimeout = TimeSpan.FromSeconds(10) }, _time);
        int attempts = 0;

        Task<string> call = pipeline.ExecuteAsync(async token =>
        {
            if (++attempts == 1)
                await Task.Delay(Timeout.Infinite, token); // hangs until the attempt timeout cancels it
            return "done";
        }).AsTask();

        Assert.Equal("done", await DriveAsync(call, TimeSpan.FromSeconds(1)));
        Assert.Equal(2, attempts);
    }

    [Fact]
    public async Task The_overall_timeout_ends_a_call_that_keeps_hanging()
    {
        var options = new StoreResilienceOptions { AttemptTimeout = TimeSpan.FromSeconds(30), TotalTimeout = TimeSpan.FromSeconds(45) };
        ResiliencePipeline pipeline = StoreResilience.Create(options, _time);
        int attempts = 0;

        Task call = pipeline.ExecuteAsync(async token =>
        {
            attempts++;
            await Task.Delay(Timeout.Infinite, token);
        }).AsTask();

        var error = await Assert.ThrowsAsync<TimeoutRejectedException>(() => DriveAsync(call, TimeSpan.FromSeconds(1)));
        Assert.Equal(TimeSpan.FromSeconds(45), error.Timeout);
        Assert.Equal(2, attempts);
    }

    [Fact]
    public async Task Non_transient_failures_are_thrown_after_one_attempt()
    {
        ResiliencePipeline pipeline = StoreResilience.Create(new StoreResilienceOptions(), _time);
        int attempts = 0;

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => pipeline.ExecuteAsync(_ =>
        {
            attempts++;
            throw new RequestFailedException(404, "The specified blob does not exist.", "BlobNotFound", null);
        }).AsTask());

        Assert.Equal(1, attempts);
        Assert.Equal("BlobNotFound", error.ErrorCode);
    }

    /// <summary>Advances the fake clock in steps until the call completes.</summary>
    private async Task DriveAsync(Task call, TimeSpan step)
    {
        for (int i = 0; i < 100_000 && !call.IsCompleted; i++)
        {
            _time.Advance(step);
            await Task.Delay(1);
        }
        await call;
    }

    private async Task<T> DriveAsync<T>(Task<T> call, TimeSpan step)
    {
        await DriveAsync((Task)call, step);
        return await call;
    }
}
