using Azure.Core;
using Azure.Core.Pipeline;

namespace SemiSeg.Storage.Tests.Support;

/// <summary>
/// An Azure SDK pipeline policy (added per retry, so it sees every attempt) that counts requests and fails the next
/// <see cref="Arm"/>ed ones: before sending (the server never sees them) or after (the server acted, the response is lost).
/// </summary>
public sealed class FaultInjection : HttpPipelinePolicy
{
    private int _remaining;
    private Func<Exception>? _fault;
    private bool _afterSending;
    private int _requests;

    /// <summary>Requests that reached this policy (one per attempt).</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Fails the next <paramref name="count"/> requests with <paramref name="fault"/>; counting restarts at 0.</summary>
    public void Arm(int count, Func<Exception> fault, bool afterSending = false)
    {
        _fault = fault;
        _afterSending = afterSending;
        Volatile.Write(ref _remaining, count);
        Volatile.Write(ref _requests, 0);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Interlocked.Increment(ref _requests);
        bool fail = Interlocked.Decrement(ref _remaining) >= 0;
        if (fail && !_afterSending)
            throw _fault!();
        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        if (fail)
            throw _fault!();
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();
}
