using System.Text;
using BenchmarkDotNet.Attributes;
using Mnemo.Emulator;

namespace Mnemo.Benchmarks;

/// <summary>
/// One /v1/messages round trip over loopback HTTP: the emulator (read, validate, context-edit, count, cache, pick the
/// scripted turn, answer) against the bare floor beneath it, a Kestrel endpoint that reads the same body and answers a
/// fixed message. The conversation is a tool loop of <see cref="Messages"/> messages with results of about 700
/// characters, with clear_tool_uses configured (keep 3).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 10)]
public class EmulatorBenchmarks
{
    private MessagesEmulator _emulator = null!;
    private BareMessagesEndpoint _floor = null!;
    private HttpClient _http = null!;
    private byte[] _body = [];
    private Uri _emulated = null!;
    private Uri _bare = null!;

    [Params(10, 200)]
    public int Messages { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        _emulator = await MessagesEmulator.StartAsync(new MessagesEmulatorOptions
        {
            Script = AssistantScript.ParseYaml("rules: [{match: Read, reply: Noted.}]"),
            RecordedExchanges = 0,
        });
        _floor = await BareMessagesEndpoint.StartAsync();
        _bare = new Uri(_floor.BaseAddress + "/v1/messages");
        _emulated = new Uri(_emulator.BaseAddress, "/v1/messages");
        _http = new HttpClient();

        var messages = BareMessagesEndpoint.ToolLoop(Messages);
        _body = Encoding.UTF8.GetBytes($$$"""{"model":"claude-sonnet-4-5","max_tokens":1024,"context_management":{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":1},"keep":{"type":"tool_uses","value":3}}]},"messages":[{{{string.Join(',', messages)}}}]}""");
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        _http.Dispose();
        await _emulator.DisposeAsync();
        await _floor.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "bare Kestrel: read body, fixed reply")]
    public Task<string> Bare() => SendAsync(_bare);

    [Benchmark(Description = "emulator: validate, edit, count, cache, script")]
    public Task<string> Emulated() => SendAsync(_emulated);

    private async Task<string> SendAsync(Uri url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(_body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Add("x-api-key", "k");
        request.Headers.Add("anthropic-version", "2023-06-01");
        request.Headers.Add("anthropic-beta", "context-management-2025-06-27");
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode ? text : throw new InvalidOperationException(text);
    }
}
