namespace Mnemo.Context;

/// <summary>Options of a <see cref="ContextEditor"/>.</summary>
public sealed class ContextEditorOptions
{
    /// <summary>The text a cleared tool result is replaced with.</summary>
    /// <value>Defaults to <c>[cleared: this tool result was removed to save context]</c>; the API's own text is not published.</value>
    public string Placeholder { get; set; } = "[cleared: this tool result was removed to save context]";

    /// <summary>What summarises older context for <c>compact_20260112</c>.</summary>
    /// <value>Defaults to <see cref="ExtractiveContextSummarizer"/>, which needs no model; give a
    /// <see cref="ChatClientContextSummarizer"/> to summarise through a model.</value>
    public IContextSummarizer? Summarizer { get; set; }

    /// <summary>Whether a compaction keeps the last turn whole (the last assistant message and what follows it), so that
    /// the tool calls in progress keep their results; otherwise everything is summarised, as the API does.</summary>
    /// <value>Defaults to <see langword="true"/>; the emulator sets <see langword="false"/> to compact as the API does.</value>
    public bool CompactionKeepsLastTurn { get; set; } = true;
}
