using System.Text.Json;
using Anthropic;
using Anthropic.Core;
using Anthropic.Models.Beta.Messages;
using BenchmarkDotNet.Attributes;
using Mnemo.Anthropic.Agents;
using Mnemo.Context;

namespace Mnemo.Benchmarks;

/// <summary>
/// One turn of a resumed conversation of <see cref="Messages"/> messages (a tool loop with results of about 700
/// characters), through the official SDK to a bare Kestrel endpoint that reads the body and answers a fixed message:
/// the SDK's own <c>Create</c> with a prebuilt request (the floor) against an <see cref="AgentSession"/> built on the
/// same history that projects the tokens, builds the request, sends it and takes the answer in, and the same with
/// client-side clear_tool_uses editing every request (keep 3).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 20)]
public class AgentSessionBenchmarks
{
    private BareMessagesEndpoint _server = null!;
    private AnthropicClient _client = null!;
    private List<BetaMessageParam> _history = [];
    private MessageCreateParams _parameters = null!;
    private ContextManagementConfig _clearing = null!;

    [Params(10, 200)]
    public int Messages { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        _server = await BareMessagesEndpoint.StartAsync();
        _client = new AnthropicClient(new ClientOptions { ApiKey = "k", BaseUrl = _server.BaseAddress, MaxRetries = 0 });

        var messages = BareMessagesEndpoint.ToolLoop(Messages - 1);
        _history = [.. messages.Select(json => new BetaMessageParam(JsonDocument.Parse(json).RootElement.Clone()))];
        _parameters = MessageCreateParams.FromRawUnchecked(
            new Dictionary<string, JsonElement>(),
            new Dictionary<string, JsonElement>(),
            new Dictionary<string, JsonElement>
            {
                ["model"] = JsonSerializer.SerializeToElement("claude-sonnet-4-5"),
                ["max_tokens"] = JsonSerializer.SerializeToElement(1024),
                ["messages"] = JsonSerializer.SerializeToElement(_history),
            });
        _clearing = ContextManagementConfig.Parse(
            """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":1},"keep":{"type":"tool_uses","value":3}}]}""");
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "SDK Create, request prebuilt")]
    public async Task<string> Bare() => (await _client.Beta.Messages.Create(_parameters)).ID;

    [Benchmark(Description = "AgentSession turn")]
    public async Task<string> Session() => (await Turn(null)).Response.ID;

    [Benchmark(Description = "AgentSession turn, client-side clearing")]
    public async Task<string> SessionClientEditing() => (await Turn(_clearing)).Response.ID;

    private Task<AgentTurn> Turn(ContextManagementConfig? config)
    {
        var session = new AgentSession(_client, new AgentSessionOptions
        {
            Model = "claude-sonnet-4-5",
            MaxTokens = 1024,
            ContextManagement = config,
            ContextEditing = ContextEditingSide.Client,
        });
        session.AddMessages(_history);
        return session.RunTurnAsync();
    }
}
