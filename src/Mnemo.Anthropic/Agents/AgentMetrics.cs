using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Mnemo.Context;

namespace Mnemo.Anthropic.Agents;

/// <summary>Names the meter and instruments an <see cref="AgentSession"/> reports on through <see cref="System.Diagnostics.Metrics"/>.</summary>
/// <remarks>
/// Collect them with OpenTelemetry (<c>AddMeter(AgentMetrics.MeterName)</c>), <c>dotnet-counters</c> or a
/// <see cref="MeterListener"/>. Every measurement carries the tag <c>mnemo.agent.model</c>; context measurements also
/// <c>mnemo.context.side</c> (<c>server</c> or <c>client</c>).
/// </remarks>
public static class AgentMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Mnemo.Agent";

    /// <summary>Requests sent (counter).</summary>
    public const string Requests = "mnemo.agent.requests";

    /// <summary>Input tokens per request as billed, cache reads and writes included (histogram, <c>{token}</c>).</summary>
    public const string RequestInputTokens = "mnemo.agent.request.input_tokens";

    /// <summary>Output tokens per response (histogram, <c>{token}</c>).</summary>
    public const string ResponseOutputTokens = "mnemo.agent.response.output_tokens";

    /// <summary>Tool calls run, tagged <c>mnemo.tool.name</c> and <c>mnemo.tool.error</c> (counter).</summary>
    public const string ToolCalls = "mnemo.agent.tool_calls";

    /// <summary>Clearings: requests whose editing cleared tool uses not cleared before (counter).</summary>
    public const string Clearings = "mnemo.context.clearings";

    /// <summary>Tool uses cleared, each counted once, at the request that first cleared it (counter).</summary>
    public const string ClearedToolUses = "mnemo.context.cleared_tool_uses";

    /// <summary>Input tokens editing removed from requests, summed over requests: what was not sent (counter, <c>{token}</c>).</summary>
    public const string ClearedInputTokens = "mnemo.context.cleared_input_tokens";

    /// <summary>Thinking turns cleared, summed over requests (counter).</summary>
    public const string ClearedThinkingTurns = "mnemo.context.cleared_thinking_turns";

    /// <summary>Warnings that clearing is near, added to the conversation (counter).</summary>
    public const string Warnings = "mnemo.context.warnings";

    /// <summary>Records the wall-clock seconds from a warning to the model's first save, per approach that had one.</summary>
    public const string WarningToSaveDuration = "mnemo.context.warning_to_save.duration";

    /// <summary>Counts the tool results clearings took, tagged by whether a save covers them (<c>mnemo.context.covered</c>).</summary>
    public const string ClearedResults = "mnemo.context.cleared_results";

    /// <summary>Counts sessions that began with memory present, tagged by whether the first tool call was a memory view
    /// (<c>mnemo.context.first_call_view</c>).</summary>
    public const string Resumptions = "mnemo.context.resumptions";

    /// <summary>Counts tool calls that fetched again what a clearing took, tagged by tool (<c>mnemo.tool.name</c>).</summary>
    public const string Reacquisitions = "mnemo.context.reacquisitions";

    /// <summary>Counts the changes adaptive mode made to the clearing, tagged by setting (<c>mnemo.context.setting</c>).</summary>
    public const string AdaptiveChanges = "mnemo.context.adaptive_changes";

    /// <summary>Counts requests whose clearing adaptive mode held back, to clear a larger batch later.</summary>
    public const string BatchedRequests = "mnemo.context.batched_requests";

    /// <summary>Counts compactions, tagged with whether the summary was made (<c>mnemo.context.compaction.succeeded</c>).</summary>
    public const string Compactions = "mnemo.context.compactions";

    /// <summary>Counts the tokens of the compactions' own requests, tagged input or output (<c>mnemo.token.type</c>).</summary>
    public const string CompactionTokens = "mnemo.context.compaction.tokens";

    /// <summary>Approaches that ended in a clearing, tagged <c>mnemo.context.warned</c> and <c>mnemo.context.preserved</c> (counter).</summary>
    public const string Preservations = "mnemo.context.preservations";

    /// <summary>How long each memory write took, tagged <c>mnemo.memory.command</c> (histogram, <c>ms</c>).</summary>
    public const string MemoryWriteDuration = "mnemo.memory.write.duration";

    private static readonly Meter SharedMeter = new(MeterName, typeof(AgentMetrics).Assembly.GetName().Version?.ToString());

    internal static Meter MeterFrom(IMeterFactory? factory) =>
        factory?.Create(new MeterOptions(MeterName) { Version = SharedMeter.Version }) ?? SharedMeter;
}

