using System.Globalization;
using Mnemo.Context;

namespace Mnemo.Anthropic.Agents;

/// <summary>Nothing cleared is gone: each cleared result is kept whole in the session's archive, its placeholder names
/// its id, and the <c>recall</c> tool brings it back.</summary>
public sealed partial class AgentSession
{
    /// <summary>The placeholder of a cleared result when recall is on and none is given.</summary>
    public const string DefaultRecallPlaceholder = "[cleared to save context: recall id={id} to see it again]";

    private readonly ClearedResultArchive? _archive;
    private readonly Dictionary<string, int> _callNumbers = new(StringComparer.Ordinal);

    /// <summary>Gets the tool results clearings took, kept whole; <see langword="null"/> when recall is off
    /// (<see cref="AgentSessionOptions.Recall"/>).</summary>
    public ClearedResultArchive? ClearedResults => _archive;

    /// <summary>A call's number in the session, given the first time it is asked for and the same ever after.</summary>
    private int NumberOf(string toolUseId)
    {
        if (!_callNumbers.TryGetValue(toolUseId, out var number))
        {
            _callNumbers[toolUseId] = number = _callNumbers.Count + 1;
        }

        return number;
    }

    /// <summary>The placeholder of a cleared result: the same text for a call on every request, naming its id.</summary>
    private string? PlaceholderFor(ContextBlock use) =>
        use.ToolUseId is { } id
            ? (_options.ClearedPlaceholder ?? DefaultRecallPlaceholder).Replace("{id}", NumberOf(id).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            : null;

    /// <summary>Keeps the results a request cleared for the first time, whole, from the unedited conversation.</summary>
    private void Archive(int request, IReadOnlyList<ContextBlock> cleared)
    {
        if (_archive is null || cleared.Count == 0)
        {
            return;
        }

        var at = _options.TimeProvider.GetUtcNow();
        foreach (var use in cleared)
        {
            // A recall's own result is already in the archive, under the id of the call it brought back.
            if (use.ToolUseId is not { } id || use.ToolName == RecallTool.ToolName || Result(id) is not { } result)
            {
                continue;
            }

            var input = use.Json.TryGetProperty("input"u8, out var value) ? value.Clone() : default;
            var content = result.Json.TryGetProperty("content"u8, out var body) ? body.Clone() : AgentConversation.Json(writer => writer.WriteStringValue(string.Empty));
            var isError = result.Json.TryGetProperty("is_error"u8, out var error) && error.ValueKind == System.Text.Json.JsonValueKind.True;
            _archive.Add(new ArchivedResult(NumberOf(id), id, use.ToolName ?? string.Empty, input, content, isError, request, at));
        }
    }

    /// <summary>The <c>tool_result</c> (or server tool result) block that answers a call, from the newest message back.</summary>
    private ContextBlock? Result(string toolUseId)
    {
        var messages = _conversation.Messages;
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            foreach (var block in messages[i].Blocks)
            {
                if (block.Kind is ContextBlockKind.ToolResult or ContextBlockKind.ServerToolResult && block.ToolUseId == toolUseId)
                {
                    return block;
                }
            }
        }

        return null;
    }

    /// <summary>A result brought back through <c>recall</c>: a re-acquisition, paid for without running the tool again.</summary>
    private void Recalled(ArchivedResult result) =>
        Raise(new AgentReacquisitionEvent(Requests, result.ToolUseId, result.Tool, result.Input) { Recalled = true });
}
