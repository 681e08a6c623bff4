using Anthropic.Models.Beta.Messages;
using Mnemo.Context;
using Mnemo.Tokens;

namespace Mnemo.Anthropic;

/// <summary>Calibrates a <see cref="UsageCalibratedTokenCounter"/> from the SDK's responses.</summary>
public static class UsageCalibration
{
    /// <summary>The input tokens of the request as it was sent: all of usage's input tokens, and what the server's own editing cleared.</summary>
    public static long SentInputTokens(this BetaMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var usage = response.Usage;
        var tokens = usage.InputTokens + (usage.CacheReadInputTokens ?? 0) + (usage.CacheCreationInputTokens ?? 0);
        if (response.ContextManagement?.AppliedEdits is { } edits)
        {
            foreach (var edit in edits)
            {
                tokens += edit.ClearedInputTokens;
            }
        }

        return tokens;
    }

    /// <summary>Takes the exact count of a sent request from the response to it.</summary>
    /// <param name="counter">The counter.</param>
    /// <param name="sent">The request as it was sent.</param>
    /// <param name="response">The API's response to it.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    public static ValueTask CalibrateAsync(
        this UsageCalibratedTokenCounter counter, MessageCreateParams sent, BetaMessage response, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(counter);
        ArgumentNullException.ThrowIfNull(sent);
        return counter.CalibrateAsync(sent.ToContextRequest(), response.SentInputTokens(), cancellationToken);
    }
}
