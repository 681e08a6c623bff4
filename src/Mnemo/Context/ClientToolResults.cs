using System.Text.Json;

namespace Mnemo.Context;

/// <summary>How a client tool's use is cleared: its <c>tool_result</c> content becomes one text block holding the
/// placeholder, and, when inputs are cleared, its <c>tool_use</c> input becomes <c>{}</c>. <see cref="ServerToolResults"/>
/// does the same for the results of the API's own tools.</summary>
internal static class ClientToolResults
{
    /// <summary>Whether a result already holds nothing but the placeholder.</summary>
    public static bool IsCleared(ContextBlock result, string placeholder)
    {
        if (!result.Json.TryGetProperty("content"u8, out var content))
        {
            return false;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.ValueEquals(placeholder);
        }

        if (content.ValueKind != JsonValueKind.Array || content.GetArrayLength() != 1)
        {
            return false;
        }

        var only = content[0];
        return only.ValueKind == JsonValueKind.Object &&
            only.TryGetProperty("type"u8, out var type) && type.ValueEquals("text"u8) &&
            only.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.String && text.ValueEquals(placeholder);
    }

    /// <summary>Whether a call has no input left to clear: none at all, or <c>{}</c> already.</summary>
    public static bool HasEmptyInput(ContextBlock use)
    {
        if (!use.Json.TryGetProperty("input"u8, out var input))
        {
            return true;
        }

        if (input.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        var properties = input.EnumerateObject();
        return !properties.MoveNext();
    }

    /// <summary>Writes the result with its content replaced by the placeholder, every other field as it was.</summary>
    public static void WriteCleared(Utf8JsonWriter writer, ContextBlock result, ContextBlock placeholder)
    {
        writer.WriteStartObject();
        var wrote = false;
        foreach (var property in result.Json.EnumerateObject())
        {
            if (property.NameEquals("content"u8))
            {
                WritePlaceholderContent(writer, placeholder);
                wrote = true;
            }
            else
            {
                property.WriteTo(writer);
            }
        }

        if (!wrote)
        {
            WritePlaceholderContent(writer, placeholder);
        }

        writer.WriteEndObject();
    }

    private static void WritePlaceholderContent(Utf8JsonWriter writer, ContextBlock placeholder)
    {
        writer.WritePropertyName("content"u8);
        writer.WriteStartArray();
        placeholder.Json.WriteTo(writer);
        writer.WriteEndArray();
    }

    /// <summary>Writes the call with its input replaced by <c>{}</c>.</summary>
    public static void WriteWithEmptyInput(Utf8JsonWriter writer, ContextBlock use)
    {
        writer.WriteStartObject();
        foreach (var property in use.Json.EnumerateObject())
        {
            if (property.NameEquals("input"u8))
            {
                writer.WritePropertyName("input"u8);
                writer.WriteStartObject();
                writer.WriteEndObject();
            }
            else
            {
                property.WriteTo(writer);
            }
        }

        writer.WriteEndObject();
    }
}
