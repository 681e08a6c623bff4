using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Mnemo.Memory.FileSystem;
using Mnemo.Tests;

namespace Mnemo.Server.Tests;

/// <summary><c>/v1/stores/{store}/ops</c> with every field of every operation wrong: a 400 that names the field, never a 5xx.</summary>
public sealed class MemoryServerOperationInputTests : IAsyncLifetime
{
    private static readonly string Hash = new('a', 64);

    /// <summary>A valid request of each operation; each test spoils one field of one of them.</summary>
    private static readonly Dictionary<string, string> Valid = new()
    {
        ["read"] = """{"op":"read","path":"/memories/a.md","actor":"t","reason":"r"}""",
        ["list"] = """{"op":"list","path":"/memories","depth":2,"actor":"t","reason":"r"}""",
        ["create"] = """{"op":"create","path":"/memories/new.md","content":"eA==","actor":"t","reason":"r"}""",
        ["replace"] = $$"""{"op":"replace","path":"/memories/a.md","content":"eA==","version":"v1","sha256":"{{Hash}}","actor":"t","reason":"r"}""",
        ["delete"] = """{"op":"delete","path":"/memories/gone.md","actor":"t","reason":"r"}""",
        ["rename"] = """{"op":"rename","from":"/memories/x.md","to":"/memories/y.md","actor":"t","reason":"r"}""",
    };

    /// <summary>Every JSON type, and a string that fits no field that needs a particular one; <c>missing</c> leaves the field out.</summary>
    private static readonly Dictionary<string, string?> Kinds = new()
    {
        ["missing"] = null,
        ["null"] = "null",
        ["object"] = """{"a":1}""",
        ["array"] = "[1,2]",
        ["true"] = "true",
        ["false"] = "false",
        ["fraction"] = "1.5",
        ["whole number"] = "7",
        ["negative"] = "-3",
        ["huge number"] = "1e400",
        ["string"] = "\"not a path, not base64!\"",
        ["empty string"] = "\"\"",
    };

    private readonly TempDirectory _temp = new();
    private readonly HttpClient _http = new();
    private readonly LogCollector _logs = new();
    private MemoryApiKeys _keys = null!;
    private string _key = null!;
    private MemoryServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _keys = new MemoryApiKeys(_temp.Combine(".keys.json"));
        _key = _keys.Create(["*"], admin: true, name: "fuzz").Secret;
        _server = await MemoryServer.StartAsync(new MemoryServerOptions
        {
            Port = 0,
            Keys = _keys,
            OpenStore = name => name == "broken"
                ? throw new InvalidOperationException("the disk under the store is on fire")
                : new FileSystemMemoryStore(_temp.Combine(name)),
            RequestsPerSecond = 100_000,
            Burst = 100_000,
            Logs = _logs,
        }, Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _http.Dispose();
        _temp.Dispose();
    }

    /// <summary>Whether a value of this kind is a right one for the field (so spoiling it spoils nothing).</summary>
    private static bool Fits(string op, string field, string kind) => field switch
    {
        "actor" or "reason" => kind is "missing" or "null" or "string" or "empty string",
        "version" => kind is "string" or "empty string",
        "depth" => kind is "whole number",
        "content" => kind is "empty string", // base64 of no bytes
        _ => false,
    };

    public static TheoryData<string, string> Fields()
    {
        var data = new TheoryData<string, string>();
        foreach (var (op, body) in Valid)
        {
            foreach (var field in JsonNode.Parse(body)!.AsObject().Select(pair => pair.Key))
            {
                data.Add(op, field);
            }
        }

        return data;
    }

    private async Task<(HttpStatusCode Status, string Text)> PostAsync(string body, string store = "team")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_server.BaseAddress, $"/v1/stores/{store}/ops"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _key);
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _http.SendAsync(request, Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    [Theory]
    [MemberData(nameof(Fields))]
    public async Task AFieldOfEveryJsonType_IsAnsweredWith400NamingTheField_OrAccepted(string op, string field)
    {
        foreach (var (kind, value) in Kinds)
        {
            // The field's value is put in as raw JSON text, so that numbers past a double's range reach the server as sent.
            var others = JsonNode.Parse(Valid[op])!.AsObject().Where(pair => pair.Key != field).Select(pair => $"\"{pair.Key}\":{pair.Value!.ToJsonString()}");
            var body = "{" + string.Join(',', value is null ? others : others.Append($"\"{field}\":{value}")) + "}";
            var (status, text) = await PostAsync(body);
            ((int)status).ShouldBeLessThan(500, $"{op}.{field} as {kind}: {text}");
            if (Fits(op, field, kind))
            {
                continue;
            }

            status.ShouldBe(HttpStatusCode.BadRequest, $"{op}.{field} as {kind}: {text}");
            var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
            error.GetProperty("type").GetString().ShouldBe("invalid_request_error");
            error.GetProperty("message").GetString()!.ShouldStartWith($"{field} must be ", customMessage: $"{op}.{field} as {kind}");
        }
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"read\"")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("true")]
    public async Task ABodyThatIsNoObject_Is400(string body)
    {
        var (status, text) = await PostAsync(body);
        status.ShouldBe(HttpStatusCode.BadRequest);
        JsonDocument.Parse(text).RootElement.GetProperty("error").GetProperty("message").GetString().ShouldBe("The body must be one store operation, such as {\"op\":\"read\",\"path\":\"/memories\"}.");
    }

    [Fact]
    public async Task AFailureTheServerDidNotExpect_Is500WithoutItsCause_AndTheLogHasTheCause()
    {
        var (status, text) = await PostAsync(Valid["read"], store: "broken");
        status.ShouldBe(HttpStatusCode.InternalServerError);
        text.ShouldNotContain("fire");
        JsonDocument.Parse(text).RootElement.GetProperty("error").GetProperty("type").GetString().ShouldBe("api_error");
        var logged = _logs.Entries.Where(entry => entry.Level == LogLevel.Error).ToList();
        logged.ShouldHaveSingleItem().Exception!.Message.ShouldBe("the disk under the store is on fire");
        logged[0].Message.ShouldContain("ops");
    }

    private sealed class LogCollector : ILoggerProvider
    {
        public ConcurrentQueue<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(LogCollector owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Entries.Enqueue((logLevel, formatter(state, exception), exception));
        }
    }
}
