using System.Text.Json;

namespace Mnemo.Emulator;

/// <summary>Represents the settings of a <see cref="MessagesEmulator"/>.</summary>
public sealed class MessagesEmulatorOptions
{
    /// <summary>Gets or sets the port on 127.0.0.1 to listen on.</summary>
    /// <value>0 (the default) takes a free port; <see cref="MessagesEmulator.BaseAddress"/> says which.</value>
    public int Port { get; set; }

    /// <summary>Gets or sets what the assistant says.</summary>
    /// <value>Without a script every Messages request is answered with an error that says so; count_tokens still works.</value>
    public AssistantScript? Script { get; set; }

    /// <summary>Gets or sets the only API key accepted.</summary>
    /// <value><see langword="null"/> (the default) accepts any key, though a request must still send one, as with the API.</value>
    public string? ApiKey { get; set; }

    /// <summary>Gets or sets the clock of the prompt cache's lifetimes and of scripted delays.</summary>
    /// <value><see cref="TimeProvider.System"/> by default.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Gets or sets the fewest tokens a prefix needs to be written to the prompt cache.</summary>
    /// <value>1,024 by default, the minimum of Claude's Sonnet and Opus models up to 4.1; Haiku 3.5 needs 2,048 and the 4.5
    /// Opus and Haiku models 4,096.</value>
    public int CacheMinimumTokens { get; set; } = 1024;

    /// <summary>Gets or sets whether consecutive messages of one role are rejected.</summary>
    /// <value><see langword="false"/> by default: like today's API, consecutive user or assistant messages count as one
    /// turn. Set it to test against providers that still reject them.</value>
    public bool StrictRoleAlternation { get; set; }

    /// <summary>Gets or sets how many recent exchanges <see cref="MessagesEmulator.Exchanges"/> keeps.</summary>
    /// <value>200 by default.</value>
    public int RecordedExchanges { get; set; } = 200;

    /// <summary>Gets or sets a callback for every exchange when it is done, such as a console log line.</summary>
    public Action<EmulatorExchange>? OnExchange { get; set; }

    /// <summary>Gets or sets what writes the summary of a <c>compact_20260112</c> compaction.</summary>
    /// <value><see langword="null"/> (the default) extracts one from the conversation (<see cref="Mnemo.Context.ExtractiveContextSummarizer"/>);
    /// tests give their own to script it.</value>
    public Mnemo.Context.IContextSummarizer? Summarizer { get; set; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Port, nameof(Port));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Port, 65535, nameof(Port));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentOutOfRangeException.ThrowIfNegative(CacheMinimumTokens, nameof(CacheMinimumTokens));
        ArgumentOutOfRangeException.ThrowIfNegative(RecordedExchanges, nameof(RecordedExchanges));
        if (ApiKey is { Length: 0 })
        {
            throw new ArgumentException("ApiKey is empty; leave it null to accept any key.", nameof(ApiKey));
        }
    }
}

/// <summary>Represents one request the emulator answered and how.</summary>
/// <param name="RequestId">The <c>request-id</c> the response carried.</param>
/// <param name="Time">When the request came in.</param>
/// <param name="Path">The request's path.</param>
/// <param name="Status">The HTTP status of the response.</param>
/// <param name="Streamed">Whether the response was a stream of server-sent events.</param>
/// <param name="Betas">The beta features the request named in <c>anthropic-beta</c>.</param>
/// <param name="Request">The request body as received; <see langword="null"/> when it was not JSON.</param>
/// <param name="AnsweredRequest">The request the assistant answered, when it differs from the one received: a continued
/// thread's conversation put back in front, context edits applied.</param>
/// <param name="Response">The response body: the message (the whole message for a stream), the count, or the error.</param>
/// <param name="ScriptSource">Which scripted turn answered, such as <c>conversation "review" turn 2</c>.</param>
public sealed record EmulatorExchange(
    string RequestId,
    DateTimeOffset Time,
    string Path,
    int Status,
    bool Streamed,
    IReadOnlyList<string> Betas,
    JsonElement? Request,
    JsonElement? AnsweredRequest,
    JsonElement? Response,
    string? ScriptSource)
{
    /// <summary>Gets what went wrong inside the emulator when it answered 500, for the host's log; never sent to the client.</summary>
    public string? Failure { get; init; }

    /// <summary>Writes the exchange as JSON, as <c>GET /_emulator/exchanges</c> lists it.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("request_id"u8, RequestId);
        writer.WriteString("time"u8, Time);
        writer.WriteString("path"u8, Path);
        writer.WriteNumber("status"u8, Status);
        writer.WriteBoolean("streamed"u8, Streamed);
        writer.WriteStartArray("betas"u8);
        foreach (var beta in Betas)
        {
            writer.WriteStringValue(beta);
        }

        writer.WriteEndArray();
        Write(writer, "request"u8, Request);
        Write(writer, "answered_request"u8, AnsweredRequest);
        Write(writer, "response"u8, Response);
        if (ScriptSource is null)
        {
            writer.WriteNull("script_source"u8);
        }
        else
        {
            writer.WriteString("script_source"u8, ScriptSource);
        }

        writer.WriteEndObject();
    }

    private static void Write(Utf8JsonWriter writer, ReadOnlySpan<byte> name, JsonElement? value)
    {
        writer.WritePropertyName(name);
        if (value is { } json)
        {
            json.WriteTo(writer);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
