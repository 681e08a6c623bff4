using System.Text.Json;
using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Helpers.Beta;
using Anthropic.Models.Beta.Messages;
using Mnemo.Anthropic;
using Mnemo.Memory.FileSystem;
using Mnemo.Tests;
using static Mnemo.Emulator.Tests.Emulators;

namespace Mnemo.Emulator.Tests;

/// <summary>The emulator as the official SDK sees it, over real HTTP: nothing fakes the SDK.</summary>
public sealed class MessagesEmulatorSdkTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string ReviewScript = """
        conversations:
          - name: review
            match: review
            turns:
              - text: Let me check my memory first.
                tool_use: {name: memory, input: {command: view, path: /memories}}
              - thinking: Nothing stored yet; the counter update is not atomic.
                text: The increment races. Saving the pattern.
                tool_use:
                  name: memory
                  input:
                    command: create
                    path: /memories/patterns/lost-update.md
                    file_text: "Read-modify-write without a lock loses updates.\n"
              - "Done: one race found, pattern saved."
        """;

    [Fact]
    public async Task ToolRunner_MemoryConversation_RunsEveryScriptedTurnAndWritesTheStore()
    {
        await using var emulator = await StartAsync(ReviewScript);
        using var client = emulator.Client();
        using var temp = new TempDirectory();
        using var store = new FileSystemMemoryStore(temp.Combine("memories"));
        var parameters = Params(Body(User("Please review scraper.py")), ContextBeta);

        var runner = client.Beta.Messages.ToolRunner(parameters, [new MnemoMemoryTool(store)]);
        var final = await runner.RunUntilDoneAsync(Ct);

        final.Content.Single().TryPickText(out var text).ShouldBeTrue();
        text!.Text.ShouldBe("Done: one race found, pattern saved.");
        final.StopReason!.Raw().ShouldBe("end_turn");
        File.ReadAllText(temp.Combine("memories", "patterns", "lost-update.md")).ShouldBe("Read-modify-write without a lock loses updates.\n");

        var exchanges = emulator.Exchanges;
        exchanges.Select(exchange => exchange.ScriptSource).ShouldBe(
            ["conversation \"review\" turn 1", "conversation \"review\" turn 2", "conversation \"review\" turn 3"]);
        exchanges.ShouldAllBe(exchange => exchange.Status == 200);

        // The runner continues a message thread: it sends only the new messages, and the emulator puts the thread's in front.
        exchanges[1].Betas.ShouldContain("message-threads-2026-08-12");
        exchanges[1].Request!.Value.GetProperty("messages").GetArrayLength().ShouldBe(1);
        exchanges[1].Request!.Value.GetProperty("thread").GetProperty("previous_message_id").GetString()
            .ShouldBe(exchanges[0].Response!.Value.GetProperty("id").GetString());

        // The runner sent the memory tool's own result back: the reference's text for a view of the empty folder.
        var second = exchanges[1].AnsweredRequest!.Value.GetProperty("messages");
        var result = second[2].GetProperty("content")[0];
        result.GetProperty("type").GetString().ShouldBe("tool_result");
        result.GetProperty("tool_use_id").GetString().ShouldBe(second[1].GetProperty("content")[1].GetProperty("id").GetString());
        JsonSerializer.Serialize(result.GetProperty("content")).ShouldContain("/memories");
    }

    [Fact]
    public async Task Create_SameConversationTwice_GivesTheSameContentAndToolIds_UnderMessageIdsOfTheirOwn()
    {
        await using var emulator = await StartAsync(ReviewScript);
        using var client = emulator.Client();
        var parameters = Params(Body(User("review this")));

        var first = await client.Beta.Messages.Create(parameters, Ct);
        var again = await client.Beta.Messages.Create(parameters, Ct);

        again.ID.ShouldNotBe(first.ID, "each answer is a message of its own, as the API's are");
        first.ID.ShouldStartWith("msg_01");
        again.ID.ShouldStartWith("msg_01");
        first.Content[1].TryPickToolUse(out var call).ShouldBeTrue();
        call!.ID.ShouldStartWith("toolu_01");
        JsonSerializer.Serialize(again.Content).ShouldBe(JsonSerializer.Serialize(first.Content));
    }

    [Fact]
    public async Task CreateStreaming_AggregatesToTheMessageCreateReturns()
    {
        await using var emulator = await StartAsync("""
            turns:
              - thinking: Nothing stored yet; the counter update is not atomic.
                text: The increment races. Saving the pattern.
                tool_use: {name: memory, input: {command: create, path: /memories/patterns/lost-update.md, file_text: "Lock it.\n"}}
            """);
        using var client = emulator.Client();
        var body = Body(
            $$$"""{{{User("review it")}}},{"role":"assistant","content":[{"type":"thinking","thinking":"Look first.","signature":"c2lnbmF0dXJl"},{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1","name":"memory","input":{"command":"view","path":"/memories"}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"Here're the files and directories up to 2 levels deep in /memories, excluding hidden items and node_modules:\n4.0K\t/memories"}]}""",
            """{"thinking":{"type":"enabled","budget_tokens":1024},"max_tokens":4096}""");

        var whole = await client.Beta.Messages.Create(Params(body), Ct);
        var events = new List<string>();
        var streamed = await client.Beta.Messages.CreateStreaming(Params(body), Ct)
            .Select(streamEvent =>
            {
                events.Add(streamEvent.Json.GetProperty("type").GetString()!);
                return streamEvent;
            })
            .Aggregate();

        JsonElement.DeepEquals(JsonSerializer.SerializeToElement(streamed.Content), JsonSerializer.SerializeToElement(whole.Content))
            .ShouldBeTrue($"streamed {JsonSerializer.Serialize(streamed.Content)}\nwhole {JsonSerializer.Serialize(whole.Content)}");
        streamed.Content.Count.ShouldBe(3);
        streamed.Content[0].TryPickThinking(out var thinking).ShouldBeTrue();
        thinking!.Thinking.ShouldBe("Nothing stored yet; the counter update is not atomic.");
        thinking.Signature.ShouldNotBeNullOrEmpty();
        streamed.Content[2].TryPickToolUse(out var call).ShouldBeTrue();
        call!.Input["path"].GetString().ShouldBe("/memories/patterns/lost-update.md");
        streamed.StopReason!.Raw().ShouldBe("tool_use");
        streamed.Usage.OutputTokens.ShouldBe(whole.Usage.OutputTokens);
        streamed.Usage.InputTokens.ShouldBe(whole.Usage.InputTokens);
        events[0].ShouldBe("message_start");
        events[1].ShouldBe("content_block_start", "the SDK passes over pings");
        events[^2..].ShouldBe(["message_delta", "message_stop"]);
        events.Count(type => type == "content_block_start").ShouldBe(3);
        events.Count(type => type == "content_block_delta").ShouldBeGreaterThan(6, "text arrives in pieces");
    }

    [Fact]
    public async Task Create_ThinkingOff_SendsNoThinkingBlock()
    {
        await using var emulator = await StartAsync("turns: [{thinking: hidden, text: visible}]");
        using var client = emulator.Client();

        var message = await client.Beta.Messages.Create(Params(Body(User("hi"))), Ct);

        message.Content.Single().TryPickText(out var text).ShouldBeTrue();
        text!.Text.ShouldBe("visible");
    }

    [Fact]
    public async Task Create_ContextManagement_EditsBeforeTheAssistantSeesItAndTheSdkReadsAppliedEdits()
    {
        await using var emulator = await StartAsync("turns: [Noted.]");
        using var client = emulator.Client();
        var body = Body(ToolLoop(6, resultChars: 2000), """{"context_management":{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":3},"keep":{"type":"tool_uses","value":2}}]}}""");

        var message = await client.Beta.Messages.Create(Params(body, ContextBeta), Ct);

        var edit = message.ContextManagement!.AppliedEdits.Single();
        edit.TryPickBetaClearToolUses20250919EditResponse(out var cleared).ShouldBeTrue();
        cleared!.ClearedToolUses.ShouldBe(4);
        cleared.ClearedInputTokens.ShouldBeGreaterThan(4 * 200);

        // What the assistant saw: the four oldest results replaced by the placeholder; the usage counts that, not the original.
        var exchange = emulator.Exchanges.Single();
        var seen = exchange.AnsweredRequest!.Value.GetProperty("messages");
        seen[2].GetProperty("content")[0].GetProperty("content")[0].GetProperty("text").GetString()
            .ShouldBe("[cleared: this tool result was removed to save context]");
        seen[seen.GetArrayLength() - 1].GetProperty("content")[0].GetProperty("content").GetString()!.Length.ShouldBe(2000);
        exchange.AnsweredRequest.Value.TryGetProperty("context_management", out _).ShouldBeFalse();
        var count = await client.Beta.Messages.CountTokens(CountParams(body, ContextBeta), Ct);
        message.Usage.InputTokens.ShouldBe(count.InputTokens);
        count.ContextManagement!.OriginalInputTokens.ShouldBe(count.InputTokens + cleared.ClearedInputTokens);
    }

    [Fact]
    public async Task CreateStreaming_ContextManagement_ArrivesInMessageDelta()
    {
        await using var emulator = await StartAsync("turns: [Noted.]");
        using var client = emulator.Client();
        var body = Body(ToolLoop(5, resultChars: 500), """{"stream":true,"context_management":{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":2},"keep":{"type":"tool_uses","value":1}}]}}""");

        var message = await client.Beta.Messages.CreateStreaming(Params(body, ContextBeta), Ct).Aggregate();

        message.ContextManagement!.AppliedEdits.Single().TryPickBetaClearToolUses20250919EditResponse(out var cleared).ShouldBeTrue();
        cleared!.ClearedToolUses.ShouldBe(4);
    }

    [Fact]
    public async Task Create_ContextManagementWithoutBeta_IsRejectedLikeTheApi()
    {
        await using var emulator = await StartAsync("turns: [Noted.]");
        using var client = emulator.Client();
        var body = Body(User("hi"), """{"context_management":{"edits":[{"type":"clear_tool_uses_20250919"}]}}""");

        var error = await Should.ThrowAsync<AnthropicBadRequestException>(() => client.Beta.Messages.Create(Params(body), Ct));

        ApiMessage(error).ShouldBe("context_management: Extra inputs are not permitted");
    }

    [Fact]
    public async Task Create_ClearThinkingWithoutThinking_IsRejectedWithTheApiMessage()
    {
        await using var emulator = await StartAsync("turns: [Noted.]");
        using var client = emulator.Client();
        var body = Body(User("hi"), """{"context_management":{"edits":[{"type":"clear_thinking_20251015"}]}}""");

        var error = await Should.ThrowAsync<AnthropicBadRequestException>(() => client.Beta.Messages.Create(Params(body, ContextBeta), Ct));

        ApiMessage(error).ShouldBe("`clear_thinking_20251015` strategy requires `thinking` to be enabled or adaptive");
    }

    [Fact]
    public async Task Create_ToolResultWithoutItsCall_IsRejectedWithTheApiMessage()
    {
        await using var emulator = await StartAsync("turns: [Noted.]");
        using var client = emulator.Client();
        var body = Body(
            """{"role":"user","content":"go"},{"role":"assistant","content":"ok"},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_ghost","content":"x"}]}""");

        var error = await Should.ThrowAsync<AnthropicBadRequestException>(() => client.Beta.Messages.Create(Params(body), Ct));

        ApiMessage(error).ShouldBe(
            "messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_ghost. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.");
    }

    [Fact]
    public async Task Create_WrongKey_IsUnauthorized()
    {
        await using var emulator = await StartAsync("turns: [Noted.]", options => options.ApiKey = "right");
        using var client = emulator.Client("wrong");

        var error = await Should.ThrowAsync<AnthropicUnauthorizedException>(() => client.Beta.Messages.Create(Params(Body(User("hi"))), Ct));

        ApiMessage(error).ShouldBe("invalid x-api-key");
        using var right = emulator.Client("right");
        (await right.Beta.Messages.Create(Params(Body(User("hi"))), Ct)).Content.ShouldHaveSingleItem();
    }

    [Fact]
    public async Task Create_ScriptRunsOut_ClearErrorAtOnce()
    {
        await using var emulator = await StartAsync("conversations: [{name: short, turns: [Only answer.]}]");
        using var client = emulator.Client();
        var body = Body($$"""{{User("first")}},{"role":"assistant","content":"Only answer."},{{User("and now?")}}""");

        var error = await Should.ThrowAsync<AnthropicBadRequestException>(() => client.Beta.Messages.Create(Params(body), Ct));

        var message = ApiMessage(error);
        message.ShouldContain("conversation \"short\" has played all 1 of its turns");
        message.ShouldContain("\"and now?\"");
    }

    [Fact]
    public async Task Create_ScriptedOverload_SurfacesAsTheSdksOverloadError()
    {
        await using var emulator = await StartAsync("turns: [{error: {status: 529, message: Overloaded}}]");
        using var client = emulator.Client();

        var error = await Should.ThrowAsync<AnthropicApiException>(() => client.Beta.Messages.Create(Params(Body(User("hi"))), Ct));

        ((int)error.StatusCode).ShouldBe(529);
        error.Message.ShouldContain("overloaded_error");
    }

    [Fact]
    public async Task CreateStreaming_ScriptedErrorDuringStream_SurfacesAsAnSdkError()
    {
        await using var emulator = await StartAsync("turns: [{error: {status: 529, message: Overloaded, during_stream: true}}]");
        using var client = emulator.Client();

        var error = await Should.ThrowAsync<AnthropicException>(async () =>
            await client.Beta.Messages.CreateStreaming(Params(Body(User("hi"))), Ct).Aggregate());

        error.ToString().ShouldContain("Overloaded");
    }

    [Fact]
    public async Task Create_MaxTokensReached_CutsTheTextAndSaysSo()
    {
        await using var emulator = await StartAsync($"turns: [\"{string.Join(' ', Enumerable.Repeat("word", 200))}\"]");
        using var client = emulator.Client();

        var message = await client.Beta.Messages.Create(Params(Body(User("hi")).Replace("\"max_tokens\":1024", "\"max_tokens\":20", StringComparison.Ordinal)), Ct);

        message.StopReason!.Raw().ShouldBe("max_tokens");
        message.Usage.OutputTokens.ShouldBeLessThanOrEqualTo(20);
        message.Content.Single().TryPickText(out var text).ShouldBeTrue();
        text!.Text.Length.ShouldBeInRange(20, 600);
    }

    [Fact]
    public async Task Create_StopSequence_StopsThereAndNamesIt()
    {
        await using var emulator = await StartAsync("turns: [\"alpha beta END gamma\"]");
        using var client = emulator.Client();

        var message = await client.Beta.Messages.Create(Params(Body(User("hi"), """{"stop_sequences":["END"]}""")), Ct);

        message.StopReason!.Raw().ShouldBe("stop_sequence");
        message.StopSequence.ShouldBe("END");
        message.Content.Single().TryPickText(out var text).ShouldBeTrue();
        text!.Text.ShouldBe("alpha beta ");
    }

    [Fact]
    public async Task Create_PromptCache_WritesThenReadsThenExpires()
    {
        var clock = new ManualTimeProvider();
        await using var emulator = await StartAsync("rules: [{match: q, reply: ok}]", options => options.TimeProvider = clock);
        using var client = emulator.Client();
        var system = JsonSerializer.Serialize(new[] { new { type = "text", text = string.Join(' ', Enumerable.Range(0, 3000).Select(i => $"rule{i}")), cache_control = new { type = "ephemeral" } } });
        var first = Body(User("q1"), $$"""{"system":{{system}}}""");
        var second = Body($$"""{{User("q1")}},{"role":"assistant","content":"ok"},{{User("q2")}}""", $$"""{"system":{{system}}}""");

        var written = (await client.Beta.Messages.Create(Params(first), Ct)).Usage;
        var read = (await client.Beta.Messages.Create(Params(second), Ct)).Usage;
        clock.Advance(TimeSpan.FromMinutes(6));
        var expired = (await client.Beta.Messages.Create(Params(second), Ct)).Usage;

        written.CacheReadInputTokens.ShouldBe(0);
        written.CacheCreationInputTokens!.Value.ShouldBeGreaterThan(3000);
        read.CacheReadInputTokens.ShouldBe(written.CacheCreationInputTokens);
        read.CacheCreationInputTokens.ShouldBe(0);
        read.InputTokens.ShouldBeLessThan(40, "only the new turns are fresh input");
        expired.CacheReadInputTokens.ShouldBe(0);
        expired.CacheCreationInputTokens.ShouldBe(written.CacheCreationInputTokens);
        (read.InputTokens + read.CacheReadInputTokens!.Value).ShouldBe(
            (await client.Beta.Messages.CountTokens(CountParams(second), Ct)).InputTokens);
    }

    [Fact]
    public async Task Create_ManyConversationsAtOnce_EachGetsItsOwnTurnsInOrder()
    {
        await using var emulator = await StartAsync("turns: [one, two, three]");
        using var client = emulator.Client();

        async Task<string[]> Converse(int n)
        {
            var messages = User($"conversation {n}");
            var replies = new List<string>();
            for (var turn = 0; turn < 3; turn++)
            {
                var message = await client.Beta.Messages.Create(Params(Body(messages)), Ct);
                message.Content.Single().TryPickText(out var text).ShouldBeTrue();
                replies.Add(text!.Text);
                messages += $$""",{"role":"assistant","content":{{JsonSerializer.Serialize(text.Text)}}},{{User($"next {turn}")}}""";
            }

            return [.. replies];
        }

        var all = await Task.WhenAll(Enumerable.Range(0, 40).Select(Converse));

        all.ShouldAllBe(replies => replies.SequenceEqual(new[] { "one", "two", "three" }));
        emulator.Exchanges.Count.ShouldBe(120);
    }

    [Fact]
    public async Task CountTokens_MatchesTheUsageOfTheSameRequest()
    {
        await using var emulator = await StartAsync("turns: [ok]");
        using var client = emulator.Client();
        var body = Body(ToolLoop(2, resultChars: 300), """{"system":"You review code."}""");

        var count = await client.Beta.Messages.CountTokens(CountParams(body), Ct);
        var message = await client.Beta.Messages.Create(Params(body), Ct);

        count.InputTokens.ShouldBe(message.Usage.InputTokens);
        count.InputTokens.ShouldBeGreaterThan(150);
    }

    /// <summary>A user request, then <paramref name="uses"/> tool calls each answered with a result of the given length.</summary>
    internal static string ToolLoop(int uses, int resultChars)
    {
        var parts = new List<string> { User("Read the files.") };
        for (var i = 0; i < uses; i++)
        {
            parts.Add($$$"""{"role":"assistant","content":[{"type":"tool_use","id":"toolu_{{{i}}}","name":"read_file","input":{"path":"f{{{i}}}.py"}}]}""");
            var result = new string((char)('a' + i % 26), resultChars);
            parts.Add($$$"""{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_{{{i}}}","content":"{{{result}}}"}]}""");
        }

        return string.Join(',', parts);
    }

    /// <summary>The error message the API sent, as a user would read it.</summary>
    internal static string ApiMessage(AnthropicApiException error) =>
        JsonDocument.Parse(error.ResponseBody).RootElement.GetProperty("error").GetProperty("message").GetString()!;

    private static MessageCountTokensParams CountParams(string bodyJson, params string[] betas)
    {
        var body = JsonDocument.Parse(bodyJson).RootElement.EnumerateObject()
            .Where(property => property.Name != "max_tokens")
            .ToDictionary(property => property.Name, property => property.Value.Clone());
        var headers = betas.Length == 0
            ? new Dictionary<string, JsonElement>()
            : new Dictionary<string, JsonElement> { ["anthropic-beta"] = JsonSerializer.SerializeToElement(betas) };
        return MessageCountTokensParams.FromRawUnchecked(headers, new Dictionary<string, JsonElement>(), body);
    }
}
