using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Mnemo.Anthropic.Tests.ChatClients;

/// <summary>
/// A small endpoint shaped like OpenAI's Chat Completions API on a loopback port: it answers each
/// <c>POST /v1/chat/completions</c> with the next of its scripted replies, and keeps every request body. Only for tests:
/// the real part under test is OpenAI's own client and Microsoft.Extensions.AI's adapter over it.
/// </summary>
internal sealed class OpenAILoopback : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Queue<string> _replies;
    private readonly Task _serving;

    public OpenAILoopback(IEnumerable<string> replies)
    {
        _replies = new Queue<string>(replies);
        var port = FreePort();
        BaseAddress = new Uri($"http://127.0.0.1:{port}/v1/");
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public Uri BaseAddress { get; }

    /// <summary>Every request body received, in order.</summary>
    public List<JsonElement> Requests { get; } = [];

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

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            string reply;
            lock (_replies)
            {
                Requests.Add(JsonDocument.Parse(body).RootElement.Clone());
                reply = context.Request.Url!.AbsolutePath.EndsWith("/chat/completions", StringComparison.Ordinal) && _replies.Count > 0
                    ? _replies.Dequeue()
                    : """{"error": {"message": "no scripted reply left", "type": "invalid_request_error"}}""";
            }

            context.Response.StatusCode = reply.StartsWith("{\"error\"", StringComparison.Ordinal) ? 400 : 200;
            context.Response.ContentType = "application/json";
            var bytes = Encoding.UTF8.GetBytes(reply);
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _serving.ConfigureAwait(false);
    }
}
