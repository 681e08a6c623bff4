using System.Text.Json;
using Anthropic.Models.Beta.Messages;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using Mnemo.Anthropic;
using Mnemo.Context;

namespace Mnemo.Benchmarks;

/// <summary>
/// The same edit through each adapter, on a tool loop of 1,000 messages (rounds of a call and its result of about 700
/// characters), clearing all but the last 3 tool uses. The baseline is the edit of a request already parsed, which the
/// adapters add their reading and writing to.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 10)]
public class ContextAdapterBenchmarks
{
    private const int Rounds = 500;

    private static readonly ContextManagementConfig Config = ContextManagementConfig.Parse(
        """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":1},"keep":{"type":"tool_uses","value":3}}]}""");

    private readonly ContextEditor _editor = new();
    private readonly ContextEditingChatReducer _reducer = new(Config);
    private ContextRequest _request = null!;
    private List<BetaMessageParam> _sdk = [];
    private List<ChatMessage> _chat = [];

    [GlobalSetup]
    public void Setup()
    {
        var result = string.Concat(Enumerable.Repeat("    query = build_query(user_id, 42)  # session lookup\n", 12));
        for (var i = 0; i < Rounds; i++)
        {
            var call = new Dictionary<string, object?> { ["path"] = $"src/module{i}.py" };
            _sdk.Add(new BetaMessageParam(JsonSerializer.SerializeToElement(new
            {
                role = "assistant", content = new object[] { new { type = "tool_use", id = $"toolu_{i}", name = "read_file", input = call } },
            })));
            _sdk.Add(new BetaMessageParam(JsonSerializer.SerializeToElement(new
            {
                role = "user", content = new object[] { new { type = "tool_result", tool_use_id = $"toolu_{i}", content = result } },
            })));
            _chat.Add(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent($"toolu_{i}", "read_file", call)]));
            _chat.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent($"toolu_{i}", result)]));
        }

        _request = _sdk.ToContextRequest();
    }

    [Benchmark(Baseline = true, Description = "edit a parsed request (no adapter)")]
    public ContextEditResult Wire() => _editor.EditAsync(_request, Config).AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "SDK: BetaMessageParam list in and out")]
    public BetaMessagesEdit Sdk() => _editor.EditAsync(_sdk, Config).GetAwaiter().GetResult();

    [Benchmark(Description = "Microsoft.Extensions.AI: IChatReducer")]
    public ChatMessagesEdit Chat() => _reducer.EditAsync(_chat).GetAwaiter().GetResult();
}
