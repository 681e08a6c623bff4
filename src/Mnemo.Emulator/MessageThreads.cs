using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mnemo.Emulator;

/// <summary>
/// Message threads (beta <c>message-threads-2026-08-12</c>), as the API keeps them: a request with
/// <c>"thread": {"type": "create"}</c> stores its conversation, system prompt and tools with the reply under the reply's
/// id; one with <c>{"type": "continue", "previous_message_id": id}</c> sends only the new messages and the stored
/// conversation is put back in front of them. A thread lives five minutes from its last use and is continued once; the
/// errors for a thread that is gone, already continued or being continued carry the API's <c>error_code</c>, on which
/// the SDK replays the whole conversation.
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class MessageThreads(TimeProvider time)
{
    public const string Beta = "message-threads-2026-08-12";

    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, Entry> _threads = new(StringComparer.Ordinal);
    private long _stores;

    /// <summary>
    /// Reads a request's <c>thread</c>: returns the whole request to answer (the stored conversation put back for a
    /// continue) and the thread it continues, which <see cref="Store"/> or <see cref="Release"/> must close.
    /// </summary>
    public (JsonElement Body, string? Continues) Open(string scope, JsonElement body, IReadOnlyCollection<string> betas)
    {
        if (!body.TryGetProperty("thread"u8, out var thread) || thread.ValueKind == JsonValueKind.Null)
        {
            return (body, null);
        }

        if (!betas.Contains(Beta))
        {
            throw ApiErrorException.InvalidRequest("thread: Extra inputs are not permitted");
        }

        var type = thread.ValueKind == JsonValueKind.Object && thread.TryGetProperty("type"u8, out var typeValue) && typeValue.ValueKind == JsonValueKind.String
            ? typeValue.GetString()
            : null;
        var request = JsonNode.Parse(body.GetRawText())!.AsObject();
        request.Remove("thread");
        if (type == "create")
        {
            return (JsonSerializer.SerializeToElement(request), null);
        }

        if (type != "continue")
        {
            throw ApiErrorException.InvalidRequest("thread: Input tag found using 'type' does not match any of the expected tags: 'create', 'continue'");
        }

        if (!thread.TryGetProperty("previous_message_id"u8, out var previous) || previous.ValueKind != JsonValueKind.String)
        {
            throw ApiErrorException.InvalidRequest("thread.continue.previous_message_id: Field required");
        }

        var id = previous.GetString()!;
        var key = scope + "\n" + id;
        var now = time.GetUtcNow();
        if (!_threads.TryGetValue(key, out var entry) || entry.ExpiresAt <= now)
        {
            throw new ApiErrorException(404, "not_found_error",
                $"No thread continues from message {id}: it expired or never existed. Send the whole conversation with \"thread\": {{\"type\": \"create\"}}.",
                "thread_not_found");
        }

        lock (entry)
        {
            if (entry.State == ThreadState.Continued)
            {
                throw new ApiErrorException(400, "invalid_request_error",
                    $"The thread at message {id} was already continued; a thread continues once. Send the whole conversation with \"thread\": {{\"type\": \"create\"}}.",
                    "thread_already_continued");
            }

            if (entry.State == ThreadState.InFlight)
            {
                throw new ApiErrorException(400, "invalid_request_error",
                    $"Another request is continuing the thread at message {id}.", "thread_continue_in_flight");
            }

            foreach (var (name, stored) in new[] { ("system", entry.System), ("tools", entry.Tools) })
            {
                if (request[name] is { } sent && !(stored is { } kept && JsonElement.DeepEquals(JsonSerializer.SerializeToElement(sent), kept)))
                {
                    throw new ApiErrorException(400, "invalid_request_error",
                        $"{name}: a thread keeps the {name} it was created with; leave it out when continuing, or create a new thread to change it.",
                        "thread_fingerprint_mismatch");
                }
            }

            entry.State = ThreadState.InFlight;
        }

        if (entry.System is { } system)
        {
            request["system"] = JsonNode.Parse(system.GetRawText());
        }

        if (entry.Tools is { } tools)
        {
            request["tools"] = JsonNode.Parse(tools.GetRawText());
        }

        var messages = new JsonArray([.. entry.Messages.Select(message => JsonNode.Parse(message.GetRawText()))]);
        if (request["messages"] is JsonArray added)
        {
            foreach (var message in added.ToArray())
            {
                added.Remove(message);
                messages.Add(message);
            }
        }

        request["messages"] = messages;
        return (JsonSerializer.SerializeToElement(request), key);
    }

    /// <summary>Stores the answered conversation under the reply's id, and closes the thread it continued.</summary>
    public void Store(string scope, JsonElement body, string? continues, JsonElement reply)
    {
        var messages = new List<JsonElement>(body.GetProperty("messages"u8).EnumerateArray().Select(message => message.Clone()));
        messages.Add(JsonSerializer.SerializeToElement(new JsonObject
        {
            ["role"] = "assistant",
            ["content"] = JsonNode.Parse(reply.GetProperty("content"u8).GetRawText()),
        }));
        var now = time.GetUtcNow();
        _threads[scope + "\n" + reply.GetProperty("id"u8).GetString()] = new Entry(
            Field(body, "system"u8), Field(body, "tools"u8), [.. messages], now + Lifetime);
        if (continues is not null && _threads.TryGetValue(continues, out var previous))
        {
            lock (previous)
            {
                previous.State = ThreadState.Continued;
            }
        }

        if (Interlocked.Increment(ref _stores) % 64 == 0)
        {
            foreach (var (key, entry) in _threads)
            {
                if (entry.ExpiresAt <= now)
                {
                    _threads.TryRemove(key, out _);
                }
            }
        }
    }

    /// <summary>Opens a continued thread again after its request failed, so a retry can continue it.</summary>
    public void Release(string? continues)
    {
        if (continues is not null && _threads.TryGetValue(continues, out var entry))
        {
            lock (entry)
            {
                if (entry.State == ThreadState.InFlight)
                {
                    entry.State = ThreadState.Open;
                }
            }
        }
    }

    public void Clear() => _threads.Clear();

    /// <summary>Whether a request asks for a thread.</summary>
    public static bool Asks(JsonElement body) => body.TryGetProperty("thread"u8, out var thread) && thread.ValueKind != JsonValueKind.Null;

    private static JsonElement? Field(JsonElement body, ReadOnlySpan<byte> name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value.Clone() : null;

    private enum ThreadState
    {
        Open,
        InFlight,
        Continued,
    }

    private sealed class Entry(JsonElement? system, JsonElement? tools, JsonElement[] messages, DateTimeOffset expiresAt)
    {
        public JsonElement? System { get; } = system;

        public JsonElement? Tools { get; } = tools;

        public JsonElement[] Messages { get; } = messages;

        public DateTimeOffset ExpiresAt { get; } = expiresAt;

        public ThreadState State { get; set; }
    }
}
