using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
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

    /// <summary>Approaches that ended in a clearing, tagged <c>mnemo.context.warned</c> and <c>mnemo.context.preserved</c> (counter).</summary>
    public const string Preservations = "mnemo.context.preservations";

    /// <summary>How long each memory write took, tagged <c>mnemo.memory.command</c> (histogram, <c>ms</c>).</summary>
    public const string MemoryWriteDuration = "mnemo.memory.write.duration";

    private static readonly Meter SharedMeter = new(MeterName, typeof(AgentMetrics).Assembly.GetName().Version?.ToString());

    internal static Meter MeterFrom(IMeterFactory? factory) =>
        factory?.Create(new MeterOptions(MeterName) { Version = SharedMeter.Version }) ?? SharedMeter;
}

/// <summary>The instruments of one meter.</summary>
internal sealed class AgentInstruments
{
    private static readonly ConditionalWeakTable<Meter, AgentInstruments> ByMeter = [];

    private AgentInstruments(Meter meter)
    {
        Requests = meter.CreateCounter<long>(AgentMetrics.Requests, "{request}", "Requests sent.");
        InputTokens = meter.CreateHistogram<long>(AgentMetrics.RequestInputTokens, "{token}", "Input tokens per request, cache reads and writes included.");
        OutputTokens = meter.CreateHistogram<long>(AgentMetrics.ResponseOutputTokens, "{token}", "Output tokens per response.");
        ToolCalls = meter.CreateCounter<long>(AgentMetrics.ToolCalls, "{call}", "Tool calls run.");
        Clearings = meter.CreateCounter<long>(AgentMetrics.Clearings, "{clearing}", "Requests whose editing cleared tool uses not cleared before.");
        ClearedToolUses = meter.CreateCounter<long>(AgentMetrics.ClearedToolUses, "{tool_use}", "Tool uses cleared, each once.");
        ClearedInputTokens = meter.CreateCounter<long>(AgentMetrics.ClearedInputTokens, "{token}", "Input tokens editing removed from requests.");
        ClearedThinkingTurns = meter.CreateCounter<long>(AgentMetrics.ClearedThinkingTurns, "{turn}", "Thinking turns cleared from requests.");
        Warnings = meter.CreateCounter<long>(AgentMetrics.Warnings, "{warning}", "Warnings that clearing is near.");
        Preservations = meter.CreateCounter<long>(AgentMetrics.Preservations, "{approach}", "Approaches to a clearing, and whether memory was written before it.");
        MemoryWriteDuration = meter.CreateHistogram<double>(AgentMetrics.MemoryWriteDuration, "ms", "How long each memory write took.");
    }

    public Counter<long> Requests { get; }

    public Histogram<long> InputTokens { get; }

    public Histogram<long> OutputTokens { get; }

    public Counter<long> ToolCalls { get; }

    public Counter<long> Clearings { get; }

    public Counter<long> ClearedToolUses { get; }

    public Counter<long> ClearedInputTokens { get; }

    public Counter<long> ClearedThinkingTurns { get; }

    public Counter<long> Warnings { get; }

    public Counter<long> Preservations { get; }

    public Histogram<double> MemoryWriteDuration { get; }

    public static AgentInstruments For(Meter meter) => ByMeter.GetValue(meter, static meter => new AgentInstruments(meter));
}

