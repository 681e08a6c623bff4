using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Core;
using Anthropic.Models.Beta.Messages;
using Mnemo.Emulator;

namespace Mnemo.Emulator.Tests;

/// <summary>Starts emulators for tests and builds what the tests send to them.</summary>
internal static class Emulators
{
    public const string Model = "claude-sonnet-4-5";
    public const string ContextBeta = "context-management-2025-06-27";

    public static Task<MessagesEmulator> StartAsync(string? yaml = null, Action<MessagesEmulatorOptions>? configure = null)
    {
        var options = new MessagesEmulatorOptions { Script = yaml is null ? null : AssistantScript.ParseYaml(yaml) };
        configure?.Invoke(options);
        return MessagesEmulator.StartAsync(options, TestContext.Current.CancellationToken);
    }

    /// <summary>The official SDK's client, pointed at the emulator, with retries off so a failure shows at once.</summary>
    public static AnthropicClient Client(this MessagesEmulator emulator, string apiKey = "test-key") =>
        new(new ClientOptions { ApiKey = apiKey, BaseUrl = emulator.BaseAddress.ToString().TrimEnd('/'), MaxRetries = 0 });

    /// <summary>Builds the SDK's request from the wire JSON of its body, as a user's code ends up sending it.</summary>
    public static MessageCreateParams Params(string bodyJson, params string[] betas)
    {
        var body = JsonDocument.Parse(bodyJson).RootElement.EnumerateObject().ToDictionary(property => property.Name, property => property.Value.Clone());
        var headers = betas.Length == 0
            ? new Dictionary<string, JsonElement>()
            : new Dictionary<string, JsonElement> { ["anthropic-beta"] = JsonSerializer.SerializeToElement(betas) };
        return MessageCreateParams.FromRawUnchecked(headers, new Dictionary<string, JsonElement>(), body);
    }

    /// <summary>Sends raw HTTP, for what the SDK would never send.</summary>
    public static async Task<(int Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(
        this MessagesEmulator emulator, string path, string body, string? apiKey = "test-key", string? version = "2023-06-01", string? beta = null)
    {
        using var http = new HttpClient { BaseAddress = emulator.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (apiKey is not null)
        {
            request.Headers.Add("x-api-key", apiKey);
        }

        if (version is not null)
        {
            request.Headers.Add("anthropic-version", version);
        }

        if (beta is not null)
        {
            request.Headers.Add("anthropic-beta", beta);
        }

        var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return ((int)response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    /// <summary>A user message, as wire JSON.</summary>
    public static string User(string text) => JsonSerializer.Serialize(new { role = "user", content = text });

    /// <summary>A request body, as wire JSON: the messages, and any other fields given as one JSON object.</summary>
    public static string Body(string messagesJson, string extraJson = "{}")
    {
        var body = System.Text.Json.Nodes.JsonNode.Parse($$"""{"model":"{{Model}}","max_tokens":1024,"messages":[{{messagesJson}}]}""")!.AsObject();
        foreach (var (name, value) in System.Text.Json.Nodes.JsonNode.Parse(extraJson)!.AsObject())
        {
            body[name] = value?.DeepClone();
        }

        return body.ToJsonString();
    }
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private DateTimeOffset _now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
