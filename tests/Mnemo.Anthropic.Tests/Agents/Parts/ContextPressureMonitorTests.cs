using System.Text.Json;
using Mnemo.Anthropic.Agents;
using Mnemo.Context;

namespace Mnemo.Anthropic.Tests.Agents.Parts;

/// <summary>The pressure monitor at its own level: one warning per approach, the tool uses each clearing newly took, and
/// whether memory was written in between.</summary>
public sealed class ContextPressureMonitorTests
{
    private static readonly ClearToolUsesEdit Clearing = new() { Trigger = new ContextTrigger(ContextTriggerKind.InputTokens, 1000), ExcludeTools = ["memory"] };

    private static ContextRequest Request(params object[] messages) =>
        ContextRequest.FromJson(JsonSerializer.SerializeToElement(new { model = "claude-sonnet-4-5", max_tokens = 10, messages }));

    /// <summary>A conversation of answered calls: read_file, memory, read_file, read_file.</summary>
    private static IReadOnlyList<ContextMessage> Conversation()
    {
        var messages = new List<object> { new { role = "user", content = "review" } };
        foreach (var (id, name) in new[] { ("t1", "read_file"), ("t2", "memory"), ("t3", "read_file"), ("t4", "read_file") })
        {
            messages.Add(new { role = "assistant", content = new object[] { new { type = "tool_use", id, name, input = new { path = id } } } });
            messages.Add(new { role = "user", content = new object[] { new { type = "tool_result", tool_use_id = id, content = "x" } } });
        }

        return Request([.. messages]).Messages;
    }

    [Fact]
    public void ShouldWarn_OncePerApproach_AndAgainAfterFallingBelowTheLevel()
    {
        var monitor = new ContextPressureMonitor(Clearing, null, warningRatio: 0.8, hasMemory: true);
        var request = Request(new { role = "user", content = "hi" });

        monitor.TriggerRatio(request, 900).Ratio.ShouldBe(0.9);
        monitor.ShouldWarn(0.7, endsWithAssistant: false).ShouldBeFalse();
        monitor.ShouldWarn(0.9, endsWithAssistant: true).ShouldBeFalse("a paused assistant turn takes no warning");
        monitor.ShouldWarn(0.9, endsWithAssistant: false).ShouldBeTrue();
        monitor.Warned(2, 900);
        monitor.ShouldWarn(0.95, endsWithAssistant: false).ShouldBeFalse("one warning per approach");
        monitor.ShouldWarn(0.5, endsWithAssistant: false).ShouldBeFalse();
        monitor.ShouldWarn(0.85, endsWithAssistant: false).ShouldBeTrue("the approach ended below the level");
    }

    [Fact]
    public void NoMemoryOrNoWarningRatio_NeverWarns()
    {
        new ContextPressureMonitor(Clearing, null, 0.8, hasMemory: false).ShouldWarn(0.9, false).ShouldBeFalse();
        new ContextPressureMonitor(Clearing, null, null, hasMemory: true).ShouldWarn(2, false).ShouldBeFalse();
        new ContextPressureMonitor(null, null, 0.8, hasMemory: true).TriggerRatio(Request(new { role = "user", content = "hi" }), 5000).Ratio.ShouldBeNull();
    }

    [Fact]
    public void Cleared_NamesTheToolUsesNewlyTaken_SkipsExcludedOnes_AndRecordsTheWarnedApproachOnce()
    {
        var monitor = new ContextPressureMonitor(Clearing, null, 0.8, hasMemory: true);
        var conversation = Conversation();
        monitor.ShouldWarn(0.9, false).ShouldBeTrue();
        monitor.Warned(3, 900);
        monitor.Observe(new AgentResponseEvent(3, "tool_use", 900, 50, string.Empty));
        monitor.Observe(new AgentToolResultEvent(3, "t2", "memory", "saved", false, TimeSpan.Zero) { MemoryCommand = "create" });

        var (newly, cleared, judged, record) = monitor.Cleared(4, [new AppliedContextEdit(ClearToolUsesEdit.TypeName, 300, ClearedToolUses: 2)], conversation);
        newly.ShouldBe(2);
        cleared.Select(block => block.ToolUseId).ShouldBe(["t1", "t3"], "memory is excluded, so the oldest two others go");
        record!.ShouldBe(new PreservationRecord(3, 900, 1, 3, 1, 50, 4, 2, 300)
        {
            MemorySaves = 1, SecondsToFirstSave = record!.SecondsToFirstSave, SecondsToClear = record.SecondsToClear,
            ClearedResults = record.ClearedResults,
        });
        record.ClearedResults.Select(r => r.Tool).ShouldBe(["read_file", "read_file"]);
        judged.ShouldBe(record.ClearedResults);
        judged.ShouldAllBe(r => r.ClearedAtRequest == 4);
        record!.Preserved.ShouldBeTrue();

        var (more, next, nextJudged, again) = monitor.Cleared(5, [new AppliedContextEdit(ClearToolUsesEdit.TypeName, 400, ClearedToolUses: 3)], conversation);
        (more, next.Single().ToolUseId, again).ShouldBe((1, "t4", (PreservationRecord?)null));
        nextJudged.Single().ShouldBe(new ClearedResult("read_file", nextJudged[0].Input, SavedAfter: false, Covered: false) { ClearedAtRequest = 5 },
            "a clearing after the one that ended the approach is judged too");
        monitor.Cleared(6, [new AppliedContextEdit(ClearThinkingEdit.TypeName, 100, ClearedThinkingTurns: 1)], conversation).Newly.ShouldBe(0);
    }
}
