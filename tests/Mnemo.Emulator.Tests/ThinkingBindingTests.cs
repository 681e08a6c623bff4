using System.Text.Json;
using System.Text.Json.Nodes;
using Anthropic.Exceptions;
using Anthropic.Models.Beta.Messages;
using static Mnemo.Emulator.Tests.Emulators;
using static Mnemo.Emulator.Tests.MessagesEmulatorSdkTests;

namespace Mnemo.Emulator.Tests;

/// <summary>Thinking blocks bound to their prefix on the models whose thinking is prefix-bound, as the official SDK sees
/// the emulator over real HTTP; and not bound on the models before them.</summary>
public sealed class ThinkingBindingTests
{
    private const string Binding = "claude-fable-5-1";
    private const string NotBinding = "claude-opus-4-6";
    private const string BindingBeta = "thinking-binding-controls-2026-08-01";

    private const string Script = """
        turns:
          - thinking: Read the scheduler first.
            tool_use: {name: read_file, input: {path: scheduler.py}}
          - thinking: The lock is taken twice.
            tool_use: {name: read_file, input: {path: lock.py}}
          - The race is in lock.py.
        """;

    private const string Adaptive = ""","thinking":{"type":"adaptive"}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Tools = """[{"name":"read_file","description":"Reads a file.","input_schema":{"type":"object","properties":{"path":{"type":"string"}}}}]""";

    /// <summary>Runs the tool loop two steps, sending everything back as it came; returns the conversation so far.</summary>
    private static async Task<JsonArray> TwoStepsAsync(global::Anthropic.AnthropicClient client, string model)
    {
        var messages = new JsonArray { JsonNode.Parse(User("Find the race."))! };
        for (var step = 0; step < 2; step++)
        {
            var reply = await client.Beta.Messages.Create(Params(Request(model, messages, extra: Adaptive)), Ct);
            reply.Content[0].TryPickThinking(out _).ShouldBeTrue();
            var call = reply.Content.Single(block => block.TryPickToolUse(out _));
            call.TryPickToolUse(out var use);
            messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = JsonNode.Parse(JsonSerializer.Serialize(reply.Content)) });
            messages.Add(JsonNode.Parse($$"""{"role":"user","content":[{"type":"tool_result","tool_use_id":"{{use!.ID}}","content":"def take(): lock.acquire(); lock.acquire()"}]}"""));
        }

        return messages;
    }

    private static string Request(string model, JsonArray messages, string system = "You review code.", string extra = "") =>
        $$"""{"model":"{{model}}","max_tokens":4000,"system":"{{system}}","tools":{{Tools}},"messages":{{messages.ToJsonString()}}{{extra}}}""";

    [Fact]
    public async Task Binding_ARequestSentBackUnchanged_IsAnswered()
    {
        await using var emulator = await StartAsync(Script);
        using var client = emulator.Client();
        var messages = await TwoStepsAsync(client, Binding);

        var last = await client.Beta.Messages.Create(Params(Request(Binding, messages)), Ct);

        last.Content.Single().TryPickText(out var text).ShouldBeTrue();
        text!.Text.ShouldBe("The race is in lock.py.");
    }

    [Fact]
    public async Task Binding_AChangedSystemPrompt_FailsWithTheApisMessage()
    {
        await using var emulator = await StartAsync(Script);
        using var client = emulator.Client();
        var messages = await TwoStepsAsync(client, Binding);

        var error = await Should.ThrowAsync<AnthropicBadRequestException>(() => client.Beta.Messages.Create(Params(Request(Binding, messages, system: "You review code carefully.")), Ct));

        ApiMessage(error).ShouldBe("messages.1.content.0: Invalid `signature` in `thinking` block. The block is bound to a different conversation. Remove the block, or set `thinking.block_binding.prefix_mismatch_behavior` to \"drop_block\". That setting requires the `thinking-binding-controls-2026-08-01` value in the `anthropic-beta` header. The `system` prompt differs from the one this block was created with.");
    }

    [Fact]
    public async Task Binding_AnEarlierMessageChanged_FailsForTheBlocksAfterIt()
    {
        await using var emulator = await StartAsync(Script);
        using var client = emulator.Client();
        var messages = await TwoStepsAsync(client, Binding);
        messages[2]!["content"]![0]!["content"] = "[cleared]"; // what client-side clearing does to an old result

        var error = await Should.ThrowAsync<AnthropicBadRequestException>(() => client.Beta.Messages.Create(Params(Request(Binding, messages)), Ct));

        ApiMessage(error).ShouldStartWith("messages.3.content.0: Invalid `signature` in `thinking` block. The block is bound to a different conversation.");
        ApiMessage(error).ShouldEndWith("The conversation before this block differs from the one it was created after.");
    }

    [Fact]
    public async Task Binding_TheTurnsEarlierThinkingBlockDropped_FailsForTheOneAfterIt()
    {
        await using var emulator = await StartAsync(Script);
        using var client = emulator.Client();
        var messages = await TwoStepsAsync(client, Binding);
        messages[1]!["content"]!.AsArray().RemoveAt(0);

        var error = await Should.ThrowAsync<AnthropicBadRequestException>(() => client.Beta.Messages.Create(Params(Request(Binding, messages)), Ct));

        ApiMessage(error).ShouldEndWith("The `thinking` block that preceded this one when it was created is missing from this request.");
    }

    [Fact]
    public async Task Binding_DropBlock_DropsTheFailingBlocksAndReportsThem()
    {
        await using var emulator = await StartAsync(Script);
        using var client = emulator.Client();
        var messages = await TwoStepsAsync(client, Binding);
        messages[2]!["content"]![0]!["content"] = "[cleared]";

        var last = await client.Beta.Messages.Create(
            Params(Request(Binding, messages, extra: ""","thinking":{"type":"adaptive","block_binding":{"prefix_mismatch_behavior":"drop_block"}}"""), BindingBeta), Ct);

        last.Content.Single().TryPickText(out var text).ShouldBeTrue();
        var dropped = last.InputTransformations.ShouldNotBeNull().ShouldHaveSingleItem();
        dropped.TryPickThinkingDropped(out var entry).ShouldBeTrue();
        entry!.Path.ShouldBe("messages.3.content.0");
        entry.Reason.Raw().ShouldBe("prefix_binding_mismatch");
        var seen = emulator.Exchanges[^1].Request!.Value.GetProperty("messages");
        seen[3].GetProperty("content")[0].GetProperty("type").GetString().ShouldBe("thinking", "the exchange log keeps the request as sent");
    }

    [Fact]
    public async Task Binding_WithTheBetaAndNothingDropped_ReportsAnEmptyList()
    {
        await using var emulator = await StartAsync(Script);
        using var client = emulator.Client();

        var first = await client.Beta.Messages.Create(Params(Request(Binding, [JsonNode.Parse(User("Find the race."))!]), BindingBeta), Ct);

        first.InputTransformations.ShouldNotBeNull().ShouldBeEmpty();
    }

    [Fact]
    public async Task Binding_AnEarlierTurnsThinking_MayBeDroppedAtTheNextTurn()
    {
        await using var emulator = await StartAsync(Script + "\n  - Anything else?\n");
        using var client = emulator.Client();
        var messages = await TwoStepsAsync(client, Binding);
        var answer = await client.Beta.Messages.Create(Params(Request(Binding, messages)), Ct);
        messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = JsonNode.Parse(JsonSerializer.Serialize(answer.Content)) });
        messages.Add(JsonNode.Parse(User("Thanks.")));
        foreach (var message in messages.Where(m => m!["role"]!.GetValue<string>() == "assistant"))
        {
            var content = message!["content"]!.AsArray();
            foreach (var thinking in content.Where(b => b!["type"]!.GetValue<string>() == "thinking").ToList())
            {
                content.Remove(thinking);
            }
        }

        var last = await client.Beta.Messages.Create(Params(Request(Binding, messages)), Ct);

        last.Content.Single().TryPickText(out var text).ShouldBeTrue();
    }

    [Fact]
    public async Task NotBinding_AChangedSystemPromptOrEarlierMessage_IsAnswered()
    {
        await using var emulator = await StartAsync(Script);
        using var client = emulator.Client();
        var messages = await TwoStepsAsync(client, NotBinding);
        messages[2]!["content"]![0]!["content"] = "[cleared]";

        var last = await client.Beta.Messages.Create(
            Params(Request(NotBinding, messages, system: "You review code carefully.", extra: Adaptive)), Ct);

        last.Content.Single().TryPickText(out _).ShouldBeTrue();
    }
}
