using System.Runtime.CompilerServices;
using Polly;
using SemiSeg.Contracts;
using SemiSeg.Security;

namespace SemiSeg.Client;

/// <summary>
/// The typed client: submit a sweep, ask its status, watch it, cancel it, read its results. Every call is retried on
/// transient cluster errors (each command is idempotent, so a retry after an unknown outcome is safe).
/// </summary>
public sealed class SemiSegClient(IGrainFactory grains)
{
    private readonly ResiliencePipeline retry = new ResiliencePipelineBuilder()
        .AddRetry(new Polly.Retry.RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<TimeoutException>().Handle<Orleans.Runtime.OrleansMessageRejectionException>()
                .Handle<Orleans.Runtime.SiloUnavailableException>().Handle<Orleans.Runtime.Messaging.ConnectionFailedException>(),
            MaxRetryAttempts = 6,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(250),
        })
        .AddTimeout(TimeSpan.FromMinutes(2))
        .Build();

    /// <summary>Starts the sweep, or resumes it ("resume = submit again": finished runs are not run twice).</summary>
    /// <exception cref="ArgumentException">The spec breaks <see cref="SpecRules"/> (e.g. a sweep id that is not a safe name).</exception>
    public Task<SweepStatus> SubmitAsync(SweepSpec spec, CancellationToken cancellation = default)
    {
        SpecRules.Validate(spec);
        return Call(() => Sweep(spec.SweepId).Submit(spec), cancellation);
    }

    public Task<SweepStatus> SubmitAsync(string manifestPath, CancellationToken cancellation = default) =>
        SubmitAsync(SweepSpecs.FromManifest(manifestPath), cancellation);

    public Task<SweepStatus> GetStatusAsync(string sweepId, CancellationToken cancellation = default) =>
        Call(() => Sweep(sweepId).GetStatus(), cancellation);

    public Task<SweepStatus> CancelAsync(string sweepId, CancellationToken cancellation = default) =>
        Call(() => Sweep(sweepId).Cancel(), cancellation);

    public Task<SweepResults> GetResultsAsync(string sweepId, CancellationToken cancellation = default) =>
        Call(() => Sweep(sweepId).GetResults(), cancellation);

    public Task<string[]> ListSweepsAsync(CancellationToken cancellation = default) =>
        Call(() => grains.GetGrain<ISweepDirectoryGrain>(0).GetAll(), cancellation);

    /// <summary>Throws <see cref="UnknownSweepException"/> unless the cluster has the sweep. Asks the sweep directory
    /// (every submitted sweep is in it): asking the sweep grain itself would activate an empty one.</summary>
    public async Task RequireSweepAsync(string sweepId, CancellationToken cancellation = default)
    {
        string[] known = await ListSweepsAsync(cancellation);
        if (!known.Contains(sweepId, StringComparer.Ordinal))
        {
            throw new UnknownSweepException(sweepId, known);
        }
    }

    /// <summary>The sweep's status every <paramref name="interval"/> (default 1 s) until it has finished.</summary>
    /// <exception cref="UnknownSweepException">The cluster has no such sweep (it would never finish).</exception>
    public async IAsyncEnumerable<SweepStatus> WatchAsync(string sweepId, TimeSpan? interval = null, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        await RequireSweepAsync(sweepId, cancellation);
        while (true)
        {
            var status = await GetStatusAsync(sweepId, cancellation);
            yield return status;
            if (status.FinishedAt is not null)
            {
                yield break;
            }
            await Task.Delay(interval ?? TimeSpan.FromSeconds(1), cancellation);
        }
    }

    /// <summary>The sweep's grain; an id that is not a safe name is refused here, before any call.</summary>
    private ISweepGrain Sweep(string id) => grains.GetGrain<ISweepGrain>(SafeNames.CheckSweepId(id));

    private async Task<T> Call<T>(Func<Task<T>> call, CancellationToken cancellation) =>
        await retry.ExecuteAsync(async _ => await call(), cancellation);
}

/// <summary>A sweep id the cluster does not know; the message lists the ones it does.</summary>
public sealed class UnknownSweepException(string sweepId, IReadOnlyCollection<string> known)
    : Exception($"the cluster has no sweep '{sweepId}' ({(known.Count == 0 ? "it has no sweeps" : $"it has: {string.Join(", ", known.Take(10))}{(known.Count > 10 ? ", ..." : "")}")}). Fix: check the id with 'semiseg status', or submit the manifest first")
{
    public string SweepId { get; } = sweepId;
}
