namespace Mnemo.Context.Replay;

/// <summary>How a replay counts the prompt cache and cost.</summary>
public sealed record ReplayOptions
{
    /// <summary>Gets the prices cost is counted at; the session model's list prices when <see langword="null"/>.</summary>
    public ModelPrices? Prices { get; init; }

    /// <summary>Gets tokens every request held that the transcript does not (an agent's system prompt and tool
    /// definitions, which Claude Code transcripts leave out).</summary>
    public long PreambleTokens { get; init; }

    /// <summary>Gets how long a cache entry lives after it was last written or read: 5 minutes, the API's default.</summary>
    public TimeSpan CacheLife { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets how many content blocks before a breakpoint the API looks back for an earlier cache entry: about 20.</summary>
    public int CacheLookbackBlocks { get; init; } = 20;

    /// <summary>Gets the fewest tokens a prefix must hold to be cached; 1,024 on most models.</summary>
    public long MinimumCacheableTokens { get; init; } = 1024;

    /// <summary>Gets the text a cleared tool result holds.</summary>
    public string Placeholder { get; init; } = new ContextEditorOptions().Placeholder;
}

/// <summary>One request of a replay.</summary>
/// <param name="Number">The request's number in the session, from 1.</param>
/// <param name="Segment">Its segment, from 0.</param>
/// <param name="InputTokens">Its input tokens without editing.</param>
/// <param name="EditedInputTokens">Its input tokens as sent with editing.</param>
/// <param name="ClearedToolUses">The tool uses cleared from it (the report's <c>cleared_tool_uses</c>).</param>
/// <param name="NewlyCleared">How many of them no earlier request cleared.</param>
/// <param name="CacheReadTokens">Input tokens read from the prompt cache.</param>
/// <param name="CacheWriteTokens">Input tokens written to it.</param>
/// <param name="UncachedTokens">Input tokens neither read nor written.</param>
/// <param name="Cost">The request's cost at list price, in US dollars: its input as cached, and its output when known.</param>
public sealed record ReplayRow(
    int Number, int Segment, long InputTokens, long EditedInputTokens, int ClearedToolUses, int NewlyCleared,
    long CacheReadTokens, long CacheWriteTokens, long UncachedTokens, decimal Cost)
{
    /// <summary>Gets the tokens editing took out of the request.</summary>
    public long ClearedInputTokens => InputTokens - EditedInputTokens;
}

/// <summary>A configuration replayed over a whole session.</summary>
/// <param name="Name">What the configuration is called (a preset's name, a file's, <c>no editing</c>).</param>
/// <param name="Rows">Each request.</param>
public sealed record ReplayResult(string Name, IReadOnlyList<ReplayRow> Rows)
{
    /// <summary>Gets the input tokens sent, summed over requests.</summary>
    public long InputTokens => Rows.Sum(row => row.EditedInputTokens);

    /// <summary>Gets the tokens editing took out, summed over requests.</summary>
    public long ClearedInputTokens => Rows.Sum(row => row.ClearedInputTokens);

    /// <summary>Gets the requests that cleared tool uses no earlier request had cleared.</summary>
    public int Clearings => Rows.Count(row => row.NewlyCleared > 0);

    /// <summary>Gets the tokens read from the cache.</summary>
    public long CacheReadTokens => Rows.Sum(row => row.CacheReadTokens);

    /// <summary>Gets the tokens written to the cache.</summary>
    public long CacheWriteTokens => Rows.Sum(row => row.CacheWriteTokens);

    /// <summary>Gets the tokens neither read nor written.</summary>
    public long UncachedTokens => Rows.Sum(row => row.UncachedTokens);

    /// <summary>Gets the cost, summed over requests.</summary>
    public decimal Cost => Rows.Sum(row => row.Cost);
}
