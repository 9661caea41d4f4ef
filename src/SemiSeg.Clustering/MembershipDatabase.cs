using Npgsql;
using Polly;
using Polly.Retry;

namespace SemiSeg.Clustering;

/// <summary>The connection pool and the retry policy shared by the membership table and the gateway list.</summary>
internal sealed class MembershipDatabase : IAsyncDisposable
{
    private readonly ResiliencePipeline _pipeline;

    public MembershipDatabase(PostgresClusteringOptions options, TimeProvider time)
    {
        DataSource = NpgsqlDataSource.Create(options.ConnectionString);
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (options.MaxAttempts > 1)
        {
            // Only transient failures (network, restarts, serialization conflicts) are retried. A retried write whose
            // first try did commit then finds its etag stale and returns false, which Orleans handles by re-reading
            // the table, so retrying writes cannot corrupt it.
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<NpgsqlException>(e => e.IsTransient),
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
            });
        }
        _pipeline = builder.Build();
    }

    public NpgsqlDataSource DataSource { get; }

    public ValueTask<T> Run<T>(Func<CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken) =>
        _pipeline.ExecuteAsync(operation, cancellationToken);

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
