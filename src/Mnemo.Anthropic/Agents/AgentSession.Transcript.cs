using System.Text.Json;
using Mnemo.Context.Replay;

namespace Mnemo.Anthropic.Agents;

/// <summary>The session's record of what it sent: the whole conversation with each request's place, time and usage, for
/// <c>mnemo context replay</c>.</summary>
public sealed partial class AgentSession
{
    private readonly List<ReplayRequestRecord> _sent = [];

    /// <summary>Writes the session as it stands: a Messages API request body (model, system prompt, tools, the
    /// <c>context_management</c> it ran with, and the whole conversation, unedited) with <c>mnemo_requests</c>, each request's message count, time and usage. It holds what
    /// the model was sent, memory files it viewed included.</summary>
    /// <param name="writer">Where to write.</param>
    public void WriteTranscript(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var request = _requests.Unedited(_conversation.Messages);
        writer.WriteStartObject();
        foreach (var property in request.Json.EnumerateObject())
        {
            if (!property.NameEquals("messages"u8) && !property.NameEquals(SessionTranscripts.RequestsField))
            {
                property.WriteTo(writer);
            }
        }

        if (_requests.ContextManagement is { } config && !request.Json.TryGetProperty("context_management"u8, out _))
        {
            // What the session ran with, so a replay can set it beside the alternatives.
            writer.WritePropertyName("context_management"u8);
            config.WriteTo(writer);
        }

        if (_adaptive is not null)
        {
            // Adaptive mode's bounds: a replay's "as run" is then adaptive from the configuration above, as the session was.
            SessionTranscripts.WriteAdaptive(writer, _options.Adaptive!);
        }

        writer.WriteStartArray("messages"u8);
        foreach (var message in request.Messages)
        {
            message.WriteTo(writer);
        }

        writer.WriteEndArray();
        writer.WriteStartArray(SessionTranscripts.RequestsField);
        foreach (var sent in _sent)
        {
            writer.WriteStartObject();
            writer.WriteNumber("messages"u8, sent.Messages);
            writer.WriteString("at"u8, sent.At);
            if (sent.Usage is { } usage)
            {
                writer.WriteStartObject("usage"u8);
                writer.WriteNumber("input_tokens"u8, usage.InputTokens);
                writer.WriteNumber("cache_creation_input_tokens"u8, usage.CacheCreationInputTokens);
                writer.WriteNumber("cache_read_input_tokens"u8, usage.CacheReadInputTokens);
                writer.WriteNumber("output_tokens"u8, usage.OutputTokens);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Saves <see cref="WriteTranscript"/> to a file, whole or not at all (through a file beside it).</summary>
    /// <param name="path">The file.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    public async Task SaveTranscriptAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteTranscript(writer);
        }

        var temporary = path + ".tmp";
        await File.WriteAllBytesAsync(temporary, buffer.WrittenMemory.ToArray(), cancellationToken).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Notes a request about to be sent.</summary>
    private void RecordSent() => _sent.Add(new ReplayRequestRecord(_conversation.Messages.Count, _options.TimeProvider.GetUtcNow()));

    /// <summary>Notes what the API counted for the request last sent.</summary>
    private void RecordUsage(long input, long cacheCreation, long cacheRead, long output) =>
        _sent[^1] = _sent[^1] with { Usage = new ReplayUsage(input, cacheCreation, cacheRead, output) };

    private sealed record ReplayRequestRecord(int Messages, DateTimeOffset At)
    {
        public ReplayUsage? Usage { get; init; }
    }
}