/// <summary>Reports a session's events on its meter: what each event counts, with the model's and the side's tags.</summary>
/// <remarks>The instruments of one meter are made once and shared by every session on it.</remarks>
internal sealed class AgentMeters
{
    private static readonly ConditionalWeakTable<Meter, Instruments> ByMeter = [];

    private readonly Instruments _instruments;
    private readonly KeyValuePair<string, object?> _model;
    private readonly KeyValuePair<string, object?> _side;

    /// <summary>Initializes a new instance of the <see cref="AgentMeters"/> class.</summary>
    /// <param name="factory">The host's meter factory; <see langword="null"/> for the process-wide meter.</param>
    /// <param name="model">The session's model, the tag of every measurement.</param>
    /// <param name="side">Where context editing runs, the tag of context measurements.</param>
    public AgentMeters(IMeterFactory? factory, string model, ContextEditingSide side)
    {
        _instruments = ByMeter.GetValue(AgentMetrics.MeterFrom(factory), static meter => new Instruments(meter));
        _model = new("mnemo.agent.model", model);
        _side = new("mnemo.context.side", side == ContextEditingSide.Server ? "server" : "client");
    }

    /// <summary>Records what an event counts.</summary>
    /// <param name="agentEvent">An event of the session.</param>
    public void Record(AgentEvent agentEvent)
    {
        switch (agentEvent)
        {
            case AgentResponseEvent response:
                _instruments.Requests.Add(1, _model);
                _instruments.InputTokens.Record(response.InputTokens, _model);
                _instruments.OutputTokens.Record(response.OutputTokens, _model);
                break;
            case AgentToolResultEvent result:
                _instruments.ToolCalls.Add(1, _model, new("mnemo.tool.name", result.Name), new("mnemo.tool.error", result.IsError));
                if (result.IsMemoryWrite)
                {
                    _instruments.MemoryWriteDuration.Record(result.Elapsed.TotalMilliseconds, _model, new("mnemo.memory.command", result.MemoryCommand));
                }

                break;
            case AgentContextEditEvent edit:
                foreach (var applied in edit.Edits)
                {
                    _instruments.ClearedInputTokens.Add(applied.ClearedInputTokens, _model, _side, new("mnemo.context.strategy", applied.Type));
                    if (applied.Type == ClearThinkingEdit.TypeName)
                    {
                        _instruments.ClearedThinkingTurns.Add(applied.ClearedThinkingTurns, _model, _side);
                    }
                }

                if (edit.NewlyClearedToolUses > 0)
                {
                    _instruments.Clearings.Add(1, _model, _side);
                    _instruments.ClearedToolUses.Add(edit.NewlyClearedToolUses, _model, _side);
                }

                // Every clearing's results, judged: the first of an approach's and each one after it.
                foreach (var covered in edit.ClearedResults.GroupBy(result => result.Covered))
                {
                    _instruments.ClearedResults.Add(covered.Count(), _model, _side, new("mnemo.context.covered", covered.Key));
                }

                break;
            case AgentContextWarningEvent:
                _instruments.Warnings.Add(1, _model, _side);
                break;
            case AgentResumptionEvent { Record.RequestsToReadAll: null } resumed:
                // Counted once, at the first tool call; the event that says every file was read is not a second session.
                _instruments.Resumptions.Add(1, _model, new("mnemo.context.first_call_view", resumed.Record.FirstCallWasMemoryView));
                break;
            case AgentReacquisitionEvent again:
                _instruments.Reacquisitions.Add(1, _model, _side, new("mnemo.tool.name", again.Name), new("mnemo.context.recalled", again.Recalled));
                break;
            case AgentAdaptiveChangeEvent adaptive:
                _instruments.AdaptiveChanges.Add(1, _model, _side, new("mnemo.context.setting", adaptive.Change.Setting));
                break;
            case AgentClearingBatchedEvent:
                _instruments.BatchedRequests.Add(1, _model, _side);
                break;
            case AgentCompactionEvent compaction:
                _instruments.Compactions.Add(1, _model, _side, new("mnemo.context.compaction.succeeded", compaction.Succeeded));
                _instruments.CompactionTokens.Add(compaction.CompactionInputTokens, _model, _side, new("mnemo.token.type", "input"));
                _instruments.CompactionTokens.Add(compaction.CompactionOutputTokens, _model, _side, new("mnemo.token.type", "output"));
                break;
            case AgentPreservationEvent preservation:
                var record = preservation.Record;
                _instruments.Preservations.Add(1, _model, _side,
                    new("mnemo.context.warned", record.Warned), new("mnemo.context.preserved", record.Preserved),
                    new("mnemo.context.outcome", record.Preserved ? "preserved" : record.Warned ? "not_preserved" : "not_warned"));
                if (record.SecondsToFirstSave is { } seconds)
                {
                    _instruments.WarningToSave.Record(seconds, _model, _side);
                }

                break;
        }
    }

