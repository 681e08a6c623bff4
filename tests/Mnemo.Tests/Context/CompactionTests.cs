using System.Text.Json.Nodes;
using Mnemo.Context;

namespace Mnemo.Tests.Context;

public sealed class CompactionTests
{
    private const string Compact = """{"edits":[{"type":"compact_20260112","trigger":{"type":"input_tokens","value":50000}}]}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A question, then <paramref name="uses"/> tool rounds whose results are about 2,500 tokens each.</summary>
    private static JsonObject Session(int uses)
    {
        var messages = new JsonArray { new JsonObject { ["role"] = "user", ["content"] = "Find the race in the scheduler." } };
        for (var i = 0; i < uses; i++)
        {
            messages.Add(new JsonObject
            {
                ["role"] = "assistant",
                ["content"] = new JsonArray
                {
                    new JsonObject { ["type"] = "text", ["text"] = $"Reading part {i}." },
                    new JsonObject { ["type"] = "tool_use", ["id"] = $"toolu_{i}", ["name"] = "bash", ["input"] = new JsonObject { ["command"] = $"cat part{i}.cs" } },
                },
            });
            messages.Add(new JsonObject
            {
                ["role"] = "user",
                ["content"] = new JsonArray
                {
                    new JsonObject { ["type"] = "tool_result", ["tool_use_id"] = $"toolu_{i}", ["content"] = $"part {i}: " + string.Join(' ', Enumerable.Repeat($"lock{i} wait{i} signal{i}", 800)) },
                },
            });
        }

        return new JsonObject { ["model"] = "claude-opus-4-6", ["max_tokens"] = 1024, ["messages"] = messages };
    }

    private static async Task<ContextEditResult> Edit(JsonObject request, string config, ContextEditorOptions? options = null) =>
        await new ContextEditor(options: options).EditAsync(ContextRequest.Parse(request.ToJsonString()), ContextManagementConfig.Parse(config), Ct);

    private static JsonArray Messages(ContextEditResult result) => JsonNode.Parse(result.Request.ToJsonString())!["messages"]!.AsArray();

    [Fact]
    public void Parse_TheCompactionStrategy_RoundTripsFieldForField()
    {
        const string json = """{"edits":[{"type":"clear_thinking_20251015"},{"type":"compact_20260112","trigger":{"type":"input_tokens","value":80000},"instructions":"Keep every file path.","pause_after_compaction":true}]}""";
        var config = ContextManagementConfig.Parse(json);
        var compact = config.Edits[1].ShouldBeOfType<CompactEdit>();
        compact.EffectiveTriggerTokens.ShouldBe(80_000);
        compact.Instructions.ShouldBe("Keep every file path.");
        compact.PauseAfterCompaction.ShouldBe(true);
        config.ToJsonString().ShouldBe(json);
    }

    [Fact]
    public void Parse_OmittedFields_TakeTheApiDefaults()
    {
        var compact = ContextManagementConfig.Parse("""{"edits":[{"type":"compact_20260112"}]}""").Edits[0].ShouldBeOfType<CompactEdit>();
        compact.EffectiveTriggerTokens.ShouldBe(150_000);
        compact.Instructions.ShouldBeNull();
        compact.PauseAfterCompaction.ShouldBeNull();
        ContextManagementConfig.Parse("""{"edits":[{"type":"compact_20260112"}]}""").ToJsonString().ShouldBe("""{"edits":[{"type":"compact_20260112"}]}""");
    }

    [Theory]
    [InlineData("""{"type":"compact_20260112","trigger":{"type":"input_tokens","value":49999}}""", "context_management.edits.0.trigger.value: Input should be greater than or equal to 50000")]
    [InlineData("""{"type":"compact_20260112","trigger":{"type":"tool_uses","value":60000}}""", "context_management.edits.0.trigger.type: Input should be 'input_tokens'")]
    [InlineData("""{"type":"compact_20260112","instructions":7}""", "context_management.edits.0.instructions: Input should be a valid string")]
    [InlineData("""{"type":"compact_20260112","pause_after_compaction":"yes"}""", "context_management.edits.0.pause_after_compaction: Input should be a valid boolean")]
    [InlineData("""{"type":"compact_20260112","keep":{"type":"tool_uses","value":1}}""", "context_management.edits.0.keep: Extra inputs are not permitted")]
    [InlineData("""{"type":"compact_20260113"}""", "context_management.edits.0.type: Input tag 'compact_20260113' found using 'type' does not match any of the expected tags: 'clear_tool_uses_20250919', 'clear_thinking_20251015', 'compact_20260112'")]
    public void Parse_BadCompaction_IsRefusedInTheApisWordsNamingTheField(string edit, string message) =>
        Should.Throw<ContextFormatException>(() => ContextManagementConfig.Parse($$"""{"edits":[{{edit}}]}""")).Message.ShouldBe(message);

    [Fact]
    public void Config_CompactionTwiceOrBelowTheMinimumInCode_IsRefused()
    {
        Should.Throw<ContextFormatException>(() => new ContextManagementConfig([new CompactEdit(), new CompactEdit()]))
            .Message.ShouldBe("context_management.edits.1: strategy `compact_20260112` is given more than once");
        Should.Throw<ContextFormatException>(() => new ContextManagementConfig([new CompactEdit { TriggerTokens = 10 }]))
            .Message.ShouldBe("context_management.edits.0.trigger.value: Input should be greater than or equal to 50000");
    }

    [Fact]
    public async Task Edit_UnderTheTrigger_CompactsNothing()
    {
        var result = await Edit(Session(3), Compact);
        result.Compaction.ShouldBeNull();
        Messages(result).Count.ShouldBe(7);
    }

    [Fact]
    public async Task Edit_PastTheTrigger_ASummaryReplacesTheOlderContext_AndTheLastTurnStaysWholeWithItsToolPair()
    {
        var result = await Edit(Session(30), Compact);

        var compaction = result.Compaction.ShouldNotBeNull();
        compaction.Succeeded.ShouldBeTrue();
        compaction.CompactedMessages.ShouldBe(59);
        compaction.InsertAt.ShouldBe(59);
        compaction.InputTokensBefore.ShouldBeGreaterThan(50_000);
        result.OriginalInputTokens.ShouldBe(compaction.InputTokensBefore);
        result.InputTokens.ShouldBe(compaction.InputTokensAfter);
        result.InputTokens.ShouldBeLessThan(50_000);
        result.AppliedEdits.ShouldBeEmpty(); // the API reports compaction with its block, not in applied_edits

        var messages = Messages(result);
        messages.Count.ShouldBe(3);
        var summary = messages[0]!["content"]![0]!["text"]!.GetValue<string>();
        summary.ShouldStartWith("Summary of the earlier conversation (59 messages");
        summary.ShouldContain("called bash({\"command\":\"cat part28.cs\"})");
        messages[1]!["content"]![1]!["id"]!.GetValue<string>().ShouldBe("toolu_29");
        messages[2]!["content"]![0]!["tool_use_id"]!.GetValue<string>().ShouldBe("toolu_29");
    }

    [Fact]
    public async Task Edit_AsTheApiCompacts_SummarisesEverything()
    {
        var result = await Edit(Session(30), Compact, new ContextEditorOptions { CompactionKeepsLastTurn = false });
        result.Compaction.ShouldNotBeNull().CompactedMessages.ShouldBe(61);
        result.Compaction.InsertAt.ShouldBe(-1);
        Messages(result).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Edit_ASummaryThatFails_ChangesNothing_AndIsReported()
    {
        var result = await Edit(Session(30), Compact, new ContextEditorOptions { Summarizer = new Failing() });
        var compaction = result.Compaction.ShouldNotBeNull();
        compaction.Succeeded.ShouldBeFalse();
        Messages(result).Count.ShouldBe(61);
        result.InputTokens.ShouldBe(result.OriginalInputTokens);
    }

    [Fact]
    public async Task Edit_TheCustomInstructionsReachTheSummarizer()
    {
        var summarizer = new Recording();
        await Edit(Session(30), """{"edits":[{"type":"compact_20260112","trigger":{"type":"input_tokens","value":50000},"instructions":"List the locks."}]}""",
            new ContextEditorOptions { Summarizer = summarizer });
        summarizer.Instructions.ShouldBe("List the locks.");
        summarizer.Messages.ShouldBe(59);
    }

    [Fact]
    public async Task Edit_ACompactionBlockInTheHistory_StandsInForEverythingBeforeIt()
    {
        var request = Session(3);
        var messages = request["messages"]!.AsArray();
        // The API returned the block at the start of an assistant message; the history keeps it there.
        messages[3]!["content"]!.AsArray().Insert(0, new JsonObject { ["type"] = "compaction", ["content"] = "Earlier: parts 0 and 1 read; no race yet." });

        var result = await Edit(request, """{"edits":[{"type":"clear_tool_uses_20250919"}]}""");

        var sent = Messages(result);
        sent.Count.ShouldBe(5);
        sent[0]!["role"]!.GetValue<string>().ShouldBe("user");
        sent[0]!["content"]![0]!["text"]!.GetValue<string>().ShouldBe("Earlier: parts 0 and 1 read; no race yet.");
        sent[1]!["content"]![0]!["text"]!.GetValue<string>().ShouldBe("Reading part 1.");
        sent[4]!["content"]![0]!["tool_use_id"]!.GetValue<string>().ShouldBe("toolu_2");
    }

    [Fact]
    public async Task Edit_AFailedCompactionBlock_StandsInForNothing()
    {
        var request = Session(3);
        request["messages"]![3]!["content"]!.AsArray().Insert(0, new JsonObject { ["type"] = "compaction", ["content"] = null });
        var result = await Edit(request, """{"edits":[{"type":"clear_tool_uses_20250919"}]}""");
        var messages = Messages(result);
        messages.Count.ShouldBe(7);
        // The model never reads the block itself: a provider without compaction would refuse it.
        messages[3]!["content"]![0]!["type"]!.GetValue<string>().ShouldBe("text");
        messages.ToJsonString().ShouldNotContain("\"compaction\"");
    }

    private sealed class Failing : IContextSummarizer
    {
        public ValueTask<ContextSummary> SummarizeAsync(ContextRequest request, string? instructions, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new ContextSummary(null));
    }

    private sealed class Recording : IContextSummarizer
    {
        public string? Instructions { get; private set; }

        public int Messages { get; private set; }

        public ValueTask<ContextSummary> SummarizeAsync(ContextRequest request, string? instructions, CancellationToken cancellationToken)
        {
            (Instructions, Messages) = (instructions, request.Messages.Count);
            return ValueTask.FromResult(new ContextSummary("summary", 10, 5));
        }
    }
}
