using System.Text;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Mnemo.Context;
using Mnemo.Tokens;

namespace Mnemo.Benchmarks;

/// <summary>
/// Plans and applies both strategies on conversations of 100, 1,000 and 10,000 messages (a user turn, then rounds of an
/// assistant message with thinking and a tool use, answered by a tool result of about 700 characters). The baseline is
/// counting the conversation's tokens with the estimator, which every edit must do at least once. Editing runs twice: with
/// nearly everything to clear, and with only the 10 oldest tool uses to clear, whatever the size.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 10)]
public class ContextEditorBenchmarks
{
    private static readonly ContextManagementConfig Config = ContextManagementConfig.Parse(
        """{"edits":[{"type":"clear_thinking_20251015","keep":{"type":"thinking_turns","value":1}},{"type":"clear_tool_uses_20250919","trigger":{"type":"input_tokens","value":1000},"keep":{"type":"tool_uses","value":3},"exclude_tools":["memory"]}]}""");

    private readonly ContextEditor _editor = new();
    private ContextManagementConfig _clearTen = null!;
    private ContextRequest _request = null!;
    private ContextRequest _bound = null!;
    private byte[] _text = [];

    /// <summary>Gets or sets the number of messages.</summary>
    [Params(100, 1_000, 10_000)]
    public int Messages { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var messages = new JsonArray();
        var random = new Random(1);
        for (var i = 0; messages.Count < Messages; i++)
        {
            if (i % 25 == 0)
            {
                messages.Add(new JsonObject { ["role"] = "user", ["content"] = $"Step {i}: go on with the review." });
            }

            messages.Add(new JsonObject
            {
                ["role"] = "assistant",
                ["content"] = new JsonArray
                {
                    new JsonObject { ["type"] = "thinking", ["thinking"] = $"Next I read file {i} to check how it handles sessions.", ["signature"] = "c2ln" },
                    new JsonObject
                    {
                        ["type"] = "tool_use", ["id"] = $"toolu_{i}", ["name"] = i % 7 == 0 ? "memory" : "read_file",
                        ["input"] = new JsonObject { ["path"] = $"src/module{i}.py" },
                    },
                },
            });
            var body = new StringBuilder();
            for (var line = 0; line < 12; line++)
            {
                body.Append("    query = build_query(user_id, ").Append(random.Next(1000)).Append(")  # session lookup\n");
            }

            messages.Add(new JsonObject
            {
                ["role"] = "user",
                ["content"] = new JsonArray
                {
                    new JsonObject
                    {
                        ["type"] = "tool_result", ["tool_use_id"] = $"toolu_{i}",
                        ["content"] = new JsonArray { new JsonObject { ["type"] = "text", ["text"] = body.ToString() } },
                    },
                },
            });
        }

        var json = new JsonObject
        {
            ["model"] = "claude-sonnet-4-5", ["max_tokens"] = 4096, ["thinking"] = new JsonObject { ["type"] = "enabled", ["budget_tokens"] = 4000 },
            ["messages"] = messages,
        }.ToJsonString();
        _request = ContextRequest.Parse(json);
        // The same conversation on a model whose thinking is bound to its prefix, mid tool loop: an edit is held back.
        _bound = ContextRequest.Parse(new JsonObject
        {
            ["model"] = "claude-fable-5-1", ["max_tokens"] = 4096, ["thinking"] = new JsonObject { ["type"] = "adaptive" },
            ["messages"] = JsonNode.Parse(json)!["messages"]!.DeepClone(),
        }.ToJsonString());
        _ = EstimatingTokenCounter.Instance.Count(_bound);
        _text = Encoding.UTF8.GetBytes(json);
        _ = EstimatingTokenCounter.Instance.Count(_request); // the blocks' estimates are worked out once, as in a running agent
        _clearTen = ContextManagementConfig.Parse($$$"""
            {"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"input_tokens","value":1000},"keep":{"type":"tool_uses","value":{{{ContextEditor.CountToolUses(_request.Messages) - 10}}}}}]}
            """);
    }

    [Benchmark(Baseline = true, Description = "count tokens (estimator, blocks known)")]
    public long Count() => EstimatingTokenCounter.Instance.Count(_request);

    [Benchmark(Description = "plan + apply both strategies")]
    public ContextEditResult Edit() => _editor.EditAsync(_request, Config).AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "plan + apply, 10 tool uses to clear")]
    public ContextEditResult EditTen() => _editor.EditAsync(_request, _clearTen).AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "plan + apply, 10 tool uses to clear, prefix-bound model mid tool loop")]
    public ContextEditResult EditTenBound() => _editor.EditAsync(_bound, _clearTen).AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "estimator over the request's JSON text")]
    public long EstimateText() => TokenEstimator.Estimate(_text);

    [Benchmark(Description = "parse the request's JSON (adapter)")]
    public ContextRequest Parse() => ContextRequest.Parse(_text);
}
