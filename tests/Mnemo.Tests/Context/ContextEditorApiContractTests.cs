using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mnemo.Context;
using Mnemo.Tokens;

namespace Mnemo.Tests.Context;

/// <summary>Context editing as the platform docs' context-editing page has it today: server tools' results are tool uses,
/// the thinking kept by default depends on the model, a trigger fires past its value, adaptive thinking counts as
/// thinking, and a request's token count does not depend on how its JSON was laid out.</summary>
public sealed class ContextEditorApiContractTests
{
    private const string Placeholder = "[cleared: this tool result was removed to save context]";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<ContextEditResult> Edit(JsonObject request, string config) =>
        await new ContextEditor().EditAsync(ContextRequest.Parse(request.ToJsonString()), ContextManagementConfig.Parse(config), Ct);

    private static JsonArray Messages(ContextEditResult result) => JsonNode.Parse(result.Request.ToJsonString())!["messages"]!.AsArray();

    private static JsonObject Text(string text) => new() { ["type"] = "text", ["text"] = text };

    /// <summary>A research session: a web search, a web fetch, code execution and a client tool, each in an assistant turn of its own.</summary>
    private static JsonObject Research(string model = "claude-sonnet-4-5")
    {
        var big = new string('x', 600);
        JsonObject Server(string id, string name, JsonObject input, string resultType, JsonNode content) => new()
        {
            ["role"] = "assistant",
            ["content"] = new JsonArray
            {
                Text($"Using {name}."),
                new JsonObject { ["type"] = "server_tool_use", ["id"] = id, ["name"] = name, ["input"] = input },
                new JsonObject { ["type"] = resultType, ["tool_use_id"] = id, ["content"] = content },
                Text("Done."),
            },
        };

        var messages = new JsonArray
        {
            new JsonObject { ["role"] = "user", ["content"] = "Research the bug." },
            Server("srvtoolu_1", "web_search", new JsonObject { ["query"] = "race condition" }, "web_search_tool_result", new JsonArray
            {
                new JsonObject { ["type"] = "web_search_result", ["url"] = "https://example.com/a", ["title"] = "A", ["encrypted_content"] = big, ["page_age"] = "1 day" },
            }),
            new JsonObject { ["role"] = "user", ["content"] = "Go on." },
            Server("srvtoolu_2", "web_fetch", new JsonObject { ["url"] = "https://example.com/a" }, "web_fetch_tool_result", new JsonObject
            {
                ["type"] = "web_fetch_result", ["url"] = "https://example.com/a",
                ["content"] = new JsonObject
                {
                    ["type"] = "document",
                    ["source"] = new JsonObject { ["type"] = "text", ["media_type"] = "text/plain", ["data"] = "page " + big },
                },
            }),
            new JsonObject { ["role"] = "user", ["content"] = "And run it." },
            Server("srvtoolu_3", "code_execution", new JsonObject { ["code"] = "print(1)" }, "code_execution_tool_result", new JsonObject
            {
                ["type"] = "code_execution_result", ["stdout"] = "out " + big, ["stderr"] = "", ["return_code"] = 0, ["content"] = new JsonArray(),
            }),
            new JsonObject { ["role"] = "user", ["content"] = "Now read the file." },
            new JsonObject
            {
                ["role"] = "assistant",
                ["content"] = new JsonArray { new JsonObject { ["type"] = "tool_use", ["id"] = "toolu_4", ["name"] = "read_file", ["input"] = new JsonObject { ["path"] = "a.py" } } },
            },
            new JsonObject
            {
                ["role"] = "user",
                ["content"] = new JsonArray { new JsonObject { ["type"] = "tool_result", ["tool_use_id"] = "toolu_4", ["content"] = "file " + big } },
            },
        };
        return new JsonObject { ["model"] = model, ["max_tokens"] = 1024, ["messages"] = messages };
    }

