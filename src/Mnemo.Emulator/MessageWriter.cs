using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Mnemo.Context;

namespace Mnemo.Emulator;

/// <summary>
/// Writes a reply as the API does: one message object, or the server-sent events of a stream (<c>message_start</c>,
/// <c>ping</c>, a start, deltas and a stop per content block, <c>message_delta</c> with the stop reason, usage and
/// applied edits, <c>message_stop</c>).
/// </summary>
internal sealed class MessageWriter(string id, string model, EmulatedReply reply, CacheUsage usage, ContextEditResult? edit, IReadOnlyList<(string Path, string Reason)>? inputTransformations = null)
{
    private const int TextChunk = 24;
    private const int JsonChunk = 40;

    public void WriteMessage(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        WriteHead(writer);
        writer.WriteStartArray("content"u8);
        foreach (var block in reply.Blocks)
        {
            WriteBlock(writer, block, whole: true);
        }

        writer.WriteEndArray();
        writer.WriteString("stop_reason"u8, reply.StopReason);
        WriteStopSequence(writer);
        writer.WritePropertyName("usage"u8);
        WriteUsage(writer, reply.OutputTokens);
        WriteContextManagement(writer);
        writer.WriteEndObject();
    }

    public async Task WriteStreamAsync(HttpResponse response, ScriptedError? error, CancellationToken cancellationToken)
    {
        response.StatusCode = 200;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        var events = new SseWriter(response, cancellationToken);

        await events.WriteAsync("message_start", writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "message_start"u8);
            writer.WriteStartObject("message"u8);
            WriteHead(writer);
            writer.WriteStartArray("content"u8);
            writer.WriteEndArray();
            writer.WriteNull("stop_reason"u8);
            writer.WriteNull("stop_sequence"u8);
            writer.WritePropertyName("usage"u8);
            WriteUsage(writer, outputTokens: 1);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }).ConfigureAwait(false);
        await events.WriteAsync("ping", writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "ping"u8);
            writer.WriteEndObject();
        }).ConfigureAwait(false);

        if (error is not null)
        {
            // An error after the stream began arrives as an event; the HTTP status has already been sent as 200.
            await events.WriteAsync("error", writer => ApiErrors.Write(writer, error.Type, error.Message, requestId: null)).ConfigureAwait(false);
            return;
        }

        for (var index = 0; index < reply.Blocks.Count; index++)
        {
            await WriteBlockEventsAsync(events, index, reply.Blocks[index]).ConfigureAwait(false);
        }

        await events.WriteAsync("message_delta", writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "message_delta"u8);
            writer.WriteStartObject("delta"u8);
            writer.WriteString("stop_reason"u8, reply.StopReason);
            WriteStopSequence(writer);
            writer.WriteEndObject();
            writer.WritePropertyName("usage"u8);
            WriteUsage(writer, reply.OutputTokens);
            WriteContextManagement(writer);
            writer.WriteEndObject();
        }).ConfigureAwait(false);
        await events.WriteAsync("message_stop", writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "message_stop"u8);
            writer.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private async Task WriteBlockEventsAsync(SseWriter events, int index, ReplyBlock block)
    {
        await events.WriteAsync("content_block_start", writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "content_block_start"u8);
            writer.WriteNumber("index"u8, index);
            writer.WritePropertyName("content_block"u8);
            WriteBlock(writer, block, whole: false);
            writer.WriteEndObject();
        }).ConfigureAwait(false);

        switch (block)
        {
            case TextReply text:
                foreach (var chunk in Chunks(text.Text, TextChunk))
                {
                    await Delta(events, index, "text_delta", "text", chunk).ConfigureAwait(false);
                }

                break;
            case ThinkingReply thinking:
                foreach (var chunk in Chunks(thinking.Thinking, TextChunk))
                {
                    await Delta(events, index, "thinking_delta", "thinking", chunk).ConfigureAwait(false);
                }

                await Delta(events, index, "signature_delta", "signature", thinking.Signature).ConfigureAwait(false);
                break;
            case CompactionReply compaction when compaction.Compaction.Summary is { } summary:
                // The summary arrives whole in one delta.
                await Delta(events, index, "compaction_delta", "content", summary).ConfigureAwait(false);
                break;
            case ToolUseReply toolUse:
                // The API opens a call's input with an empty piece, then sends the JSON text in pieces.
                await Delta(events, index, "input_json_delta", "partial_json", string.Empty).ConfigureAwait(false);
                foreach (var chunk in Chunks(toolUse.InputJson, JsonChunk))
                {
                    await Delta(events, index, "input_json_delta", "partial_json", chunk).ConfigureAwait(false);
                }

                break;
        }

        await events.WriteAsync("content_block_stop", writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "content_block_stop"u8);
            writer.WriteNumber("index"u8, index);
            writer.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static Task Delta(SseWriter events, int index, string type, string field, string value) =>
        events.WriteAsync("content_block_delta", writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "content_block_delta"u8);
            writer.WriteNumber("index"u8, index);
            writer.WriteStartObject("delta"u8);
            writer.WriteString("type"u8, type);
            writer.WriteString(field, value);
            writer.WriteEndObject();
            writer.WriteEndObject();
        });

    private void WriteHead(Utf8JsonWriter writer)
    {
        writer.WriteString("id"u8, id);
        writer.WriteString("type"u8, "message"u8);
        writer.WriteString("role"u8, "assistant"u8);
        writer.WriteString("model"u8, model);
        if (inputTransformations is not null)
        {
            // With the binding beta every response reports them, as [] when nothing was dropped; final in message_start.
            writer.WriteStartArray("input_transformations"u8);
            foreach (var (path, reason) in inputTransformations)
            {
                writer.WriteStartObject();
                writer.WriteString("type"u8, "thinking_dropped"u8);
                writer.WriteString("path"u8, path);
                writer.WriteString("reason"u8, reason);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }
    }

    private void WriteStopSequence(Utf8JsonWriter writer)
    {
        if (reply.StopSequence is { } stop)
        {
            writer.WriteString("stop_sequence"u8, stop);
        }
        else
        {
            writer.WriteNull("stop_sequence"u8);
        }
    }

    private void WriteUsage(Utf8JsonWriter writer, long outputTokens)
    {
        writer.WriteStartObject();
        writer.WriteNumber("input_tokens"u8, usage.InputTokens);
        writer.WriteNumber("cache_creation_input_tokens"u8, usage.CacheCreationTokens);
        writer.WriteNumber("cache_read_input_tokens"u8, usage.CacheReadTokens);
        writer.WriteStartObject("cache_creation"u8);
        writer.WriteNumber("ephemeral_5m_input_tokens"u8, usage.CacheCreation5mTokens);
        writer.WriteNumber("ephemeral_1h_input_tokens"u8, usage.CacheCreation1hTokens);
        writer.WriteEndObject();
        writer.WriteNumber("output_tokens"u8, outputTokens);
        writer.WriteString("service_tier"u8, "standard"u8);
        if (reply.Compaction is { } compaction)
        {
            // The compaction's own request comes first; its tokens are not in the top-level fields, which are the message's.
            writer.WriteStartArray("iterations"u8);
            var summarised = compaction.Usage.InputTokens > 0 ? compaction.Usage.InputTokens : compaction.InputTokensBefore;
            var written = compaction.Usage.OutputTokens > 0 ? compaction.Usage.OutputTokens
                : Math.Max(1, Mnemo.Tokens.TokenEstimator.Estimate((compaction.Summary ?? string.Empty).AsSpan()));
            WriteIteration(writer, "compaction"u8, summarised, 0, 0, written);
            if (reply.StopReason != "compaction")
            {
                WriteIteration(writer, "message"u8, usage.InputTokens, usage.CacheCreationTokens, usage.CacheReadTokens, outputTokens);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static void WriteIteration(Utf8JsonWriter writer, ReadOnlySpan<byte> type, long input, long cacheCreation, long cacheRead, long output)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, type);
        writer.WriteNumber("input_tokens"u8, input);
        writer.WriteNumber("cache_creation_input_tokens"u8, cacheCreation);
        writer.WriteNumber("cache_read_input_tokens"u8, cacheRead);
        writer.WriteNumber("output_tokens"u8, output);
        writer.WriteEndObject();
    }

    private void WriteContextManagement(Utf8JsonWriter writer)
    {
        if (edit is not null)
        {
            writer.WritePropertyName("context_management"u8);
            edit.WriteContextManagement(writer);
        }
    }

    /// <summary>Writes a block whole, or as a stream's <c>content_block_start</c> carries it: empty, to be filled by deltas.</summary>
    internal static void WriteBlock(Utf8JsonWriter writer, ReplyBlock block, bool whole)
    {
        switch (block)
        {
            case TextReply text:
                writer.WriteStartObject();
                writer.WriteString("type"u8, "text"u8);
                writer.WriteString("text"u8, whole ? text.Text : string.Empty);
                writer.WriteEndObject();
                break;
            case ThinkingReply thinking:
                writer.WriteStartObject();
                writer.WriteString("type"u8, "thinking"u8);
                writer.WriteString("thinking"u8, whole ? thinking.Thinking : string.Empty);
                writer.WriteString("signature"u8, whole ? thinking.Signature : string.Empty);
                writer.WriteEndObject();
                break;
            case ToolUseReply toolUse:
                writer.WriteStartObject();
                writer.WriteString("type"u8, "tool_use"u8);
                writer.WriteString("id"u8, toolUse.Id);
                writer.WriteString("name"u8, toolUse.Name);
                writer.WritePropertyName("input"u8);
                if (whole)
                {
                    writer.WriteRawValue(toolUse.InputJson, skipInputValidation: true);
                }
                else
                {
                    writer.WriteStartObject();
                    writer.WriteEndObject();
                }

                writer.WriteEndObject();
                break;
            case CompactionReply compaction:
                writer.WriteStartObject();
                writer.WriteString("type"u8, "compaction"u8);
                if (whole && compaction.Compaction.Summary is { } summary)
                {
                    writer.WriteString("content"u8, summary);
                }
                else
                {
                    writer.WriteNull("content"u8);
                }

                writer.WriteEndObject();
                break;
            case RawReply raw:
                raw.Json.WriteTo(writer);
                break;
        }
    }

    /// <summary>Splits text into pieces of about <paramref name="size"/> characters, after a space where there is one.</summary>
    private static IEnumerable<string> Chunks(string text, int size)
    {
        var start = 0;
        while (start < text.Length)
        {
            var end = Math.Min(text.Length, start + size);
            if (end < text.Length)
            {
                var space = text.LastIndexOf(' ', end - 1, end - start);
                end = space > start ? space + 1 : end;
                if (char.IsHighSurrogate(text[end - 1]))
                {
                    end++;
                }
            }

            yield return text[start..end];
            start = end;
        }
    }

    /// <summary>Writes server-sent events, each flushed as soon as it is written.</summary>
    private sealed class SseWriter(HttpResponse response, CancellationToken cancellationToken)
    {
        private readonly ArrayBufferWriter<byte> _buffer = new();

        public async Task WriteAsync(string name, Action<Utf8JsonWriter> data)
        {
            _buffer.ResetWrittenCount();
            _buffer.Write("event: "u8);
            _buffer.Write(System.Text.Encoding.UTF8.GetBytes(name));
            _buffer.Write("\ndata: "u8);
            using (var writer = new Utf8JsonWriter(_buffer, MessagesEmulator.WriterOptions))
            {
                data(writer);
            }

            _buffer.Write("\n\n"u8);
            await response.Body.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
