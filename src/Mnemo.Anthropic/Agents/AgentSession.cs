using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Helpers;
using Anthropic.Helpers.Beta;
using Anthropic.Models.Beta.Messages;
using Mnemo.Context;
using Mnemo.Memory;
using Mnemo.Tokens;

namespace Mnemo.Anthropic.Agents;

/// <summary>
/// Represents one conversation with Claude through the official SDK: it sends requests, runs the model's tool calls
/// (memory first among them), edits the context as it grows, and warns the model to save to memory before a clearing.
/// </summary>
/// <remarks>
/// <para><see cref="RunAsync(string, CancellationToken)"/> runs until a response makes no tool call, or
/// <see cref="AgentSessionOptions.MaxTurns"/>; <see cref="RunTurnAsync"/> sends one request. Every step is reported to
/// <see cref="AgentSessionOptions.OnEvent"/> as it happens, and counted on the meter named
/// <see cref="AgentMetrics.MeterName"/>; <see cref="Summary"/> sums it up.</para>
/// <para>The session keeps the whole conversation (<see cref="Messages"/>) and sends all of it each time, without the
/// SDK's message threads: context editing works on the whole conversation, on the server or here, and the history
/// itself is never edited. Every tool call gets its result in the history, whatever happens, so a run that stopped
/// (cancelled, cut off, refused) can go on with another.</para>
/// <para>Not thread-safe: one run at a time; starting a second while one runs throws.</para>
/// </remarks>
public sealed class AgentSession
{
    /// <summary>The beta that the memory tool and context editing need.</summary>
    public const string ContextManagementBeta = "context-management-2025-06-27";

    /// <summary>The memory protocol the session adds to the system prompt by default.</summary>
    public const string DefaultMemoryProtocol = MemoryProtocol.Default;

    /// <summary>The warning the session adds to the conversation when a clearing is near.</summary>
    public const string DefaultContextWarning =
        "[context notice] This conversation is close to its context limit: older tool results will soon be cleared from it. " +
        "Anything you still need from them (findings, progress, decisions) belongs in your memory directory: save it with the memory tool now, then continue.";

    private const string MemoryToolName = "memory";

    private static readonly IReadOnlyDictionary<string, JsonElement> NoQuery = new Dictionary<string, JsonElement>();

    private readonly IAnthropicClient _client;
    private readonly AgentSessionOptions _options;
    private readonly Dictionary<string, IBetaRunnableTool> _tools = new(StringComparer.Ordinal);
    private readonly List<BetaMessageParam> _messages = [];
    private readonly List<ContextMessage> _context = [];
    private readonly ContextManagementConfig? _config;
    private readonly ClearToolUsesEdit? _clearToolUses;
    private readonly ITokenCounter _counter;
    private readonly UsageCalibratedTokenCounter? _calibrated;
    private readonly ContextEditor _editor;
    private readonly ContextRequest _preamble;
    private readonly Dictionary<string, JsonElement> _body;
    private readonly Dictionary<string, JsonElement> _headers;
    private readonly bool _warns;
    private readonly AgentInstruments _instruments;
    private readonly KeyValuePair<string, object?> _modelTag;
    private readonly KeyValuePair<string, object?> _sideTag;
    private readonly PreservationTracker _tracker = new();
    private readonly List<PreservationRecord> _preservations = [];

    private int _running;
    private int _requests;
    private long _inputTokens;
    private long _maxInputTokens;
    private long _outputTokens;
    private int _toolCalls;
    private int _toolErrors;
    private int _clearings;
    private int _clearedToolUses;
    private int _editedRequests;
    private readonly List<ContextBlock> _clearedToolUseBlocks = [];
    private long _clearedInputTokens;
    private int _clearedThinkingTurns;
    private int _warnings;
    private int _memoryWrites;
    private TimeSpan _memoryWriteTime;
    private TimeSpan _slowestMemoryWrite;
    private Approach _approach;
    private bool _paused;

