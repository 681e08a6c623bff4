using System.Text.Json;
using Mnemo.Tokens;

namespace Mnemo.Context;

/// <summary>What context editing needs to know about a content block; anything else is carried through as it was.</summary>
public enum ContextBlockKind
{
    /// <summary>A block the strategies never change: text, images, documents, tool search's blocks, unknown types.</summary>
    Other,

    /// <summary>An assistant's <c>tool_use</c> block.</summary>
    ToolUse,

    /// <summary>A user's <c>tool_result</c> block.</summary>
    ToolResult,

    /// <summary>A <c>thinking</c> block.</summary>
    Thinking,

    /// <summary>A <c>redacted_thinking</c> block.</summary>
    RedactedThinking,

    /// <summary>An assistant's <c>server_tool_use</c> or <c>mcp_tool_use</c> block: a tool the API ran itself.</summary>
    ServerToolUse,

    /// <summary>The result of a server tool, in the same assistant message: <c>web_search_tool_result</c>,
    /// <c>web_fetch_tool_result</c>, <c>code_execution_tool_result</c>, <c>bash_code_execution_tool_result</c>,
    /// <c>text_editor_code_execution_tool_result</c> or <c>mcp_tool_result</c>.</summary>
    ServerToolResult,

    /// <summary>A <c>compaction</c> block: the summary that stands in for everything before it.</summary>
    Compaction,
}

/// <summary>One content block of a message, as the Messages API's JSON holds it; immutable.</summary>
/// <remarks>The block keeps its JSON as it came, so fields and block types Mnemo does not know pass through untouched.</remarks>
public sealed class ContextBlock
{
    private long _tokens = -1;

    private ContextBlock(JsonElement json, ContextBlockKind kind, string? toolUseId, string? toolName)
    {
        Json = json;
        Kind = kind;
        ToolUseId = toolUseId;
        ToolName = toolName;
    }

    /// <summary>The block's JSON: an object, or a string for a message whose content is a plain string.</summary>
    public JsonElement Json { get; }

    /// <summary>What kind of block this is, as far as context editing cares.</summary>
    public ContextBlockKind Kind { get; }

    /// <summary>The <c>id</c> of a <c>tool_use</c>, or the <c>tool_use_id</c> of a <c>tool_result</c>.</summary>
    public string? ToolUseId { get; }

    /// <summary>The <c>name</c> of a <c>tool_use</c>.</summary>
    public string? ToolName { get; }

    /// <summary>Reads a block from its JSON; the element is cloned, so it outlives its document.</summary>
    public static ContextBlock FromJson(JsonElement json)
    {
        json = json.Clone();
        if (json.ValueKind != JsonValueKind.Object || !json.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            return new ContextBlock(json, ContextBlockKind.Other, null, null);
        }

        if (type.ValueEquals("tool_use"u8))
        {
            return new ContextBlock(json, ContextBlockKind.ToolUse, StringOrNull(json, "id"u8), StringOrNull(json, "name"u8));
        }

        if (type.ValueEquals("tool_result"u8))
        {
            return new ContextBlock(json, ContextBlockKind.ToolResult, StringOrNull(json, "tool_use_id"u8), null);
        }

        if (type.ValueEquals("server_tool_use"u8) || type.ValueEquals("mcp_tool_use"u8))
        {
            return new ContextBlock(json, ContextBlockKind.ServerToolUse, StringOrNull(json, "id"u8), StringOrNull(json, "name"u8));
        }

        if (IsServerToolResult(type))
        {
            return new ContextBlock(json, ContextBlockKind.ServerToolResult, StringOrNull(json, "tool_use_id"u8), null);
        }

        return type.ValueEquals("thinking"u8) ? new ContextBlock(json, ContextBlockKind.Thinking, null, null)
            : type.ValueEquals("redacted_thinking"u8) ? new ContextBlock(json, ContextBlockKind.RedactedThinking, null, null)
            : type.ValueEquals("compaction"u8) ? new ContextBlock(json, ContextBlockKind.Compaction, null, null)
            : new ContextBlock(json, ContextBlockKind.Other, null, null);
    }

    /// <summary>The local estimate of the block's tokens (of its JSON, however it was laid out), worked out once per block.</summary>
    internal long EstimatedTokens
    {
        get
        {
            var tokens = Volatile.Read(ref _tokens);
            if (tokens < 0)
            {
                tokens = TokenEstimator.EstimateJson(Json);
                Volatile.Write(ref _tokens, tokens);
            }

            return tokens;
        }
    }

    /// <summary>The result types of the server tools whose results are cleared like a client tool's. Tool search's
    /// results are left alone: clearing them would unload the tools they found.</summary>
    private static bool IsServerToolResult(JsonElement type) =>
        type.ValueEquals("web_search_tool_result"u8) || type.ValueEquals("web_fetch_tool_result"u8) ||
        type.ValueEquals("code_execution_tool_result"u8) || type.ValueEquals("bash_code_execution_tool_result"u8) ||
        type.ValueEquals("text_editor_code_execution_tool_result"u8) || type.ValueEquals("mcp_tool_result"u8);

    private static string? StringOrNull(JsonElement json, ReadOnlySpan<byte> name) =>
        json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
