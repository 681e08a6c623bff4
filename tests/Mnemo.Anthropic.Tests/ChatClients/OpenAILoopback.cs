using System.Text.Json;

namespace Mnemo.Anthropic.Tests.ChatClients;

/// <summary>
/// A small endpoint shaped like OpenAI's Chat Completions API on a loopback port: it answers each
/// <c>POST /v1/chat/completions</c> with the next of its scripted replies, and keeps every request body. Only for tests:
/// the real part under test is OpenAI's own client and Microsoft.Extensions.AI's adapter over it.
/// </summary>
internal sealed class OpenAILoopback : IAsyncDisposable
{
    private readonly Queue<string> _replies;
    private readonly LoopbackEndpoint _endpoint;

    private OpenAILoopback(Queue<string> replies, LoopbackEndpoint endpoint)
    {
        _replies = replies;
        _endpoint = endpoint;
    }

    /// <summary>Gets the API's base address (its <c>/v1/</c>).</summary>
    public Uri BaseAddress => new(_endpoint.BaseAddress, "v1/");

    /// <summary>Every request body received, in order.</summary>
    public List<JsonElement> Requests => [.. _endpoint.Requests.Select(request => JsonDocument.Parse(request.Body).RootElement.Clone())];

    /// <summary>Starts the endpoint with its replies, in order.</summary>
    public static async Task<OpenAILoopback> StartAsync(IEnumerable<string> replies)
    {
        var queue = new Queue<string>(replies);
        var endpoint = await LoopbackEndpoint.StartAsync((path, _) =>
        {
            lock (queue)
            {
                return path.EndsWith("/chat/completions", StringComparison.Ordinal) && queue.Count > 0
                    ? (200, queue.Dequeue())
                    : (400, """{"error": {"message": "no scripted reply left", "type": "invalid_request_error"}}""");
            }
        });
        return new OpenAILoopback(queue, endpoint);
    }

    /// <summary>A reply that calls one function.</summary>
    public static string ToolCall(string id, string name, string arguments) => Completion(
        new { role = "assistant", content = (string?)null, tool_calls = new[] { new { id, type = "function", function = new { name, arguments } } } }, "tool_calls");

    /// <summary>A reply of text.</summary>
    public static string Text(string text) => Completion(new { role = "assistant", content = text }, "stop");

    private static string Completion(object message, string finish) => JsonSerializer.Serialize(new
    {
        id = "chatcmpl-" + Guid.NewGuid().ToString("N"),
        @object = "chat.completion",
        created = 1_764_892_800,
        model = "gpt-4.1",
        choices = new[] { new { index = 0, message, finish_reason = finish } },
        usage = new { prompt_tokens = 10, completion_tokens = 5, total_tokens = 15 },
    });

    public ValueTask DisposeAsync() => _endpoint.DisposeAsync();
}
