using System.Text.Json;

namespace Mnemo.Context;

/// <summary>What one strategy changed, as the API reports it in <c>context_management.applied_edits</c>.</summary>
/// <param name="Type">The strategy's type.</param>
/// <param name="ClearedInputTokens">The input tokens before the strategy minus after it, by the counter in use.</param>
/// <param name="ClearedToolUses">For <c>clear_tool_uses_20250919</c>: the tool uses cleared.</param>
/// <param name="ClearedThinkingTurns">For <c>clear_thinking_20251015</c>: the turns whose thinking was removed.</param>
public sealed record AppliedContextEdit(string Type, long ClearedInputTokens, int ClearedToolUses = 0, int ClearedThinkingTurns = 0)
{
    /// <summary>Writes the report's JSON, field for field as the API's.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("type"u8, Type);
        if (Type == ClearThinkingEdit.TypeName)
        {
            writer.WriteNumber("cleared_thinking_turns"u8, ClearedThinkingTurns);
        }
        else
        {
            writer.WriteNumber("cleared_tool_uses"u8, ClearedToolUses);
        }

        writer.WriteNumber("cleared_input_tokens"u8, ClearedInputTokens);
        writer.WriteEndObject();
    }
}

/// <summary>The outcome of editing a request: the edited request, what was applied, and the counts before and after.</summary>
public sealed class ContextEditResult
{
    internal ContextEditResult(ContextRequest request, IReadOnlyList<AppliedContextEdit> appliedEdits, long originalInputTokens, long inputTokens)
    {
        Request = request;
        AppliedEdits = appliedEdits;
        OriginalInputTokens = originalInputTokens;
        InputTokens = inputTokens;
    }

    /// <summary>The edited request; the input request itself when nothing was applied.</summary>
    public ContextRequest Request { get; }

    /// <summary>The reports of the strategies that changed something, in configuration order.</summary>
    public IReadOnlyList<AppliedContextEdit> AppliedEdits { get; }

    /// <summary>The input tokens before any edit.</summary>
    public long OriginalInputTokens { get; }

    /// <summary>The input tokens after the edits.</summary>
    public long InputTokens { get; }

    /// <summary>What <c>compact_20260112</c> did; <see langword="null"/> when it did not run. The API reports compaction with
    /// a <c>compaction</c> block and a usage iteration, not in <c>applied_edits</c>.</summary>
    public ContextCompaction? Compaction { get; init; }

    /// <summary>What editing did to keep prefix-bound thinking valid: blocks removed, or edits held back to the next turn;
    /// <see langword="null"/> when nothing needed it.</summary>
    public ThinkingBindingReport? ThinkingBinding { get; init; }

    /// <summary>Writes <c>{"applied_edits": [...]}</c>, the API's <c>context_management</c> of a response.</summary>
    public void WriteContextManagement(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteStartArray("applied_edits"u8);
        foreach (var edit in AppliedEdits)
        {
            edit.WriteTo(writer);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>
    /// Writes the preview that the API's count_tokens returns with context management:
    /// <c>{"input_tokens": after, "context_management": {"original_input_tokens": before}}</c>.
    /// </summary>
    public void WritePreview(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteNumber("input_tokens"u8, InputTokens);
        writer.WriteStartObject("context_management"u8);
        writer.WriteNumber("original_input_tokens"u8, OriginalInputTokens);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
