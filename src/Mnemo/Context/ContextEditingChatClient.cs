using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mnemo.Memory;

namespace Mnemo.Context;

/// <summary>
/// Context editing for any chat client in a Microsoft.Extensions.AI pipeline, with the preserve-before-clear protocol:
/// before each call the conversation is edited client-side with the API's strategies (<see cref="ContextEditingChatReducer"/>);
/// when it nears the clearing's trigger the model is warned to save to memory, and the warned call goes out unedited so
/// it has a turn to do so; each clearing is then judged: did the model save after the warning?
/// </summary>
/// <remarks>
/// <para>Put it after <see cref="FunctionInvokingChatClient"/> (<c>.UseMnemoMemory(tool).UseFunctionInvocation().UseContextEditing(config)</c>)
/// so it sees every call of a tool loop. The caller's history is never changed: what is cleared, and the warning, are in
/// what is sent. A warning, once given, is sent at its place on every later call of the conversation, so the prefix the
/// prompt cache holds stays the same. A conversation is recognised by its first message (the same instance each call,
/// as a chat history or a tool loop passes it).</para>
/// <para>The figures go on the meter <c>Mnemo.Agent</c> under the instrument names <c>AgentSession</c> uses
/// (<c>mnemo.context.clearings</c>, <c>cleared_tool_uses</c>, <c>cleared_input_tokens</c>, <c>warnings</c>,
/// <c>preservations</c>), tagged <c>mnemo.context.side</c> = <c>client</c>.</para>
/// <para>Thread-safe for different conversations; one conversation's calls come one at a time.</para>
/// </remarks>
public sealed partial class ContextEditingChatClient : DelegatingChatClient
{
    private static readonly Meter SharedMeter = new("Mnemo.Agent");

    private readonly ContextEditingChatClientOptions _options;
    private readonly ContextEditingChatReducer _reducer;
    private readonly ContextManagementConfig _config;
    private readonly ClearToolUsesEdit? _clearing;
    private readonly ConditionalWeakTable<ChatMessage, Conversation> _conversations = [];
    private readonly Counter<long> _clearings;
    private readonly Counter<long> _clearedToolUses;
    private readonly Counter<long> _clearedTokens;
    private readonly Counter<long> _warnings;
    private readonly Counter<long> _preservations;
    private readonly ILogger _log;

