using System.Globalization;
using System.Text;
using Mnemo.Context;

namespace Mnemo.Anthropic.Agents;

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

    /// <summary>Gets every change adaptive mode made to the clearing, in order (<see cref="AgentSessionOptions.Adaptive"/>).</summary>
    public IReadOnlyList<AdaptiveChange> AdaptiveChanges { get; init; } = [];

    /// <summary>Gets how many requests adaptive mode sent with their clearing held back, to clear a larger batch later.</summary>
    public int BatchedRequests { get; init; }

    /// <summary>Gets the tool uses cleared, oldest first, each once: their <c>tool_use</c> blocks as they were.</summary>
    public IReadOnlyList<ContextBlock> ClearedToolUseBlocks { get; init; } = [];

    /// <summary>Gets every tool result a clearing took, in order, each judged: whether a save made after it arrived and
    /// before its clearing mentions it. Covers every clearing, not only those that ended an approach.</summary>
    public IReadOnlyList<ClearedResult> ClearedResults { get; init; } = [];

    /// <summary>Gets how many of <see cref="ClearedResults"/> a save covers.</summary>
    public int ResultsCovered => ClearedResults.Count(result => result.Covered);

    /// <summary>Gets how many of <see cref="ClearedResults"/> no save covers.</summary>
    public int ResultsNotCovered => ClearedResults.Count(result => !result.Covered);

    /// <summary>Gets how many compactions summarised the older context.</summary>
    public int Compactions { get; init; }

    /// <summary>Gets how many compactions failed to make a summary (their blocks stand in for nothing).</summary>
    public int FailedCompactions { get; init; }

    /// <summary>Gets the input tokens of the compactions' own requests, which are not in <see cref="InputTokens"/>.</summary>
    public long CompactionInputTokens { get; init; }

    /// <summary>Gets the output tokens of the compactions' own requests (the summaries), which are not in <see cref="OutputTokens"/>.</summary>
    public long CompactionOutputTokens { get; init; }

    /// <summary>Gets the tool calls that fetched again what a clearing took (same tool, same input), in order.</summary>
    public IReadOnlyList<AgentReacquisitionEvent> Reacquisitions { get; init; } = [];

    /// <summary>Gets how the session picked up the memory earlier sessions left; <see langword="null"/> when it began with none.</summary>
    public ResumptionRecord? Resumption { get; init; }

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

            if (ClearedResults.Count > 0)
            {
                text.Append(c, $"\n  results cleared: {ClearedResults.Count}; covered by a save {ResultsCovered}, not covered {ResultsNotCovered}: ")
                    .Append(string.Join(", ", ClearedResults.Select(result =>
                        $"{ToolUseText.Describe(result.Tool, result.Input)} ({(result.Covered ? "covered" : "NOT covered")})")));
            }

        }

        if (AdaptiveChanges.Count + BatchedRequests > 0)
        {
            text.Append(c, $"\nadaptive: {AdaptiveChanges.Count} change(s), {BatchedRequests} request(s) held back to clear in batches");
            foreach (var change in AdaptiveChanges)
            {
                text.Append(c, $"\n  after request {change.Request}: {change.Setting} {(change.From.Length == 0 ? "(none)" : change.From)} -> {change.To} ({change.Reason})");
            }
        }

        if (Compactions + FailedCompactions > 0)
        {
            text.Append(c, $"\ncompaction: {Compactions} compaction(s)");
            if (FailedCompactions > 0)
            {
                text.Append(c, $" and {FailedCompactions} that failed (nothing was summarised)");
            }

            text.Append(c, $"; their own requests used {CompactionInputTokens:N0} input and {CompactionOutputTokens:N0} output tokens");
        }

        if (Resumption is { } resumed)
        {
            text.Append(c, $"\nresumption: {resumed.FilesAtStart} memory file(s) at the start; the first tool call {(resumed.FirstCallWasMemoryView ? "was" : "was not")} a memory view; {resumed.FilesRead} of them read")
                .Append(resumed.RequestsToReadAll is { } all ? string.Create(c, $", all by request {all}") : string.Empty);
        }

        if (Reacquisitions.Count > 0)
        {
            text.Append(c, $"\nre-acquired after clearing: {Reacquisitions.Count} call(s): ")
                .Append(string.Join(", ", Reacquisitions.Select(again => ToolUseText.Describe(again.Name, again.Input) + (again.Recalled ? " (recalled from the archive)" : string.Empty))));
        }

        text.Append('\n');
        text.Append(c, $"preserve before clear: {Warnings} warning(s); {PreservedBeforeClearing} of {Preservations.Count} clearing(s) had memory saved (text added or changed) after a warning");
        foreach (var record in Preservations)
        {
            var what = record.Compacted ? "compaction" : "clearing";
            text.Append(record switch
            {
                { Preserved: true } => string.Create(c, $"\n  {what} at request {record.ClearedAtRequest}: preserved; warned at request {record.WarnedAtRequest}, {record.MemorySaves} save(s), the first after {record.TurnsToFirstWrite} request(s), {record.TokensToFirstWrite:N0} tokens and {record.SecondsToFirstSave:0.00} s"),
                { Warned: true } => $"\n  {what} at request {record.ClearedAtRequest}: NOT preserved; warned at request {record.WarnedAtRequest}, nothing saved before it",
                _ => $"\n  {what} at request {record.ClearedAtRequest}: NOT warned",
            });
            if (record.ClearedResults.Count > 0)
            {
                text.Append(c, $"; {record.ResultsCovered} of {record.ClearedResults.Count} result(s) it cleared covered by a save");
            }
        }

        return text.ToString();
    }
}
