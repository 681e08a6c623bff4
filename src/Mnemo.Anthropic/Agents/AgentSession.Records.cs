using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Mnemo.Context;
using Mnemo.Memory;
using Mnemo.Sessions;

namespace Mnemo.Anthropic.Agents;

/// <summary>The session's record for the dashboard (<see cref="AgentSessionOptions.Records"/>): its events as JSON lines,
/// appended after each request and at the end of each run. Sizes, names and ids only.</summary>
public sealed partial class AgentSession
{
    private SessionRecorder? _recorder;
    private readonly Dictionary<string, (string? Path, string? NewPath, long Bytes)> _memoryCalls = new(StringComparer.Ordinal);

    /// <summary>Gets the session's id in its record; <see langword="null"/> without <see cref="AgentSessionOptions.Records"/>.</summary>
    public string? SessionId => Recorder?.Session;

    private SessionRecorder? Recorder => _recorder ??= _options.Records is { } records ? new SessionRecorder(records, RecordInfo(), _options.SessionId, _options.TimeProvider) : null;

    private SessionInfo RecordInfo()
    {
        var trigger = Math.Min(
            _requests.ClearToolUses?.EffectiveTrigger is { Kind: ContextTriggerKind.InputTokens } clear ? clear.Value : long.MaxValue,
            _requests.Compact?.EffectiveTriggerTokens ?? long.MaxValue);
        long? triggerTokens = trigger == long.MaxValue ? null : trigger;
        var warns = _preserve != PreserveBeforeClear.Never && _options.WarningRatio is not null && _tools.ContainsKey(MemoryToolName);
        return (_options.RecordInfo ?? new SessionInfo()) with
        {
            Model = _options.Model,
            Side = _requests.ContextManagement is null ? null : _options.ContextEditing == ContextEditingSide.Client ? "client" : "server",
            TriggerTokens = triggerTokens,
            WarningTokens = warns && triggerTokens is { } tokens ? (long)(tokens * _options.WarningRatio!.Value) : null,
        };
    }

    /// <summary>Writes an event's line, when the session keeps a record.</summary>
    private void RecordEvent(AgentEvent agentEvent)
    {
        if (Recorder is not { } recorder)
        {
            return;
        }

        switch (agentEvent)
        {
            case AgentRequestEvent request:
                recorder.Request(request.Request, request.Messages, request.ProjectedInputTokens, request.TriggerRatio);
                break;
            case AgentResponseEvent response:
                var usage = _sent.Count > 0 && _sent[^1].Usage is { } sent
                    ? new SessionUsage(sent.InputTokens, sent.CacheCreationInputTokens, sent.CacheReadInputTokens, sent.OutputTokens)
                    : new SessionUsage(response.InputTokens, 0, 0, response.OutputTokens);
                recorder.Response(response.Request, response.StopReason, usage);
                break;
            case AgentContextEditEvent edit:
                recorder.Clearing(edit.Request, Side(edit.Side), edit.Edits.Sum(applied => applied.ClearedInputTokens),
                    edit.Edits.Where(applied => applied.Type == ClearThinkingEdit.TypeName).Sum(applied => applied.ClearedThinkingTurns),
                    [.. edit.NewlyCleared.Select(block => (block.ToolName ?? string.Empty, block.ToolUseId ?? string.Empty))]);
                break;
            case AgentCompactionEvent compaction:
                recorder.Compaction(compaction.Request, Side(compaction.Side), compaction.Succeeded, compaction.InputTokensBefore,
                    new SessionUsage(compaction.CompactionInputTokens, 0, 0, compaction.CompactionOutputTokens));
                break;
            case AgentContextWarningEvent warning:
                recorder.Warning(warning.Request, warning.ProjectedInputTokens, warning.TriggerRatio, warning.IsCompaction);
                break;
            case AgentPreservationEvent preservation:
                var record = preservation.Record;
                recorder.Preservation(preservation.Request, new SessionPreservation(
                    record.Preserved ? "preserved" : record.Warned ? "not_preserved" : "not_warned", record.WarnedAtRequest, record.MemorySaves,
                    record.SecondsToFirstSave, record.ResultsCovered, record.ResultsNotCovered, record.Compacted));
                break;
            case AgentToolCallEvent call when call.Name == MemoryToolName:
                _memoryCalls[call.Id] = MemoryCall(call.Input);
                break;
            case AgentToolResultEvent result:
                recorder.Tool(result.Request, result.Id, result.Name, result.IsError, result.Elapsed, Encoding.UTF8.GetByteCount(result.Content));
                if (_memoryCalls.Remove(result.Id, out var memory) && !result.IsError && result.MemoryCommand is { } command && memory.Path is { } path)
                {
                    var view = command == "view";
                    recorder.Memory(result.Request, command, path, memory.NewPath, view ? Encoding.UTF8.GetByteCount(result.Content) : memory.Bytes,
                        directory: view && !MemoryMessages.IsFileView(result.Content));
                }

                break;
            case AgentReacquisitionEvent again:
                recorder.Reacquisition(again.Request, again.Id, again.Name, again.Recalled);
                break;
            case AgentRunEndEvent end:
                recorder.End(end.Request, end.Result.StopCause switch
                {
                    AgentStopCause.Completed => "completed",
                    AgentStopCause.MaxTurns => "max_turns",
                    AgentStopCause.MaxTokens => "max_tokens",
                    AgentStopCause.Refusal => "refusal",
                    AgentStopCause.ContextWindowFull => "context_window_full",
                    AgentStopCause.Compacted => "compacted",
                    var other => other.ToString(),
                }, Totals(end.Result.Summary));
                break;
        }
    }

    /// <summary>Appends the lines written since the last time; a store that fails is logged and the lines kept for the next
    /// time, never failing the run.</summary>
    private async Task FlushRecordAsync(CancellationToken cancellationToken)
    {
        if (_recorder is null)
        {
            return;
        }

        try
        {
            await _recorder.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or HttpRequestException)
        {
            if (_logger is not null)
            {
                AgentLog.RecordFailed(_logger, _recorder.Session, exception.Message);
            }
        }
    }

    private static SessionTotals Totals(AgentSessionSummary summary) => new(
        summary.Requests, summary.InputTokens, summary.OutputTokens, summary.ClearedInputTokens, summary.Clearings, summary.Warnings, summary.MemoryWrites);

    private static string Side(ContextEditingSide side) => side == ContextEditingSide.Client ? "client" : "server";

    /// <summary>What a memory call names: its path (the old one of a rename), a rename's new path, and the size of the text
    /// it writes.</summary>
    private static (string? Path, string? NewPath, long Bytes) MemoryCall(JsonElement input)
    {
        if (input.ValueKind != JsonValueKind.Object)
        {
            return (null, null, 0);
        }

        string? Text(string name) => input.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var bytes = SessionRecords.WrittenBytes(Text);
        return (Text("path") ?? Text("old_path"), Text("new_path"), bytes);
    }
}
