using Azure;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace SemiSeg.Storage;

/// <summary>Settings of the resilience pipeline around every remote store call (see <see cref="StoreResilience"/>).</summary>
public sealed record StoreResilienceOptions
{
    /// <summary>Attempts per call, the first included (1 = no retry).</summary>
    public int MaxAttempts { get; init; } = 6;

    /// <summary>Exponential backoff: about BaseDelay, 2x, 4x, ... (with jitter), each capped at <see cref="MaxDelay"/>.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>One attempt (e.g. one checkpoint upload) is cancelled and retried after this long.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The whole call, all attempts and delays included, fails after this long.</summary>
    public TimeSpan TotalTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The circuit opens when at least this share of attempts failed transiently within <see cref="SamplingDuration"/>...</summary>
    public double FailureRatio { get; init; } = 0.5;

    /// <summary>...and at least this many attempts were made in it.</summary>
    public int MinimumThroughput { get; init; } = 10;

    public TimeSpan SamplingDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>While open, calls fail at once; after this long one trial call is let through.</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(15);
}

/// <summary>
/// Builds the Polly pipeline used for every remote store call: an overall timeout, retries with exponential backoff and
/// jitter on transient failures only, a circuit breaker shared by all calls of one store, and a per-attempt timeout.
/// </summary>
public static class StoreResilience
{
    /// <param name="time">The clock for delays, timeouts and the breaker; tests pass a fake one.</param>
    public static ResiliencePipeline Create(StoreResilienceOptions? options = null, TimeProvider? time = null)
    {
        options ??= new StoreResilienceOptions();
        var transient = new PredicateBuilder().Handle<Exception>(IsTransient);
        var builder = new ResiliencePipelineBuilder { TimeProvider = time ?? TimeProvider.System }
            .AddTimeout(options.TotalTimeout);
        if (options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = transient,
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
            });
        }
        // Inside the retry, so every attempt counts. An open circuit throws BrokenCircuitException, which is not
        // transient: the call fails at once instead of retrying into the open breaker.
        return builder
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = transient,
                FailureRatio = options.FailureRatio,
                MinimumThroughput = options.MinimumThroughput,
                SamplingDuration = options.SamplingDuration,
                BreakDuration = options.BreakDuration,
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();
    }

    /// <summary>
    /// Failures worth retrying: timeouts, throttling, server errors, and network errors (status 0). Client errors
    /// such as 403 (auth), 404 or 409 are not: repeating the same request gives the same answer.
    /// </summary>
    public static bool IsTransient(Exception e) => e switch
    {
        RequestFailedException r => r.Status is 0 or 408 or 429 or 500 or 502 or 503 or 504,
        // A missing local file is an IOException too, but not one that goes away.
        FileNotFoundException or DirectoryNotFoundException => false,
        HttpRequestException or TimeoutRejectedException or TimeoutException or IOException => true,
        // Azure.Core reports its own network timeout as a cancellation caused by a TimeoutException.
        OperationCanceledException { InnerException: TimeoutException } => true,
        AggregateException a => a.InnerExceptions.Count > 0 && a.InnerExceptions.All(IsTransient),
        _ => false,
    };
}
