using Mnemo.Context;

namespace Mnemo.Tokens;

/// <summary>
/// Counts a request from the exact count the API gave for the last request sent, and estimates only what differs from
/// it: exact for the request that was sent, and off by no more than the estimate's error on what was appended since.
/// </summary>
/// <remarks>
/// <para>After each response, call <see cref="CalibrateAsync"/> with the request that was sent and the input tokens its
/// <c>usage</c> reported: <c>input_tokens + cache_read_input_tokens + cache_creation_input_tokens</c>, plus the
/// <c>cleared_input_tokens</c> of any edit the server applied, since usage counts the request after the server's
/// editing. A request is then counted as that exact figure plus the estimate of the request minus the estimate of the
/// one sent. The estimate is a sum over content blocks, so what the two share cancels exactly, and only the blocks
/// appended, edited or removed since are estimated.</para>
/// <para>Before the first calibration it counts like the estimator. Thread-safe: a calibration replaces the last one
/// whole.</para>
/// </remarks>
public sealed class UsageCalibratedTokenCounter : ITokenCounter
{
    private readonly ITokenCounter _estimate;
    private Calibration? _calibration;

    /// <summary>Creates a counter.</summary>
    /// <param name="estimate">
    /// Counts the difference from the calibrated request; the local estimator when <see langword="null"/>. It must count
    /// the same request the same way every time.
    /// </param>
    public UsageCalibratedTokenCounter(ITokenCounter? estimate = null) => _estimate = estimate ?? EstimatingTokenCounter.Instance;

    /// <summary>Whether a calibration has been made.</summary>
    public bool IsCalibrated => Volatile.Read(ref _calibration) is not null;

    /// <summary>Takes the exact input tokens of a request that was sent.</summary>
    /// <param name="sent">The request as it was sent (after any client-side editing).</param>
    /// <param name="inputTokens">Its exact input tokens: input, cache read and cache creation tokens, and any tokens the server's own editing cleared.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    public async ValueTask CalibrateAsync(ContextRequest sent, long inputTokens, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sent);
        ArgumentOutOfRangeException.ThrowIfNegative(inputTokens);
        var estimate = await _estimate.CountAsync(sent, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _calibration, new Calibration(inputTokens, estimate));
    }

    /// <inheritdoc/>
    public async ValueTask<long> CountAsync(ContextRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var calibration = Volatile.Read(ref _calibration);
        var estimate = await _estimate.CountAsync(request, cancellationToken).ConfigureAwait(false);
        return calibration is null ? estimate : Math.Max(0, calibration.Exact + estimate - calibration.Estimate);
    }

    private sealed record Calibration(long Exact, long Estimate);
}