    /// <summary>Initializes a new instance of the <see cref="AgentSession"/> class.</summary>
    /// <param name="client">The SDK client: the API, or the emulator for offline runs and tests.</param>
    /// <param name="options">The options; validated here, before anything is sent.</param>
    /// <exception cref="ArgumentException">An option is missing or out of range, two tools share a name, or the context
    /// management configuration breaks the API's rules; the message names the option.</exception>
    public AgentSession(IAnthropicClient client, AgentSessionOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _options = options;
        Validate(options);

        if (options.Memory is { } memory)
        {
            _tools.Add(MemoryToolName, new MnemoMemoryTool(memory));
        }

        foreach (var tool in options.Tools)
        {
            if (tool is null || !_tools.TryAdd(tool.Name, tool))
            {
                throw new ArgumentException(tool is null
                    ? "AgentSessionOptions.Tools holds a null tool."
                    : $"AgentSessionOptions.Tools: two tools are named '{tool.Name}'; tool names must be unique (the memory tool is named 'memory').",
                    nameof(options));
            }
        }

        _config = options.ContextManagement is { } config ? Normalize(config, options.ClearMemoryToolUses) : null;
        _clearToolUses = _config?.Edits.OfType<ClearToolUsesEdit>().FirstOrDefault();

        _warns = options.WarningRatio is not null && _clearToolUses is not null && _tools.ContainsKey(MemoryToolName);
        if (options.TokenCounter is { } counter)
        {
            _counter = counter;
        }
        else
        {
            _counter = _calibrated = new UsageCalibratedTokenCounter();
        }

        _editor = new ContextEditor(_counter, options.ClearedPlaceholder is { } placeholder ? new ContextEditorOptions { Placeholder = placeholder } : null);
        _body = Preamble(options, [.. _tools.Values]);
        _preamble = ContextRequest.FromJson(Element(writer =>
        {
            writer.WriteStartObject();
            foreach (var (name, value) in _body)
            {
                writer.WritePropertyName(name);
                value.WriteTo(writer);
            }

            writer.WriteStartArray("messages"u8);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }));

        if (_config is not null)
        {
            try
            {
                _config.ValidateFor(_preamble);
            }
            catch (ContextFormatException exception)
            {
                throw new ArgumentException($"AgentSessionOptions.ContextManagement: {exception.Message}", nameof(options), exception);
            }

            if (options.ContextEditing == ContextEditingSide.Server)
            {
                _body["context_management"] = Element(_config.WriteTo);
            }
        }

        var betas = new List<string>();
        if (_tools.ContainsKey(MemoryToolName) || (_config is not null && options.ContextEditing == ContextEditingSide.Server))
        {
            betas.Add(ContextManagementBeta);
        }

        foreach (var beta in options.Betas)
        {
            if (!string.IsNullOrWhiteSpace(beta) && !betas.Contains(beta))
            {
                betas.Add(beta);
            }
        }

        _headers = [];
        if (betas.Count > 0)
        {
            _headers["anthropic-beta"] = JsonSerializer.SerializeToElement(betas);
        }

        var meter = AgentMetrics.MeterFrom(options.MeterFactory);
        _instruments = AgentInstruments.For(meter);
        _modelTag = new("mnemo.agent.model", options.Model);
        _sideTag = new("mnemo.context.side", options.ContextEditing == ContextEditingSide.Server ? "server" : "client");
    }

    /// <summary>Gets the whole conversation so far, as sent and received, never edited.</summary>
    public IReadOnlyList<BetaMessageParam> Messages => _messages;

    /// <summary>Gets the context-management configuration in force: the one given, with <c>memory</c> excluded from clearing unless allowed.</summary>
    public ContextManagementConfig? ContextManagement => _config;

    /// <summary>Gets the tools the model can call, by name.</summary>
    public IReadOnlyCollection<string> ToolNames => _tools.Keys;

    /// <summary>Gets the number of requests sent so far.</summary>
    public int Requests => _requests;

    /// <summary>Gets what the session has done since it began.</summary>
    public AgentSessionSummary Summary => new(
        _requests, _inputTokens, _maxInputTokens, _outputTokens, _toolCalls, _toolErrors, _clearings, _clearedToolUses,
        _clearedInputTokens, _clearedThinkingTurns, _warnings, [.. _preservations], _memoryWrites, _memoryWriteTime, _slowestMemoryWrite)
    {
        EditedRequests = _editedRequests,
        ClearedToolUseBlocks = [.. _clearedToolUseBlocks],
    };

