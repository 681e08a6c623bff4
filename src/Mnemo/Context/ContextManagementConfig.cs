using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Mnemo.Context;

/// <summary>
/// The <c>context_management</c> configuration, in the Messages API's own JSON: a list of edits, each a strategy with its
/// parameters. Parsed and validated with the API's rules; written back as the same JSON.
/// </summary>
public sealed class ContextManagementConfig
{
    /// <summary>Creates a configuration from edits built in code; validates them as parsing would.</summary>
    /// <exception cref="ContextFormatException">The edits break one of the API's rules.</exception>
    public ContextManagementConfig(IReadOnlyList<ContextEditStrategy> edits)
    {
        ArgumentNullException.ThrowIfNull(edits);
        Edits = [.. edits];
        Check(Edits);
    }

    /// <summary>The edits, in the order they run.</summary>
    public IReadOnlyList<ContextEditStrategy> Edits { get; }

    /// <summary>The configuration the API applies when a request asks for tool-result clearing with no parameters.</summary>
    public static ContextManagementConfig Default { get; } = new([new ClearToolUsesEdit()]);

    /// <summary>Parses the configuration's JSON text: <c>{"edits": [...]}</c>.</summary>
    /// <exception cref="ContextFormatException">Not JSON, or not a valid configuration; the message says where.</exception>
    public static ContextManagementConfig Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonElement root;
        try
        {
            var bytes = Encoding.UTF8.GetBytes(json);
            var reader = new Utf8JsonReader(bytes);
            root = JsonElement.ParseValue(ref reader);
        }
        catch (JsonException exception)
        {
            throw new ContextFormatException(
                $"context_management: not valid JSON at line {exception.LineNumber + 1}, byte {exception.BytePositionInLine + 1}", exception);
        }

