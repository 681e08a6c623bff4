using System.Globalization;
using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Helpers;
using Anthropic.Helpers.Beta;
using Anthropic.Models.Beta.Messages;
using Microsoft.Extensions.AI;
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
/// <see cref="AgentMetrics.MeterName"/>; <see cref="Summary"/> sums the same events up.</para>
/// <para>The session keeps the whole conversation (<see cref="Messages"/>) and sends all of it each time, without the
/// SDK's message threads: context editing works on the whole conversation, on the server or here, and the history
/// itself is never edited. Every tool call gets its result in the history, whatever happens, so a run that stopped
/// (cancelled, cut off, refused) can go on with another.</para>
/// <para>The loop composes its parts: the request builder (prompt, tools, context management on either side), the tool
/// runner, the pressure monitor (warning and preservation), and the tally and meters that read its events.</para>
/// <para>Not thread-safe: one run at a time; starting a second while one runs throws.</para>
/// </remarks>
public sealed partial class AgentSession
{
    /// <summary>The beta that the memory tool and context editing need.</summary>
    public const string ContextManagementBeta = "context-management-2025-06-27";

    /// <summary>The memory protocol the session adds to the system prompt by default.</summary>
    public const string DefaultMemoryProtocol = MemoryProtocol.Default;

    /// <summary>The warning the session adds to the conversation when a clearing is near.</summary>
    public const string DefaultContextWarning =
        "[context notice] This conversation is close to its context limit: older tool results will soon be cleared from it. " +
        "Anything you still need from them (findings, progress, decisions) belongs in your memory directory: save it with the memory tool now, then continue.";

    /// <summary>The warning the session adds when the older context is about to be compacted (summarised).</summary>
    public const string DefaultCompactionWarning =
        "[context notice] This conversation is close to its context limit: the older part of it will soon be replaced by a summary. " +
        "Anything you still need word for word (findings, progress, decisions, exact values) belongs in your memory directory: save it with the memory tool now, then continue.";

    /// <summary>The name of the memory tool among the session's tools.</summary>
    internal const string MemoryToolName = "memory";

    private readonly IAnthropicClient _client;
    private readonly AgentSessionOptions _options;
    private readonly Dictionary<string, IBetaRunnableTool> _tools = new(StringComparer.Ordinal);
    private readonly AgentConversation _conversation = new();
    private readonly ITokenCounter _counter;
    private readonly UsageCalibratedTokenCounter? _calibrated;
    private readonly AgentRequestBuilder _requests;
    private readonly AgentToolRunner _runner;
    private readonly ContextPressureMonitor _monitor;
    private readonly AgentSessionTally _tally = new();
    private readonly ReacquisitionTracker _reacquisitions = new();
    private ResumptionTracker? _resumption;
    private bool _resumptionChecked;
    private readonly AgentMeters _meters;
    private readonly Microsoft.Extensions.Logging.ILogger? _logger;
    private readonly PreserveBeforeClear _preserve;

    private int _running;
    private bool _paused;
    private JsonElement? _pendingCompactionBlock;
    private readonly List<string> _pendingInstructions = [];

