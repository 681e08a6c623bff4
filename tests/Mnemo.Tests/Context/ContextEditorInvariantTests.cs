using System.Globalization;
using System.Text.Json.Nodes;
using Mnemo.Context;
using Mnemo.Tokens;

namespace Mnemo.Tests.Context;

/// <summary>Invariants of context editing, checked on thousands of generated conversations and configurations.</summary>
public sealed class ContextEditorInvariantTests
{
    private const int Cases = 3000;
    private static readonly string[] Tools = ["memory", "bash", "grep", "web_fetch"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Edit_GeneratedConversations_KeepEveryInvariant()
    {
        for (var seed = 1; seed <= Cases; seed++)
        {
            try
            {
                await CheckCase(seed);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                throw new ShouldAssertException(
                    string.Create(CultureInfo.InvariantCulture, $"seed {seed} broke an invariant: {exception.Message}"), exception);
            }
        }
    }

    private static async Task CheckCase(int seed)
    {
        var random = new Random(seed);
        var thinking = random.Next(3) > 0;
        var requestJson = Generate(random, thinking).ToJsonString();
        var configJson = GenerateConfig(random, thinking);
        var request = ContextRequest.Parse(requestJson);
        var config = ContextManagementConfig.Parse(configJson);
        var editor = new ContextEditor();

        var result = await editor.EditAsync(request, config, Ct);
        var output = result.Request.ToJsonString();

        // The input is never changed.
        request.ToJsonString().ShouldBe(requestJson);

        // Deterministic, byte for byte.
        (await editor.EditAsync(ContextRequest.Parse(requestJson), config, Ct)).Request.ToJsonString().ShouldBe(output);

        // Reported tokens are the counter's before minus after, strategy by strategy adding up to the whole.
        var counter = EstimatingTokenCounter.Instance;
        result.OriginalInputTokens.ShouldBe(counter.Count(request));
        result.InputTokens.ShouldBe(counter.Count(ContextRequest.Parse(output)));
        result.AppliedEdits.Sum(edit => edit.ClearedInputTokens).ShouldBe(result.OriginalInputTokens - result.InputTokens);
        if (result.AppliedEdits.Count == 0)
        {
            output.ShouldBe(requestJson);
        }

        // Applying the same configuration to its own output changes nothing more.
        var again = await editor.EditAsync(ContextRequest.Parse(output), config, Ct);
        again.Request.ToJsonString().ShouldBe(output);
        again.AppliedEdits.ShouldBeEmpty();

        var before = JsonNode.Parse(requestJson)!["messages"]!.AsArray();
        var after = JsonNode.Parse(output)!["messages"]!.AsArray();
        after.Count.ShouldBe(before.Count, "no message is ever dropped");
        CheckToolPairs(before, after, config);
        CheckThinking(before, after);
    }

    /// <summary>Every tool result keeps its call; excluded tools and the most recent kept uses are untouched.</summary>
    private static void CheckToolPairs(JsonArray before, JsonArray after, ContextManagementConfig config)
    {
        var clear = config.Edits.OfType<ClearToolUsesEdit>().FirstOrDefault();
        var uses = new List<(int Message, int Answer, string Id, string Name, string Type, string ResultType)>();
        for (var i = 0; i < after.Count; i++)
        {
            ((string)after[i]!["role"]!).ShouldBe((string)before[i]!["role"]!);
            if (after[i]!["content"] is not JsonArray blocks)
            {
                after[i]!.ToJsonString().ShouldBe(before[i]!.ToJsonString());
                continue;
            }

            foreach (var block in blocks)
            {
                if ((string?)block!["type"] == "tool_result")
                {
                    var id = (string)block["tool_use_id"]!;
                    var call = after[i - 1]!["content"]!.AsArray().SingleOrDefault(b => (string?)b!["type"] == "tool_use" && (string?)b["id"] == id);
                    call.ShouldNotBeNull($"the result {id} lost its call");
                }
            }
        }

        // The tool uses in the order the editor counts them: each assistant message's blocks in turn, a client call
        // answered in the next message, a server call answered in its own.
        for (var i = 0; i < after.Count; i++)
        {
            if ((string)after[i]!["role"]! != "assistant" || after[i]!["content"] is not JsonArray blocks)
            {
                continue;
            }

            foreach (var block in blocks)
            {
                var (type, id) = ((string?)block!["type"], (string?)block["id"]);
                var answeredIn = type == "tool_use" ? i + 1 : type == "server_tool_use" ? i : -1;
                var resultType = type == "tool_use" ? "tool_result" : "web_search_tool_result";
                if (answeredIn >= 0 && answeredIn < after.Count && Has(after, answeredIn, resultType, id!))
                {
                    uses.Add((i, answeredIn, id!, (string)block["name"]!, type!, resultType));
                }
            }
        }

        var keep = clear?.EffectiveKeep ?? 0;
        for (var u = 0; u < uses.Count; u++)
        {
            var (message, answer, id, name, type, resultType) = uses[u];
            var untouchable = clear is null || clear.Excludes(name) || u >= uses.Count - keep;
            if (untouchable)
            {
                Block(after, message, type, "id", id).ShouldBe(Block(before, message, type, "id", id), $"tool use {id} of {name} was touched");
                Block(after, answer, resultType, "tool_use_id", id).ShouldBe(Block(before, answer, resultType, "tool_use_id", id));
            }
        }
    }

    /// <summary>The last turn's thinking is always kept, and a message never loses all its blocks.</summary>
    private static void CheckThinking(JsonArray before, JsonArray after)
    {
        var lastTurnStart = 0;
        for (var i = 0; i < before.Count; i++)
        {
            if ((string)before[i]!["role"]! == "user" &&
                (before[i]!["content"] is not JsonArray blocks || blocks.Any(b => (string?)b!["type"] != "tool_result")))
            {
                lastTurnStart = i;
            }
        }

        for (var i = 0; i < after.Count; i++)
        {
            if (after[i]!["content"] is JsonArray blocks)
            {
                blocks.Count.ShouldBeGreaterThan(0);
            }

            if (i >= lastTurnStart)
            {
                Thinking(after[i]!).ShouldBe(Thinking(before[i]!), "the last turn's thinking is always kept");
            }
        }
    }

    private static string[] Thinking(JsonNode message) => message["content"] is JsonArray blocks
        ? [.. blocks.Where(b => (string?)b!["type"] is "thinking" or "redacted_thinking").Select(b => b!.ToJsonString())]
        : [];

    private static bool Has(JsonArray messages, int message, string type, string id) =>
        messages[message]!["content"] is JsonArray blocks && blocks.Any(b => (string?)b!["type"] == type && (string?)b["tool_use_id"] == id);

    private static string? Block(JsonArray messages, int message, string type, string idField, string id) =>
        messages[message]!["content"]!.AsArray().Single(b => (string?)b!["type"] == type && (string?)b[idField] == id)!.ToJsonString();

    internal static JsonObject Generate(Random random, bool thinking)
    {
        var messages = new JsonArray();
        var turns = random.Next(1, 6);
        var id = 0;
        for (var turn = 0; turn < turns; turn++)
        {
            messages.Add(new JsonObject
            {
                ["role"] = "user",
                ["content"] = random.Next(2) == 0 ? Text(random) : new JsonArray { new JsonObject { ["type"] = "text", ["text"] = Text(random) } },
            });
            var rounds = random.Next(0, 5);
            for (var round = 0; round <= rounds; round++)
            {
                var content = new JsonArray();
                if (thinking && random.Next(3) > 0)
                {
                    content.Add(random.Next(5) == 0
                        ? new JsonObject { ["type"] = "redacted_thinking", ["data"] = Text(random) }
                        : new JsonObject { ["type"] = "thinking", ["thinking"] = Text(random), ["signature"] = "sig" });
                }

                if (random.Next(3) == 0 || round == rounds)
                {
                    content.Add(new JsonObject { ["type"] = "text", ["text"] = Text(random) });
                }

                var calls = round == rounds ? 0 : random.Next(1, 4);
                var results = new JsonArray();
                for (var c = 0; c < calls; c++)
                {
                    var callId = $"toolu_{id++}";
                    var input = new JsonObject { ["q"] = Text(random) };
                    if (random.Next(6) == 0)
                    {
                        input = [];
                    }

                    content.Add(new JsonObject { ["type"] = "tool_use", ["id"] = callId, ["name"] = Tools[random.Next(Tools.Length)], ["input"] = input });
                    var result = new JsonObject { ["type"] = "tool_result", ["tool_use_id"] = callId };
                    switch (random.Next(5))
                    {
                        case 0:
                            result["content"] = Text(random);
                            break;
                        case 1:
                            break;
                        default:
                            result["content"] = new JsonArray { new JsonObject { ["type"] = "text", ["text"] = Text(random) } };
                            break;
                    }

                    if (random.Next(4) == 0)
                    {
                        result["is_error"] = true;
                    }

                    results.Add(result);
                }

                if (content.Count == 0)
                {
                    content.Add(new JsonObject { ["type"] = "text", ["text"] = Text(random) });
                }

                if (random.Next(10) == 0)
                {
                    // A server tool call, answered in the same message most of the time (a paused turn leaves it open).
                    var serverId = $"srvtoolu_{id++}";
                    content.Add(new JsonObject { ["type"] = "server_tool_use", ["id"] = serverId, ["name"] = "web_search", ["input"] = new JsonObject { ["query"] = Text(random) } });
                    if (random.Next(4) != 0)
                    {
                        content.Add(new JsonObject
                        {
                            ["type"] = "web_search_tool_result", ["tool_use_id"] = serverId,
                            ["content"] = new JsonArray { new JsonObject { ["type"] = "web_search_result", ["url"] = "https://example.com", ["title"] = Text(random), ["encrypted_content"] = Text(random) } },
                        });
                    }
                }

                messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = content });
                if (results.Count > 0)
                {
                    messages.Add(new JsonObject { ["role"] = "user", ["content"] = results });
                }
            }
        }

