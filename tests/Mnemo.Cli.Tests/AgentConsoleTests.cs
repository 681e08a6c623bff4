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
        var input = System.Text.Json.JsonDocument.Parse("""{"path":"b.py"}""").RootElement;
        var record = new PreservationRecord(5, 41_000, 1, 5, 1, 200, 6, 2, 9_000)
        {
            MemorySaves = 1,
            SecondsToFirstSave = 1.25,
            ClearedResults = [new ClearedResult("read_file", System.Text.Json.JsonDocument.Parse("""{"path":"a.py"}""").RootElement, true, true), new ClearedResult("read_file", input, true, false)],
        };

        var lines = Print(false, new AgentPreservationEvent(6, record)).Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

        lines.Length.ShouldBe(3);
        lines[1].ShouldBe("     covered: read_file a.py");
        lines[2].ShouldBe("     NOT covered: read_file b.py");
    }
}
