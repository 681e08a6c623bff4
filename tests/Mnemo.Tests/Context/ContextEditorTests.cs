using System.Text.Json.Nodes;
using Mnemo.Context;
using Mnemo.Tokens;

namespace Mnemo.Tests.Context;

public sealed class ContextEditorTests
{
    private const string Placeholder = "[cleared: this tool result was removed to save context]";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A user turn, then <paramref name="uses"/> rounds of one tool use each, named from <paramref name="tools"/>.</summary>
    private static JsonObject Conversation(int uses, string[]? tools = null, bool thinking = false, int resultLength = 400)
    {
        tools ??= ["bash"];
        var messages = new JsonArray { new JsonObject { ["role"] = "user", ["content"] = "Review the repository." } };
        for (var i = 0; i < uses; i++)
        {
            var content = new JsonArray();
            if (thinking)
            {
                content.Add(new JsonObject { ["type"] = "thinking", ["thinking"] = $"step {i}: " + new string('t', 80), ["signature"] = "sig" });
            }

            content.Add(new JsonObject
            {
                ["type"] = "tool_use", ["id"] = $"toolu_{i}", ["name"] = tools[i % tools.Length],
                ["input"] = new JsonObject { ["command"] = $"cat file{i}.cs" },
            });
            messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = content });
            messages.Add(new JsonObject
            {
                ["role"] = "user",
                ["content"] = new JsonArray
                {
                    new JsonObject
                    {
                        ["type"] = "tool_result", ["tool_use_id"] = $"toolu_{i}", ["cache_control"] = new JsonObject { ["type"] = "ephemeral" },
                        ["content"] = new JsonArray { new JsonObject { ["type"] = "text", ["text"] = $"result {i} " + new string('r', resultLength) } },
                    },
                },
            });
        }

        var request = new JsonObject { ["model"] = "claude-sonnet-4-5", ["max_tokens"] = 1024, ["messages"] = messages };
        if (thinking)
        {
            request["thinking"] = new JsonObject { ["type"] = "enabled", ["budget_tokens"] = 2048 };
        }

        return request;
    }

    private static async Task<ContextEditResult> Edit(JsonObject request, string config, ContextEditorOptions? options = null) =>
        await new ContextEditor(options: options).EditAsync(
            ContextRequest.Parse(request.ToJsonString()), ContextManagementConfig.Parse(config), Ct);

    private static JsonArray Messages(ContextEditResult result) => JsonNode.Parse(result.Request.ToJsonString())!["messages"]!.AsArray();

    private static string? ResultText(JsonArray messages, int use) =>
        (string?)messages[(use * 2) + 2]!["content"]![0]!["content"]![0]!["text"];

    [Fact]
    public async Task ClearToolUses_OverTheTrigger_ClearsAllButTheKeptMostRecent()
    {
        var result = await Edit(Conversation(6),
            """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"input_tokens","value":100},"keep":{"type":"tool_uses","value":2}}]}""");

        var messages = Messages(result);
        for (var i = 0; i < 4; i++)
        {
            ResultText(messages, i).ShouldBe(Placeholder);
        }

        ResultText(messages, 4).ShouldStartWith("result 4 ");
        ResultText(messages, 5).ShouldStartWith("result 5 ");
        var report = result.AppliedEdits.ShouldHaveSingleItem();
        report.ShouldBe(new AppliedContextEdit("clear_tool_uses_20250919", result.OriginalInputTokens - result.InputTokens, ClearedToolUses: 4));
        report.ClearedInputTokens.ShouldBeGreaterThan(200); // four results of about 70 tokens each, less four placeholders
    }

    [Fact]
    public async Task ClearToolUses_ClearedResult_KeepsItsIdOtherFieldsAndItsCall()
    {
        var result = await Edit(Conversation(2),
            """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":1},"keep":{"type":"tool_uses","value":1}}]}""");
        var messages = Messages(result);
        messages[2]!["content"]![0]!.ToJsonString().ShouldBe(
            $$"""{"type":"tool_result","tool_use_id":"toolu_0","cache_control":{"type":"ephemeral"},"content":[{"type":"text","text":"{{Placeholder}}"}]}""");
        messages[1]!["content"]![0]!["input"]!.ToJsonString().ShouldBe("""{"command":"cat file0.cs"}""");
    }

    [Fact]
    public async Task ClearToolUses_BelowTheTrigger_ChangesAndReportsNothing()
    {
        var request = Conversation(6);
        var result = await Edit(request, """{"edits":[{"type":"clear_tool_uses_20250919"}]}""");
        result.AppliedEdits.ShouldBeEmpty();
        result.Request.ToJsonString().ShouldBe(request.ToJsonString());
        result.InputTokens.ShouldBe(result.OriginalInputTokens);
    }

    [Fact]
    public async Task ClearToolUses_ToolUsesTrigger_CountsUsesNotTokens()
    {
        const string Config = """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":5},"keep":{"type":"tool_uses","value":0}}]}""";
        (await Edit(Conversation(4), Config)).AppliedEdits.ShouldBeEmpty();
        (await Edit(Conversation(5), Config)).AppliedEdits.ShouldBeEmpty("at the trigger, not past it");
        (await Edit(Conversation(6), Config)).AppliedEdits.ShouldHaveSingleItem().ClearedToolUses.ShouldBe(6);
    }

    [Fact]
    public async Task ClearToolUses_ExcludedTool_IsNeverCleared()
    {
        var result = await Edit(Conversation(6, ["memory", "bash"]),
            """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":1},"keep":{"type":"tool_uses","value":1},"exclude_tools":["memory"]}]}""");
        var messages = Messages(result);
        ResultText(messages, 0).ShouldStartWith("result 0");
        ResultText(messages, 1).ShouldBe(Placeholder);
        ResultText(messages, 2).ShouldStartWith("result 2");
        ResultText(messages, 3).ShouldBe(Placeholder);
        ResultText(messages, 4).ShouldStartWith("result 4");
        ResultText(messages, 5).ShouldStartWith("result 5");
        result.AppliedEdits.ShouldHaveSingleItem().ClearedToolUses.ShouldBe(2);
    }

    [Fact]
    public async Task ClearToolUses_ClearAtLeastNotMet_ClearsNothing()
    {
        const string Config = """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":1},"keep":{"type":"tool_uses","value":3},"clear_at_least":{"type":"input_tokens","value":VALUE}}]}""";
        var freed = (await Edit(Conversation(5), Config.Replace("VALUE", "1", StringComparison.Ordinal))).AppliedEdits[0].ClearedInputTokens;

        var notEnough = await Edit(Conversation(5), Config.Replace("VALUE", (freed + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        notEnough.AppliedEdits.ShouldBeEmpty();
        ResultText(Messages(notEnough), 0).ShouldStartWith("result 0");

        var enough = await Edit(Conversation(5), Config.Replace("VALUE", freed.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        enough.AppliedEdits.ShouldHaveSingleItem().ClearedToolUses.ShouldBe(2);
    }

    [Theory]
    [InlineData("true", new[] { true, true, false })]
    [InlineData("false", new[] { false, false, false })]
    [InlineData("""["grep"]""", new[] { false, true, false })]
    public async Task ClearToolUses_ClearToolInputs_EmptiesTheInputsOfClearedUses(string setting, bool[] emptied)
    {
        var result = await Edit(Conversation(3, ["bash", "grep"]),
            $$"""{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":1},"keep":{"type":"tool_uses","value":1},"clear_tool_inputs":{{setting}}}]}""");
        var messages = Messages(result);
        for (var i = 0; i < 3; i++)
        {
            messages[(i * 2) + 1]!["content"]![0]!["input"]!.ToJsonString().ShouldBe(emptied[i] ? "{}" : $$"""{"command":"cat file{{i}}.cs"}""");
        }
    }

    [Fact]
    public async Task ClearToolUses_CallWithoutInput_IsClearedOnceAndThenLeftAlone()
    {
        // A call whose input was already cleared (or never sent) has nothing more to clear: editing again reports nothing.
        const string Config = """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":1},"keep":{"type":"tool_uses","value":0},"clear_tool_inputs":true}]}""";
        var request = Conversation(2);
        request["messages"]![1]!["content"]![0]!.AsObject().Remove("input");
        var first = await Edit(request, Config);
        first.AppliedEdits.ShouldHaveSingleItem().ClearedToolUses.ShouldBe(2);
        var edited = Messages(first);
        edited[1]!["content"]![0]!.AsObject().ContainsKey("input").ShouldBeFalse();
        edited[3]!["content"]![0]!["input"]!.ToJsonString().ShouldBe("{}");

        var again = await new ContextEditor().EditAsync(ContextRequest.Parse(first.Request.ToJsonString()), ContextManagementConfig.Parse(Config), Ct);
        again.AppliedEdits.ShouldBeEmpty();
    }

    [Fact]
    public async Task ClearToolUses_UnansweredToolUse_IsNotCountedOrTouched()
    {
        var request = Conversation(2);
        request["messages"]!.AsArray().Add(new JsonObject
        {
            ["role"] = "assistant",
            ["content"] = new JsonArray { new JsonObject { ["type"] = "tool_use", ["id"] = "toolu_open", ["name"] = "bash", ["input"] = new JsonObject() } },
        });
        var result = await Edit(request,
            """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":3}}]}""");
        result.AppliedEdits.ShouldBeEmpty();
        ContextEditor.CountToolUses(ContextRequest.Parse(request.ToJsonString()).Messages).ShouldBe(2);
    }

    [Fact]
    public async Task ClearToolUses_CustomPlaceholder_IsUsed()
    {
        var result = await Edit(Conversation(2),
            """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":1},"keep":{"type":"tool_uses","value":1}}]}""",
            new ContextEditorOptions { Placeholder = "[gone]" });
        ResultText(Messages(result), 0).ShouldBe("[gone]");
    }

    [Fact]
    public async Task ClearThinking_KeepsTheLastTurnsWithThinking()
    {
        // Three turns: each a user question, an assistant message with thinking and text.
        var messages = new JsonArray();
        for (var turn = 0; turn < 3; turn++)
        {
            messages.Add(new JsonObject { ["role"] = "user", ["content"] = $"question {turn}" });
            messages.Add(new JsonObject
            {
                ["role"] = "assistant",
                ["content"] = new JsonArray
                {
                    new JsonObject { ["type"] = "thinking", ["thinking"] = $"thought {turn} " + new string('x', 200), ["signature"] = "s" },
                    new JsonObject { ["type"] = "redacted_thinking", ["data"] = "opaque" },
                    new JsonObject { ["type"] = "text", ["text"] = $"answer {turn}" },
                },
            });
        }

        var request = new JsonObject { ["model"] = "m", ["thinking"] = new JsonObject { ["type"] = "enabled", ["budget_tokens"] = 1024 }, ["messages"] = messages };
        var result = await Edit(request, """{"edits":[{"type":"clear_thinking_20251015","keep":{"type":"thinking_turns","value":1}}]}""");

        var edited = Messages(result);
        edited[1]!["content"]!.AsArray().Select(b => (string)b!["type"]!).ShouldBe(["text"]);
        edited[3]!["content"]!.AsArray().Select(b => (string)b!["type"]!).ShouldBe(["text"]);
        edited[5]!["content"]!.AsArray().Select(b => (string)b!["type"]!).ShouldBe(["thinking", "redacted_thinking", "text"]);
        result.AppliedEdits.ShouldHaveSingleItem().ShouldBe(
            new AppliedContextEdit("clear_thinking_20251015", result.OriginalInputTokens - result.InputTokens, ClearedThinkingTurns: 2));

        (await Edit(request, """{"edits":[{"type":"clear_thinking_20251015","keep":"all"}]}""")).AppliedEdits.ShouldBeEmpty();
        (await Edit(request, """{"edits":[{"type":"clear_thinking_20251015","keep":{"type":"thinking_turns","value":3}}]}""")).AppliedEdits.ShouldBeEmpty();
    }

    [Fact]
    public async Task ClearThinking_ToolLoopTurn_KeepsAllItsThinkingAndNeverEmptiesAMessage()
    {
        // One earlier turn whose only assistant message is thinking, then a turn in a tool loop with thinking throughout.
        var request = Conversation(3, thinking: true);
        var messages = request["messages"]!.AsArray();
        messages.Insert(0, new JsonObject { ["role"] = "user", ["content"] = "first question" });
        messages.Insert(1, new JsonObject
        {
            ["role"] = "assistant",
            ["content"] = new JsonArray { new JsonObject { ["type"] = "thinking", ["thinking"] = "only thought", ["signature"] = "s" } },
        });

        var result = await Edit(request, """{"edits":[{"type":"clear_thinking_20251015"}]}""");
        result.AppliedEdits.ShouldBeEmpty();
        result.Request.ToJsonString().ShouldBe(ContextRequest.Parse(request.ToJsonString()).ToJsonString());
    }

    [Fact]
    public async Task Edit_BothStrategies_ReportInConfigurationOrderAndTheToolTriggerSeesTheThinnedCount()
    {
        var request = Conversation(4, thinking: true);
        // A second turn with thinking of its own, so the first turn's thinking is the one to clear.
        request["messages"]!.AsArray().Add(new JsonObject { ["role"] = "assistant", ["content"] = "Done." });
        request["messages"]!.AsArray().Add(new JsonObject { ["role"] = "user", ["content"] = "Next question." });
        request["messages"]!.AsArray().Add(new JsonObject
        {
            ["role"] = "assistant",
            ["content"] = new JsonArray
            {
                new JsonObject { ["type"] = "thinking", ["thinking"] = "new thought", ["signature"] = "s" },
                new JsonObject { ["type"] = "text", ["text"] = "Answer." },
            },
        });
        var original = EstimatingTokenCounter.Instance.Count(ContextRequest.Parse(request.ToJsonString()));

        var thinningOnly = await Edit(request, """{"edits":[{"type":"clear_thinking_20251015"}]}""");
        var thinned = thinningOnly.InputTokens;
        thinned.ShouldBeLessThan(original);

        // A trigger between the thinned count and the original count: the tool strategy must not fire; nor at the
        // thinned count itself, since clearing begins once the prompt exceeds the trigger.
        foreach (var trigger in new[] { thinned + 1, thinned })
        {
            var result = await Edit(request,
                $$$"""{"edits":[{"type":"clear_thinking_20251015"},{"type":"clear_tool_uses_20250919","trigger":{"type":"input_tokens","value":{{{trigger}}}}}]}""");
            result.AppliedEdits.Select(e => e.Type).ShouldBe(["clear_thinking_20251015"]);
        }

        var both = await Edit(request,
            $$$"""{"edits":[{"type":"clear_thinking_20251015"},{"type":"clear_tool_uses_20250919","trigger":{"type":"input_tokens","value":{{{thinned - 1}}}}}]}""");
        both.AppliedEdits.Select(e => e.Type).ShouldBe(["clear_thinking_20251015", "clear_tool_uses_20250919"]);
        both.AppliedEdits.Sum(e => e.ClearedInputTokens).ShouldBe(both.OriginalInputTokens - both.InputTokens);
    }

    [Fact]
    public async Task Edit_UnknownBlocksAndFields_PassThroughUntouched()
    {
        var request = Conversation(3);
        request["metadata"] = new JsonObject { ["user_id"] = "u1" };
        request["messages"]![0]!["content"] = new JsonArray
        {
            new JsonObject { ["type"] = "future_block", ["payload"] = new JsonArray(1, 2, 3) },
            new JsonObject { ["type"] = "text", ["text"] = "hi", ["citations"] = null },
        };
        request["messages"]![1]!["x_extra"] = true;
        var result = await Edit(request,
            """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":1},"keep":{"type":"tool_uses","value":1}}]}""");

        var edited = JsonNode.Parse(result.Request.ToJsonString())!;
        edited["metadata"]!.ToJsonString().ShouldBe("""{"user_id":"u1"}""");
        edited["messages"]![0]!.ToJsonString().ShouldBe(request["messages"]![0]!.ToJsonString());
        edited["messages"]![1]!.ToJsonString().ShouldBe(request["messages"]![1]!.ToJsonString());
        ((string?)edited["messages"]![2]!["content"]![0]!["content"]![0]!["text"]).ShouldBe(Placeholder);
    }

    [Fact]
    public async Task Edit_Preview_HasTheCountsBeforeAndAfter()
    {
        var result = await Edit(Conversation(3),
            """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":1},"keep":{"type":"tool_uses","value":0}}]}""");
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            result.WritePreview(writer);
        }

        System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan).ShouldBe(
            $$$"""{"input_tokens":{{{result.InputTokens}}},"context_management":{"original_input_tokens":{{{result.OriginalInputTokens}}}}}""");
        result.OriginalInputTokens.ShouldBe(EstimatingTokenCounter.Instance.Count(ContextRequest.Parse(Conversation(3).ToJsonString())));
        result.InputTokens.ShouldBe(EstimatingTokenCounter.Instance.Count(ContextRequest.Parse(result.Request.ToJsonString())));
    }
}
