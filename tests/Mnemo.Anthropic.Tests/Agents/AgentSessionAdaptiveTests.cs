using System.Text.Json;
using Mnemo.Anthropic.Agents;
using Mnemo.Context;

namespace Mnemo.Anthropic.Tests.Agents;

/// <summary>Adaptive mode in a live session, through the SDK against the emulator on both sides: the clearing follows
/// what the model needs again, every change is an event with its reason and goes out with the next request, and
/// clearing in batches costs less than the same profile fixed.</summary>
public sealed class AgentSessionAdaptiveTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Script = """
        conversations:
          - match: "review all"
            turns:
              - tool_use: {name: read_file, input: {path: a.py}}
              - tool_use: {name: read_file, input: {path: b.py}}
              - tool_use: {name: read_file, input: {path: c.py}}
              - tool_use: {name: read_file, input: {path: d.py}}
              - tool_use: {name: recall, input: {command: view, id: 1}}
              - tool_use: {name: read_file, input: {path: b.py}}
              - tool_use: {name: read_file, input: {path: e.py}}
              - tool_use: {name: read_file, input: {path: f.py}}
              - All files reviewed.
        """;

    private const string Long = """
        conversations:
          - match: "review all"
            turns:
              - tool_use: {name: read_file, input: {path: f01.py}}
              - tool_use: {name: read_file, input: {path: f02.py}}
              - tool_use: {name: read_file, input: {path: f03.py}}
              - tool_use: {name: read_file, input: {path: f04.py}}
              - tool_use: {name: read_file, input: {path: f05.py}}
              - tool_use: {name: read_file, input: {path: f06.py}}
              - tool_use: {name: read_file, input: {path: f07.py}}
              - tool_use: {name: read_file, input: {path: f08.py}}
              - tool_use: {name: read_file, input: {path: f09.py}}
              - tool_use: {name: read_file, input: {path: f10.py}}
              - tool_use: {name: read_file, input: {path: f11.py}}
              - tool_use: {name: read_file, input: {path: f12.py}}
              - All files reviewed.
        """;

    private static AgentSession Session(AgentHarness harness, ContextEditingSide side, AdaptiveClearingOptions? adaptive, long keep = 1) => harness.Session(o =>
    {
        o.Tools.Add(AgentHarness.ReadFile(lines: 40));
        o.ContextManagement = ContextManagementConfig.Parse(
            "{\"edits\":[{\"type\":\"clear_tool_uses_20250919\",\"trigger\":{\"type\":\"input_tokens\",\"value\":2500},\"keep\":{\"type\":\"tool_uses\",\"value\":" + keep + "}}]}");
        o.ContextEditing = side;
        o.PreserveBeforeClear = PreserveBeforeClear.Never;
        o.Adaptive = adaptive;
    });

    /// <summary>The <c>clear_tool_uses_20250919</c> edit each request went out with, as the emulator received it.</summary>
    private static List<JsonElement?> SentClearings(AgentHarness harness) =>
        [.. harness.Emulator.Exchanges.Select(exchange => exchange.Request!.Value.TryGetProperty("context_management", out var config)
            ? config.GetProperty("edits")[0] : (JsonElement?)null)];

    /// <summary>What the requests cost at the model's list prices, from the usage the emulator billed (its prompt cache included).</summary>
    private static decimal Cost(AgentHarness harness)
    {
        var prices = ClaudeModels.Find(AgentHarness.Model).Model.Prices;
        return harness.Emulator.Exchanges.Sum(exchange =>
        {
            var usage = exchange.Response!.Value.GetProperty("usage");
            return prices.Cost(usage.GetProperty("input_tokens").GetInt64(), usage.GetProperty("output_tokens").GetInt64(),
                usage.GetProperty("cache_read_input_tokens").GetInt64(), usage.GetProperty("cache_creation_input_tokens").GetInt64());
        });
    }

    [Theory]
    [InlineData(ContextEditingSide.Client)]
    [InlineData(ContextEditingSide.Server)]
    public async Task TheClearing_FollowsWhatIsNeededAgain_AndEachChangeGoesOutWithTheNextRequest(ContextEditingSide side)
    {
        await using var harness = await AgentHarness.StartAsync(Script);
        var session = Session(harness, side, new AdaptiveClearingOptions { PaybackRequests = null });

        var result = await session.RunAsync("Review all files.", Ct);

        result.Completed.ShouldBeTrue(result.Message);
        // a.py and b.py are cleared at request 4; a.py is recalled in request 5's response, b.py read again in request 6's.
        result.Summary.AdaptiveChanges.Select(change => $"{change.Request} {change.Setting} {change.From} -> {change.To}: {change.Reason}").ShouldBe([
            "5 keep 1 -> 2: a cleared read_file result was needed again 1 request(s) after it was cleared",
            "6 keep 2 -> 3: a cleared read_file result was needed again 2 request(s) after it was cleared",
            "6 exclude_tools memory -> memory, read_file: 2 of the 3 cleared read_file results were needed again",
        ]);
        harness.Of<AgentAdaptiveChangeEvent>().Select(e => e.Change).ShouldBe(result.Summary.AdaptiveChanges);
        session.ClearToolUses!.Keep.ShouldBe(3);
        session.ClearToolUses.ExcludeTools.ShouldBe(["memory", "read_file"]);

        // From request 7 on read_file is not cleared: every file is back, and nothing is cleared on either side.
        harness.Of<AgentContextEditEvent>().Where(e => e.Request >= 7 && e.Request <= 8).ShouldBeEmpty();
        var seventh = harness.Emulator.Exchanges[6].Request!.Value.GetRawText();
        seventh.ShouldContain("a.py line 40");
        seventh.ShouldNotContain("[cleared to save context");
        if (side == ContextEditingSide.Server)
        {
            // The API is sent each change with the request after it.
            var sent = SentClearings(harness);
            sent.Select(edit => edit!.Value.GetProperty("keep").GetProperty("value").GetInt64()).ShouldBe([1, 1, 1, 1, 1, 2, 3, 3, 3]);
            sent[6]!.Value.GetProperty("exclude_tools").EnumerateArray().Select(tool => tool.GetString()).ShouldBe(["memory", "read_file"]);
        }

        var report = new MemoryStream();
        using (var writer = new Utf8JsonWriter(report))
        {
            AgentSessionReport.Write(result.Summary, writer);
        }

        var changes = JsonDocument.Parse(report.ToArray()).RootElement.GetProperty("adaptive_changes");
        changes.GetArrayLength().ShouldBe(3);
        changes[2].GetProperty("to").GetString().ShouldBe("memory, read_file");
        result.Summary.Format().ShouldContain("\nadaptive: 3 change(s), 0 request(s) held back to clear in batches\n  after request 5: keep 1 -> 2 (a cleared read_file result was needed again 1 request(s) after it was cleared)");
    }

    [Theory]
    [InlineData(ContextEditingSide.Client)]
    [InlineData(ContextEditingSide.Server)]
    public async Task Clearing_InBatches_KeepsTheCache_AndCostsLessThanTheSameProfileFixed(ContextEditingSide side)
    {
        await using var fixedHarness = await AgentHarness.StartAsync(Long);
        var fixedRun = await Session(fixedHarness, side, adaptive: null).RunAsync("Review all files.", Ct);
        await using var harness = await AgentHarness.StartAsync(Long);
        var session = Session(harness, side, new AdaptiveClearingOptions());

        var result = await session.RunAsync("Review all files.", Ct);

        result.Completed.ShouldBeTrue(result.Message);
        var batched = harness.Of<AgentClearingBatchedEvent>().ToList();
        batched.ShouldNotBeEmpty();
        result.Summary.BatchedRequests.ShouldBe(batched.Count);
        foreach (var held in batched)
        {
            // A held request clears nothing it had not cleared already, so it reads the whole prompt the last one wrote.
            harness.Of<AgentContextEditEvent>().Where(e => e.Request == held.Request).ShouldAllBe(e => e.NewlyClearedToolUses == 0);
            var usage = harness.Emulator.Exchanges[held.Request - 1].Response!.Value.GetProperty("usage");
            usage.GetProperty("cache_read_input_tokens").GetInt64().ShouldBeGreaterThan(0);
            held.RewrittenTokens.ShouldBeGreaterThan(held.BacklogTokens);
            if (side == ContextEditingSide.Server)
            {
                SentClearings(harness)[held.Request - 1]!.Value.GetProperty("keep").GetProperty("value").GetInt64().ShouldBe(held.Keep);
            }
        }

        result.Summary.Clearings.ShouldBeLessThan(fixedRun.Summary.Clearings);
        Cost(harness).ShouldBeLessThan(Cost(fixedHarness));
        result.Summary.AdaptiveChanges.ShouldBeEmpty("nothing cleared was needed again, and no clearing was quiet three times in a row");
    }

    [Fact]
    public async Task TheTranscript_OfAnAdaptiveSession_ReplaysAsRunAdaptively()
    {
        await using var harness = await AgentHarness.StartAsync(Long);
        var options = new AdaptiveClearingOptions { QuietClearings = 4 };
        var session = Session(harness, ContextEditingSide.Server, options);
        var result = await session.RunAsync("Review all files.", Ct);
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            session.WriteTranscript(writer);
        }

        var replayed = Mnemo.Context.Replay.SessionTranscripts.Read(buffer.ToArray());

        replayed.Adaptive.ShouldBe(options);
        var config = ContextManagementConfig.FromJson(replayed.Segments[0].Conversation.ContextManagement!.Value);
        var (_, _, held) = Mnemo.Context.Replay.ContextReplay.Adaptive(replayed, "as run (adaptive)", config, adaptive: replayed.Adaptive);
        held.ShouldBe(result.Summary.BatchedRequests, "the replay holds back the requests the session held");
    }

    [Fact]
    public async Task Keep_GoesDown_AfterClearingsThatTookNothingNeededAgain()
    {
        await using var harness = await AgentHarness.StartAsync(Long);
        var session = Session(harness, ContextEditingSide.Server, new AdaptiveClearingOptions { PaybackRequests = null, QuietClearings = 2 }, keep: 3);

        var result = await session.RunAsync("Review all files.", Ct);

        var changes = result.Summary.AdaptiveChanges;
        changes.Select(change => (change.Setting, change.From, change.To)).ShouldBe([("keep", "3", "2"), ("keep", "2", "1")]);
        changes[0].Reason.ShouldBe("2 clearings in a row took nothing that was needed again");
        SentClearings(harness)[changes[0].Request]!.Value.GetProperty("keep").GetProperty("value").GetInt64().ShouldBe(2);
    }

    [Fact]
    public void Adaptive_WithoutAClearing_OrWithBoundsOutOfRange_IsRefusedNamingTheOption()
    {
        using var client = new global::Anthropic.AnthropicClient { ApiKey = "unused" };
        var none = new AgentSessionOptions { Model = AgentHarness.Model, Adaptive = new AdaptiveClearingOptions() };
        Should.Throw<ArgumentException>(() => new AgentSession(client, none)).Message
            .ShouldStartWith("AgentSessionOptions.Adaptive: adaptive mode adjusts a clear_tool_uses_20250919 edit, and ContextManagement has none");

        var bounds = new AgentSessionOptions
        {
            Model = AgentHarness.Model,
            ContextManagement = ContextPresets.Development,
            Adaptive = new AdaptiveClearingOptions { MinKeep = 5, MaxKeep = 2 },
        };
        Should.Throw<ArgumentException>(() => new AgentSession(client, bounds)).Message
            .ShouldStartWith("AgentSessionOptions.Adaptive: MinKeep must be 0 or more and MaxKeep at least MinKeep.");
    }
}
