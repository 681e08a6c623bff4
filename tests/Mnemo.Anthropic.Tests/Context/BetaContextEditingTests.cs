using System.Text.Json;
using Anthropic.Models.Beta.Messages;
using Mnemo.Context;
using Mnemo.Tokens;

namespace Mnemo.Anthropic.Tests.Context;

public sealed class BetaContextEditingTests
{
    private const string ClearAllButTwo =
        """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":1},"keep":{"type":"tool_uses","value":2},"clear_tool_inputs":["bash"]}]}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// A user turn built with the SDK's types, then tool rounds read from wire JSON that holds what neither the SDK nor
    /// Mnemo models: an unknown block type, an unknown field on a block and on a message.
    /// </summary>
    internal static List<BetaMessageParam> Conversation(int uses)
    {
        var messages = new List<BetaMessageParam> { new BetaUserMessageParam("Review the repository.") };
        for (var i = 0; i < uses; i++)
        {
            var tool = i % 2 == 0 ? "bash" : "memory";
            messages.Add(Param($$$"""
                {"role":"assistant","content":[
                  {"type":"future_block","payload":{"n":{{{i}}}}},
                  {"type":"tool_use","id":"toolu_{{{i}}}","name":"{{{tool}}}","input":{"command":"cat file{{{i}}}.cs"},"caller":{"type":"direct"}}]}
                """));
            messages.Add(Param($$$"""
                {"role":"user","x_trace":"t{{{i}}}","content":[
                  {"type":"tool_result","tool_use_id":"toolu_{{{i}}}","cache_control":{"type":"ephemeral"},"content":[{"type":"text","text":"result {{{i}}} {{{new string('r', 300)}}}"}]}]}
                """));
        }

        return messages;
    }

    private static BetaMessageParam Param(string json) => new(JsonDocument.Parse(json).RootElement.Clone());

    [Fact]
    public async Task EditAsync_MessageParams_EditsLikeTheWireJsonAndKeepsUntouchedInstances()
    {
        var conversation = Conversation(5);
        var before = JsonSerializer.Serialize(conversation);
        var config = ContextManagementConfig.Parse(ClearAllButTwo);

        var edit = await new ContextEditor().EditAsync(conversation, config, Ct);

        // The same conversation as wire JSON, edited by the same engine, is what the SDK will send, byte for byte.
        var wire = await new ContextEditor().EditAsync(ContextRequest.Parse(before), config, Ct);
        JsonSerializer.Serialize(edit.Messages).ShouldBe(wire.Request.ToJsonString());
        edit.Result.AppliedEdits.ShouldBe([new AppliedContextEdit("clear_tool_uses_20250919", wire.AppliedEdits.Single().ClearedInputTokens, ClearedToolUses: 3)]);

        JsonSerializer.Serialize(conversation).ShouldBe(before);
        ReferenceEquals(edit.Messages[0], conversation[0]).ShouldBeTrue();
        for (var i = 7; i < 11; i++)
        {
            ReferenceEquals(edit.Messages[i], conversation[i]).ShouldBeTrue($"message {i} is among the two kept tool uses");
        }

        var cleared = edit.Messages[2].Json.GetProperty("content")[0];
        cleared.GetProperty("content")[0].GetProperty("text").GetString().ShouldBe(new ContextEditorOptions().Placeholder);
        cleared.GetProperty("cache_control").GetProperty("type").GetString().ShouldBe("ephemeral");
        edit.Messages[2].Json.GetProperty("x_trace").GetString().ShouldBe("t0");
        var call = edit.Messages[1].Json.GetProperty("content");
        call[0].GetProperty("type").GetString().ShouldBe("future_block");
        call[1].GetProperty("input").GetRawText().ShouldBe("{}", "bash inputs are cleared too");
        call[1].GetProperty("caller").GetProperty("type").GetString().ShouldBe("direct");
        edit.Messages[3].Json.GetProperty("content")[1].GetProperty("input").GetProperty("command").GetString()
            .ShouldBe("cat file1.cs", "memory inputs are not in clear_tool_inputs");
    }

    [Fact]
    public async Task EditAsync_BelowTheTrigger_ReturnsTheSameInstances()
    {
        var conversation = Conversation(2);
        var edit = await new ContextEditor().EditAsync(conversation, ContextManagementConfig.Parse(ClearAllButTwo), Ct);

        edit.Result.AppliedEdits.ShouldBeEmpty();
        edit.Messages.Count.ShouldBe(conversation.Count);
        for (var i = 0; i < conversation.Count; i++)
        {
            ReferenceEquals(edit.Messages[i], conversation[i]).ShouldBeTrue();
        }
    }

    [Fact]
    public async Task EditAsync_CreateParams_UsesItsOwnConfigAndSendsTheAnsweredRequestWithoutIt()
    {
        await using var api = await RecordingApi.StartAsync();
        using var client = api.Client();
        var parameters = MessageCreateParams.FromRawUnchecked(
            new Dictionary<string, JsonElement> { ["anthropic-beta"] = JsonSerializer.SerializeToElement(new[] { "context-management-2025-06-27" }) },
            new Dictionary<string, JsonElement>(),
            new Dictionary<string, JsonElement>
            {
                ["model"] = JsonSerializer.SerializeToElement("claude-sonnet-4-5"),
                ["max_tokens"] = JsonSerializer.SerializeToElement(1024),
                ["system"] = JsonSerializer.SerializeToElement("You review code."),
                ["messages"] = JsonSerializer.SerializeToElement(Conversation(4)),
                ["context_management"] = JsonDocument.Parse(ClearAllButTwo).RootElement.Clone(),
                ["x_experimental"] = JsonSerializer.SerializeToElement(true),
            });

        var edit = await new ContextEditor().EditAsync(parameters, cancellationToken: Ct);
        await client.Beta.Messages.Create(edit.Parameters, Ct);

        var (path, body, beta) = api.Requests.Single();
        path.ShouldBe("/v1/messages");
        beta.ShouldBe("context-management-2025-06-27");
        body.TryGetProperty("context_management", out _).ShouldBeFalse("the server must not edit what was edited here");
        body.GetProperty("x_experimental").GetBoolean().ShouldBeTrue();
        body.GetProperty("system").GetString().ShouldBe("You review code.");
        var expected = JsonDocument.Parse(edit.Result.Request.ToJsonString(withoutContextManagement: true)).RootElement;
        body.GetProperty("messages").GetRawText().ShouldBe(expected.GetProperty("messages").GetRawText());
        edit.Result.AppliedEdits.Single().ClearedToolUses.ShouldBe(2);
        parameters.RawBodyData.ContainsKey("context_management").ShouldBeTrue("the input request is not changed");
    }

    [Fact]
    public async Task EditAsync_CreateParamsWithoutConfig_SaysSo()
    {
        var parameters = new MessageCreateParams { Model = "claude-sonnet-4-5", MaxTokens = 10, Messages = Conversation(1) };
        var error = await Should.ThrowAsync<ArgumentException>(() => new ContextEditor().EditAsync(parameters, cancellationToken: Ct));
        error.Message.ShouldStartWith("The request has no context_management and no configuration was given.");
    }

    [Fact]
    public async Task AnthropicTokenCounter_CountsThroughTheSdk_WhatWouldBeSent()
    {
        await using var api = await RecordingApi.StartAsync();
        using var client = api.Client();
        var counter = new AnthropicTokenCounter(client, "claude-haiku-4-5", ["context-management-2025-06-27"]);
        var request = ContextRequest.FromJson(JsonSerializer.SerializeToElement(new Dictionary<string, object>
        {
            ["model"] = "claude-sonnet-4-5",
            ["max_tokens"] = 1024,
            ["temperature"] = 0.5,
            ["system"] = "You review code.",
            ["messages"] = Conversation(3),
            ["context_management"] = JsonDocument.Parse(ClearAllButTwo).RootElement,
        }));

        var tokens = await counter.CountAsync(request, Ct);

        tokens.ShouldBe(EstimatingTokenCounter.Instance.Count(request), "the count the server returned");
        var (path, body, beta) = api.Requests.Single();
        path.ShouldBe("/v1/messages/count_tokens");
        beta.ShouldBe("context-management-2025-06-27");
        body.EnumerateObject().Select(p => p.Name).Order().ShouldBe(["messages", "model", "system"]);
        body.GetProperty("model").GetString().ShouldBe("claude-sonnet-4-5", "the request's own model");

        await counter.CountAsync(ContextRequest.FromJson(JsonSerializer.SerializeToElement(Conversation(1))), Ct);
        api.Requests.Last().Body.GetProperty("model").GetString().ShouldBe("claude-haiku-4-5", "a bare list is counted with the counter's model");
    }

    [Fact]
    public async Task UsageCalibration_FromAResponse_CountsTheSentRequestExactly()
    {
        var sent = new MessageCreateParams { Model = "claude-sonnet-4-5", MaxTokens = 10, Messages = Conversation(3) };
        var response = JsonSerializer.Deserialize<BetaMessage>("""
            {"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"ok"}],
             "stop_reason":"end_turn","stop_sequence":null,
             "usage":{"input_tokens":120,"cache_read_input_tokens":3000,"cache_creation_input_tokens":400,"output_tokens":5},
             "context_management":{"applied_edits":[{"type":"clear_tool_uses_20250919","cleared_tool_uses":2,"cleared_input_tokens":900}]}}
            """)!;
        response.SentInputTokens().ShouldBe(120 + 3000 + 400 + 900);

        var counter = new UsageCalibratedTokenCounter();
        await counter.CalibrateAsync(sent, response, Ct);

        (await counter.CountAsync(sent.ToContextRequest(), Ct)).ShouldBe(4420);
        var next = Conversation(3);
        next.Add(new BetaUserMessageParam("And the tests?"));
        var appended = EstimatingTokenCounter.Count(ContextMessage.FromJson(next[^1].Json));
        (await counter.CountAsync(next.ToContextRequest(), Ct)).ShouldBe(4420 + appended);
    }
}