    /// <summary>Adds a user message to the conversation, to be answered by the next request.</summary>
    /// <param name="text">The message.</param>
    /// <exception cref="InvalidOperationException">A run is under way.</exception>
    public void AddUserMessage(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        ThrowIfRunning();
        Append(Element(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("role"u8, "user");
            writer.WriteStartArray("content"u8);
            WriteText(writer, text);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }));
    }

    /// <summary>Adds messages to the conversation as they are, such as a conversation saved earlier, to go on with it.</summary>
    /// <param name="messages">The messages, in order.</param>
    /// <exception cref="ArgumentException">A message is not one the API takes; the message says why. None is added then.</exception>
    /// <exception cref="InvalidOperationException">A run is under way.</exception>
    public void AddMessages(IEnumerable<BetaMessageParam> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ThrowIfRunning();
        var read = new List<(BetaMessageParam, ContextMessage)>();
        foreach (var message in messages)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            try
            {
                read.Add((message, BetaContextEditing.ReadMessage(message)));
            }
            catch (ContextFormatException exception)
            {
                throw new ArgumentException($"Message {read.Count}: {exception.Message}", nameof(messages), exception);
            }
        }

        foreach (var (message, context) in read)
        {
            _messages.Add(message);
            _context.Add(context);
        }
    }

    /// <summary>Adds a user message and runs the conversation until the model answers without calling a tool.</summary>
    /// <param name="userMessage">The message.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests; the conversation stays whole when it fires.</param>
    /// <returns>How the run ended.</returns>
    public Task<AgentRunResult> RunAsync(string userMessage, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userMessage);
        AddUserMessage(userMessage);
        return RunAsync(cancellationToken);
    }

    /// <summary>Runs the conversation from where it is until the model answers without calling a tool, or the turn limit.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests; the conversation stays whole when it fires.</param>
    /// <returns>How the run ended.</returns>
    /// <exception cref="InvalidOperationException">The conversation ends with the assistant's answer, or another run is under way.</exception>
    public async Task<AgentRunResult> RunAsync(CancellationToken cancellationToken = default)
    {
        AgentTurn? turn = null;
        var turns = 0;
        while (turns < _options.MaxTurns)
        {
            turn = await RunTurnAsync(cancellationToken).ConfigureAwait(false);
            turns++;
            if (turn.IsFinal)
            {
                break;
            }
        }

        var result = turn!.StopCause is { } cause
            ? new AgentRunResult(cause, turn.Text, turns, turn.Message, Summary)
            : new AgentRunResult(AgentStopCause.MaxTurns, turn.Text, turns,
                string.Create(CultureInfo.InvariantCulture, $"The run stopped after {turns} requests (MaxTurns) with the model still calling tools; run again to go on."),
                Summary);
        Raise(new AgentRunEndEvent(_requests, result));
        return result;
    }

    /// <summary>Sends one request, runs the tool calls of its response and adds their results to the conversation.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests; the conversation stays whole when it fires.</param>
    /// <returns>The turn: the response, and whether the run stops here.</returns>
    /// <exception cref="InvalidOperationException">The conversation ends with the assistant's answer, or another run is under way.</exception>
    public async Task<AgentTurn> RunTurnAsync(CancellationToken cancellationToken = default)
    {
        if (_context.Count == 0 || (_context[^1].IsAssistant && !_paused))
        {
            throw new InvalidOperationException("The conversation has nothing to answer; add a user message first.");
        }

        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            throw new InvalidOperationException("A run is under way; an AgentSession sends one request at a time.");
        }

        try
        {
            return await TurnAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private async Task<AgentTurn> TurnAsync(CancellationToken cancellationToken)
    {
        var number = ++_requests;
        var request = _preamble.WithMessages([.. _context]);
        var projected = await _counter.CountAsync(request, cancellationToken).ConfigureAwait(false);
        var ratio = TriggerRatio(request, projected);
        if (ratio is not { } pressure || pressure < (_options.WarningRatio ?? 1))
        {
            // Below the warning level: whatever approach there was is over, and the next one will be warned of.
            _approach = Approach.None;
        }
        else if (_warns && _approach == Approach.None && !_context[^1].IsAssistant)
        {
            AppendToLastUserMessage(_options.ContextWarning);
            _approach = Approach.Warned;
            _warnings++;
            _tracker.Warn(number, projected);
            _instruments.Warnings.Add(1, _modelTag, _sideTag);
            Raise(new AgentContextWarningEvent(number, projected, pressure));
            request = _preamble.WithMessages([.. _context]);
            projected = await _counter.CountAsync(request, cancellationToken).ConfigureAwait(false);
        }

        Raise(new AgentRequestEvent(number, _context.Count, projected, ratio));

        IReadOnlyList<BetaMessageParam> messages = _messages;
        var sent = request;
        IReadOnlyList<AppliedContextEdit>? clientEdits = null;
        if (_config is not null && _options.ContextEditing == ContextEditingSide.Client)
        {
            var edit = await _editor.EditAsync(request, _config, cancellationToken).ConfigureAwait(false);
            messages = BetaContextEditing.Merge(_messages, request, edit.Request);
            sent = edit.Request;
            clientEdits = edit.AppliedEdits;
        }

        var body = new Dictionary<string, JsonElement>(_body) { ["messages"] = JsonSerializer.SerializeToElement(messages) };
        var parameters = MessageCreateParams.FromRawUnchecked(_headers, NoQuery, body);
        var response = _options.Streaming
            ? await StreamAsync(number, parameters, cancellationToken).ConfigureAwait(false)
            : await _client.Beta.Messages.Create(parameters, cancellationToken).ConfigureAwait(false);

        if (_calibrated is not null)
        {
            await _calibrated.CalibrateAsync(sent, response.SentInputTokens(), cancellationToken).ConfigureAwait(false);
        }

        var billed = response.Usage.InputTokens + (response.Usage.CacheReadInputTokens ?? 0) + (response.Usage.CacheCreationInputTokens ?? 0);
        var output = response.Usage.OutputTokens;
        CountUsage(billed, output);
        Edited(number, clientEdits ?? ServerEdits(response), request.Messages);

        var (assistant, toolUses, text) = Read(response);
        var stopReason = response.StopReason?.Raw();
        Raise(new AgentResponseEvent(number, stopReason, billed, output, text));

        // From here the assistant's calls are in the conversation, and every one of them gets its result.
        if (assistant is not null)
        {
            Append(assistant.Value);
        }

        // A paused turn goes back as it is, ending the next request, for the model to carry on.
        _paused = stopReason == "pause_turn" && assistant is not null && toolUses.Count == 0;
        var (cause, message) = StopOf(stopReason, toolUses.Count);

        if (toolUses.Count > 0)
        {
            // A call cut off by max_tokens has incomplete input: it is answered, not run.
            var cut = stopReason == "max_tokens" && response.Content.Count > 0 && response.Content[^1].TryPickToolUse(out var last)
                ? last.ID
                : null;
            await RunToolsAsync(number, toolUses, cut, billed + output, cancellationToken).ConfigureAwait(false);
        }

        return new AgentTurn(number, response, text, toolUses.Count, cause, message);
    }

    /// <summary>Why the run stops after a response, or <see langword="null"/> to go on.</summary>
    private (AgentStopCause? Cause, string? Message) StopOf(string? stopReason, int toolUses) => stopReason switch
    {
        "max_tokens" => (AgentStopCause.MaxTokens, string.Create(CultureInfo.InvariantCulture,
            $"The response was cut off at max_tokens ({_options.MaxTokens}); raise MaxTokens to let the model finish, then run again.")),
        "refusal" => (AgentStopCause.Refusal, "The model declined to continue (stop_reason: refusal)."),
        "model_context_window_exceeded" => (AgentStopCause.ContextWindowFull,
            "The conversation no longer fits the model's context window; configure context editing or start a new session."),
        "pause_turn" => (null, null),
        _ when toolUses > 0 => (null, null),
        _ => (AgentStopCause.Completed, null),
    };

    private async Task<BetaMessage> StreamAsync(int number, MessageCreateParams parameters, CancellationToken cancellationToken)
    {
        var aggregator = new BetaMessageContentAggregator();
        var stream = _client.Beta.Messages.CreateStreaming(parameters, cancellationToken);
        await foreach (var item in stream.CollectAsync(aggregator).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (item.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var text) && text.Text.Length > 0)
            {
                Raise(new AgentTextDeltaEvent(number, text.Text));
            }
        }

        return aggregator.Message();
    }

    private async Task RunToolsAsync(int number, List<BetaToolUseBlock> calls, string? cutId, long contextTokens, CancellationToken cancellationToken)
    {
        var results = new List<(string Id, JsonElement Content, bool IsError)>(calls.Count);
        try
        {
            foreach (var call in calls)
            {
                var input = JsonSerializer.SerializeToElement(call.Input);
                Raise(new AgentToolCallEvent(number, call.ID, call.Name, input));
                var started = _options.TimeProvider.GetTimestamp();
                var (content, isError, exception) = call.ID == cutId
                    ? (JsonSerializer.SerializeToElement(
                        "Error: this call was cut off by max_tokens before its input was complete, so it was not run."), true, null)
                    : await ExecuteAsync(call, cancellationToken).ConfigureAwait(false);
                var elapsed = _options.TimeProvider.GetElapsedTime(started);
                results.Add((call.ID, content, isError));
                Counted(number, call, input, isError, elapsed, contextTokens);
                Raise(new AgentToolResultEvent(number, call.ID, call.Name, TextOf(content), isError, elapsed, exception));
            }
        }
        catch (Exception exception)
        {
            // Cancelled, or an event handler threw: every call keeps its result, so the conversation can go on with another run.
            var reason = exception is OperationCanceledException
                ? "Error: the run was cancelled before this call ran."
                : "Error: the run stopped before this call ran.";
            foreach (var call in calls.Skip(results.Count))
            {
                results.Add((call.ID, JsonSerializer.SerializeToElement(reason), true));
            }

            Append(ToolResults(results));
            throw;
        }

        Append(ToolResults(results));
    }

    private async Task<(JsonElement Content, bool IsError, Exception? Exception)> ExecuteAsync(BetaToolUseBlock call, CancellationToken cancellationToken)
    {
        if (!_tools.TryGetValue(call.Name, out var tool))
        {
            var names = string.Join(", ", _tools.Keys.Order(StringComparer.Ordinal));
            return (JsonSerializer.SerializeToElement(
                names.Length == 0 ? $"Error: there is no tool named '{call.Name}'; none are available." : $"Error: there is no tool named '{call.Name}'; the tools are: {names}."),
                true, null);
        }

        try
        {
            var content = await tool.ExecuteAsync(call, cancellationToken).ConfigureAwait(false);
            return (JsonSerializer.SerializeToElement(content), false, null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (BetaToolError error)
        {
            return (JsonSerializer.SerializeToElement(error.Content), true, null);
        }
#pragma warning disable CA1031 // A tool's own failure becomes an error result for the model; the host gets the exception in the event.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            return (JsonSerializer.SerializeToElement($"Error: the {call.Name} tool failed unexpectedly; the details are in the host's log."), true, exception);
        }
    }

    private void Counted(int number, BetaToolUseBlock call, JsonElement input, bool isError, TimeSpan elapsed, long contextTokens)
    {
        _toolCalls++;
        if (isError)
        {
            _toolErrors++;
        }

        _instruments.ToolCalls.Add(1, _modelTag, new("mnemo.tool.name", call.Name), new("mnemo.tool.error", isError));
        if (isError || call.Name != MemoryToolName || !_tools.ContainsKey(MemoryToolName) ||
            !input.TryGetProperty("command"u8, out var command) || command.ValueKind != JsonValueKind.String ||
            !MemoryCommand.IsWriteCommand(command.GetString()))
        {
            return;
        }

        _memoryWrites++;
        _memoryWriteTime += elapsed;
        if (elapsed > _slowestMemoryWrite)
        {
            _slowestMemoryWrite = elapsed;
        }

        _instruments.MemoryWriteDuration.Record(elapsed.TotalMilliseconds, _modelTag, new("mnemo.memory.command", command.GetString()));
        _tracker.MemoryWritten(number, contextTokens);
    }

    private void CountUsage(long input, long output)
    {
        _inputTokens += input;
        _outputTokens += output;
        _maxInputTokens = Math.Max(_maxInputTokens, input);
        _instruments.Requests.Add(1, _modelTag);
        _instruments.InputTokens.Record(input, _modelTag);
        _instruments.OutputTokens.Record(output, _modelTag);
    }

    /// <summary>Takes the edits applied to a request: metrics, the event, and the end of an approach when tool uses were newly cleared.</summary>
    private void Edited(int number, IReadOnlyList<AppliedContextEdit> edits, IReadOnlyList<ContextMessage> messages)
    {
        if (edits.Count == 0)
        {
            return;
        }

        _editedRequests++;
        var before = _clearedToolUses;

        var newly = 0;
        var clearedTokens = 0L;
        foreach (var edit in edits)
        {
            _clearedInputTokens += edit.ClearedInputTokens;
            _instruments.ClearedInputTokens.Add(edit.ClearedInputTokens, _modelTag, _sideTag, new("mnemo.context.strategy", edit.Type));
            if (edit.Type == ClearThinkingEdit.TypeName)
            {
                _clearedThinkingTurns += edit.ClearedThinkingTurns;
                _instruments.ClearedThinkingTurns.Add(edit.ClearedThinkingTurns, _modelTag, _sideTag);
                continue;
            }

            // The whole conversation goes out each time, so a report counts the tool uses cleared before as well:
            // those beyond the most seen so far are new.
            newly = Math.Max(0, edit.ClearedToolUses - _clearedToolUses);
            _clearedToolUses += newly;
            clearedTokens = edit.ClearedInputTokens;
        }

        // Both sides clear the oldest tool uses first, skipping the excluded ones, so the k cleared are the first k of those.
        var cleared = newly == 0 ? [] : ClearableToolUses(messages).Skip(before).Take(newly).ToList();
        _clearedToolUseBlocks.AddRange(cleared);
        Raise(new AgentContextEditEvent(number, _options.ContextEditing, edits, newly) { NewlyCleared = cleared });
        if (newly == 0)
        {
            return;
        }

        _clearings++;
        _instruments.Clearings.Add(1, _modelTag, _sideTag);
        _instruments.ClearedToolUses.Add(newly, _modelTag, _sideTag);
        if (_approach == Approach.Clearing)
        {
            // The whole conversation goes out each time and only grows, so once over the trigger every request clears
            // what has aged out since: the approach ended at the first of these clearings.
            return;
        }

        _approach = Approach.Clearing;
        var record = _tracker.Cleared(number, newly, clearedTokens);
        _preservations.Add(record);
        _instruments.Preservations.Add(1, _modelTag, _sideTag, new("mnemo.context.warned", record.Warned), new("mnemo.context.preserved", record.Preserved));
        Raise(new AgentPreservationEvent(number, record));
    }

    /// <summary>Where the conversation stands on its way to a clearing.</summary>
    private enum Approach
    {
        /// <summary>Below the warning level, or no warning given yet.</summary>
        None,

        /// <summary>Warned; the clearing has not come yet.</summary>
        Warned,

        /// <summary>Cleared: every request now clears what ages out.</summary>
        Clearing,
    }

    /// <summary>The tool uses clearing may take, oldest first: every answered one whose tool is not excluded.</summary>
    private IEnumerable<ContextBlock> ClearableToolUses(IReadOnlyList<ContextMessage> messages)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            if (!messages[i].IsAssistant)
            {
                continue;
            }

            foreach (var block in messages[i].Blocks)
            {
                var answered = block.Kind switch
                {
                    ContextBlockKind.ToolUse => i + 1 < messages.Count && messages[i + 1].Blocks.Any(b => b.Kind == ContextBlockKind.ToolResult && b.ToolUseId == block.ToolUseId),
                    ContextBlockKind.ServerToolUse => messages[i].Blocks.Any(b => b.Kind == ContextBlockKind.ServerToolResult && b.ToolUseId == block.ToolUseId),
                    _ => false,
                };
                if (answered && _clearToolUses?.Excludes(block.ToolName) != true)
                {
                    yield return block;
                }
            }
        }
    }

    /// <summary>How close a request is to the clearing trigger: its input tokens, or its tool uses, over the trigger's value.</summary>
    private double? TriggerRatio(ContextRequest request, long projected)
    {
        if (_clearToolUses is null)
        {
            return null;
        }

        var trigger = _clearToolUses.EffectiveTrigger;
        var value = trigger.Kind == ContextTriggerKind.ToolUses ? ContextEditor.CountToolUses(request.Messages) : projected;
        return value / (double)trigger.Value;
    }

    private static List<AppliedContextEdit> ServerEdits(BetaMessage response)
    {
        var edits = new List<AppliedContextEdit>();
        if (response.ContextManagement?.AppliedEdits is not { } applied)
        {
            return edits;
        }

        foreach (var edit in applied)
        {
            var json = JsonSerializer.SerializeToElement(edit);
            edits.Add(new AppliedContextEdit(
                json.GetProperty("type"u8).GetString() ?? string.Empty,
                Long(json, "cleared_input_tokens"),
                (int)Long(json, "cleared_tool_uses"),
                (int)Long(json, "cleared_thinking_turns")));
        }

        return edits;

        static long Long(JsonElement json, string name) =>
            json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : 0;
    }

    private static (JsonElement? Assistant, List<BetaToolUseBlock> ToolUses, string Text) Read(BetaMessage response)
    {
        var toolUses = new List<BetaToolUseBlock>();
        var text = new StringBuilder();
        foreach (var block in response.Content)
        {
            if (block.TryPickToolUse(out var toolUse))
            {
                toolUses.Add(toolUse);
            }
            else if (block.TryPickText(out var textBlock) && textBlock.Text.Length > 0)
            {
                text.Append(text.Length == 0 ? string.Empty : "\n").Append(textBlock.Text);
            }
        }

        if (response.Content.Count == 0)
        {
            // The API takes no empty assistant message back; an empty reply leaves no trace in the conversation.
            return (null, toolUses, string.Empty);
        }

        var assistant = Element(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("role"u8, "assistant");
            writer.WriteStartArray("content"u8);
            foreach (var block in response.Content)
            {
                block.Json.WriteTo(writer);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        });
        return (assistant, toolUses, text.ToString());
    }

    private static JsonElement ToolResults(List<(string Id, JsonElement Content, bool IsError)> results) => Element(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("role"u8, "user");
        writer.WriteStartArray("content"u8);
        foreach (var (id, content, isError) in results)
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "tool_result");
            writer.WriteString("tool_use_id"u8, id);
            writer.WritePropertyName("content"u8);
            content.WriteTo(writer);
            if (isError)
            {
                writer.WriteBoolean("is_error"u8, true);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    });

    /// <summary>The text of a tool result's content: the string, or its text blocks joined.</summary>
    private static string TextOf(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return content.GetRawText();
        }

        var text = new StringBuilder();
        foreach (var block in content.EnumerateArray())
        {
            if (block.ValueKind == JsonValueKind.Object && block.TryGetProperty("text"u8, out var part) && part.ValueKind == JsonValueKind.String)
            {
                text.Append(text.Length == 0 ? string.Empty : "\n").Append(part.GetString());
            }
        }

        return text.ToString();
    }

    private void AppendToLastUserMessage(string text)
    {
        var last = _context[^1].Json;
        var extended = Element(writer =>
        {
            writer.WriteStartObject();
            foreach (var property in last.EnumerateObject())
            {
                if (!property.NameEquals("content"u8))
                {
                    property.WriteTo(writer);
                    continue;
                }

                writer.WriteStartArray("content"u8);
                if (property.Value.ValueKind == JsonValueKind.String)
                {
                    WriteText(writer, property.Value.GetString()!);
                }
                else
                {
                    foreach (var block in property.Value.EnumerateArray())
                    {
                        block.WriteTo(writer);
                    }
                }

                WriteText(writer, text);
                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        });
        _messages[^1] = new BetaMessageParam(extended);
        _context[^1] = ContextMessage.FromJson(extended);
    }

    private void Append(JsonElement message)
    {
        _messages.Add(new BetaMessageParam(message));
        _context.Add(ContextMessage.FromJson(message));
    }

    private void ThrowIfRunning()
    {
        if (Volatile.Read(ref _running) == 1)
        {
            throw new InvalidOperationException("A run is under way; add messages when it has ended.");
        }
    }

    private void Raise(AgentEvent agentEvent) => _options.OnEvent?.Invoke(agentEvent);

    private static void WriteText(Utf8JsonWriter writer, string text)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "text");
        writer.WriteString("text"u8, text);
        writer.WriteEndObject();
    }

    private static Dictionary<string, JsonElement> Preamble(AgentSessionOptions options, List<IBetaRunnableTool> tools)
    {
        var body = new Dictionary<string, JsonElement>(StringComparer.Ordinal)
        {
            ["model"] = JsonSerializer.SerializeToElement(options.Model),
            ["max_tokens"] = JsonSerializer.SerializeToElement(options.MaxTokens),
        };

        var system = string.Join("\n\n", new[]
        {
            options.SystemPrompt,
            tools.Any(tool => tool.Name == MemoryToolName) ? options.MemoryProtocol : null,
        }.Where(part => !string.IsNullOrWhiteSpace(part)).Select(part => part!.Trim()));
        if (system.Length > 0)
        {
            body["system"] = JsonSerializer.SerializeToElement(system);
        }

        if (tools.Count > 0)
        {
            body["tools"] = Element(writer =>
            {
                writer.WriteStartArray();
                foreach (var tool in tools)
                {
                    JsonSerializer.SerializeToElement(tool.Definition).WriteTo(writer);
                }

                writer.WriteEndArray();
            });
        }

        if (options.ThinkingBudgetTokens is { } budget)
        {
            body["thinking"] = Element(writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("type"u8, "enabled");
                writer.WriteNumber("budget_tokens"u8, budget);
                writer.WriteEndObject();
            });
        }

        return body;
    }

    private static void Validate(AgentSessionOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Model))
        {
            throw new ArgumentException("AgentSessionOptions.Model is required: name the model to use, such as claude-sonnet-4-5.", nameof(options));
        }

        if (options.MaxTokens < 1)
        {
            throw new ArgumentException("AgentSessionOptions.MaxTokens must be at least 1.", nameof(options));
        }

        if (options.MaxTurns < 1)
        {
            throw new ArgumentException("AgentSessionOptions.MaxTurns must be at least 1.", nameof(options));
        }

        if (options.WarningRatio is { } ratio && (double.IsNaN(ratio) || ratio <= 0 || ratio > 1))
        {
            throw new ArgumentException(
                "AgentSessionOptions.WarningRatio must be above 0 and at most 1 (a share of the trigger), or null for no warning.", nameof(options));
        }

        if (string.IsNullOrWhiteSpace(options.ContextWarning))
        {
            throw new ArgumentException("AgentSessionOptions.ContextWarning must have text; set WarningRatio to null for no warning.", nameof(options));
        }

        if (options.ThinkingBudgetTokens is { } budget && (budget < 1024 || budget >= options.MaxTokens))
        {
            throw new ArgumentException(
                "AgentSessionOptions.ThinkingBudgetTokens must be at least 1024 and less than MaxTokens, as the API requires.", nameof(options));
        }

        if (!Enum.IsDefined(options.ContextEditing))
        {
            throw new ArgumentException("AgentSessionOptions.ContextEditing must be Server or Client.", nameof(options));
        }

        ArgumentNullException.ThrowIfNull(options.TimeProvider);
    }

    /// <summary>The configuration with <c>memory</c> excluded from every tool-use clearing, unless memory may be cleared.</summary>
    private static ContextManagementConfig Normalize(ContextManagementConfig config, bool clearMemory)
    {
        if (clearMemory)
        {
            return config;
        }

        return new ContextManagementConfig([.. config.Edits.Select(edit => edit is ClearToolUsesEdit tools && !tools.Excludes(MemoryToolName)
            ? Copy(tools, [.. tools.ExcludeTools ?? [], MemoryToolName])
            : edit)]);
    }

    private static ClearToolUsesEdit Copy(ClearToolUsesEdit edit, IReadOnlyList<string> excludeTools) => new()
    {
        Trigger = edit.Trigger,
        Keep = edit.Keep,
        ClearAtLeast = edit.ClearAtLeast,
        ExcludeTools = excludeTools,
        ClearToolInputs = edit.ClearToolInputs,
        ClearToolInputsFor = edit.ClearToolInputsFor,
    };

    private static JsonElement Element(Action<Utf8JsonWriter> write) => BetaContextEditing.Write(write);
}
