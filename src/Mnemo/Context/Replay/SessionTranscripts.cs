using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Mnemo.Context.Replay;

/// <summary>Reads a session from a transcript, whichever of the formats it is in, detected from the content: a Claude
/// Code session transcript (JSON lines), a Messages API request body or a bare list of messages, or a session record
/// Mnemo's agent wrote (a request body with <c>mnemo_requests</c>).</summary>
public static partial class SessionTranscripts
{
    /// <summary>The field of a Mnemo session record that lists its requests.</summary>
    public const string RequestsField = "mnemo_requests";

    /// <summary>The field of a Mnemo session record that holds adaptive mode's bounds, when the session ran in it.</summary>
    public const string AdaptiveField = "mnemo_adaptive";

    /// <summary>Block types of the Messages API; others are kept as they are, and counted.</summary>
    private static readonly HashSet<string> KnownBlocks = new(StringComparer.Ordinal)
    {
        "text", "image", "document", "tool_use", "tool_result", "thinking", "redacted_thinking", "server_tool_use",
        "web_search_tool_result", "web_fetch_tool_result", "code_execution_tool_result", "bash_code_execution_tool_result",
        "text_editor_code_execution_tool_result", "mcp_tool_use", "mcp_tool_result", "container_upload", "search_result",
        "tool_search_tool_result", "compaction",
    };

    /// <summary>Reads a session.</summary>
    /// <param name="utf8">The transcript's bytes.</param>
    /// <returns>The session; lines that could not be read are listed in it, never thrown.</returns>
    /// <exception cref="ContextFormatException">Nothing in it is a conversation.</exception>
    public static ReplaySession Read(ReadOnlySpan<byte> utf8)
    {
        var start = 0;
        while (start < utf8.Length && utf8[start] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or 0xEF or 0xBB or 0xBF)
        {
            start++;
        }

        if (start == utf8.Length)
        {
            throw new ContextFormatException("the file is empty");
        }

        // One JSON value (a request body or a list of messages), or JSON lines.
        if (utf8[start] == (byte)'[' || TryWhole(utf8[start..], out _))
        {
            return FromRequest(ContextRequest.Parse(utf8[start..]));
        }

        return ClaudeCode(utf8[start..]);
    }