    /// <summary>Initializes a new instance of the <see cref="AgentSession"/> class.</summary>
    /// <param name="client">The SDK client: the API, or the emulator for offline runs and tests.</param>
    /// <param name="options">The options; validated here, before anything is sent.</param>
    /// <exception cref="ArgumentException">An option is missing or out of range, two tools share a name, or the context
    /// management configuration breaks the API's rules; the message names the option.</exception>
    public AgentSession(IAnthropicClient client, AgentSessionOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _client = client;
        _options = options;

        if (options.Memory is { } memory)
        {
            // Each command a span of its own (unless the tool records them already), under the turn that called it.
            _tools.Add(MemoryToolName, new MnemoMemoryTool(memory.GetService(typeof(TracingMemoryTool)) is null ? new TracingMemoryTool(memory) : memory));
        }

        var recall = options.Recall ?? (options.ContextManagement?.Edits.Any(edit => edit is ClearToolUsesEdit) == true && options.Tools.All(tool => tool?.Name != RecallTool.ToolName));
        if (recall || options.ClearedResultDigests)
        {
            _archive = new ClearedResultArchive(options.RecallArchiveBytes);
        }

        if (recall)
        {
            if (options.Tools.Any(tool => tool?.Name == RecallTool.ToolName))
            {
                throw new ArgumentException("AgentSessionOptions.Recall: a tool of the session is already named 'recall'; rename it, or leave Recall unset.", nameof(options));
            }

            _tools.Add(RecallTool.ToolName, new RecallTool(_archive!, Recalled));
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

        _counter = options.TokenCounter ?? (_calibrated = new UsageCalibratedTokenCounter());
        var summarizer = options.CompactionSummarizer
            ?? new ChatClientContextSummarizer(client.AsIChatClient(options.Model, options.MaxTokens), new ChatOptions { MaxOutputTokens = options.MaxTokens });
        _requests = new AgentRequestBuilder(options, _tools.Values, _counter, summarizer, recall ? PlaceholderFor : null);
        _preserve = options.PreserveBeforeClear ?? (options.Memory is null ? PreserveBeforeClear.Never : PreserveBeforeClear.Guarantee);
        _monitor = new ContextPressureMonitor(_requests.ClearToolUses, _requests.Compact, _preserve == PreserveBeforeClear.Never ? null : options.WarningRatio,
            _tools.ContainsKey(MemoryToolName), options.LookAheadShare, options.TimeProvider);
        _runner = new AgentToolRunner(_tools, options.TimeProvider, Raise);
        StartAdaptive();
        _meters = new AgentMeters(options.MeterFactory, options.Model, options.ContextEditing);
        _logger = options.LoggerFactory?.CreateLogger(AgentLog.Category);
    }

    /// <summary>Gets the whole conversation so far, as sent and received, never edited.</summary>
    public IReadOnlyList<BetaMessageParam> Messages => _conversation.BetaMessageParams;

    /// <summary>Gets the context-management configuration in force: the one given, with <c>memory</c> excluded from clearing unless allowed.</summary>
    public ContextManagementConfig? ContextManagement => _requests.ContextManagement;

    /// <summary>Gets the tools the model can call, by name.</summary>
    public IReadOnlyCollection<string> ToolNames => _tools.Keys;

    /// <summary>Gets the number of requests sent so far.</summary>
    public int Requests => _tally.Requests;

    /// <summary>Gets what the session has done since it began, summed from its events.</summary>
    public AgentSessionSummary Summary => _tally.Summary;

    /// <summary>Adds a user message to the conversation, to be answered by the next request.</summary>
    /// <param name="text">The message.</param>
    /// <exception cref="InvalidOperationException">A run is under way.</exception>
    public void AddUserMessage(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        ThrowIfRunning();
        _conversation.AddUserText(text);
    }

    /// <summary>Adds an instruction that has become relevant, such as a rule for what follows or the memory protocol for a
    /// memory given mid-session: as a <c>{"role": "system"}</c> message at its point in the history on a model that takes
    /// them (the prefix before it, and its cache, stay as they were), as user text elsewhere. It goes in with the next
    /// request, after the user's message when the conversation ends with the assistant's answer.</summary>
    /// <param name="text">The instruction.</param>
    /// <exception cref="InvalidOperationException">A run is under way.</exception>
    public void AddInstruction(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        ThrowIfRunning();
        _pendingInstructions.Add(text);
    }

    /// <summary>Gets a value indicating whether instructions and warnings go in as mid-conversation system messages: the
    /// model takes them (<see cref="ClaudeModel.AcceptsSystemMessages"/>).</summary>
    public bool UsesSystemMessages => ClaudeModels.Find(_options.Model) is { IsKnown: true, Model.AcceptsSystemMessages: true };

    /// <summary>Adds messages to the conversation as they are, such as a conversation saved earlier, to go on with it.</summary>
    /// <param name="messages">The messages, in order.</param>
    /// <exception cref="ArgumentException">A message is not one the API takes; the message says why. None is added then.</exception>
    /// <exception cref="InvalidOperationException">A run is under way.</exception>
    public void AddMessages(IEnumerable<BetaMessageParam> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ThrowIfRunning();
        var read = new List<ContextMessage>();
        foreach (var message in messages)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            try
            {
                read.Add(BetaContextEditing.ReadMessage(message));
            }
            catch (ContextFormatException exception)
            {
                throw new ArgumentException($"Message {read.Count}: {exception.Message}", nameof(messages), exception);
            }
        }

        _conversation.AddRange(read);
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
        Raise(new AgentRunEndEvent(Requests, result));
        await FlushRecordAsync(CancellationToken.None).ConfigureAwait(false);
        return result;
    }

