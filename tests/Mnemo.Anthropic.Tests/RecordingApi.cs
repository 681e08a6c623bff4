using System.Text.Json;
using Anthropic;
using Anthropic.Core;
using Mnemo.Emulator;

namespace Mnemo.Anthropic.Tests;

/// <summary>
/// The project's Messages API emulator on 127.0.0.1, for the SDK to talk to over real HTTP, with what it received kept
/// as (path, body, beta header) for the tests to check: count_tokens answers with the local estimate, messages with "ok".
/// </summary>
internal sealed class RecordingApi : IAsyncDisposable
{
    private readonly MessagesEmulator _emulator;

    private RecordingApi(MessagesEmulator emulator) => _emulator = emulator;

    /// <summary>The requests received, in order.</summary>
    public IReadOnlyList<(string Path, JsonElement Body, string? Beta)> Requests =>
        [.. _emulator.Exchanges.Select(exchange => (exchange.Path, exchange.Request!.Value, exchange.Betas.Count == 0 ? null : string.Join(',', exchange.Betas)))];

    public static async Task<RecordingApi> StartAsync() =>
        new(await MessagesEmulator.StartAsync(new MessagesEmulatorOptions { Script = AssistantScript.ParseYaml("turns: [ok]") }));

    public AnthropicClient Client() =>
        new(new ClientOptions { ApiKey = "test-key", BaseUrl = _emulator.BaseAddress.ToString().TrimEnd('/'), MaxRetries = 0 });

    public ValueTask DisposeAsync() => _emulator.DisposeAsync();
}
