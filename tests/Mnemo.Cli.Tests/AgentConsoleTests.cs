using Mnemo.Anthropic.Agents;
using Mnemo.Cli.Agents;

namespace Mnemo.Cli.Tests;

/// <summary>What <c>mnemo demo</c> and <c>mnemo review</c> print for the events of today's models: thinking that comes back
/// empty between tool calls, compaction and its warning.</summary>
public sealed class AgentConsoleTests
{
    private static string Print(bool streaming, params AgentEvent[] events)
    {
        var output = new StringWriter();
        var console = new AgentConsole(output, scripted: false, streaming);
        foreach (var agentEvent in events)
        {
            console.Write(agentEvent);
        }

        return output.ToString();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AResponseWithOnlyEmptyThinking_SaysTheModelThought_RatherThanGoingSilent(bool streaming)
    {
        var printed = Print(streaming, new AgentResponseEvent(3, "tool_use", 1200, 87, string.Empty) { ThinkingBlocks = 2 });
        printed.ShouldBe("  claude thought (2 block(s), not shown by the model; 87 output tokens)" + Environment.NewLine);
    }

    [Fact]
    public void AResponseWhoseThinkingIsShown_PrintsItsFirstLine()
    {
        var printed = Print(false, new AgentResponseEvent(3, "tool_use", 1200, 87, string.Empty) { ThinkingBlocks = 1, Thinking = "Check the lock order first.\nThen the retries." });
        printed.ShouldBe("  claude (thinking): Check the lock order first." + Environment.NewLine);
    }

    [Fact]
    public void Compaction_ItsWarningAndItsPreservation_AreNamedAsSuch()
    {
        var printed = Print(false,
            new AgentContextWarningEvent(5, 41_000, 0.82) { IsCompaction = true },
            new AgentCompactionEvent(7, ContextEditingSide.Server, "Read a.py to f.py.", 60_335, 60_335, 120, Paused: false),
            new AgentPreservationEvent(7, new PreservationRecord(5, 41_000, 1, 5, 1, 200, 7, 0, 59_000) { Compacted = true, MemorySaves = 1, SecondsToFirstSave = 2.5 }),
            new AgentCompactionEvent(9, ContextEditingSide.Client, null, 52_000, 0, 0, Paused: false));

        var lines = printed.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        lines[0].ShouldBe("  !! compaction is near (82% of the trigger): the model is told to save what it needs to memory now");
        lines[1].ShouldBe("  -- compaction on the server: the older context (60,335 tokens) is now a summary of 18 characters; the summary took 60,335 input and 120 output tokens");
        lines[2].ShouldBe("  ok preserve-before-clear: the model saved to memory 1 request(s) and 2.50 s after the warning (1 save(s)), before this compaction");
        lines[3].ShouldBe("  !! compaction on the client failed: no summary was made, the context stays as it was");
    }

    [Fact]
    public void AClearing_ListsEachResultItTook_AndWhetherASaveCoversIt()
    {
        static System.Text.Json.JsonElement Path(string path) => System.Text.Json.JsonDocument.Parse($$"""{"path":"{{path}}"}""").RootElement;
        var edits = new[] { new Mnemo.Context.AppliedContextEdit(Mnemo.Context.ClearToolUsesEdit.TypeName, 9_000, ClearedToolUses: 3) };

        var lines = Print(false, new AgentContextEditEvent(6, ContextEditingSide.Server, edits, 3)
        {
            ClearedResults =
            [
                new ClearedResult("read_file", Path("a.py"), SavedAfter: true, Covered: true),
                new ClearedResult("read_file", Path("b.py"), SavedAfter: true, Covered: false),
                new ClearedResult("read_file", Path("c.py"), SavedAfter: false, Covered: false),
            ],
        }).Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

        lines.ShouldBe(
        [
            "  -- context editing on the server: 3 old tool result(s) cleared, 9,000 tokens not sent; memory kept",
            "     cleared now, covered by a save: read_file a.py",
            "     cleared now, NOT covered (no save after it names it): read_file b.py",
            "     cleared now, NOT covered (nothing saved after it): read_file c.py",
        ]);
    }

    [Fact]
    public void AWarningOnARequestPastTheTrigger_SaysTheClearingWaitsOneTurn()
    {
        Print(false, new AgentContextWarningEvent(6, 4_502, 1.38) { HoldsBackClearing = true }).ShouldBe(
            "  !! clearing is near (138% of the trigger): the model is told to save what it needs to memory now; this request is past the trigger already, so it goes out unedited and the clearing waits one turn" +
            Environment.NewLine);
    }
}
