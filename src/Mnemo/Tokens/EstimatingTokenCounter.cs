using Mnemo.Context;

namespace Mnemo.Tokens;

/// <summary>Counts a request's tokens locally with <see cref="TokenEstimator"/>: fast, offline, approximate.</summary>
/// <remarks>
/// <para>The count is the estimate of the JSON that is sent (system prompt, tools and each content block, field names and
/// punctuation included, much as the model sees the request rendered) plus a few tokens for each message's framing.
/// It is a sum over blocks, and each block's estimate is worked out once and kept with the block, so counting a request
/// that shares most of its blocks with one counted before costs a walk over its messages and nothing more.</para>
/// <para>Thread-safe; use <see cref="Instance"/>.</para>
/// </remarks>
public sealed class EstimatingTokenCounter : ITokenCounter
{
    /// <summary>Tokens for a message's framing (its role and boundaries).</summary>
    public const int MessageOverhead = 4;

    private EstimatingTokenCounter()
    {
    }

    /// <summary>The counter.</summary>
    public static EstimatingTokenCounter Instance { get; } = new();

    /// <inheritdoc/>
    public ValueTask<long> CountAsync(ContextRequest request, CancellationToken cancellationToken = default) => ValueTask.FromResult(Count(request));

    /// <summary>Counts the request's input tokens.</summary>
    public long Count(ContextRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        long tokens = 0;
        foreach (var part in request.Preamble())
        {
            tokens += TokenEstimator.EstimateJson(part);
        }

        var messages = request.Messages;
        for (var i = 0; i < messages.Count; i++)
        {
            tokens += Count(messages[i]);
        }

        return tokens;
    }

    /// <summary>Counts one message: its framing and its blocks.</summary>
    public static long Count(ContextMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        long tokens = MessageOverhead;
        var blocks = message.Blocks;
        for (var i = 0; i < blocks.Count; i++)
        {
            tokens += blocks[i].EstimatedTokens;
        }

        return tokens;
    }

    /// <summary>Counts one block.</summary>
    public static long Count(ContextBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        return block.EstimatedTokens;
    }
}
