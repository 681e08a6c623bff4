using System.Text.Json.Nodes;
using Mnemo.Context;

namespace Mnemo.Tests.Context;

/// <summary>Client-side editing on a model whose thinking is bound to its prefix: it never sends a changed prefix under a
/// kept thinking block.</summary>
public sealed class PrefixBoundThinkingTests
{
    private const string Clear = """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":1},"keep":{"type":"tool_uses","value":1}}]}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A question and three tool rounds with thinking; with <paramref name="answered"/>, the answer and a new question.</summary>
    private static JsonObject Loop(string model, bool answered)
    {
        var messages = new JsonArray { new JsonObject { ["role"] = "user", ["content"] = "Find the race." } };
        for (var i = 0; i < 3; i++)
        {
            messages.Add(new JsonObject
            {
                ["role"] = "assistant",
                ["content"] = new JsonArray
                {
                    new JsonObject { ["type"] = "thinking", ["thinking"] = $"step {i}", ["signature"] = $"sig{i}" },
                    new JsonObject { ["type"] = "tool_use", ["id"] = $"toolu_{i}", ["name"] = "read_file", ["input"] = new JsonObject { ["path"] = $"f{i}.py" } },
                },
            });
            messages.Add(new JsonObject
            {
                ["role"] = "user",
                ["content"] = new JsonArray { new JsonObject { ["type"] = "tool_result", ["tool_use_id"] = $"toolu_{i}", ["content"] = $"contents of f{i}.py " + new string('x', 400) } },
            });
        }

        if (answered)
        {
            messages.Add(new JsonObject
            {
                ["role"] = "assistant",
                ["content"] = new JsonArray
                {
                    new JsonObject { ["type"] = "thinking", ["thinking"] = "done", ["signature"] = "sig3" },
                    new JsonObject { ["type"] = "text", ["text"] = "The race is in f1.py." },
                },
            });
            messages.Add(new JsonObject { ["role"] = "user", ["content"] = "Fix it." });
        }

        return new JsonObject { ["model"] = model, ["max_tokens"] = 4000, ["messages"] = messages };
    }

    private static async Task<ContextEditResult> Edit(JsonObject request, string config) =>
        await new ContextEditor().EditAsync(ContextRequest.Parse(request.ToJsonString()), ContextManagementConfig.Parse(config), Ct);

    private static JsonArray Messages(ContextEditResult result) => JsonNode.Parse(result.Request.ToJsonString())!["messages"]!.AsArray();

    private static int ThinkingBlocks(JsonArray messages) =>
        messages.Sum(m => m!["content"] is JsonArray blocks ? blocks.Count(b => b!["type"]!.GetValue<string>() == "thinking") : 0);

    [Fact]
    public async Task Binding_MidToolLoop_TheClearingWaitsForTheTurnToEnd()
    {
        var request = Loop("claude-fable-5-1", answered: false);

        var result = await Edit(request, Clear);

        result.AppliedEdits.ShouldBeEmpty();
        Messages(result).ToJsonString().ShouldBe(request["messages"]!.ToJsonString());
        var report = result.ThinkingBinding.ShouldNotBeNull();
        report.DeferredEdits.ShouldBe(["clear_tool_uses_20250919"]);
        report.RemovedBlocks.ShouldBeEmpty();
        report.Reason.ShouldContain("held back until the turn ends");
        result.InputTokens.ShouldBe(result.OriginalInputTokens);
    }

    [Fact]
    public async Task Binding_AtTheNextTurn_TheClearingApplies_AndTheEarlierTurnsThinkingAfterTheChangeIsRemoved()
    {
        var result = await Edit(Loop("claude-fable-5-1", answered: true), Clear);

        result.AppliedEdits.ShouldHaveSingleItem().ClearedToolUses.ShouldBe(2);
        var report = result.ThinkingBinding.ShouldNotBeNull();
        report.DeferredEdits.ShouldBeEmpty();
        // The first result (messages.2) changed: the thinking after it goes; the thinking before it stays.
        report.RemovedBlocks.ShouldBe(["messages.3.content.0", "messages.5.content.0", "messages.7.content.0"]);
        var messages = Messages(result);
        messages[1]!["content"]![0]!["type"]!.GetValue<string>().ShouldBe("thinking");
        ThinkingBlocks(messages).ShouldBe(1);
    }

    [Fact]
    public async Task NotBinding_MidToolLoop_TheClearingApplies_AndEveryThinkingBlockStays()
    {
        var result = await Edit(Loop("claude-opus-4-6", answered: false), Clear);

        result.AppliedEdits.ShouldHaveSingleItem().ClearedToolUses.ShouldBe(2);
        result.ThinkingBinding.ShouldBeNull();
        ThinkingBlocks(Messages(result)).ShouldBe(3);
    }

    [Fact]
    public async Task Binding_ClearingThinkingAlone_ChangesNoPrefix_AndIsApplied()
    {
        var request = Loop("claude-fable-5-1", answered: true);
        var messages = request["messages"]!.AsArray();
        messages.Add(new JsonObject
        {
            ["role"] = "assistant",
            ["content"] = new JsonArray
            {
                new JsonObject { ["type"] = "thinking", ["thinking"] = "swap the order", ["signature"] = "sig4" },
                new JsonObject { ["type"] = "text", ["text"] = "Fixed." },
            },
        });
        messages.Add(new JsonObject { ["role"] = "user", ["content"] = "Thanks." });

        var result = await Edit(request, """{"edits":[{"type":"clear_thinking_20251015","keep":{"type":"thinking_turns","value":1}}]}""");

        result.AppliedEdits.ShouldHaveSingleItem().ClearedThinkingTurns.ShouldBe(1);
        result.ThinkingBinding.ShouldBeNull();
        ThinkingBlocks(Messages(result)).ShouldBe(1);
    }

    [Fact]
    public async Task Binding_CompactionMidToolLoop_WaitsForTheTurnToEnd()
    {
        var request = Loop("claude-fable-5-1", answered: false);
        var big = request["messages"]![2]!["content"]![0]!;
        big["content"] = string.Join(' ', Enumerable.Range(0, 30_000).Select(i => $"w{i}"));

        var result = await Edit(request, """{"edits":[{"type":"compact_20260112","trigger":{"type":"input_tokens","value":50000}}]}""");

        result.Compaction.ShouldBeNull();
        result.ThinkingBinding.ShouldNotBeNull().DeferredEdits.ShouldBe(["compact_20260112"]);
        Messages(result).Count.ShouldBe(7);
    }
}