        var request = new JsonObject { ["model"] = "claude", ["max_tokens"] = 1000, ["system"] = "You review code.", ["messages"] = messages };
        if (thinking)
        {
            request["thinking"] = new JsonObject { ["type"] = "enabled", ["budget_tokens"] = 1024 };
        }

        return request;
    }

    internal static string GenerateConfig(Random random, bool thinking)
    {
        var edits = new JsonArray();
        if (thinking && random.Next(2) == 0)
        {
            edits.Add(random.Next(4) switch
            {
                0 => new JsonObject { ["type"] = "clear_thinking_20251015", ["keep"] = "all" },
                1 => new JsonObject { ["type"] = "clear_thinking_20251015" },
                _ => new JsonObject
                {
                    ["type"] = "clear_thinking_20251015",
                    ["keep"] = new JsonObject { ["type"] = "thinking_turns", ["value"] = random.Next(1, 4) },
                },
            });
        }

        if (random.Next(5) > 0)
        {
            var clear = new JsonObject
            {
                ["type"] = "clear_tool_uses_20250919",
                ["trigger"] = random.Next(2) == 0
                    ? new JsonObject { ["type"] = "input_tokens", ["value"] = random.Next(1, 1500) }
                    : new JsonObject { ["type"] = "tool_uses", ["value"] = random.Next(1, 12) },
                ["keep"] = new JsonObject { ["type"] = "tool_uses", ["value"] = random.Next(0, 6) },
            };
            if (random.Next(3) == 0)
            {
                clear["clear_at_least"] = new JsonObject { ["type"] = "input_tokens", ["value"] = random.Next(1, 400) };
            }

            if (random.Next(2) == 0)
            {
                clear["exclude_tools"] = new JsonArray(Tools.Append("web_search").Where(_ => random.Next(3) == 0).Select(t => (JsonNode)t).ToArray());
            }

            clear["clear_tool_inputs"] = random.Next(3) switch
            {
                0 => true,
                1 => false,
                _ => new JsonArray(Tools.Where(_ => random.Next(2) == 0).Select(t => (JsonNode)t).ToArray()),
            };
            edits.Add(clear);
        }

        return new JsonObject { ["edits"] = edits }.ToJsonString();
    }

    private static string Text(Random random)
    {
        var words = new[] { "the", "function", "returns", "null", "when", "файл", "не", "найден", "配置", "错误", "🙂", "{\"a\":1}", "x\ny", "    indent" };
        var count = random.Next(1, 60);
        return string.Join(' ', Enumerable.Range(0, count).Select(_ => words[random.Next(words.Length)]));
    }
}
