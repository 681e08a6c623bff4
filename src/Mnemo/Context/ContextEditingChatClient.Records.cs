using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Mnemo.Memory;
using Mnemo.Sessions;

namespace Mnemo.Context;

/// <summary>The chat client's session records (<see cref="ContextEditingChatClientOptions.Records"/>): a record per
/// conversation, with the same lines an <c>AgentSession</c> writes, for the dashboard.</summary>
public sealed partial class ContextEditingChatClient
{
    /// <summary>Writes a call's request line, after the tool results that arrived since the last call.</summary>
    private void RecordRequest(Conversation conversation, IReadOnlyList<ChatMessage> history, int n, ChatOptions? options, string side, long projected, double ratio)
    {
        if (_options.Records is not { } records)
        {
            return;
        }

        if (conversation.Recorder is null)
        {
            var trigger = _clearing?.EffectiveTrigger is { Kind: ContextTriggerKind.InputTokens } clear ? clear.Value : (long?)null;
            conversation.Recorder = new SessionRecorder(records, (_options.RecordInfo ?? new SessionInfo()) with
            {
                Model = options?.ModelId ?? _options.RecordInfo?.Model,
                Side = side,
                TriggerTokens = trigger,
                WarningTokens = trigger is { } tokens && _options.WarningRatio is { } warnAt ? (long)(tokens * warnAt) : null,
            }, timeProvider: _options.TimeProvider);
        }

        RecordToolResults(conversation, history, n - 1);
        conversation.Recorder.Request(n, history.Count, projected, _clearing is null ? null : ratio);
    }

    /// <summary>Writes the tool calls whose results the caller added since the last call: each call's name, id and result
    /// size, and a memory command's path and size when it succeeded.</summary>
    private static void RecordToolResults(Conversation conversation, IReadOnlyList<ChatMessage> history, int request)
    {
        var recorder = conversation.Recorder!;
        var calls = new Dictionary<string, FunctionCallContent>(StringComparer.Ordinal);
        for (var i = 0; i < history.Count; i++)
        {
            foreach (var content in history[i].Contents)
            {
                if (content is FunctionCallContent call)
                {
                    calls[call.CallId] = call;
                }
                else if (i >= conversation.Recorded && content is FunctionResultContent result && calls.TryGetValue(result.CallId, out var made))
                {
                    var text = result.Result?.ToString() ?? string.Empty;
                    var failed = result.Exception is not null;
                    if (made.Name == MemoryToolFunction.ToolName && Argument(made, "command") is { } command)
                    {
                        failed |= !MemoryMessages.Succeeded(command, text);
                        if (!failed && (Argument(made, "path") ?? Argument(made, "old_path")) is { } path)
                        {
                            var bytes = command == "view" ? Encoding.UTF8.GetByteCount(text) : SessionRecords.WrittenBytes(name => Argument(made, name));
                            recorder.Memory(request, command, path, Argument(made, "new_path"), bytes, directory: command == "view" && !MemoryMessages.IsFileView(text));
                        }
                    }

                    recorder.Tool(request, result.CallId, made.Name, failed, TimeSpan.Zero, Encoding.UTF8.GetByteCount(text));
                }
            }
        }

        conversation.Recorded = history.Count;
    }

    private static string? Argument(FunctionCallContent call, string name) =>
        call.Arguments?.TryGetValue(name, out var value) == true
            ? value switch
            {
                JsonElement { ValueKind: JsonValueKind.String } json => json.GetString(),
                string text => text,
                _ => null,
            }
            : null;

    /// <summary>Writes a call's usage and appends the conversation's new lines; a record store that fails is logged, and
    /// the lines wait for the next call.</summary>
    private async Task RecordResponseAsync(Conversation? conversation, string? stopReason, UsageDetails? usage, CancellationToken cancellationToken)
    {
        if (conversation?.Recorder is not { } recorder)
        {
            return;
        }

        var input = usage?.InputTokenCount ?? 0;
        var cached = usage?.CachedInputTokenCount ?? 0;
        recorder.Response(conversation.Requests, stopReason, new SessionUsage(Math.Max(0, input - cached), 0, cached, usage?.OutputTokenCount ?? 0));
        try
        {
            await recorder.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or HttpRequestException)
        {
            ContextLog.RecordFailed(_log, recorder.Session, exception.Message);
        }
    }
}
