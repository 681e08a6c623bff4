using System.Text.Json;
using Mnemo.Anthropic.Agents;
using Mnemo.Context;

namespace Mnemo.Anthropic.Tests.Agents.Parts;

/// <summary>The summary and the metrics are read from the same events, so every figure agrees between them.</summary>
public sealed class AgentSessionTallyTests
{
    private static IEnumerable<AgentEvent> Session()
    {
        var block = ContextMessage.FromJson(JsonSerializer.SerializeToElement(new
        {
            role = "assistant",
            content = new object[] { new { type = "tool_use", id = "t1", name = "read_file", input = new { path = "a.py" } } },
        })).Blocks[0];
        yield return new AgentRequestEvent(1, 1, 500, 0.5);
        yield return new AgentResponseEvent(1, "tool_use", 520, 40, string.Empty);
        yield return new AgentToolCallEvent(1, "t1", "read_file", default);
        yield return new AgentToolResultEvent(1, "t1", "read_file", "text", false, TimeSpan.FromMilliseconds(1));
        yield return new AgentToolResultEvent(1, "t2", "memory", "saved", false, TimeSpan.FromMilliseconds(4)) { MemoryCommand = "create" };
        yield return new AgentToolResultEvent(1, "t3", "memory", "no", true, TimeSpan.FromMilliseconds(9)) { MemoryCommand = "delete" };
        yield return new AgentContextWarningEvent(2, 900, 0.9);
        yield return new AgentRequestEvent(2, 5, 900, 0.9);
        yield return new AgentContextEditEvent(2, ContextEditingSide.Client,
            [new AppliedContextEdit(ClearToolUsesEdit.TypeName, 300, 1), new AppliedContextEdit(ClearThinkingEdit.TypeName, 50, 0, 2)], 1)
        {
            NewlyCleared = [block],
            ClearedResults = [new ClearedResult("read_file", default, true, true) { ClearedAtRequest = 2 }],
        };
        yield return new AgentPreservationEvent(2, new PreservationRecord(2, 900, 1, 1, 1, 60, 2, 1, 300)
        {
            MemorySaves = 1,
            SecondsToFirstSave = 1.5,
            ClearedResults = [new ClearedResult("read_file", default, true, true)],
        });
        yield return new AgentReacquisitionEvent(2, "t4", "read_file", default);
        yield return new AgentResponseEvent(2, "tool_use", 610, 30, "done");

        // Over the trigger, the next request clears what aged out since: no approach ends there, but its result is judged.
        yield return new AgentRequestEvent(3, 7, 1000, 1.1);
        yield return new AgentContextEditEvent(3, ContextEditingSide.Client, [new AppliedContextEdit(ClearToolUsesEdit.TypeName, 400, 2)], 1)
        {
            ClearedResults = [new ClearedResult("read_file", default, false, false) { ClearedAtRequest = 3 }],
        };
        yield return new AgentResponseEvent(3, "end_turn", 600, 10, "done");
    }

    [Fact]
    public void Summary_AndMeters_ReadTheSameEvents_AndAgree()
    {
        using var factory = new TestMeterFactory();
        using var log = new MeasurementLog(factory);
        var meters = new AgentMeters(factory, "claude-sonnet-4-5", ContextEditingSide.Client);
        var tally = new AgentSessionTally();
        foreach (var agentEvent in Session())
        {
            tally.Add(agentEvent);
            meters.Record(agentEvent);
        }

        var summary = tally.Summary;
        (summary.Requests, summary.InputTokens, summary.MaxInputTokens, summary.OutputTokens).ShouldBe((3, 1730L, 610L, 80L));
        (summary.ToolCalls, summary.ToolErrors, summary.MemoryWrites, summary.SlowestMemoryWrite).ShouldBe((3, 1, 1, TimeSpan.FromMilliseconds(4)));
        (summary.EditedRequests, summary.Clearings, summary.ClearedToolUses, summary.ClearedInputTokens, summary.ClearedThinkingTurns)
            .ShouldBe((2, 2, 2, 750L, 2));
        (summary.ClearedResults.Count, summary.ResultsCovered, summary.ResultsNotCovered).ShouldBe((2, 1, 1), "every clearing's results, the later one's too");
        (summary.Warnings, summary.Preservations.Count, summary.PreservedBeforeClearing).ShouldBe((1, 1, 1));
        summary.ClearedToolUseBlocks.Single().ToolUseId.ShouldBe("t1");

        log.Values(AgentMetrics.RequestInputTokens).Sum().ShouldBe(summary.InputTokens);
        log.Sum(AgentMetrics.ResponseOutputTokens).ShouldBe(summary.OutputTokens);
        log.Sum(AgentMetrics.ToolCalls).ShouldBe(summary.ToolCalls);
        log.Values(AgentMetrics.MemoryWriteDuration).Count.ShouldBe(summary.MemoryWrites);
        log.Sum(AgentMetrics.Clearings).ShouldBe(summary.Clearings);
        log.Sum(AgentMetrics.ClearedToolUses).ShouldBe(summary.ClearedToolUses);
        log.Sum(AgentMetrics.ClearedInputTokens).ShouldBe(summary.ClearedInputTokens);
        log.Sum(AgentMetrics.ClearedThinkingTurns).ShouldBe(summary.ClearedThinkingTurns);
        log.Sum(AgentMetrics.Warnings).ShouldBe(summary.Warnings);
        log.Sum(AgentMetrics.Preservations).ShouldBe(summary.Preservations.Count);
        log.Values(AgentMetrics.WarningToSaveDuration).ShouldBe([1.5]);
        log.Sum(AgentMetrics.ClearedResults).ShouldBe(summary.ClearedResults.Count);
        log.Sum(AgentMetrics.ClearedResults, "mnemo.context.covered", false).ShouldBe(summary.ResultsNotCovered);
        log.Sum(AgentMetrics.Reacquisitions).ShouldBe(summary.Reacquisitions.Count);
        summary.Reacquisitions.Count.ShouldBe(1);

        // The report writes the same figures, whole, even for events that carry no input.
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            AgentSessionReport.Write(summary, writer);
        }

        var report = System.Text.Json.JsonDocument.Parse(buffer.WrittenMemory).RootElement;
        report.GetProperty("approaches")[0].GetProperty("outcome").GetString().ShouldBe("preserved");
        report.GetProperty("approaches")[0].GetProperty("seconds_to_save").GetDouble().ShouldBe(1.5);
        report.GetProperty("reacquisitions")[0].GetProperty("input").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
        report.GetProperty("cleared_results").EnumerateArray().Select(r => (r.GetProperty("cleared_request").GetInt32(), r.GetProperty("covered").GetBoolean()))
            .ShouldBe([(2, true), (3, false)]);
        summary.Format().ShouldContain("  results cleared: 2; covered by a save 1, not covered 1: read_file (covered), read_file (NOT covered)");
    }
}
