using System.Text.Json;

namespace Mnemo.Context.Replay;

/// <summary>What the API counted for one request, as a transcript recorded it.</summary>
/// <param name="InputTokens">Uncached input tokens.</param>
/// <param name="CacheCreationInputTokens">Input tokens written to the prompt cache.</param>
/// <param name="CacheReadInputTokens">Input tokens read from the prompt cache.</param>
/// <param name="OutputTokens">Output tokens.</param>
public sealed record ReplayUsage(long InputTokens, long CacheCreationInputTokens, long CacheReadInputTokens, long OutputTokens)
{
    /// <summary>Gets the request's whole input: uncached, written and read.</summary>
    public long TotalInputTokens => InputTokens + CacheCreationInputTokens + CacheReadInputTokens;

    /// <summary>Reads a Messages API <c>usage</c> object; <see langword="null"/> when it holds no input count.</summary>
    public static ReplayUsage? FromJson(JsonElement usage)
    {
        if (usage.ValueKind != JsonValueKind.Object || !usage.TryGetProperty("input_tokens"u8, out var input) || !input.TryGetInt64(out var uncached))
        {
            return null;
        }

        return new ReplayUsage(uncached, Number(usage, "cache_creation_input_tokens"u8), Number(usage, "cache_read_input_tokens"u8), Number(usage, "output_tokens"u8));

        static long Number(JsonElement usage, ReadOnlySpan<byte> name) =>
            usage.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : 0;
    }
}

/// <summary>One request the agent sent: the first <paramref name="MessageCount"/> messages of its segment.</summary>
/// <param name="MessageCount">How many of the segment's messages it held.</param>
public sealed record ReplayRequest(int MessageCount)
{
    /// <summary>Gets when it was sent (its response's time in a transcript); <see langword="null"/> when unknown.</summary>
    public DateTimeOffset? At { get; init; }

    /// <summary>Gets what the API counted for it, when the transcript kept it.</summary>
    public ReplayUsage? Usage { get; init; }
}

/// <summary>A stretch of a session whose requests each resend the conversation so far: each request's messages are the
/// first ones of <see cref="Conversation"/>. A compaction in the session starts a new segment (its summary first).</summary>
/// <param name="Conversation">Every message of the segment, with the request's other fields (model, system, tools).</param>
/// <param name="Requests">The requests, in order, each holding more messages than the one before.</param>
public sealed record ReplaySegment(ContextRequest Conversation, IReadOnlyList<ReplayRequest> Requests)
{
    /// <summary>Gets, for a transcript of JSON lines, the line of the file each tool call is on, by its id; empty for the
    /// other formats, whose messages are cited by their index.</summary>
    public IReadOnlyDictionary<string, int> ToolUseLines { get; init; } = new Dictionary<string, int>();
}

/// <summary>A whole session read from a transcript, as the sequence of requests its agent sent.</summary>
/// <param name="Format">The format it was read from: <c>claude-code</c>, <c>messages</c> or <c>mnemo</c>.</param>
/// <param name="Model">The model the session used, when the transcript says.</param>
/// <param name="Segments">Its segments, in order.</param>
public sealed record ReplaySession(string Format, string? Model, IReadOnlyList<ReplaySegment> Segments)
{
    /// <summary>Gets how many requests the session sent.</summary>
    public int RequestCount => Segments.Sum(segment => segment.Requests.Count);

    /// <summary>Gets lines skipped, by their type (such as <c>summary</c> or <c>file-history-snapshot</c>), and
    /// <c>sidechain</c> for sub-agents' lines, which are conversations of their own.</summary>
    public IReadOnlyDictionary<string, int> Skipped { get; init; } = new Dictionary<string, int>();

    /// <summary>Gets content blocks of types the API reference does not list, kept as they are, by type.</summary>
    public IReadOnlyDictionary<string, int> UnknownBlocks { get; init; } = new Dictionary<string, int>();

    /// <summary>Gets the lines that could not be read, each with its number and why; the rest of the session was read.</summary>
    public IReadOnlyList<string> Malformed { get; init; } = [];

    /// <summary>Gets, for a session Mnemo's agent ran in adaptive mode, its bounds (the record's <c>mnemo_adaptive</c>), so
    /// that "as run" is replayed adaptively; <see langword="null"/> otherwise.</summary>
    public AdaptiveClearingOptions? Adaptive { get; init; }
}
