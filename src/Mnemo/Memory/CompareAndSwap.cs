using Polly;
using Polly.Retry;

namespace Mnemo.Memory;

/// <summary>The compare-and-swap rule's one constant.</summary>
internal static class CompareAndSwap
{
    /// <summary>How many times a lost attempt is tried again by default.</summary>
    public const int DefaultMaxRetries = 1000;
}

/// <summary>The one compare-and-swap loop of Mnemo: a read-modify-write is tried again while other writers change the file
/// between its read and its write, so no update is ever lost.</summary>
/// <remarks>
/// Each retry means another writer got in between, so the limit is reached only under a storm of writes. From the fourth
/// attempt on, each waits a random pause of up to one millisecond per attempt (20 at most), so a crowd of writers spreads
/// out. Runs on Polly's retry strategy; a pipeline is built once per limit and shared.
/// </remarks>
/// <typeparam name="T">What an attempt answers.</typeparam>
internal sealed class CompareAndSwap<T>
{
    private readonly ResiliencePipeline<Attempt> _pipeline;

    /// <summary>Initializes a new instance of the <see cref="CompareAndSwap{T}"/> class.</summary>
    /// <param name="maxRetries">How many times a lost attempt is tried again; 0 for none.</param>
    public CompareAndSwap(int maxRetries)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetries);
        _pipeline = maxRetries == 0
            ? ResiliencePipeline<Attempt>.Empty
            : new ResiliencePipelineBuilder<Attempt>().AddRetry(new RetryStrategyOptions<Attempt>
            {
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Result.Lost),
                MaxRetryAttempts = maxRetries,
                DelayGenerator = static args => ValueTask.FromResult<TimeSpan?>(args.AttemptNumber > 2
                    ? TimeSpan.FromMilliseconds(Random.Shared.Next(0, Math.Min(args.AttemptNumber, 20)))
                    : TimeSpan.Zero),
            }).Build();
    }

    /// <summary>Runs attempts until one is not lost to another writer, or the retries run out.</summary>
    /// <typeparam name="TState">What the attempt needs, passed without a closure.</typeparam>
    /// <param name="state">The state.</param>
    /// <param name="attempt">One read, decision and conditional write: <see cref="Won"/> or <see cref="Lost"/>.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The answer of the last attempt, and whether it was lost (the retries ran out).</returns>
    public async ValueTask<(T Value, bool Lost)> RunAsync<TState>(
        TState state, Func<TState, CancellationToken, ValueTask<Attempt>> attempt, CancellationToken cancellationToken)
    {
        var outcome = await _pipeline.ExecuteAsync(
            static (s, token) => s.Attempt(s.State, token), (State: state, Attempt: attempt), cancellationToken).ConfigureAwait(false);
        return (outcome.Value, outcome.Lost);
    }

    /// <summary>An attempt that settled: it wrote, or found a reason not to.</summary>
    /// <param name="value">Its answer.</param>
    /// <returns>The attempt's outcome.</returns>
    public static Attempt Won(T value) => new(value, Lost: false);

    /// <summary>An attempt whose conditional write found the file changed since its read.</summary>
    /// <param name="value">The answer to give should the retries run out.</param>
    /// <returns>The attempt's outcome.</returns>
    public static Attempt Lost(T value) => new(value, Lost: true);

    /// <summary>What one attempt came to.</summary>
    /// <param name="Value">Its answer.</param>
    /// <param name="Lost">Whether another writer got in between its read and its write.</param>
    internal readonly record struct Attempt(T Value, bool Lost);
}
