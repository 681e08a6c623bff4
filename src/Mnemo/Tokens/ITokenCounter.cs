using Mnemo.Context;

namespace Mnemo.Tokens;

/// <summary>Counts the input tokens of a Messages API request: its system prompt, tools and messages.</summary>
/// <remarks>
/// Context editing asks a counter for the count before and after each strategy, and reports the difference, so a
/// counter must give the same count for the same request every time.
/// </remarks>
public interface ITokenCounter
{
    /// <summary>Counts the request's input tokens.</summary>
    ValueTask<long> CountAsync(ContextRequest request, CancellationToken cancellationToken = default);
}