        return FromJson(root);
    }

    /// <summary>Reads the configuration from its JSON: <c>{"edits": [...]}</c>.</summary>
    /// <exception cref="ContextFormatException">Not a valid configuration; the message says where.</exception>
    public static ContextManagementConfig FromJson(JsonElement json)
    {
        const string Where = "context_management";
        RequireObject(json, Where);
        RejectExtra(json, Where, "edits");
        if (!json.TryGetProperty("edits"u8, out var edits))
        {
            throw new ContextFormatException($"{Where}.edits: Field required");
        }

        if (edits.ValueKind != JsonValueKind.Array)
        {
            throw new ContextFormatException($"{Where}.edits: Input should be a valid list");
        }

        var list = new List<ContextEditStrategy>();
        var i = 0;
        foreach (var edit in edits.EnumerateArray())
        {
            list.Add(ReadEdit(edit, string.Create(CultureInfo.InvariantCulture, $"{Where}.edits.{i}")));
            i++;
        }

        return new ContextManagementConfig(list);
    }

    /// <summary>Checks the rule that depends on the request: clearing thinking needs thinking turned on. A bare list of
    /// messages passes: it has no thinking setting to check.</summary>
    /// <exception cref="ContextFormatException">The configuration clears thinking and the request body does not turn it on.</exception>
    public void ValidateFor(ContextRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        // A bare list of messages cannot say whether thinking is on; its sender vouches for it by asking to clear thinking.
        if (!request.IsMessageList && !request.ThinkingEnabled && Edits.Any(edit => edit is ClearThinkingEdit))
        {
            throw new ContextFormatException("`clear_thinking_20251015` strategy requires `thinking` to be enabled or adaptive");
        }
    }

    /// <summary>The configuration for a request that must clear nothing: each trigger raised above the request (its input
    /// tokens by a fifth, for the counts' error, or its tool uses), and thinking not cleared. This is how a request that
    /// carries the warning to save is held back when the server edits, with the rest of the configuration as it was.</summary>
    /// <param name="inputTokens">The request's projected input tokens.</param>
    /// <param name="toolUses">Its tool uses.</param>
    /// <returns>The raised configuration; <see langword="null"/> when it has no edit a trigger governs.</returns>
    public ContextManagementConfig? RaisedAbove(long inputTokens, int toolUses)
    {
        var above = Math.Max(CompactEdit.MinimumTriggerTokens, (inputTokens * 6 / 5) + 1_000);
        var edits = new List<ContextEditStrategy>();
        foreach (var edit in Edits)
        {
            switch (edit)
            {
                case ClearToolUsesEdit tools:
                    edits.Add(new ClearToolUsesEdit
                    {
                        Trigger = tools.EffectiveTrigger.Kind == ContextTriggerKind.ToolUses
                            ? new ContextTrigger(ContextTriggerKind.ToolUses, Math.Max(tools.EffectiveTrigger.Value, toolUses))
                            : new ContextTrigger(ContextTriggerKind.InputTokens, Math.Max(tools.EffectiveTrigger.Value, above)),
                        Keep = tools.Keep,
                        ClearAtLeast = tools.ClearAtLeast,
                        ExcludeTools = tools.ExcludeTools,
                        ClearToolInputs = tools.ClearToolInputs,
                        ClearToolInputsFor = tools.ClearToolInputsFor,
                    });
                    break;
                case CompactEdit compact:
                    edits.Add(new CompactEdit { TriggerTokens = Math.Max(compact.EffectiveTriggerTokens, above), Instructions = compact.Instructions, PauseAfterCompaction = compact.PauseAfterCompaction });
                    break;
            }
        }

        return edits.Count == 0 ? null : new ContextManagementConfig(edits);
    }

    /// <summary>Writes the configuration's JSON, with exactly the fields it was given.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteStartArray("edits"u8);
        foreach (var edit in Edits)
        {
            edit.WriteTo(writer);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Returns the configuration's JSON text.</summary>
    public string ToJsonString()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    internal static void RequireObject(JsonElement json, string where)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            throw new ContextFormatException($"{where}: Input should be an object");
        }
    }

    internal static void RejectExtra(JsonElement json, string where, params ReadOnlySpan<string> allowed)
    {
        foreach (var property in json.EnumerateObject())
        {
            if (!allowed.Contains(property.Name))
            {
                throw new ContextFormatException($"{where}.{property.Name}: Extra inputs are not permitted");
            }
        }
    }

    internal static long ReadCount(JsonElement json, string where, long minimum)
    {
        if (json.ValueKind != JsonValueKind.Number || !json.TryGetInt64(out var value))
        {
            throw new ContextFormatException($"{where}: Input should be a valid integer");
        }

        if (value < minimum)
        {
            throw new ContextFormatException(string.Create(CultureInfo.InvariantCulture, $"{where}: Input should be greater than or equal to {minimum}"));
        }

        return value;
    }

    /// <summary>Reads a <c>{"type": ..., "value": n}</c> object whose type must be one of <paramref name="types"/>.</summary>
    internal static (string Type, long Value) ReadTyped(JsonElement json, string where, long minimum, params ReadOnlySpan<string> types)
    {
        RequireObject(json, where);
        RejectExtra(json, where, "type", "value");
        if (!json.TryGetProperty("type"u8, out var type) || type.ValueKind != JsonValueKind.String || !types.Contains(type.GetString()!))
        {
            throw new ContextFormatException($"{where}.type: Input should be {Alternatives(types)}");
        }

        if (!json.TryGetProperty("value"u8, out var value))
        {
            throw new ContextFormatException($"{where}.value: Field required");
        }

        return (type.GetString()!, ReadCount(value, $"{where}.value", minimum));
    }

    private static string Alternatives(ReadOnlySpan<string> values)
    {
        var quoted = new string[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            quoted[i] = $"'{values[i]}'";
        }

        return quoted.Length == 1 ? quoted[0] : string.Join(", ", quoted[..^1]) + " or " + quoted[^1];
    }

    private static ContextEditStrategy ReadEdit(JsonElement json, string where)
    {
        RequireObject(json, where);
        if (!json.TryGetProperty("type"u8, out var type))
        {
            throw new ContextFormatException($"{where}.type: Field required");
        }

        return type.ValueKind == JsonValueKind.String && type.ValueEquals(ClearToolUsesEdit.TypeName) ? ClearToolUsesEdit.Read(json, where)
            : type.ValueKind == JsonValueKind.String && type.ValueEquals(ClearThinkingEdit.TypeName) ? ClearThinkingEdit.Read(json, where)
            : type.ValueKind == JsonValueKind.String && type.ValueEquals(CompactEdit.TypeName) ? CompactEdit.Read(json, where)
            : throw new ContextFormatException(
                $"{where}.type: Input tag '{(type.ValueKind == JsonValueKind.String ? type.GetString() : type.GetRawText())}' found using 'type' does not match any of the expected tags: '{ClearToolUsesEdit.TypeName}', '{ClearThinkingEdit.TypeName}', '{CompactEdit.TypeName}'");
    }

    private static void CheckValue(long? value, long minimum, int index, string field)
    {
        if (value < minimum)
        {
            throw new ContextFormatException(string.Create(CultureInfo.InvariantCulture,
                $"context_management.edits.{index}.{field}: Input should be greater than or equal to {minimum}"));
        }
    }

    private static void Check(IReadOnlyList<ContextEditStrategy> edits)
    {
        for (var i = 0; i < edits.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(edits[i], nameof(edits));
            for (var j = 0; j < i; j++)
            {
                if (edits[j].Type == edits[i].Type)
                {
                    throw new ContextFormatException(string.Create(CultureInfo.InvariantCulture,
                        $"context_management.edits.{i}: strategy `{edits[i].Type}` is given more than once"));
                }
            }

            if (edits[i] is ClearToolUsesEdit clear)
            {
                CheckValue(clear.Trigger?.Value, 1, i, "trigger.value");
                CheckValue(clear.Keep, 0, i, "keep.value");
                CheckValue(clear.ClearAtLeast, 1, i, "clear_at_least.value");
            }

            if (edits[i] is CompactEdit compact)
            {
                compact.Check(i);
            }

            if (edits[i] is ClearThinkingEdit && i > 0)
            {
                throw new ContextFormatException(string.Create(CultureInfo.InvariantCulture,
                    $"context_management.edits.{i}: `{ClearThinkingEdit.TypeName}` must be the first strategy in `edits`"));
            }
        }
    }
}
