namespace Mnemo.Context;

/// <summary>Options of a <see cref="ContextEditor"/>.</summary>
public sealed class ContextEditorOptions
{
    /// <summary>The text a cleared tool result is replaced with.</summary>
    /// <value>Defaults to <c>[cleared: this tool result was removed to save context]</c>; the API's own text is not published.</value>
    public string Placeholder { get; set; } = "[cleared: this tool result was removed to save context]";

    /// <summary>The text one cleared tool result is replaced with, given its call (the <c>tool_use</c> block: its id, name
    /// and input), such as a placeholder that names where to find the result again; <see langword="null"/> from it, or
    /// no function, means <see cref="Placeholder"/>. It must give the same text for a call every time, so that a
    /// request's prefix, and its prompt cache, stay the same from one request to the next.</summary>
    public Func<ContextBlock, string?>? PlaceholderFor { get; set; }

    /// <summary>What summarises older context for <c>compact_20260112</c>.</summary>
    /// <value>Defaults to <see cref="ExtractiveContextSummarizer"/>, which needs no model; give a
    /// <see cref="ChatClientContextSummarizer"/> to summarise through a model.</value>
    public IContextSummarizer? Summarizer { get; set; }

    /// <summary>Whether a compaction keeps the last turn whole (the last assistant message and what follows it), so that
    /// the tool calls in progress keep their results; otherwise everything is summarised, as the API does.</summary>
    /// <value>Defaults to <see langword="true"/>; the emulator sets <see langword="false"/> to compact as the API does.</value>
    public bool CompactionKeepsLastTurn { get; set; } = true;

    /// <summary>Whether edits keep the thinking blocks of a model whose thinking is bound to its prefix valid: the blocks of
    /// earlier turns an edit would invalidate are removed, and an edit that would invalidate the turn in progress waits for
    /// the next turn (<see cref="ContextEditResult.ThinkingBinding"/> says which).</summary>
    /// <value>Defaults to <see langword="true"/>; the emulator, which edits as the API does (on its side, where the client's
    /// history is not changed), sets <see langword="false"/>.</value>
    public bool KeepPrefixBoundThinkingValid { get; set; } = true;
}
