using System.Collections.Concurrent;
using System.Text.Json;
using Anthropic;
using Anthropic.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Mnemo.Context;
using Mnemo.Tokens;

namespace Mnemo.Anthropic.Tests;

/// <summary>
/// A stand-in for the Messages API on 127.0.0.1, for the SDK to talk to over real HTTP until the project's emulator
/// serves these tests: count_tokens answers with the local estimate of the body it got, messages with a fixed reply,
/// and both keep what they received.
/// </summary>
internal sealed class RecordingApi : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RecordingApi(WebApplication app) => _app = app;

    /// <summary>The requests received, in order.</summary>
    public ConcurrentQueue<(string Path, JsonElement Body, string? Beta)> Requests { get; } = new();

    public string Url => _app.Urls.First();

    public static async Task<RecordingApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var api = new RecordingApi(app);
        app.MapPost("/v1/messages/count_tokens", async (HttpRequest request) =>
        {
            var body = await api.ReceiveAsync(request);
            var tokens = EstimatingTokenCounter.Instance.Count(ContextRequest.FromJson(body));
            return Results.Text($$"""{"input_tokens":{{tokens}}}""", "application/json");
        });
        app.MapPost("/v1/messages", async (HttpRequest request) =>
        {
            await api.ReceiveAsync(request);
            return Results.Text(
                """{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":1}}""",
                "application/json");
        });
        await app.StartAsync();
        return api;
    }

    public AnthropicClient Client() => new(new ClientOptions { ApiKey = "test-key", BaseUrl = Url, MaxRetries = 0 });

    private async Task<JsonElement> ReceiveAsync(HttpRequest request)
    {
        var body = (await JsonDocument.ParseAsync(request.Body)).RootElement.Clone();
        Requests.Enqueue((request.Path, body, request.Headers["anthropic-beta"].FirstOrDefault()));
        return body;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
