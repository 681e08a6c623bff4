using System.Text.Json;
using Mnemo.Context;

namespace Mnemo.Anthropic.Agents;

/// <summary>Represents something that happened in an <see cref="AgentSession"/>, in the order it happened.</summary>
/// <param name="Request">The number of the request it belongs to, from 1 for the session's first.</param>
public abstract record AgentEvent(int Request);

/// <summary>Represents a request about to be sent.</summary>
/// <param name="Request">The request's number.</param>
/// <param name="Messages">How many messages the conversation holds.</param>
/// <param name="ProjectedInputTokens">The request's input tokens as projected before editing.</param>
/// <param name="TriggerRatio">How close the request is to the clearing trigger (over 1: past it, so old tool results are cleared); <see langword="null"/> without one.</param>
public sealed record AgentRequestEvent(int Request, int Messages, long ProjectedInputTokens, double? TriggerRatio) : AgentEvent(Request);

/// <summary>Represents a piece of text as it streams in.</summary>
/// <param name="Request">The request's number.</param>
/// <param name="Text">The piece.</param>
public sealed record AgentTextDeltaEvent(int Request, string Text) : AgentEvent(Request);

/// <summary>Represents a response received.</summary>
/// <param name="Request">The request's number.</param>
/// <param name="StopReason">Why the model stopped, as the API says it (<c>end_turn</c>, <c>tool_use</c>, <c>max_tokens</c>...).</param>
/// <param name="InputTokens">The input tokens the request was billed for, cache reads and writes included.</param>
/// <param name="OutputTokens">The tokens written.</param>
/// <param name="Text">The text the response holds, its blocks joined; empty when it holds none.</param>
public sealed record AgentResponseEvent(int Request, string? StopReason, long InputTokens, long OutputTokens, string Text) : AgentEvent(Request)
{
    /// <summary>Gets how many thinking blocks (<c>thinking</c> or <c>redacted_thinking</c>) the response holds.</summary>
    public int ThinkingBlocks { get; init; }

    /// <summary>Gets the thinking the response shows, its blocks joined; empty when the model returned none or omitted it
    /// (newer models return empty thinking by default, the text between tool calls among it).</summary>
    public string Thinking { get; init; } = string.Empty;
}

/// <summary>Represents a tool call the model made, before it runs.</summary>
/// <param name="Request">The number of the request whose response made the call.</param>
/// <param name="Id">The call's id.</param>
/// <param name="Name">The tool's name.</param>
/// <param name="Input">The call's input as the model wrote it.</param>
public sealed record AgentToolCallEvent(int Request, string Id, string Name, JsonElement Input) : AgentEvent(Request);

/// <summary>Represents a tool call's result, as the model will see it.</summary>
/// <param name="Request">The number of the request whose response made the call.</param>
/// <param name="Id">The call's id.</param>
/// <param name="Name">The tool's name.</param>
/// <param name="Content">The result's text.</param>
/// <param name="IsError">Whether the result is an error.</param>
/// <param name="Elapsed">How long the tool took.</param>
/// <param name="Exception">
/// The exception a tool threw that was not meant for the model (the model saw a generic message instead), for the host
/// to log; <see langword="null"/> otherwise.
/// </param>
public sealed record AgentToolResultEvent(int Request, string Id, string Name, string Content, bool IsError, TimeSpan Elapsed, Exception? Exception = null)
    : AgentEvent(Request)
{
    /// <summary>Gets the memory command the call ran (<c>view</c>, <c>create</c>...), when it was a call of the memory tool.</summary>
    public string? MemoryCommand { get; init; }

    /// <summary>Gets a value indicating whether the call wrote to memory and succeeded: a create, str_replace, insert, delete or rename.</summary>
    public bool IsMemoryWrite => !IsError && Mnemo.Memory.MemoryCommand.IsWriteCommand(MemoryCommand);

    /// <summary>Gets a value indicating whether the call saved to memory: a write that adds or changes text (create,
    /// str_replace, insert) and succeeded; a delete or a rename alone is a write but no save.</summary>
    public bool IsMemorySave => !IsError && MemoryCommand is "create" or "str_replace" or "insert";
}

/// <summary>Represents the context editing applied to a request.</summary>
/// <param name="Request">The request's number.</param>
/// <param name="Side">Where the editing ran.</param>
/// <param name="Edits">The reports, in the API's shape and order.</param>
/// <param name="NewlyClearedToolUses">Tool uses cleared for the first time by this request (the reports also count those cleared before).</param>
public sealed record AgentContextEditEvent(int Request, ContextEditingSide Side, IReadOnlyList<AppliedContextEdit> Edits, int NewlyClearedToolUses)
    : AgentEvent(Request)
{
    /// <summary>Gets the tool uses cleared for the first time by this request, oldest first: their <c>tool_use</c> blocks
    /// (name and input), as they were before clearing.</summary>
    public IReadOnlyList<ContextBlock> NewlyCleared { get; init; } = [];

    /// <summary>Gets each of <see cref="NewlyCleared"/>, judged: whether a save made after its result arrived and before
    /// this request mentions it. Every clearing is judged, not only the one that ends an approach.</summary>
    public IReadOnlyList<ClearedResult> ClearedResults { get; init; } = [];
}