    /// <summary>Initializes a new instance of the <see cref="ContextEditingChatClient"/> class.</summary>
    /// <param name="innerClient">The client it sends to.</param>
    /// <param name="options">The strategies, the warning and where events go.</param>
    /// <exception cref="ArgumentException"><see cref="ContextEditingChatClientOptions.Config"/> is missing, or the warning ratio is out of range.</exception>
    public ContextEditingChatClient(IChatClient innerClient, ContextEditingChatClientOptions options)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Config is null)
        {
            throw new ArgumentException("ContextEditingChatClientOptions.Config is required: the context_management configuration to apply, such as ContextPresets.Development.", nameof(options));
        }

        if (options.WarningRatio is { } ratio && (double.IsNaN(ratio) || ratio <= 0 || ratio > 1))
        {
            throw new ArgumentException("ContextEditingChatClientOptions.WarningRatio must be above 0 and at most 1 (a share of the trigger), or null for no warning.", nameof(options));
        }

        _options = options;
        _config = options.Config;
        _log = options.LoggerFactory?.CreateLogger(ContextLog.Category) ?? NullLogger.Instance;
        var editorOptions = new ContextEditorOptions();
        if (options.Placeholder is { } placeholder)
        {
            editorOptions.Placeholder = placeholder;
        }

        _reducer = new ContextEditingChatReducer(options.Config, new ContextEditor(options.TokenCounter, editorOptions));
        _clearing = options.Config.Edits.OfType<ClearToolUsesEdit>().FirstOrDefault();
        var meter = options.MeterFactory?.Create(new MeterOptions("Mnemo.Agent")) ?? SharedMeter;
        _clearings = meter.CreateCounter<long>("mnemo.context.clearings", "{clearing}", "Requests whose editing cleared tool uses not cleared before.");
        _clearedToolUses = meter.CreateCounter<long>("mnemo.context.cleared_tool_uses", "{tool_use}", "Tool uses cleared, each once.");
        _clearedTokens = meter.CreateCounter<long>("mnemo.context.cleared_input_tokens", "{token}", "Input tokens editing removed from requests.");
        _warnings = meter.CreateCounter<long>("mnemo.context.warnings", "{warning}", "Warnings that clearing is near.");
        _preservations = meter.CreateCounter<long>("mnemo.context.preservations", "{approach}", "Approaches to a clearing, and whether memory was written before it.");
    }

    /// <inheritdoc/>
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var call = await PrepareAsync(messages, options, cancellationToken).ConfigureAwait(false);
        var response = await base.GetResponseAsync(call.Messages, call.Options, cancellationToken).ConfigureAwait(false);
        if (call.ServerCall is { } sent)
        {
            Answered(sent, _options.Server!.Applied(response.RawRepresentation), response.Usage);
        }

        await RecordResponseAsync(call.Conversation, response.FinishReason?.Value, response.Usage, cancellationToken).ConfigureAwait(false);
        return response;
    }

    /// <inheritdoc/>
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var call = await PrepareAsync(messages, options, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<AppliedContextEdit>? edits = null;
        UsageDetails? usage = null;
        await foreach (var update in base.GetStreamingResponseAsync(call.Messages, call.Options, cancellationToken).ConfigureAwait(false))
        {
            if (call.ServerCall is not null)
            {
                edits ??= _options.Server!.Applied(update.RawRepresentation);
                usage = update.Contents.OfType<UsageContent>().LastOrDefault()?.Details ?? usage;
            }

            yield return update;
        }

        if (call.ServerCall is { } sent)
        {
            Answered(sent, edits, usage);
        }

        await RecordResponseAsync(call.Conversation, null, usage, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What the server's answer to a call says: the edits it made, and its count of the call's tokens, which
    /// corrects this client's projection of the next call (the server's count is the one its trigger reads).</summary>
    private void Answered(ServerCall call, IReadOnlyList<AppliedContextEdit>? edits, UsageDetails? usage)
    {
        (long Before, long After)? counted = null;
        if (usage?.InputTokenCount is { } sent && sent > 0 && call.InputTokens > 0)
        {
            var unedited = sent + (edits?.Sum(e => e.ClearedInputTokens) ?? 0);
            call.Conversation.Offset = unedited - call.InputTokens;
            counted = (unedited, sent);
        }

        if (edits is not null)
        {
            Edited(call, edits, counted);
        }
    }

    /// <summary>The messages and options to send for a call: the warnings given so far at their places, a new one when
    /// the call is the first near the trigger, and the conversation edited here or by the server (unless this call holds
    /// the clearing back).</summary>
    private async Task<PreparedCall> PrepareAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var history = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        if (history.Count == 0)
        {
            return new PreparedCall(history, options, null);
        }

        var conversation = _conversations.GetValue(history[0], _ => new Conversation());
        var n = ++conversation.Requests;
        using var activity = MnemoTelemetry.Source.StartActivity("context edit");
        var server = _options.Server;
        var edit = await _reducer.EditAsync(conversation.WithWarnings(history, _options.Warning), cancellationToken).ConfigureAwait(false);
        // When the server edits, its count decides: it also counts what this client does not see (the tools' definitions,
        // the system prompt), so this client's projection is shifted by how far the two differed on the last answer.
        var offset = server is null ? 0 : conversation.Offset;
        var ratio = Ratio(edit, offset);
        var model = new KeyValuePair<string, object?>("mnemo.agent.model", options?.ModelId ?? "unknown");
        var side = new KeyValuePair<string, object?>("mnemo.context.side", server?.Side ?? "client");
        activity?.SetTag("mnemo.context.side", side.Value);
        RecordRequest(conversation, history, n, options, (string)side.Value!, edit.Result.OriginalInputTokens + offset, ratio);
        if (_options.WarningRatio is { } warnAt && ratio < warnAt && conversation.Approach == Approach.Cleared)
        {
            // Back below the warning level (a host trimmed its history): the next approach is warned again.
            conversation.Approach = Approach.None;
        }

        if (_options.WarningRatio is { } level && ratio >= level && conversation.Approach == Approach.None &&
            options?.Tools?.Any(tool => tool.Name == MemoryToolFunction.ToolName) == true)
        {
            conversation.Warnings.Add(history.Count);
            conversation.WarnedRequest = n;
            conversation.Approach = Approach.Warned;
            var before = edit.Result.OriginalInputTokens + offset;
            edit = await _reducer.EditAsync(conversation.WithWarnings(history, _options.Warning), cancellationToken).ConfigureAwait(false);
            // Editing here, the warned call is held back when it would clear; the server's count is not this client's, so
            // when the server edits, the warned call always asks it to clear nothing.
            var holds = _options.HoldBackWarnedRequest && (server is not null || NewlyCleared(conversation, edit.Result.AppliedEdits) > 0);
            _warnings.Add(1, model, side);
            activity?.SetTag("mnemo.context.warned", true);
            activity?.SetTag("mnemo.context.held_back", holds);
            ContextLog.Warned(_log, n, before, Math.Round(ratio, 3), holds);
            _options.OnEvent?.Invoke(new ChatContextWarningEvent(n, before, ratio, holds));
            conversation.Recorder?.Warning(n, before, ratio, compaction: false);
            if (holds)
            {
                var warned = conversation.WithWarnings(history, _options.Warning);
                if (server is null)
                {
                    return new PreparedCall(warned, options, null, conversation);
                }

                // The server is asked with its triggers raised above this call, so it clears nothing yet.
                var raised = _config.RaisedAbove(edit.Result.OriginalInputTokens + offset, ContextEditor.CountToolUses(edit.Result.Request.Messages));
                return new PreparedCall(warned, raised is null ? options : server.Request(options, raised), null, conversation);
            }
        }

        activity?.SetTag("mnemo.context.input_tokens", edit.Result.OriginalInputTokens);
        if (server is not null)
        {
            // The server edits: the whole conversation goes, and what it clears is read from its answer.
            return new PreparedCall(
                conversation.WithWarnings(history, _options.Warning),
                server.Request(options, _config),
                new ServerCall(conversation, n, history, edit.Result.OriginalInputTokens, model, side),
                conversation);
        }

        activity?.SetTag("mnemo.context.sent_tokens", edit.Result.InputTokens);
        if (edit.Result.AppliedEdits.Count > 0)
        {
            activity?.SetTag("mnemo.context.edits", string.Join(",", edit.Result.AppliedEdits.Select(e => e.Type)));
            Edited(new ServerCall(conversation, n, history, edit.Result.OriginalInputTokens, model, side), edit.Result.AppliedEdits, (edit.Result.OriginalInputTokens, edit.Result.InputTokens), activity);
        }

        return new PreparedCall(edit.Messages, options, null, conversation);
    }

    /// <summary>Counts and reports a call's edits, and judges the clearing when it is the first of an approach.</summary>
    /// <param name="call">The call.</param>
    /// <param name="edits">What was edited, as the API reports it.</param>
    /// <param name="counted">The call's tokens before and after editing, as counted where the editing ran; when
    /// <see langword="null"/>, its projected tokens, and those less what the edits report cleared.</param>
    /// <param name="activity">The call's span, when it is still open.</param>
    private void Edited(ServerCall call, IReadOnlyList<AppliedContextEdit> edits, (long Before, long After)? counted = null, System.Diagnostics.Activity? activity = null)
    {
        if (edits.Count == 0)
        {
            return;
        }

        var (conversation, n, model, side) = (call.Conversation, call.Request, call.Model, call.Side);
        var newly = NewlyCleared(conversation, edits);
        conversation.ClearedToolUses += newly;
        var (before, after) = counted ?? (call.InputTokens, Math.Max(0, call.InputTokens - edits.Sum(e => e.ClearedInputTokens)));
        activity?.SetTag("mnemo.context.newly_cleared_tool_uses", newly);
        _clearedTokens.Add(before - after, model, side);
        ContextLog.Edited(_log, n, newly, before, after);
        _options.OnEvent?.Invoke(new ChatContextEditEvent(n, edits, before, after, newly));
        conversation.Recorder?.Clearing(n, (string)side.Value!, before - after,
            edits.Where(e => e.Type == ClearThinkingEdit.TypeName).Sum(e => e.ClearedThinkingTurns), [.. Enumerable.Repeat((string.Empty, string.Empty), newly)]);
        if (newly > 0)
        {
            _clearings.Add(1, model, side);
            _clearedToolUses.Add(newly, model, side);
            if (conversation.Approach != Approach.Cleared)
            {
                var writes = conversation.WarnedRequest is null ? 0 : MemoryWrites(call.History, conversation.Warnings[^1]);
                var record = new ChatPreservationEvent(n, conversation.Approach == Approach.Warned ? conversation.WarnedRequest : null, writes);
                conversation.Approach = Approach.Cleared;
                _preservations.Add(1, model, side, new KeyValuePair<string, object?>("mnemo.context.outcome", record.Outcome));
                ContextLog.Judged(_log, n, record.Outcome, writes);
                _options.OnEvent?.Invoke(record);
                conversation.Recorder?.Preservation(n, new Sessions.SessionPreservation(record.Outcome, record.WarnedAtRequest, writes, null, 0, 0, Compaction: false));
            }
        }
    }

    /// <summary>How close the conversation is to the clearing's trigger: its tokens (or tool uses) over the trigger's value.</summary>
    /// <param name="edit">The call's edit here.</param>
    /// <param name="offset">What the server counts beyond this client's projection, when the server edits.</param>
    private double Ratio(ChatMessagesEdit edit, long offset)
    {
        if (_clearing is null)
        {
            return 0;
        }

        var trigger = _clearing.EffectiveTrigger;
        var value = trigger.Kind == ContextTriggerKind.ToolUses ? ContextEditor.CountToolUses(edit.Result.Request.Messages) : edit.Result.OriginalInputTokens + offset;
        return value / (double)trigger.Value;
    }

    /// <summary>The tool uses a report clears that no earlier call of the conversation cleared: the whole conversation goes
    /// each time, so a report counts those cleared before too.</summary>
    private static int NewlyCleared(Conversation conversation, IEnumerable<AppliedContextEdit> edits) =>
        Math.Max(0, edits.Where(e => e.Type == ClearToolUsesEdit.TypeName).Sum(e => e.ClearedToolUses) - conversation.ClearedToolUses);

    /// <summary>The memory tool's write commands the model called from a point of the conversation on.</summary>
    private static int MemoryWrites(IReadOnlyList<ChatMessage> history, int from)
    {
        var writes = 0;
        for (var i = Math.Min(from, history.Count); i < history.Count; i++)
        {
            foreach (var call in history[i].Contents.OfType<FunctionCallContent>())
            {
                if (call.Name == MemoryToolFunction.ToolName && call.Arguments?.TryGetValue("command", out var command) == true &&
                    MemoryCommand.IsWriteCommand(command switch { JsonElement { ValueKind: JsonValueKind.String } json => json.GetString(), _ => command?.ToString() }))
                {
                    writes++;
                }
            }
        }

        return writes;
    }

    /// <summary>What goes to the inner client for a call, and, when the server edits, what reading its report needs.</summary>
    private sealed record PreparedCall(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options, ServerCall? ServerCall, Conversation? Conversation = null);

    /// <summary>A call whose edits are yet to be counted: its conversation, number, history and projected tokens.</summary>
    private sealed record ServerCall(
        Conversation Conversation, int Request, IReadOnlyList<ChatMessage> History, long InputTokens,
        KeyValuePair<string, object?> Model, KeyValuePair<string, object?> Side);

    /// <summary>Where a conversation stands on its way to a clearing.</summary>
    private enum Approach
    {
        None,
        Warned,
        Cleared,
    }

    /// <summary>What is kept of one conversation between its calls.</summary>
    private sealed class Conversation
    {
        public int Requests { get; set; }

        public int? WarnedRequest { get; set; }

        public Approach Approach { get; set; }

        public int ClearedToolUses { get; set; }

        /// <summary>The server's count of a call's tokens less this client's projection, from its last answer; 0 until one came.</summary>
        public long Offset { get; set; }

        /// <summary>The conversation's session record, when the client keeps them.</summary>
        public Sessions.SessionRecorder? Recorder { get; set; }

        /// <summary>How many of the caller's messages the record has looked at for tool results.</summary>
        public int Recorded { get; set; }

        /// <summary>Where each warning was given: the number of the caller's messages before it.</summary>
        public List<int> Warnings { get; } = [];

        /// <summary>The history with each warning at its place.</summary>
        public IReadOnlyList<ChatMessage> WithWarnings(IReadOnlyList<ChatMessage> history, string warning)
        {
            if (Warnings.Count == 0)
            {
                return history;
            }

            var result = new List<ChatMessage>(history.Count + Warnings.Count);
            var next = 0;
            for (var i = 0; i <= history.Count; i++)
            {
                while (next < Warnings.Count && Warnings[next] == i)
                {
                    result.Add(new ChatMessage(ChatRole.User, warning));
                    next++;
                }

                if (i < history.Count)
                {
                    result.Add(history[i]);
                }
            }

            return result;
        }
    }
}
