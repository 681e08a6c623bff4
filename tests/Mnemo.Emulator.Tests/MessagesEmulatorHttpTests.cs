using System.Text;
using System.Text.Json;
using static Mnemo.Emulator.Tests.Emulators;

namespace Mnemo.Emulator.Tests;

/// <summary>The emulator over raw HTTP, for what the SDK would never send: the API's error shapes, statuses and events.</summary>
public sealed class MessagesEmulatorHttpTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void ShouldBeApiError((int Status, JsonElement Body, HttpResponseMessage Response) answer, int status, string type, string message)
    {
        answer.Status.ShouldBe(status);
        answer.Body.GetProperty("type").GetString().ShouldBe("error");
        answer.Body.GetProperty("error").GetProperty("type").GetString().ShouldBe(type);
        answer.Body.GetProperty("error").GetProperty("message").GetString().ShouldBe(message);
        var requestId = answer.Body.GetProperty("request_id").GetString();
        requestId.ShouldStartWith("req_");
        answer.Response.Headers.GetValues("request-id").Single().ShouldBe(requestId);
    }

    [Fact]
    public async Task Post_WithoutApiKey_Is401WithTheApiMessage()
    {
        await using var emulator = await StartAsync("turns: [ok]");
        ShouldBeApiError(await emulator.PostAsync("/v1/messages", Body(User("hi")), apiKey: null), 401, "authentication_error", "x-api-key header is required");
    }

    [Fact]
    public async Task Post_BearerToken_IsAcceptedLikeAnApiKey()
    {
        await using var emulator = await StartAsync("turns: [ok]");
        using var http = new HttpClient { BaseAddress = emulator.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new StringContent(Body(User("hi")), Encoding.UTF8, "application/json") };
        request.Headers.Add("Authorization", "Bearer token");
        request.Headers.Add("anthropic-version", "2023-06-01");
        (await http.SendAsync(request, Ct)).IsSuccessStatusCode.ShouldBeTrue();
    }

    [Fact]
    public async Task Post_WithoutVersion_Is400WithTheApiMessage()
    {
        await using var emulator = await StartAsync("turns: [ok]");
        var answer = await emulator.PostAsync("/v1/messages", Body(User("hi")), version: null);
        ShouldBeApiError(answer, 400, "invalid_request_error", "anthropic-version: header is required");
        answer.Response.Headers.GetValues("x-should-retry").Single().ShouldBe("false");
    }

    [Fact]
    public async Task Post_NotJson_Is400AndSaysWhere()
    {
        await using var emulator = await StartAsync("turns: [ok]");
        var answer = await emulator.PostAsync("/v1/messages", """{"model": "m", "max_tokens": 1,""");
        answer.Status.ShouldBe(400);
        answer.Body.GetProperty("error").GetProperty("type").GetString().ShouldBe("invalid_request_error");
        answer.Body.GetProperty("error").GetProperty("message").GetString()!.ShouldStartWith("The request body is not valid JSON");
    }

    [Fact]
    public async Task Post_UnknownPath_Is404NotFoundError()
    {
        await using var emulator = await StartAsync("turns: [ok]");
        ShouldBeApiError(await emulator.PostAsync("/v1/complete", "{}"), 404, "not_found_error", "Not Found");
    }

    [Fact]
    public async Task Post_BodyOverTheApiLimit_Is413()
    {
        await using var emulator = await StartAsync("turns: [ok]");
        var huge = Body(User(new string('x', 33 * 1024 * 1024)));
        var answer = await emulator.PostAsync("/v1/messages", huge);
        answer.Status.ShouldBe(413);
        answer.Body.GetProperty("error").GetProperty("type").GetString().ShouldBe("request_too_large");
    }

    public static TheoryData<string, string, string> Invalid => new()
    {
        { "model missing", """{"max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""", "model: Field required" },
        { "max_tokens missing", """{"model":"m","messages":[{"role":"user","content":"hi"}]}""", "max_tokens: Field required" },
        { "max_tokens zero", """{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"hi"}]}""", "max_tokens: Input should be greater than or equal to 1" },
        { "messages missing", """{"model":"m","max_tokens":10}""", "messages: Field required" },
        { "bad role", """{"model":"m","max_tokens":10,"messages":[{"role":"tool","content":"hi"}]}""", "messages.0.role: Input should be 'user', 'assistant' or 'system'" },
        { "system message first", """{"model":"m","max_tokens":10,"messages":[{"role":"system","content":"hi"}]}""", "messages.0: a `system` message cannot be the first message; give conversation-wide instructions in the top-level `system` field" },
        { "system message after the assistant", """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yes"},{"role":"system","content":"be brief"}]}""", "messages.2: a `system` message must follow a `user` message" },
        { "system message before a user message", """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"},{"role":"system","content":"be brief"},{"role":"user","content":"and?"}]}""", "messages.1: a `system` message must be the last message or be followed by an `assistant` message" },
        { "system message with an image", """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"},{"role":"system","content":[{"type":"image","source":{}}]}]}""", "messages.1.content.0.type: Input should be 'text'" },
        { "system message on a model that takes none", """{"model":"claude-sonnet-5","max_tokens":10,"messages":[{"role":"user","content":"hi"},{"role":"system","content":"be brief"}]}""", "messages.1.role: mid-conversation `system` messages are not supported by claude-sonnet-5; put the instruction in a `user` message" },
        { "manual thinking on an adaptive-only model", """{"model":"claude-fable-5-1","max_tokens":4000,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"user","content":"hi"}]}""", "`thinking.type.enabled` is not supported for this model. Use `thinking.type.adaptive` and `output_config.effort` to control thinking behavior." },
        { "thinking off on a model that always thinks", """{"model":"claude-opus-5","max_tokens":4000,"thinking":{"type":"disabled"},"messages":[{"role":"user","content":"hi"}]}""", "`thinking.type.disabled` is not supported for this model: it always thinks. Leave `thinking` out, or use `thinking.type.adaptive`." },
        { "adaptive thinking on an older model", """{"model":"claude-sonnet-4-5","max_tokens":4000,"thinking":{"type":"adaptive"},"messages":[{"role":"user","content":"hi"}]}""", "`thinking.type.adaptive` is not supported for this model. Use `thinking.type.enabled` with `budget_tokens`." },
        { "max_tokens over the model's output limit", """{"model":"claude-sonnet-4-5","max_tokens":64001,"messages":[{"role":"user","content":"hi"}]}""", "max_tokens: 64001 > 64000, which is the maximum allowed number of output tokens for claude-sonnet-4-5-20250929" },
        { "forced tool use on a model that always thinks", """{"model":"claude-opus-5","max_tokens":4000,"tool_choice":{"type":"any"},"tools":[{"name":"t","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"hi"}]}""", "Thinking may not be enabled when tool_choice forces tool use." },
        { "binding controls without their beta", """{"model":"claude-fable-5-1","max_tokens":4000,"thinking":{"type":"adaptive","block_binding":{"prefix_mismatch_behavior":"drop_block"}},"messages":[{"role":"user","content":"hi"}]}""", "thinking.adaptive.block_binding: Extra inputs are not permitted" },
        {
            "empty content", """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":[]}]}""",
            "messages.0: all messages must have non-empty content except for the optional final assistant message"
        },
        { "empty text", """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":""}]}]}""", "messages: text content blocks must be non-empty" },
        {
            "unanswered tool use",
            """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"go"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_a","name":"t","input":{}}]},{"role":"user","content":"well?"}]}""",
            "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_a. Each `tool_use` block must have a corresponding `tool_result` block in the next message."
        },
        {
            "thinking budget too small", """{"model":"m","max_tokens":2000,"thinking":{"type":"enabled","budget_tokens":500},"messages":[{"role":"user","content":"hi"}]}""",
            "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
        },
        {
            "budget over max_tokens", """{"model":"m","max_tokens":1024,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"user","content":"hi"}]}""",
            "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size"
        },
        {
            "five cache breakpoints",
            """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":"a","cache_control":{"type":"ephemeral"}},{"type":"text","text":"b","cache_control":{"type":"ephemeral"}},{"type":"text","text":"c","cache_control":{"type":"ephemeral"}},{"type":"text","text":"d","cache_control":{"type":"ephemeral"}},{"type":"text","text":"e","cache_control":{"type":"ephemeral"}}]}]}""",
            "A maximum of 4 blocks with cache_control may be provided. Found 5."
        },
        {
            "thinking strategy not first",
            """{"model":"m","max_tokens":4000,"thinking":{"type":"enabled","budget_tokens":1024},"context_management":{"edits":[{"type":"clear_tool_uses_20250919"},{"type":"clear_thinking_20251015"}]},"messages":[{"role":"user","content":"hi"}]}""",
            "context_management.edits.1: `clear_thinking_20251015` must be the first strategy in `edits`"
        },
        {
            "duplicate tool names", """{"model":"m","max_tokens":10,"tools":[{"name":"a","input_schema":{}},{"name":"a","input_schema":{}}],"messages":[{"role":"user","content":"hi"}]}""",
            "tools: Tool names must be unique."
        },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task Post_InvalidRequest_Is400WithTheApiMessage(string why, string body, string message)
    {
        _ = why;
        await using var emulator = await StartAsync("turns: [ok]");
        ShouldBeApiError(await emulator.PostAsync("/v1/messages", body, beta: ContextBeta), 400, "invalid_request_error", message);
    }

    [Fact]
    public async Task Post_ConsecutiveUserMessages_CountAsOneTurnUnlessStrict()
    {
        var body = Body($"{User("one")},{User("two")}");
        await using (var lenient = await StartAsync("turns: [ok]"))
        {
            (await lenient.PostAsync("/v1/messages", body)).Status.ShouldBe(200);
        }

        await using var strict = await StartAsync("turns: [ok]", options => options.StrictRoleAlternation = true);
        ShouldBeApiError(await strict.PostAsync("/v1/messages", body), 400, "invalid_request_error",
            "messages: roles must alternate between \"user\" and \"assistant\", but found multiple \"user\" roles in a row");
    }

    [Theory]
    [InlineData("claude-opus-4-6", 0)]
    [InlineData("claude-sonnet-4-6", 0)]
    [InlineData("claude-haiku-4-5", 1)]
    [InlineData("claude-sonnet-4-5", 1)]
    public async Task Post_ClearThinkingWithoutKeep_KeepsWhatTheRequestsModelKeeps(string model, int clearedTurns)
    {
        // Two answered questions with thinking, sent back as answered, and a third question: the earlier turn's thinking
        // is cleared by default on the models that keep only the last turn's, and kept on the ones that keep all.
        await using var emulator = await StartAsync("turns: [{thinking: first thought, text: one}, {thinking: second thought, text: two}, three]");
        var thinking = model is "claude-haiku-4-5" or "claude-sonnet-4-5" ? """{"type":"enabled","budget_tokens":1024}""" : """{"type":"adaptive"}""";
        var extra = $$$"""{"model":"{{{model}}}","max_tokens":4000,"thinking":{{{thinking}}}}""";
        var messages = User("first");
        for (var turn = 0; turn < 2; turn++)
        {
            var answer = await emulator.PostAsync("/v1/messages", Body(messages, extra));
            answer.Status.ShouldBe(200);
            messages += $$""",{"role":"assistant","content":{{answer.Body.GetProperty("content").GetRawText()}}},{{User($"next {turn}")}}""";
        }

        var last = await emulator.PostAsync("/v1/messages",
            Body(messages, extra[..^1] + ""","context_management":{"edits":[{"type":"clear_thinking_20251015"}]}}"""), beta: ContextBeta);

        last.Status.ShouldBe(200);
        var applied = last.Body.GetProperty("context_management").GetProperty("applied_edits");
        applied.EnumerateArray().Sum(edit => edit.GetProperty("cleared_thinking_turns").GetInt32()).ShouldBe(clearedTurns);
        var seen = (emulator.Exchanges[^1].AnsweredRequest ?? emulator.Exchanges[^1].Request)!.Value.GetProperty("messages");
        seen.EnumerateArray().Count(m => m.GetProperty("content") is { ValueKind: JsonValueKind.Array } blocks &&
            blocks.EnumerateArray().Any(b => b.GetProperty("type").GetString() == "thinking")).ShouldBe(2 - clearedTurns);
    }

    [Fact]
    public async Task Post_APromptOverTheModelsWindow_IsTooLong_AsTheApiSays()
    {
        await using var emulator = await StartAsync("turns: [ok]");
        var words = string.Join(' ', Enumerable.Range(0, 210_000).Select(i => $"w{i}"));
        var body = $$$"""{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"{{{words}}}"}]}""";

        var answer = await emulator.PostAsync("/v1/messages", body);

        answer.Status.ShouldBe(400);
        answer.Body.GetProperty("error").GetProperty("message").GetString()!.ShouldMatch(@"^prompt is too long: \d+ tokens > 200000 maximum$");
    }

    [Fact]
    public async Task Post_EditedThinkingSentBack_IsRejectedForItsSignature()
    {
        await using var emulator = await StartAsync("turns: [{thinking: first thought, tool_use: {name: t, input: {}}}, done]");
        var first = await emulator.PostAsync("/v1/messages", Body(User("go"), """{"max_tokens":4000,"thinking":{"type":"enabled","budget_tokens":1024}}"""));
        var content = first.Body.GetProperty("content");
        var thought = content[0].GetProperty("signature").GetString();
        var callId = content[1].GetProperty("id").GetString();
        string FollowUp(string thinking) => Body(
            $$$"""{{{User("go")}}},{"role":"assistant","content":[{"type":"thinking","thinking":"{{{thinking}}}","signature":"{{{thought}}}"},{"type":"tool_use","id":"{{{callId}}}","name":"t","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"{{{callId}}}","content":"ok"}]}""",
            """{"max_tokens":4000,"thinking":{"type":"enabled","budget_tokens":1024}}""");

        (await emulator.PostAsync("/v1/messages", FollowUp("first thought"))).Body.GetProperty("content")[0].GetProperty("text").GetString().ShouldBe("done");
        ShouldBeApiError(await emulator.PostAsync("/v1/messages", FollowUp("a changed thought")), 400, "invalid_request_error",
            "messages.1.content.0: Invalid `signature` in `thinking` block");
    }

    [Fact]
    public async Task Stream_SendsTheApiEventSequence()
    {
        await using var emulator = await StartAsync("turns: [{text: Checking memory., tool_use: {name: memory, input: {command: view, path: /memories}}}]");
        using var http = new HttpClient { BaseAddress = emulator.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
        {
            Content = new StringContent(Body(User("hi"), """{"stream":true}"""), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-api-key", "k");
        request.Headers.Add("anthropic-version", "2023-06-01");
        var response = await http.SendAsync(request, Ct);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        var text = await response.Content.ReadAsStringAsync(Ct);

        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(part => part.Split('\n'))
            .Select(lines => (Name: lines[0]["event: ".Length..], Data: JsonDocument.Parse(lines[1]["data: ".Length..]).RootElement))
            .ToList();
        events.ShouldAllBe(e => e.Data.GetProperty("type").GetString() == e.Name);
        string.Join(' ', events.Select(e => e.Name).Distinct()).ShouldBe(
            "message_start ping content_block_start content_block_delta content_block_stop message_delta message_stop");
        events[0].Data.GetProperty("message").GetProperty("usage").GetProperty("input_tokens").GetInt64().ShouldBeGreaterThan(0);
        var json = string.Concat(events.Where(e => e.Name == "content_block_delta" && e.Data.GetProperty("index").GetInt32() == 1)
            .Select(e => e.Data.GetProperty("delta").GetProperty("partial_json").GetString()));
        JsonDocument.Parse(json).RootElement.GetProperty("command").GetString().ShouldBe("view");
        events.Single(e => e.Name == "message_delta").Data.GetProperty("delta").GetProperty("stop_reason").GetString().ShouldBe("tool_use");
    }

    [Fact]
    public async Task Thread_ContinuedTwiceOrUnknown_GivesTheErrorCodesTheSdkReplaysOn()
    {
        await using var emulator = await StartAsync("turns: [one, two, three]");
        const string Beta = "message-threads-2026-08-12";
        var created = await emulator.PostAsync("/v1/messages", Body(User("start"), """{"thread":{"type":"create"}}"""), beta: Beta);
        var id = created.Body.GetProperty("id").GetString();
        var next = Body(User("more"), $$$"""{"thread":{"type":"continue","previous_message_id":"{{{id}}}"}}""");

        var continued = await emulator.PostAsync("/v1/messages", next, beta: Beta);
        var again = await emulator.PostAsync("/v1/messages", next, beta: Beta);
        var unknown = await emulator.PostAsync("/v1/messages", next.Replace(id!, "msg_01nothere", StringComparison.Ordinal), beta: Beta);
        var withoutBeta = await emulator.PostAsync("/v1/messages", next);

        continued.Body.GetProperty("content")[0].GetProperty("text").GetString().ShouldBe("two", "the stored conversation was put back in front");
        again.Status.ShouldBe(400);
        again.Body.GetProperty("error").GetProperty("details").GetProperty("error_code").GetString().ShouldBe("thread_already_continued");
        unknown.Status.ShouldBe(404);
        unknown.Body.GetProperty("error").GetProperty("details").GetProperty("error_code").GetString().ShouldBe("thread_not_found");
        ShouldBeApiError(withoutBeta, 400, "invalid_request_error", "thread: Extra inputs are not permitted");
    }

    [Fact]
    public async Task CountTokens_WithMaxTokens_IsRejectedLikeTheApi()
    {
        await using var emulator = await StartAsync();
        ShouldBeApiError(await emulator.PostAsync("/v1/messages/count_tokens", Body(User("hi"))), 400, "invalid_request_error",
            "max_tokens: Extra inputs are not permitted");
        var count = await emulator.PostAsync("/v1/messages/count_tokens", """{"model":"m","messages":[{"role":"user","content":"hi"}]}""");
        count.Body.GetProperty("input_tokens").GetInt64().ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Post_LogCallbackThrows_TheClientStillGetsItsAnswer()
    {
        await using var emulator = await StartAsync("turns: [ok]", options => options.OnExchange = _ => throw new InvalidOperationException("log is full"));
        var answer = await emulator.PostAsync("/v1/messages", Body(User("hi")));
        answer.Status.ShouldBe(200);
        answer.Body.GetProperty("content")[0].GetProperty("text").GetString().ShouldBe("ok");
    }

    [Fact]
    public async Task Post_WithoutScript_SaysSoInsteadOfAnswering()
    {
        await using var emulator = await StartAsync();
        var answer = await emulator.PostAsync("/v1/messages", Body(User("hi")));
        answer.Status.ShouldBe(400);
        answer.Body.GetProperty("error").GetProperty("message").GetString()!.ShouldContain("no script is loaded");
    }

    [Fact]
    public async Task Exchanges_ListsWhatWasSentAndAnswered()
    {
        await using var emulator = await StartAsync("turns: [ok]");
        await emulator.PostAsync("/v1/messages", Body(User("hi")));
        using var http = new HttpClient { BaseAddress = emulator.BaseAddress };

        var list = JsonDocument.Parse(await http.GetStringAsync("/_emulator/exchanges", Ct)).RootElement;

        var exchange = list.EnumerateArray().Single();
        exchange.GetProperty("status").GetInt32().ShouldBe(200);
        exchange.GetProperty("request").GetProperty("messages")[0].GetProperty("content").GetString().ShouldBe("hi");
        exchange.GetProperty("response").GetProperty("content")[0].GetProperty("text").GetString().ShouldBe("ok");
        exchange.GetProperty("script_source").GetString().ShouldBe("conversation 0 turn 1");
    }

    [Fact]
    public async Task TheLog_ShowsTheStatusTheControlEndpointsAnswered()
    {
        var logged = new System.Collections.Concurrent.ConcurrentQueue<Mnemo.Emulator.EmulatorExchange>();
        await using var emulator = await StartAsync("turns: [ok]", options => options.OnExchange = logged.Enqueue);
        using var http = new HttpClient { BaseAddress = emulator.BaseAddress };
        (await http.GetAsync(new Uri("/_emulator/exchanges", UriKind.Relative), Ct)).EnsureSuccessStatusCode();
        (await http.DeleteAsync(new Uri("/_emulator/exchanges", UriKind.Relative), Ct)).EnsureSuccessStatusCode();
        (await http.GetAsync(new Uri("/_emulator/nothing", UriKind.Relative), Ct)).StatusCode.ShouldBe(System.Net.HttpStatusCode.NotFound);

        logged.Select(exchange => (exchange.Path, exchange.Status)).ShouldBe(
            [("/_emulator/exchanges", 200), ("/_emulator/exchanges", 204), ("/_emulator/nothing", 404)]);
    }
}