    private static bool TryWhole(ReadOnlySpan<byte> utf8, out JsonElement root)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 256 });
            root = JsonElement.ParseValue(ref reader);
            return root.ValueKind == JsonValueKind.Object && root.TryGetProperty("messages"u8, out _);
        }
        catch (JsonException)
        {
            root = default;
            return false;
        }
    }

    /// <summary>A request body or list of messages: each assistant message ends a request (the messages before it), and a
    /// body that ends with a user's turn is one more; a Mnemo record lists its requests itself.</summary>
    private static ReplaySession FromRequest(ContextRequest request)
    {
        var messages = request.Messages;
        var requests = new List<ReplayRequest>();
        var format = "messages";
        if (!request.IsMessageList && request.Json.TryGetProperty(RequestsField, out var listed) && listed.ValueKind == JsonValueKind.Array)
        {
            format = "mnemo";
            var i = 0;
            foreach (var item in listed.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("messages"u8, out var count) || !count.TryGetInt32(out var n) ||
                    n < 1 || n > messages.Count || (requests.Count > 0 && n <= requests[^1].MessageCount))
                {
                    throw new ContextFormatException(string.Create(CultureInfo.InvariantCulture,
                        $"{RequestsField}.{i}: expected {{\"messages\": n}} with n from 1 to {messages.Count}, more than the request before"));
                }

                requests.Add(new ReplayRequest(n)
                {
                    At = item.TryGetProperty("at"u8, out var at) && at.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(at.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : null,
                    Usage = item.TryGetProperty("usage"u8, out var usage) ? ReplayUsage.FromJson(usage) : null,
                });
                i++;
            }
        }
        else
        {
            for (var i = 1; i < messages.Count; i++)
            {
                if (messages[i].IsAssistant && !messages[i - 1].IsAssistant)
                {
                    requests.Add(new ReplayRequest(i));
                }
            }

            if (messages.Count > 0 && !messages[^1].IsAssistant)
            {
                requests.Add(new ReplayRequest(messages.Count));
            }
        }

        if (requests.Count == 0)
        {
            throw new ContextFormatException("messages: no request to replay (no user message before an assistant one)");
        }

        return new ReplaySession(format, request.Model, [new ReplaySegment(request, requests)])
        {
            Adaptive = format == "mnemo" && request.Json.TryGetProperty(AdaptiveField, out var adaptive) ? ReadAdaptive(adaptive) : null,
        };
    }

    /// <summary>One line of a Claude Code transcript that is part of the conversation.</summary>
    private sealed record Line(int Number, string? Uuid, string? Parent, string? LogicalParent, string Type, JsonElement Json);

    /// <summary>A Claude Code session transcript: one JSON object per line. The conversation is the chain of parents from
    /// the last line of the main thread back to its start (a rewound branch is left out); a compaction boundary starts a
    /// new segment; an assistant response streamed over several lines (one block each, one message id) is one message.</summary>
    private static ReplaySession ClaudeCode(ReadOnlySpan<byte> utf8)
    {
        var skipped = new Dictionary<string, int>(StringComparer.Ordinal);
        var unknown = new Dictionary<string, int>(StringComparer.Ordinal);
        var malformed = new List<string>();
        var lines = new List<Line>();
        var links = new Dictionary<string, string?>(StringComparer.Ordinal);
        var number = 0;
        foreach (var range in utf8.Split((byte)'\n'))
        {
            number++;
            var text = utf8[range];
            if (text.Trim(" \t\r"u8).IsEmpty)
            {
                continue;
            }

            JsonElement json;
            try
            {
                var reader = new Utf8JsonReader(text, new JsonReaderOptions { MaxDepth = 256 });
                json = JsonElement.ParseValue(ref reader);
            }
            catch (JsonException exception)
            {
                malformed.Add(string.Create(CultureInfo.InvariantCulture, $"line {number}: not valid JSON (byte {exception.BytePositionInLine + 1})"));
                continue;
            }

            if (json.ValueKind != JsonValueKind.Object || String(json, "type"u8) is not { } type)
            {
                malformed.Add(string.Create(CultureInfo.InvariantCulture, $"line {number}: not a transcript line (no type)"));
                continue;
            }

            // Every line with an id links the chain, kept or not (a system note may sit between two messages).
            if (String(json, "uuid"u8) is { } uuid)
            {
                links[uuid] = String(json, "parentUuid"u8) ?? String(json, "logicalParentUuid"u8);
            }

            var boundary = type == "system" && String(json, "subtype"u8) == "compact_boundary";
            if (type is not ("user" or "assistant") && !boundary)
            {
                Count(skipped, type);
                continue;
            }

            if (json.TryGetProperty("isSidechain"u8, out var side) && side.ValueKind == JsonValueKind.True)
            {
                Count(skipped, "sidechain");
                continue;
            }

            if (!boundary && (!json.TryGetProperty("message"u8, out var message) || message.ValueKind != JsonValueKind.Object))
            {
                malformed.Add(string.Create(CultureInfo.InvariantCulture, $"line {number}: a {type} line without a message"));
                continue;
            }

            lines.Add(new Line(number, String(json, "uuid"u8), String(json, "parentUuid"u8), String(json, "logicalParentUuid"u8), boundary ? "boundary" : type, json));
        }

        var chain = Chain(lines, links);
        var segments = new List<ReplaySegment>();
        string? model = null;
        var current = new List<(string Role, List<JsonElement> Blocks, string? Id)>();
        var requests = new List<ReplayRequest>();
        var toolLines = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in chain)
        {
            if (line.Type == "boundary")
            {
                Flush();
                continue;
            }

            var message = line.Json.GetProperty("message"u8);
            var role = String(message, "role"u8) ?? line.Type;
            var id = role == "assistant" ? String(message, "id"u8) : null;
            model ??= role == "assistant" ? String(message, "model"u8) : null;
            var blocks = Blocks(message, unknown);
            if (blocks.Count == 0)
            {
                continue;
            }

            foreach (var block in blocks)
            {
                if (String(block, "type"u8) == "tool_use" && String(block, "id"u8) is { } toolUseId)
                {
                    toolLines[toolUseId] = line.Number;
                }
            }

            if (current.Count > 0 && current[^1].Role == role)
            {
                // The API takes consecutive messages of one role as one; a response streamed over lines shares its id.
                current[^1].Blocks.AddRange(blocks);
                if (role == "assistant" && id is not null && id == current[^1].Id && requests.Count > 0 && ReplayUsage.FromJson(Usage(message)) is { } later)
                {
                    requests[^1] = requests[^1] with { Usage = later };
                }

                continue;
            }

            if (role == "assistant" && current.Count > 0)
            {
                // A response: the request that asked for it held every message so far.
                requests.Add(new ReplayRequest(current.Count)
                {
                    At = line.Json.TryGetProperty("timestamp"u8, out var at) && at.ValueKind == JsonValueKind.String &&
                        DateTimeOffset.TryParse(at.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : null,
                    Usage = ReplayUsage.FromJson(Usage(message)),
                });
            }

            current.Add((role, blocks, id));
        }

        Flush();
        if (segments.Count == 0)
        {
            throw new ContextFormatException(malformed.Count > 0
                ? $"no conversation could be read ({malformed[0]})"
                : "no conversation in it: no user message answered by the assistant");
        }

        return new ReplaySession("claude-code", model, segments) { Skipped = skipped, UnknownBlocks = unknown, Malformed = malformed };

        void Flush()
        {
            if (requests.Count > 0)
            {
                segments.Add(new ReplaySegment(Build(model, current), [.. requests]) { ToolUseLines = toolLines });
            }

            current = [];
            requests = [];
            toolLines = new Dictionary<string, int>(StringComparer.Ordinal);
        }
    }

    private static JsonElement Usage(JsonElement message) => message.TryGetProperty("usage"u8, out var usage) ? usage : default;

    /// <summary>The lines of the main thread, in order: the chain of parents from its last line, through compaction
    /// boundaries to the part before them; in file order when the lines carry no ids.</summary>
    private static List<Line> Chain(List<Line> lines, Dictionary<string, string?> links)
    {
        if (lines.Count == 0 || lines.TrueForAll(line => line.Uuid is null))
        {
            return lines;
        }

        var byId = new Dictionary<string, Line>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            if (line.Uuid is not null)
            {
                byId[line.Uuid] = line;
            }
        }

        var chain = new List<Line>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var id = lines.FindLast(line => line.Type != "boundary" && line.Uuid is not null)?.Uuid; id is not null && seen.Add(id); id = links.GetValueOrDefault(id))
        {
            if (byId.TryGetValue(id, out var line))
            {
                chain.Add(line);
            }
        }

        chain.Reverse();
        return chain;
    }

    /// <summary>A message's content as API blocks: a string becomes a text block; null fields and the transcript's own
    /// fields are dropped, so the blocks are what the API was sent.</summary>
    private static List<JsonElement> Blocks(JsonElement message, Dictionary<string, int> unknown)
    {
        var blocks = new List<JsonElement>();
        if (!message.TryGetProperty("content"u8, out var content))
        {
            return blocks;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            if (content.GetString() is { Length: > 0 } text)
            {
                blocks.Add(Write(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("type"u8, "text"u8);
                    writer.WriteString("text"u8, text);
                    writer.WriteEndObject();
                }));
            }

            return blocks;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return blocks;
        }

        foreach (var block in content.EnumerateArray())
        {
            if (block.ValueKind != JsonValueKind.Object || String(block, "type"u8) is not { } type)
            {
                Count(unknown, "(no type)");
                continue;
            }

            if (!KnownBlocks.Contains(type))
            {
                Count(unknown, type);
            }

            blocks.Add(Write(writer => Clean(writer, block)));
        }

        return blocks;
    }

    /// <summary>Writes a value without its null fields and the transcript's own per-block fields.</summary>
    private static void Clean(Utf8JsonWriter writer, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in value.EnumerateObject())
                {
                    if (property.Value.ValueKind == JsonValueKind.Null || property.NameEquals("agentId"u8))
                    {
                        continue;
                    }

                    writer.WritePropertyName(property.Name);
                    Clean(writer, property.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    Clean(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                value.WriteTo(writer);
                break;
        }
    }

    private static ContextRequest Build(string? model, List<(string Role, List<JsonElement> Blocks, string? Id)> messages) =>
        ContextRequest.FromJson(Write(writer =>
        {
            writer.WriteStartObject();
            if (model is not null)
            {
                writer.WriteString("model"u8, model);
            }

            writer.WriteStartArray("messages"u8);
            foreach (var (role, blocks, _) in messages)
            {
                writer.WriteStartObject();
                writer.WriteString("role"u8, role);
                writer.WriteStartArray("content"u8);
                foreach (var block in blocks)
                {
                    block.WriteTo(writer);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }));

    private static JsonElement Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return JsonElement.Parse(buffer.WrittenSpan);
    }

    private static string? String(JsonElement json, ReadOnlySpan<byte> name) =>
        json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static void Count(Dictionary<string, int> counts, string key) =>
        counts[key] = counts.GetValueOrDefault(key) + 1;
}
