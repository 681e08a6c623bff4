using System.Text.Json;
using Mnemo.Anthropic.Agents;
using Mnemo.Context;

namespace Mnemo.Anthropic.Tests.Agents;

/// <summary>
/// Compaction (<c>compact_20260112</c>) in a long session, on the server (the emulator compacts, as the API does) and on the
/// client (the session summarises through its own client, which the emulator scripts): the warning before it, the memory
/// saved, the block kept in the history, the pause, and what it cost.
/// </summary>
public sealed class AgentSessionCompactionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A review over six large files; the warning that compaction is near gets progress saved first.</summary>
    private const string LongReview = """
        conversations:
          - name: after-compaction
            match: "Progress summary"
            turns:
              - tool_use: {name: read_file, input: {path: z.py}}
              - All files reviewed after compaction.
          - name: long
            match: "review all"
            turns:
              - tool_use: {name: memory, input: {command: view, path: /memories}}
              - tool_use: {name: read_file, input: {path: a.py}}
              - tool_use: {name: read_file, input: {path: b.py}}
              - tool_use: {name: read_file, input: {path: c.py}}
              - tool_use: {name: read_file, input: {path: d.py}}
              - tool_use: {name: read_file, input: {path: e.py}}
              - tool_use: {name: read_file, input: {path: f.py}}
              - All six files reviewed.
        rules:
          - match: "Write a summary of the conversation above"
            reply: "Progress summary: a.py to f.py read; the race is in c.py."
          - match: "will soon be replaced by a summary"
            reply:
              text: Saving my progress before the compaction.
              tool_use:
                name: memory
                input: {command: create, path: /memories/progress.md, file_text: "a.py to c.py reviewed; race in c.py\n"}
        """;

    private static ContextManagementConfig Compact(bool pause = false) => ContextManagementConfig.Parse(
        JsonSerializer.Serialize(new { edits = new object[] { new { type = "compact_20260112", trigger = new { type = "input_tokens", value = 50_000 }, pause_after_compaction = pause } } }));

    private static AgentSession Session(AgentHarness harness, ContextEditingSide side, bool pause = false, bool streaming = false) => harness.Session(o =>
    {
        o.Model = "claude-sonnet-4-6";
        o.Streaming = streaming;
        o.Tools.Add(AgentHarness.ReadFile(lines: 530));
        o.ContextManagement = Compact(pause);
        o.ContextEditing = side;
        o.MaxTurns = 30;
    });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Server_TheModelIsWarnedAndSaves_ThenTheApiCompacts_AndTheBlockStaysInTheHistory(bool streaming)
    {
        await using var harness = await AgentHarness.StartAsync(LongReview);
        var session = Session(harness, ContextEditingSide.Server, streaming: streaming);

        var result = await session.RunAsync("Review all six files.", Ct);
        result.Completed.ShouldBeTrue(result.Message);
        result.Text.ShouldBe("All six files reviewed.");
        var compaction = harness.Of<AgentCompactionEvent>().ShouldHaveSingleItem();
        compaction.Side.ShouldBe(ContextEditingSide.Server);
        compaction.Succeeded.ShouldBeTrue();
        compaction.Summary.ShouldNotBeNull().ShouldStartWith("Summary of the earlier conversation");
        compaction.InputTokensBefore.ShouldBeGreaterThan(50_000);
        compaction.CompactionOutputTokens.ShouldBeGreaterThan(0);

        // Warned first, in compaction's words; the model saved before the compaction.
        var warning = harness.Of<AgentContextWarningEvent>().ShouldHaveSingleItem();
        warning.Request.ShouldBeLessThan(compaction.Request);
        (await File.ReadAllTextAsync(Path.Combine(harness.MemoryFolder, "progress.md"), Ct)).ShouldContain("race in c.py");
        var record = harness.Of<AgentPreservationEvent>().ShouldHaveSingleItem().Record;
        record.Compacted.ShouldBeTrue();
        record.Preserved.ShouldBeTrue();

        // The block went back with every later request (behind its beta), and the API answered the summary, not the files.
        var blocks = session.Messages.Select(m => JsonSerializer.SerializeToElement(m)).Count(m =>
            m.GetProperty("content").ValueKind == JsonValueKind.Array && m.GetProperty("content").EnumerateArray().Any(b => b.GetProperty("type").GetString() == "compaction"));
        blocks.ShouldBe(1);
        harness.Emulator.Exchanges.ShouldAllBe(exchange => exchange.Betas.Contains(CompactEdit.Beta));
        var after = harness.Of<AgentResponseEvent>().Where(e => e.Request > compaction.Request).ToList();
        after.ShouldNotBeEmpty();
        after.ShouldAllBe(e => e.InputTokens < 20_000);
        harness.Of<AgentRequestEvent>().Last().ProjectedInputTokens.ShouldBeLessThan(20_000, "the projection counts what the block stands for, not the history");

        session.Summary.Compactions.ShouldBe(1);
        session.Summary.CompactionOutputTokens.ShouldBe(compaction.CompactionOutputTokens);
        session.Summary.Format().ShouldContain("compaction: 1 compaction(s)");
    }

    [Fact]
    public async Task Server_PauseAfterCompaction_StopsTheRun_AndRunningAgainGoesOn()
    {
        await using var harness = await AgentHarness.StartAsync(LongReview);
        var session = Session(harness, ContextEditingSide.Server, pause: true);

        var paused = await session.RunAsync("Review all six files.", Ct);

        paused.StopCause.ShouldBe(AgentStopCause.Compacted);
        paused.Message.ShouldNotBeNull().ShouldContain("run again to go on");
        harness.Of<AgentCompactionEvent>().ShouldHaveSingleItem().Paused.ShouldBeTrue();

        var resumed = await session.RunAsync(Ct);

        resumed.Completed.ShouldBeTrue(resumed.Message);
        resumed.Text.ShouldBe("All six files reviewed.");
    }

    [Fact]
    public async Task Client_TheSessionSummarisesThroughItsOwnClient_KeepsTheLastTurnWhole_AndGoesOnFromTheSummary()
    {
        await using var harness = await AgentHarness.StartAsync(LongReview);
        var session = Session(harness, ContextEditingSide.Client);

        var result = await session.RunAsync("Review all six files.", Ct);

        result.Completed.ShouldBeTrue(result.Message);
        result.Text.ShouldBe("All files reviewed after compaction.");
        var compaction = harness.Of<AgentCompactionEvent>().ShouldHaveSingleItem();
        compaction.Side.ShouldBe(ContextEditingSide.Client);
        compaction.Summary.ShouldBe("Progress summary: a.py to f.py read; the race is in c.py.");
        compaction.CompactionInputTokens.ShouldBeGreaterThan(0, "the summary was a request of its own, through the session's client");

        // The summarising request went to the same API; the request after it carried the summary and the last turn whole.
        var exchanges = harness.Emulator.Exchanges;
        var summarising = exchanges.Single(e => e.Request!.Value.GetProperty("messages")[0].GetRawText().Contains("Write a summary of the conversation above"));
        summarising.Request!.Value.TryGetProperty("tools", out _).ShouldBeFalse();
        var next = exchanges[exchanges.ToList().IndexOf(summarising) + 1].Request!.Value.GetProperty("messages");
        next[0].GetProperty("content")[0].GetProperty("text").GetString().ShouldBe(compaction.Summary);
        next[1].GetProperty("role").GetString().ShouldBe("assistant");
        var call = next[1].GetProperty("content").EnumerateArray().Single(b => b.GetProperty("type").GetString() == "tool_use");
        next[2].GetProperty("content")[0].GetProperty("tool_use_id").GetString().ShouldBe(call.GetProperty("id").GetString());
        next[1].GetProperty("content").EnumerateArray().ShouldNotContain(b => b.GetProperty("type").GetString() == "compaction", "the provider gets the summary as text");

        // The history keeps the block where the compacted part ends, so the next requests start from it too.
        var history = session.Messages.Select(m => JsonSerializer.SerializeToElement(m)).ToList();
        var holder = history.Single(m => m.GetProperty("content").ValueKind == JsonValueKind.Array && m.GetProperty("content")[0].GetProperty("type").GetString() == "compaction");
        holder.GetProperty("content")[0].GetProperty("content").GetString().ShouldBe(compaction.Summary);
        harness.Of<AgentPreservationEvent>().ShouldHaveSingleItem().Record.Preserved.ShouldBeTrue();
    }

    [Fact]
    public async Task Client_PauseAfterCompaction_StopsBeforeSending_AndRunningAgainSendsTheCompactedRequest()
    {
        await using var harness = await AgentHarness.StartAsync(LongReview);
        var session = Session(harness, ContextEditingSide.Client, pause: true);

        var paused = await session.RunAsync("Review all six files.", Ct);

        paused.StopCause.ShouldBe(AgentStopCause.Compacted);
        var compaction = harness.Of<AgentCompactionEvent>().ShouldHaveSingleItem();
        compaction.Paused.ShouldBeTrue();
        var sent = harness.Emulator.Exchanges.Count;
        harness.Of<AgentResponseEvent>().ShouldNotContain(e => e.Request == compaction.Request, "the paused request was not sent");

        var resumed = await session.RunAsync(Ct);

        resumed.Completed.ShouldBeTrue(resumed.Message);
        resumed.Text.ShouldBe("All files reviewed after compaction.");
        harness.Emulator.Exchanges[sent].Request!.Value.GetProperty("messages")[0].GetProperty("content")[0].GetProperty("text").GetString()
            .ShouldBe(compaction.Summary);
    }

    [Fact]
    public async Task Client_ASummaryThatFails_IsReported_AndNothingIsLost()
    {
        await using var harness = await AgentHarness.StartAsync(LongReview);
        var session = harness.Session(o =>
        {
            o.Model = "claude-sonnet-4-6";
            o.Tools.Add(AgentHarness.ReadFile(lines: 530));
            o.ContextManagement = Compact();
            o.ContextEditing = ContextEditingSide.Client;
            o.CompactionSummarizer = new Failing();
        });

        var result = await session.RunAsync("Review all six files.", Ct);

        result.Completed.ShouldBeTrue(result.Message);
        result.Text.ShouldBe("All six files reviewed.");
        harness.Of<AgentCompactionEvent>().ShouldAllBe(e => !e.Succeeded);
        session.Summary.Compactions.ShouldBe(0);
        session.Summary.FailedCompactions.ShouldBeGreaterThan(0);
        session.Summary.Format().ShouldContain("that failed (nothing was summarised)");
    }

    [Fact]
    public void Server_OnAModelTheApiDoesNotCompactFor_IsRefusedBeforeSending_AndTheClientSideIsOffered()
    {
        var options = new AgentSessionOptions { Model = "claude-haiku-4-5", ContextManagement = Compact() };
        using var client = new global::Anthropic.AnthropicClient(new global::Anthropic.Core.ClientOptions { ApiKey = "k", BaseUrl = "http://127.0.0.1:9" });

        Should.Throw<ArgumentException>(() => new AgentSession(client, options)).Message.ShouldStartWith(
            "AgentSessionOptions.ContextManagement: the API does not compact for claude-haiku-4-5-20251001 (`compact_20260112` needs Opus 4.6, Sonnet 4.6 or later); set ContextEditing = Client to compact on Mnemo's side");
        options.ContextEditing = ContextEditingSide.Client;
        Should.NotThrow(() => new AgentSession(client, options));
    }

    private sealed class Failing : IContextSummarizer
    {
        public ValueTask<ContextSummary> SummarizeAsync(ContextRequest request, string? instructions, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new ContextSummary(null));
    }
}