    /// <summary>Sends one request, runs the tool calls of its response and adds their results to the conversation.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests; the conversation stays whole when it fires.</param>
    /// <returns>The turn: the response, and whether the run stops here.</returns>
    /// <exception cref="InvalidOperationException">The conversation ends with the assistant's answer, or another run is under way.</exception>
    public async Task<AgentTurn> RunTurnAsync(CancellationToken cancellationToken = default)
    {
        if (_conversation.Messages.Count == 0 || (_conversation.EndsWithAssistant && !_paused))
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
            // What the turn recorded is kept even when it failed or was cancelled.
            await FlushRecordAsync(CancellationToken.None).ConfigureAwait(false);
            Volatile.Write(ref _running, 0);
        }
    }

    private async Task<AgentTurn> TurnAsync(CancellationToken cancellationToken)
    {
        var number = Requests + 1;
        if (_pendingInstructions.Count > 0 && _conversation.EndsWithUser)
        {
            foreach (var instruction in _pendingInstructions)
            {
                Instruct(instruction);
            }

            _pendingInstructions.Clear();
        }

        var (request, view, projected) = await ProjectAsync(cancellationToken).ConfigureAwait(false);
        var (ratio, nearCompaction) = _monitor.TriggerRatio(view, projected);
        (long, int)? holdBack;
        (request, view, projected, holdBack) = await WarnIfNearAsync(number, (request, view, projected), ratio, nearCompaction, cancellationToken).ConfigureAwait(false);

        Raise(new AgentRequestEvent(number, _conversation.Messages.Count, projected, ratio));
        if (number == 1 && ClaudeModels.Find(_options.Model).Warning is { } unknown)
        {
            Raise(new AgentSetupWarningEvent(number, unknown));
        }

        if (!_resumptionChecked && _options.Memory is { } memory)
        {
            // What earlier sessions left, listed once before the first request: how the model picks it up is recorded.
            _resumptionChecked = true;
            _resumption = await ResumptionTracker.StartAsync(memory, cancellationToken).ConfigureAwait(false);
        }

        var adjusted = AdaptiveConfig(number, view, projected, holdBack is not null);
        var built = await _requests.BuildAsync(request, cancellationToken, holdBack, adjusted).ConfigureAwait(false);
        if (built.ThinkingBinding is { } binding)
        {
            Raise(new AgentThinkingBindingEvent(number, binding));
        }

        if (built.Compaction is { } compacted && Compacted(number, compacted) is { } pausedTurn)
        {
            return pausedTurn;
        }

        RecordSent();
        using var activity = StartTurnActivity(number, projected);
        var response = _options.Streaming
            ? await StreamAsync(number, built.Parameters, cancellationToken).ConfigureAwait(false)
            : await _client.Beta.Messages.Create(built.Parameters, cancellationToken).ConfigureAwait(false);

        if (_calibrated is not null)
        {
            await _calibrated.CalibrateAsync(built.Counted, response.SentInputTokens(), cancellationToken).ConfigureAwait(false);
        }

        var edits = built.Edits ?? AgentRequestBuilder.ServerEdits(response);
        var newlyCleared = 0;
        if (edits.Count > 0)
        {
            AdaptiveApplied(edits);
            var (newly, cleared, judged, record) = _monitor.Cleared(number, edits, view.Messages);
            newlyCleared = newly;
            await ArchiveAsync(number, cleared, edits, projected, cancellationToken).ConfigureAwait(false);
            Raise(new AgentContextEditEvent(number, _options.ContextEditing, edits, newly) { NewlyCleared = cleared, ClearedResults = judged });
            if (record is not null)
            {
                Raise(new AgentPreservationEvent(number, record));
            }
        }

        var billed = response.Usage.InputTokens + (response.Usage.CacheReadInputTokens ?? 0) + (response.Usage.CacheCreationInputTokens ?? 0);
        EndTurnActivity(activity, response, billed, newlyCleared, holdBack is not null);
        RecordUsage(response.Usage.InputTokens, response.Usage.CacheCreationInputTokens ?? 0, response.Usage.CacheReadInputTokens ?? 0, response.Usage.OutputTokens);
        var (assistant, toolUses, text) = AgentResponses.Read(response);
        var stopReason = response.StopReason?.Raw();
        if (AgentResponses.ServerCompaction(response) is { } serverCompaction)
        {
            Raise(new AgentCompactionEvent(number, ContextEditingSide.Server, serverCompaction.Summary, projected,
                serverCompaction.InputTokens, serverCompaction.OutputTokens, stopReason == "compaction"));
            if (serverCompaction.Summary is not null)
            {
                // A failed compaction (null content) stands in for nothing: the approach goes on.
                Raise(new AgentPreservationEvent(number, _monitor.Compacted(number, projected - billed)));
            }
        }

        var (thinkingBlocks, thinking) = AgentResponses.ReadThinking(response);
        Raise(new AgentResponseEvent(number, stopReason, billed, response.Usage.OutputTokens, text) { ThinkingBlocks = thinkingBlocks, Thinking = thinking });

        // From here the assistant's calls are in the conversation, and every one of them gets its result.
        if (assistant)
        {
            var pending = _pendingCompactionBlock;
            _pendingCompactionBlock = null;
            _conversation.Add(AgentConversation.Json(writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("role"u8, "assistant");
                writer.WriteStartArray("content"u8);
                pending?.WriteTo(writer);
                foreach (var block in response.Content)
                {
                    block.Json.WriteTo(writer);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }));
        }

        // A paused turn goes back as it is, ending the next request, for the model to carry on; so does a compaction that paused.
        _paused = (stopReason == "pause_turn" && assistant && toolUses.Count == 0) || (stopReason == "compaction" && assistant);
        var (cause, message) = AgentResponses.StopOf(stopReason, toolUses.Count, _options.MaxTokens);
        if (toolUses.Count > 0)
        {
            // A call cut off by max_tokens has incomplete input: it is answered, not run.
            var cut = stopReason == "max_tokens" && response.Content[^1].TryPickToolUse(out var last) ? last.ID : null;
            await _runner.RunAsync(number, toolUses, cut, _conversation, cancellationToken).ConfigureAwait(false);
        }

        return new AgentTurn(number, response, text, toolUses.Count, cause, message);
    }

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

    private void ThrowIfRunning()
    {
        if (Volatile.Read(ref _running) == 1)
        {
            throw new InvalidOperationException("A run is under way; add messages when it has ended.");
        }
    }

    /// <summary>Reports an event: to the parts that read events (tally, meters, monitor), then to the host.</summary>
    private void Raise(AgentEvent agentEvent)
    {
        _tally.Add(agentEvent);
        RecordEvent(agentEvent);
        _meters.Record(agentEvent);
        if (_logger is not null)
        {
            AgentLog.Write(_logger, agentEvent);
        }

        _monitor.Observe(agentEvent);
        _options.OnEvent?.Invoke(agentEvent);
        if (_reacquisitions.Observe(agentEvent) is { } again)
        {
            Raise(again);
        }

        if (_resumption?.Observe(agentEvent) is { } resumed)
        {
            Raise(new AgentResumptionEvent(agentEvent.Request, resumed));
        }

        ObserveAdaptive(agentEvent);
    }
}