/// <summary>Represents a compaction (<c>compact_20260112</c>): the older context summarised into a <c>compaction</c> block
/// that stands in for it from now on.</summary>
/// <param name="Request">The request it was applied to.</param>
/// <param name="Side">Where it ran.</param>
/// <param name="Summary">The summary; <see langword="null"/> when summarising failed (the block is kept, with null content,
/// and stands in for nothing).</param>
/// <param name="InputTokensBefore">The request's input tokens before compaction, as projected.</param>
/// <param name="CompactionInputTokens">Input tokens of the compaction's own request (not of the context it closed).</param>
/// <param name="CompactionOutputTokens">Output tokens of the compaction's own request: the summary.</param>
/// <param name="Paused">Whether the run paused after it (<c>pause_after_compaction</c>).</param>
public sealed record AgentCompactionEvent(
    int Request, ContextEditingSide Side, string? Summary, long InputTokensBefore, long CompactionInputTokens, long CompactionOutputTokens, bool Paused)
    : AgentEvent(Request)
{
    /// <summary>Gets a value indicating whether the summary was made.</summary>
    public bool Succeeded => Summary is not null;
}

/// <summary>Represents what client-side editing did to keep a prefix-bound model's thinking valid: the earlier turns'
/// thinking blocks it removed, or the edits it held back until the turn in progress ends.</summary>
/// <param name="Request">The request.</param>
/// <param name="Report">What was removed or held back, and why.</param>
public sealed record AgentThinkingBindingEvent(int Request, ThinkingBindingReport Report) : AgentEvent(Request);

/// <summary>Represents a warning about the session's setup, given before its first request, such as a model the model
/// table does not know (its rules are then guessed).</summary>
/// <param name="Request">The request it was given before: 1.</param>
/// <param name="Message">The warning, in one line.</param>
public sealed record AgentSetupWarningEvent(int Request, string Message) : AgentEvent(Request);

/// <summary>Represents a tool call that fetches again what a clearing took: its tool and input equal those of a call
/// whose result was cleared earlier. What the model did not save, it pays for again.</summary>
/// <param name="Request">The number of the request whose response made the call.</param>
/// <param name="Id">The call's id.</param>
/// <param name="Name">The tool's name.</param>
/// <param name="Input">The call's input.</param>
public sealed record AgentReacquisitionEvent(int Request, string Id, string Name, JsonElement Input) : AgentEvent(Request)
{
    /// <summary>Gets a value indicating whether the result came back from the archive through the <c>recall</c> tool
    /// (exactly as it was, without running the tool again) rather than by calling the tool again.</summary>
    public bool Recalled { get; init; }
}

/// <summary>Represents the digest of a clearing written to memory: an entry per result it took, in the file
/// <see cref="AgentSessionOptions.DigestPath"/>.</summary>
/// <param name="Request">The request that cleared.</param>
/// <param name="Path">The digest file.</param>
/// <param name="Ids">The ids of the results it describes.</param>
/// <param name="Folded">How many older entries were folded to keep the file within its size.</param>
public sealed record AgentDigestEvent(int Request, string Path, IReadOnlyList<int> Ids, int Folded) : AgentEvent(Request);

/// <summary>Represents a change adaptive mode (<see cref="AgentSessionOptions.Adaptive"/>) made to the tool-use clearing
/// between two requests, with its reason; the requests after it go out with the new configuration.</summary>
/// <param name="Request">The request after whose clearing or response it was made.</param>
/// <param name="Change">The setting, its values before and after, and why.</param>
public sealed record AgentAdaptiveChangeEvent(int Request, AdaptiveChange Change) : AgentEvent(Request);

/// <summary>Represents a request whose clearing adaptive mode held back, to clear a larger batch later: it goes out with
/// <c>keep</c> raised to <paramref name="Keep"/>, so it clears nothing it did not clear already and the prompt cache holds.</summary>
/// <param name="Request">The request.</param>
/// <param name="Keep">The <c>keep</c> it went out with.</param>
/// <param name="BacklogTokens">The tokens a clearing would have freed now (estimated).</param>
/// <param name="RewrittenTokens">The tokens the prompt cache would have written again after it (estimated).</param>
public sealed record AgentClearingBatchedEvent(int Request, long Keep, long BacklogTokens, long RewrittenTokens) : AgentEvent(Request);

/// <summary>Represents how a session that began with memory present is picking up from it: given at its first tool call
/// (was it a memory <c>view</c>?) and when it has read every file earlier sessions left.</summary>
/// <param name="Request">The request whose response made the call.</param>
/// <param name="Record">The record so far.</param>
public sealed record AgentResumptionEvent(int Request, ResumptionRecord Record) : AgentEvent(Request);

/// <summary>Represents the warning the session added to a request because clearing is near.</summary>
/// <param name="Request">The request's number.</param>
/// <param name="ProjectedInputTokens">The request's input tokens as projected.</param>
/// <param name="TriggerRatio">How close it is to the trigger.</param>
public sealed record AgentContextWarningEvent(int Request, long ProjectedInputTokens, double TriggerRatio) : AgentEvent(Request)
{
    /// <summary>Gets a value indicating whether the trigger drawing near is compaction's (the older context is to be
    /// summarised) rather than clearing's.</summary>
    public bool IsCompaction { get; init; }

    /// <summary>Gets a value indicating whether the request is past the trigger already, so it goes out unedited and the
    /// clearing waits one request, giving the model a turn to save first (<see cref="PreserveBeforeClear.Guarantee"/>).</summary>
    public bool HoldsBackClearing { get; init; }
}

/// <summary>Represents the end of an approach to a clearing: whether the model saved to memory before it.</summary>
/// <param name="Request">The number of the request that cleared.</param>
/// <param name="Record">What happened between the warning and the clearing.</param>
public sealed record AgentPreservationEvent(int Request, PreservationRecord Record) : AgentEvent(Request);

/// <summary>Represents the end of a run.</summary>
/// <param name="Request">The number of the last request sent.</param>
/// <param name="Result">How the run ended.</param>
public sealed record AgentRunEndEvent(int Request, AgentRunResult Result) : AgentEvent(Request);