    [Fact]
    public async Task ServerToolResults_AreToolUses_ClearedInAShapeTheirTypeAllows()
    {
        var request = Research();
        ContextEditor.CountToolUses(ContextRequest.Parse(request.ToJsonString()).Messages).ShouldBe(4);

        var result = await Edit(request, """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":3},"keep":{"type":"tool_uses","value":1}}]}""");

        result.AppliedEdits.ShouldHaveSingleItem().ClearedToolUses.ShouldBe(3);
        result.AppliedEdits[0].ClearedInputTokens.ShouldBePositive();
        var messages = Messages(result);
        var search = messages[1]!["content"]![2]!;
        (search["type"]!.GetValue<string>(), search["tool_use_id"]!.GetValue<string>()).ShouldBe(("web_search_tool_result", "srvtoolu_1"));
        search["content"]!.AsArray().ShouldBeEmpty("a web search's hits are encrypted: a cleared search has none");
        var fetch = messages[3]!["content"]![2]!["content"]!;
        fetch["url"]!.GetValue<string>().ShouldBe("https://example.com/a");
        fetch["content"]!["source"]!["data"]!.GetValue<string>().ShouldBe(Placeholder);
        var code = messages[5]!["content"]![2]!["content"]!;
        (code["type"]!.GetValue<string>(), code["stdout"]!.GetValue<string>(), code["return_code"]!.GetValue<int>()).ShouldBe(("code_execution_result", Placeholder, 0));
        messages[7]!["content"]![0]!["input"]!["path"]!.GetValue<string>().ShouldBe("a.py", "the kept tool use is untouched");
        messages[8]!["content"]![0]!["content"]!.GetValue<string>().ShouldStartWith("file ");
        messages[1]!["content"]![1]!["input"]!["query"]!.GetValue<string>().ShouldBe("race condition", "server_tool_use blocks stay, with their input");
        messages[1]!["content"]![3]!["text"]!.GetValue<string>().ShouldBe("Done.");

        // Cleared once is cleared for good: the edited request, edited again, changes no further.
        var again = await new ContextEditor().EditAsync(result.Request, ContextManagementConfig.Parse(
            """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":3},"keep":{"type":"tool_uses","value":1}}]}"""), Ct);
        again.AppliedEdits.ShouldBeEmpty();
    }

    [Fact]
    public async Task ServerToolResults_CountTowardKeep_AndExcludeToolsProtectsThem()
    {
        // Keep 2: the code execution and the client read are the two most recent tool uses, so they stay.
        var kept = Messages(await Edit(Research(), """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":1},"keep":{"type":"tool_uses","value":2}}]}"""));
        kept[5]!["content"]![2]!["content"]!["stdout"]!.GetValue<string>().ShouldStartWith("out ");
        kept[3]!["content"]![2]!["content"]!["content"]!["source"]!["data"]!.GetValue<string>().ShouldBe(Placeholder);

        var excluded = await Edit(Research(), """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":1},"keep":{"type":"tool_uses","value":0},"exclude_tools":["web_search"]}]}""");
        excluded.AppliedEdits.ShouldHaveSingleItem().ClearedToolUses.ShouldBe(3);
        var messages = Messages(excluded);
        messages[1]!["content"]![2]!["content"]!.AsArray().Count.ShouldBe(1, "web_search is excluded");
        messages[8]!["content"]![0]!["content"]![0]!["text"]!.GetValue<string>().ShouldBe(Placeholder);
    }

    [Fact]
    public async Task ServerToolInputs_AreClearedWhenAsked()
    {
        var result = await Edit(Research(), """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":1},"keep":{"type":"tool_uses","value":0},"clear_tool_inputs":["web_fetch"]}]}""");
        var messages = Messages(result);
        messages[3]!["content"]![1]!["input"]!.AsObject().ShouldBeEmpty();
        messages[1]!["content"]![1]!["input"]!["query"]!.GetValue<string>().ShouldBe("race condition");
    }

    [Theory]
    [InlineData("claude-opus-4-5", true)]
    [InlineData("claude-opus-4-5-20251101", true)]
    [InlineData("claude-opus-4-6", true)]
    [InlineData("claude-opus-5-5", true)]
    [InlineData("claude-sonnet-4-6", true)]
    [InlineData("claude-sonnet-5", true)]
    [InlineData("claude-fable-5-1", true)]
    [InlineData("claude-opus-4-1-20250805", false)]
    [InlineData("claude-opus-4-20250514", false)]
    [InlineData("claude-sonnet-4-5", false)]
    [InlineData("claude-sonnet-4-5-20250929", false)]
    [InlineData("claude-sonnet-4-20250514", false)]
    [InlineData("claude-haiku-4-5-20251001", false)]
    [InlineData("claude-haiku-5-5", false)]
    [InlineData("claude-3-7-sonnet-20250219", false)]
    [InlineData("claude-opus-6", true)]
    [InlineData("gpt-5", true)]
    [InlineData(null, true)]
    public void ModelTable_KeepsAllThinkingByDefault_OnOpus45AndSonnet46AndLater(string? model, bool keepsAll) =>
        ClaudeModels.KeepsAllThinkingByDefault(model).ShouldBe(keepsAll);