    /// <summary>The instruments of one meter.</summary>
    private sealed class Instruments(Meter meter)
    {
        public Counter<long> Requests { get; } = meter.CreateCounter<long>(AgentMetrics.Requests, "{request}", "Requests sent.");

        public Histogram<long> InputTokens { get; } =
            meter.CreateHistogram<long>(AgentMetrics.RequestInputTokens, "{token}", "Input tokens per request, cache reads and writes included.");

        public Histogram<long> OutputTokens { get; } = meter.CreateHistogram<long>(AgentMetrics.ResponseOutputTokens, "{token}", "Output tokens per response.");

        public Counter<long> ToolCalls { get; } = meter.CreateCounter<long>(AgentMetrics.ToolCalls, "{call}", "Tool calls run.");

        public Counter<long> Clearings { get; } =
            meter.CreateCounter<long>(AgentMetrics.Clearings, "{clearing}", "Requests whose editing cleared tool uses not cleared before.");

        public Counter<long> ClearedToolUses { get; } = meter.CreateCounter<long>(AgentMetrics.ClearedToolUses, "{tool_use}", "Tool uses cleared, each once.");

        public Counter<long> ClearedInputTokens { get; } =
            meter.CreateCounter<long>(AgentMetrics.ClearedInputTokens, "{token}", "Input tokens editing removed from requests.");

        public Counter<long> ClearedThinkingTurns { get; } =
            meter.CreateCounter<long>(AgentMetrics.ClearedThinkingTurns, "{turn}", "Thinking turns cleared from requests.");

        public Counter<long> Warnings { get; } = meter.CreateCounter<long>(AgentMetrics.Warnings, "{warning}", "Warnings that clearing is near.");

        public Histogram<double> WarningToSave { get; } =
            meter.CreateHistogram<double>(AgentMetrics.WarningToSaveDuration, "s", "Seconds from a warning to the model's first save.");

        public Counter<long> ClearedResults { get; } =
            meter.CreateCounter<long>(AgentMetrics.ClearedResults, "{result}", "Tool results clearings took, by whether a save covers them.");

        public Counter<long> Resumptions { get; } =
            meter.CreateCounter<long>(AgentMetrics.Resumptions, "{session}", "Sessions that began with memory present.");

        public Counter<long> Reacquisitions { get; } =
            meter.CreateCounter<long>(AgentMetrics.Reacquisitions, "{call}", "Tool calls that fetched again what a clearing took.");

        public Counter<long> AdaptiveChanges { get; } =
            meter.CreateCounter<long>(AgentMetrics.AdaptiveChanges, "{change}", "Changes adaptive mode made to the clearing.");

        public Counter<long> BatchedRequests { get; } =
            meter.CreateCounter<long>(AgentMetrics.BatchedRequests, "{request}", "Requests whose clearing was held back to clear a larger batch.");

        public Counter<long> Compactions { get; } = meter.CreateCounter<long>(AgentMetrics.Compactions, "{compaction}", "Compactions of the older context.");

        public Counter<long> CompactionTokens { get; } =
            meter.CreateCounter<long>(AgentMetrics.CompactionTokens, "{token}", "Tokens of the compactions' own requests.");

        public Counter<long> Preservations { get; } =
            meter.CreateCounter<long>(AgentMetrics.Preservations, "{approach}", "Approaches to a clearing, and whether memory was written before it.");

        public Histogram<double> MemoryWriteDuration { get; } =
            meter.CreateHistogram<double>(AgentMetrics.MemoryWriteDuration, "ms", "How long each memory write took.");
    }
}
