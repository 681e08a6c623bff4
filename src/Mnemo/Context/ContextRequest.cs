using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Mnemo.Context;

/// <summary>
/// A Messages API request body (or a bare list of messages) as context editing sees it: its messages, whether thinking
/// is on, and everything else carried through untouched. Immutable; an edit makes a new request that shares what it did
/// not change.
/// </summary>
public sealed class ContextRequest
{
    private ContextRequest(JsonElement json, IReadOnlyList<ContextMessage> messages, bool isMessageList, bool? thinkingEnabled = null)
    {
        Json = json;
        Messages = messages;
        IsMessageList = isMessageList;
        ThinkingEnabled = thinkingEnabled ?? (!isMessageList && IsThinkingOn(json));
    }

    /// <summary>The request's <c>model</c>; <see langword="null"/> for a bare list of messages or a request that names none.</summary>
    public string? Model => !IsMessageList && Json.TryGetProperty("model"u8, out var model) && model.ValueKind == JsonValueKind.String ? model.GetString() : null;

    private static readonly JsonElement EmptyList = JsonDocument.Parse("[]"u8.ToArray()).RootElement;

    /// <summary>The request's JSON as it came; its <c>messages</c> are stale once edited.</summary>
    public JsonElement Json { get; }

    /// <summary>The conversation.</summary>
    public IReadOnlyList<ContextMessage> Messages { get; }

    /// <summary>Whether the input was a bare list of messages rather than a request body.</summary>
    public bool IsMessageList { get; }

    /// <summary>Whether the request turns extended or adaptive thinking on, or leaves it out on a model that thinks by
    /// default (<see cref="ClaudeModel.DefaultThinking"/>); always <see langword="false"/> for a bare list of messages, which
    /// has no place to say.</summary>
    public bool ThinkingEnabled { get; }

    private static bool IsThinkingOn(JsonElement json)
    {
        if (json.TryGetProperty("thinking"u8, out var thinking) && thinking.ValueKind != JsonValueKind.Null)
        {
            return thinking.ValueKind == JsonValueKind.Object && thinking.TryGetProperty("type"u8, out var type) &&
                type.ValueKind == JsonValueKind.String && (type.ValueEquals("enabled"u8) || type.ValueEquals("adaptive"u8));
        }

        // Left out: the model's default, for a model the table knows.
        return json.TryGetProperty("model"u8, out var model) && model.ValueKind == JsonValueKind.String &&
            ClaudeModels.Find(model.GetString()) is { IsKnown: true } known && known.Model.DefaultThinking != ThinkingModes.Disabled;
    }

    /// <summary>The request's <c>context_management</c> object, if it has one.</summary>
    public JsonElement? ContextManagement =>
        !IsMessageList && Json.TryGetProperty("context_management"u8, out var value) ? value : null;

    /// <summary>Reads a request body, or a list of messages, from JSON text.</summary>
    /// <exception cref="ContextFormatException">The text is not JSON, or not a request; the message says where.</exception>
    public static ContextRequest Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Parse(Encoding.UTF8.GetBytes(json));
    }

    /// <summary>Reads a request body, or a list of messages, from UTF-8 JSON.</summary>
    /// <exception cref="ContextFormatException">The text is not JSON, or not a request; the message says where.</exception>
    public static ContextRequest Parse(ReadOnlySpan<byte> utf8Json)
    {
        JsonElement root;
        try
        {
            var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = 256 });
            root = JsonElement.ParseValue(ref reader);
        }
        catch (JsonException exception)
        {
            throw new ContextFormatException($"not valid JSON at line {exception.LineNumber + 1}, byte {exception.BytePositionInLine + 1}", exception);
        }

        return FromJson(root);
    }

    /// <summary>Reads a request body (an object with <c>messages</c>) or a bare list of messages.</summary>
    /// <exception cref="ContextFormatException">The JSON is not a request; the message says where.</exception>
    public static ContextRequest FromJson(JsonElement json)
    {
        json = json.Clone();
        if (json.ValueKind == JsonValueKind.Array)
        {
            return new ContextRequest(json, ReadMessages(json), isMessageList: true);
        }

        if (json.ValueKind != JsonValueKind.Object)
        {
            throw new ContextFormatException($"expected a request object or a list of messages, got {JsonKinds.Describe(json.ValueKind)}");
        }

        if (!json.TryGetProperty("messages"u8, out var messages))
        {
            throw new ContextFormatException("messages: a request needs a list of messages");
        }

        if (messages.ValueKind != JsonValueKind.Array)
        {
            throw new ContextFormatException($"messages: expected a list, got {JsonKinds.Describe(messages.ValueKind)}");
        }

        return new ContextRequest(json, ReadMessages(messages), isMessageList: false);
    }

    /// <summary>Makes a bare list of messages from messages read before, such as ones kept between requests.</summary>
    public static ContextRequest FromMessages(IEnumerable<ContextMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ContextMessage[] list = [.. messages];
        if (Array.IndexOf(list, null) >= 0)
        {
            throw new ArgumentException("The list holds a null message.", nameof(messages));
        }

        return new ContextRequest(EmptyList, list, isMessageList: true);
    }

    /// <summary>Returns this request with other messages and every other field as it was.</summary>
    public ContextRequest WithMessages(IReadOnlyList<ContextMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        // The same request body: whether thinking is on does not change with the messages.
        return new ContextRequest(Json, messages, IsMessageList, ThinkingEnabled);
    }

    /// <summary>Writes the request as JSON, every field but the messages as it came.</summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="withoutContextManagement">Leaves out <c>context_management</c>, for a request whose editing is done.</param>
    public void WriteTo(Utf8JsonWriter writer, bool withoutContextManagement = false)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (IsMessageList)
        {
            WriteMessages(writer);
            return;
        }

        writer.WriteStartObject();
        foreach (var property in Json.EnumerateObject())
        {
            if (property.NameEquals("messages"u8))
            {
                writer.WritePropertyName("messages"u8);
                WriteMessages(writer);
            }
            else if (!withoutContextManagement || !property.NameEquals("context_management"u8))
            {
                property.WriteTo(writer);
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>Returns the request as JSON text.</summary>
    public string ToJsonString(bool withoutContextManagement = false, bool indented = false)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented, SkipValidation = true }))
        {
            WriteTo(writer, withoutContextManagement);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The parts of the request outside the messages that count toward its input: system prompt and tools.</summary>
    internal IEnumerable<JsonElement> Preamble()
    {
        if (IsMessageList)
        {
            yield break;
        }

        if (Json.TryGetProperty("system"u8, out var system))
        {
            yield return system;
        }

        if (Json.TryGetProperty("tools"u8, out var tools))
        {
            yield return tools;
        }
    }

    private static ContextMessage[] ReadMessages(JsonElement array)
    {
        var messages = new ContextMessage[array.GetArrayLength()];
        var i = 0;
        foreach (var message in array.EnumerateArray())
        {
            messages[i] = ContextMessage.FromJson(message, i);
            i++;
        }

        return messages;
    }

    private void WriteMessages(Utf8JsonWriter writer)
    {
        writer.WriteStartArray();
        foreach (var message in Messages)
        {
            message.WriteTo(writer);
        }

        writer.WriteEndArray();
    }
}