    /// <summary>Three questions, each answered with thinking.</summary>
    private static JsonObject Thoughtful(string model)
    {
        var messages = new JsonArray();
        for (var i = 0; i < 3; i++)
        {
            messages.Add(new JsonObject { ["role"] = "user", ["content"] = $"Question {i}." });
            messages.Add(new JsonObject
            {
                ["role"] = "assistant",
                ["content"] = new JsonArray { new JsonObject { ["type"] = "thinking", ["thinking"] = $"thought {i} " + new string('t', 200), ["signature"] = "s" }, Text($"Answer {i}.") },
            });
        }

        messages.Add(new JsonObject { ["role"] = "user", ["content"] = "Question 3." });
        return new JsonObject { ["model"] = model, ["max_tokens"] = 4096, ["thinking"] = new JsonObject { ["type"] = "adaptive" }, ["messages"] = messages };
    }

    [Theory]
    [InlineData("claude-opus-4-6", 0)]
    [InlineData("claude-sonnet-4-6", 0)]
    [InlineData("claude-haiku-4-5", 2)]
    [InlineData("claude-sonnet-4-5", 2)]
    public async Task ClearThinking_WithoutKeep_KeepsWhatTheModelKeepsByDefault(string model, int clearedTurns)
    {
        var result = await Edit(Thoughtful(model), """{"edits":[{"type":"clear_thinking_20251015"}]}""");
        result.AppliedEdits.Sum(edit => edit.ClearedThinkingTurns).ShouldBe(clearedTurns);
        var thinking = Messages(result).Count(m => m!["content"] is JsonArray blocks && blocks.Any(b => b!["type"]!.GetValue<string>() == "thinking"));
        thinking.ShouldBe(3 - clearedTurns);

        // A keep that is given wins over the model's default.
        var one = await Edit(Thoughtful(model), """{"edits":[{"type":"clear_thinking_20251015","keep":{"type":"thinking_turns","value":1}}]}""");
        one.AppliedEdits.ShouldHaveSingleItem().ClearedThinkingTurns.ShouldBe(2);
    }

    [Fact]
    public void ClearThinking_AcceptsAdaptiveThinking_AndSaysWhatItNeedsWithout()
    {
        var config = ContextManagementConfig.Parse("""{"edits":[{"type":"clear_thinking_20251015"}]}""");
        Should.NotThrow(() => config.ValidateFor(ContextRequest.Parse(Thoughtful("claude-opus-4-6").ToJsonString())));
        var without = Thoughtful("claude-opus-4-6");
        without.Remove("thinking");
        Should.Throw<ContextFormatException>(() => config.ValidateFor(ContextRequest.Parse(without.ToJsonString())))
            .Message.ShouldBe("`clear_thinking_20251015` strategy requires `thinking` to be enabled or adaptive");
    }

    [Fact]
    public async Task InputTokensTrigger_FiresPastItsValue_NotAtIt()
    {
        var request = Research();
        var tokens = EstimatingTokenCounter.Instance.Count(ContextRequest.Parse(request.ToJsonString()));
        (await Edit(request, $$$"""{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"input_tokens","value":{{{tokens}}}},"keep":{"type":"tool_uses","value":0}}]}"""))
            .AppliedEdits.ShouldBeEmpty("a prompt of exactly the trigger's size does not exceed it");
        (await Edit(request, $$$"""{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"input_tokens","value":{{{tokens - 1}}}},"keep":{"type":"tool_uses","value":0}}]}"""))
            .AppliedEdits.ShouldHaveSingleItem().ClearedToolUses.ShouldBe(4);
    }

    [Fact]
    public void TokenEstimate_OfARequest_DoesNotDependOnHowItsJsonIsLaidOut()
    {
        var text = File.ReadAllText(MnemoProcess.InRepository("samples", "context", "code-review-request.json"));
        var node = JsonNode.Parse(text)!;
        string[] layouts =
        [
            node.ToJsonString(new JsonSerializerOptions { WriteIndented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }),
            node.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }),
            node.ToJsonString(new JsonSerializerOptions { WriteIndented = true, IndentCharacter = '\t', IndentSize = 1 }),
            node.ToJsonString(), // .NET's default: compact, with \u escapes for quotes, '<', '&' and every character past ASCII
            PythonDefault(node), // json.dumps' default: a space after each ',' and ':'
        ];

        var counts = layouts.Select(layout => EstimatingTokenCounter.Instance.Count(ContextRequest.Parse(layout))).ToList();
        counts.Distinct().ShouldHaveSingleItem($"counts by layout: {string.Join(", ", counts)}");
        layouts.Distinct().Count().ShouldBe(layouts.Length, "the layouts differ as text");
    }

    private static string PythonDefault(JsonNode node) => node switch
    {
        JsonObject o => "{" + string.Join(", ", o.Select(p => JsonSerializer.Serialize(p.Key) + ": " + (p.Value is null ? "null" : PythonDefault(p.Value)))) + "}",
        JsonArray a => "[" + string.Join(", ", a.Select(v => v is null ? "null" : PythonDefault(v))) + "]",
        _ => node.ToJsonString(),
    };
}