/// <summary>Represents what a session did, summed from its start: the figures its metrics report.</summary>
/// <param name="Requests">Requests sent.</param>
/// <param name="InputTokens">Input tokens over all requests, as billed.</param>
/// <param name="MaxInputTokens">The largest request's input tokens.</param>
/// <param name="OutputTokens">Output tokens over all responses.</param>
/// <param name="ToolCalls">Tool calls run.</param>
/// <param name="ToolErrors">Tool calls whose result was an error.</param>
/// <param name="Clearings">Requests whose editing cleared tool uses not cleared before.</param>
/// <param name="ClearedToolUses">Tool uses cleared, each counted once.</param>
/// <param name="ClearedInputTokens">Input tokens editing removed, summed over requests.</param>
/// <param name="ClearedThinkingTurns">Thinking turns cleared, summed over requests.</param>
/// <param name="Warnings">Warnings that clearing was near.</param>
/// <param name="Preservations">Each approach that ended in a clearing, in order.</param>
/// <param name="MemoryWrites">Memory writes that succeeded.</param>
/// <param name="MemoryWriteTime">Their total time.</param>
/// <param name="SlowestMemoryWrite">The slowest of them.</param>
public sealed record AgentSessionSummary(
    int Requests,
    long InputTokens,
    long MaxInputTokens,
    long OutputTokens,
    int ToolCalls,
    int ToolErrors,
    int Clearings,
    int ClearedToolUses,
    long ClearedInputTokens,
    int ClearedThinkingTurns,
    int Warnings,
    IReadOnlyList<PreservationRecord> Preservations,
    int MemoryWrites,
    TimeSpan MemoryWriteTime,
    TimeSpan SlowestMemoryWrite)
{
    /// <summary>Gets how many requests went out with something cleared, counting those that cleared only what was cleared before.</summary>
    public int EditedRequests { get; init; }

    /// <summary>Gets the tool uses cleared, oldest first, each once: their <c>tool_use</c> blocks as they were.</summary>
    public IReadOnlyList<ContextBlock> ClearedToolUseBlocks { get; init; } = [];

    /// <summary>Gets the mean input tokens per request.</summary>
    public double InputTokensPerRequest => Requests == 0 ? 0 : (double)InputTokens / Requests;

    /// <summary>Gets how many requests go by per clearing; <see langword="null"/> when nothing was cleared.</summary>
    public double? RequestsPerClearing => Clearings == 0 ? null : (double)Requests / Clearings;

    /// <summary>Gets how many clearings the model was warned of and wrote to memory before.</summary>
    public int PreservedBeforeClearing => Preservations.Count(record => record.Preserved);

    /// <summary>Gets the mean time of a memory write.</summary>
    public TimeSpan MeanMemoryWrite => MemoryWrites == 0 ? TimeSpan.Zero : MemoryWriteTime / MemoryWrites;

    /// <summary>Returns the summary as lines for a console.</summary>
    public string Format()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append(c, $"requests: {Requests}; input tokens sent {InputTokens:N0} ({InputTokensPerRequest:N0} per request, largest {MaxInputTokens:N0}); output tokens {OutputTokens:N0}\n");
        text.Append(c, $"tool calls: {ToolCalls} ({ToolErrors} errors); memory writes: {MemoryWrites}");
        if (MemoryWrites > 0)
        {
            text.Append(c, $" (mean {MeanMemoryWrite.TotalMilliseconds:0.00} ms, slowest {SlowestMemoryWrite.TotalMilliseconds:0.00} ms)");
        }

        text.Append('\n');
        if (EditedRequests == 0)
        {
            text.Append("context editing: nothing cleared");
        }
        else
        {
            // Every request resends the whole conversation, so each one past the trigger goes out with the old results
            // cleared again; a clearing is a request that cleared results not cleared before.
            text.Append(c, $"context editing: {EditedRequests} of {Requests} request(s) went out with old context cleared, {Clearings} of them clearing tool results not cleared before");
            if (RequestsPerClearing is { } every)
            {
                text.Append(c, $" (one per {every:0.#} requests)");
            }

            text.Append(c, $"; {ClearedToolUses} tool use(s) cleared, {ClearedInputTokens:N0} input tokens not sent in all");
            if (ClearedThinkingTurns > 0)
            {
                text.Append(c, $", {ClearedThinkingTurns} thinking turn(s) cleared");
            }

            if (ClearedToolUseBlocks.Count > 0)
            {
                text.Append("\n  cleared: ").Append(string.Join(", ", ClearedToolUseBlocks.Select(ToolUseText.Describe)));
            }
        }
        text.Append('\n');
        text.Append(c, $"preserve before clear: {Warnings} warning(s); {PreservedBeforeClearing} of {Preservations.Count} clearing(s) had memory written after a warning");
        foreach (var record in Preservations.Where(record => record.Preserved))
        {
            text.Append(c, $"\n  request {record.ClearedAtRequest}: warned at request {record.WarnedAtRequest}, {record.MemoryWrites} write(s), the first after {record.TurnsToFirstWrite} request(s) and {record.TokensToFirstWrite:N0} tokens");
        }

        return text.ToString();
    }
}
