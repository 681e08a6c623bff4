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

    /// <summary>Keeps the results a request cleared for the first time, whole, from the unedited conversation; and writes
    /// their digest to memory when digests are on.</summary>
    private async Task ArchiveAsync(int request, IReadOnlyList<ContextBlock> cleared, IReadOnlyList<AppliedContextEdit> edits, long projected, CancellationToken cancellationToken)
    {
        if (_archive is null || cleared.Count == 0)
        {
            return;
        }

        var at = _options.TimeProvider.GetUtcNow();
        var added = new List<ArchivedResult>();
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
            var archived = new ArchivedResult(NumberOf(id), id, use.ToolName ?? string.Empty, input, content, isError, request, at);
            _archive.Add(archived);
            added.Add(archived);
        }

        if (_options.ClearedResultDigests && added.Count > 0)
        {
            await DigestAsync(request, added, edits, projected, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Appends the digest of a clearing to its memory file: why it cleared, and each result summarised. A digest
    /// that cannot be written is reported and the run goes on.</summary>
    private async Task DigestAsync(int request, List<ArchivedResult> results, IReadOnlyList<AppliedContextEdit> edits, long projected, CancellationToken cancellationToken)
    {
        var clearing = edits.FirstOrDefault(edit => edit.Type == ClearToolUsesEdit.TypeName);
        var trigger = _requests.ClearToolUses?.EffectiveTrigger;
        var why = string.Create(CultureInfo.InvariantCulture,
            $"the conversation held {projected:N0} input tokens{(trigger is { } t ? $", past the trigger of {t.Value:N0} {(t.Kind == ContextTriggerKind.ToolUses ? "tool uses" : "input tokens")}" : string.Empty)}; this clearing took {results.Count} result(s), {clearing?.ClearedInputTokens ?? 0:N0} tokens in all");
        var summarizer = _options.DigestSummarizer ?? ExtractiveToolResultSummarizer.Instance;
        var entries = new List<string>(results.Count);
        foreach (var result in results)
        {
            string summary;
            try
            {
                summary = await summarizer.SummarizeAsync(result.Tool, result.Input, result.Text, cancellationToken).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // A summariser that fails (a model that cannot be reached) costs the digest its summary, not the run.
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
                summary = ExtractiveToolResultSummarizer.Instance.Summarize(result.Text);
                Raise(new AgentSetupWarningEvent(request, $"the digest's summariser failed ({exception.GetType().Name}); result {result.Id} was summarised without it"));
            }

            entries.Add(ClearedResultDigest.Entry(result, why, summary));
        }

        var store = (Mnemo.Memory.IMemoryStore)_options.Memory!.GetService(typeof(Mnemo.Memory.IMemoryStore))!;
        Mnemo.Memory.MemoryPath.TryParse(_options.DigestPath, out var path, out _);
        try
        {
            var folded = await ClearedResultDigest.WriteAsync(store, path!, entries, _options.DigestFileBytes, cancellationToken).ConfigureAwait(false);
            Raise(new AgentDigestEvent(request, _options.DigestPath, [.. results.Select(result => result.Id)], folded));
        }
        catch (Mnemo.Memory.MemoryException exception)
        {
            Raise(new AgentSetupWarningEvent(request, $"the digest of cleared results was not written to {_options.DigestPath}: {exception.Message}"));
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
