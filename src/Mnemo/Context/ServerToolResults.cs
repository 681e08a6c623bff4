using System.Text.Json;

namespace Mnemo.Context;

/// <summary>How a server tool's result is cleared: the placeholder, in the shape the API accepts for that result's type.</summary>
/// <remarks>
/// <para>A client tool's <c>tool_result</c> takes any text, so a cleared one holds the placeholder as a text block. A
/// server tool's result has a content of its own type, which the API checks when the request comes back, so a cleared
/// one keeps its type, its <c>tool_use_id</c> and every other field, and puts the placeholder where that type carries
/// text: a fetched page's text, code execution's standard output, the text editor's view, an MCP result's text.
/// A web search result has no such place (each hit is encrypted); a cleared one has no hits.</para>
/// <para>The API clears these on its side too (the context-editing page counts them as tool uses); its own form of a
/// cleared result is not published, so this is Mnemo's, chosen so that the edited request stays one the API accepts.</para>
/// </remarks>
internal static class ServerToolResults
{
    /// <summary>Whether a result is already in its cleared form.</summary>
    public static bool IsCleared(ContextBlock result, string placeholder)
    {
        if (!result.Json.TryGetProperty("content"u8, out var content))
        {
            return false;
        }

        return Type(result) switch
        {
            "web_search_tool_result" => content.ValueKind == JsonValueKind.Array && content.GetArrayLength() == 0,
            "web_fetch_tool_result" => content.ValueKind == JsonValueKind.Object && content.TryGetProperty("content"u8, out var document) &&
                document.ValueKind == JsonValueKind.Object && document.TryGetProperty("source"u8, out var source) &&
                source.ValueKind == JsonValueKind.Object && Is(source, "data"u8, placeholder),
            "code_execution_tool_result" or "bash_code_execution_tool_result" => content.ValueKind == JsonValueKind.Object && Is(content, "stdout"u8, placeholder),
            "text_editor_code_execution_tool_result" => content.ValueKind == JsonValueKind.Object && Is(content, "content"u8, placeholder),
            _ => content.ValueKind == JsonValueKind.Array && content.GetArrayLength() == 1 && content[0].ValueKind == JsonValueKind.Object &&
                Is(content[0], "text"u8, placeholder),
        };
    }

    /// <summary>Writes the result with its content replaced by the cleared form of its type.</summary>
    public static void WriteCleared(Utf8JsonWriter writer, ContextBlock result, ContextBlock placeholderText)
    {
        var placeholder = placeholderText.Json.GetProperty("text"u8).GetString()!;
        var type = Type(result);
        writer.WriteStartObject();
        var wrote = false;
        foreach (var property in result.Json.EnumerateObject())
        {
            if (property.NameEquals("content"u8))
            {
                WriteContent(writer, type, property.Value, placeholder, placeholderText);
                wrote = true;
            }
            else
            {
                property.WriteTo(writer);
            }
        }

        if (!wrote)
        {
            WriteContent(writer, type, default, placeholder, placeholderText);
        }

        writer.WriteEndObject();
    }

    private static void WriteContent(Utf8JsonWriter writer, string? type, JsonElement original, string placeholder, ContextBlock placeholderText)
    {
        writer.WritePropertyName("content"u8);
        switch (type)
        {
            case "web_search_tool_result":
                writer.WriteStartArray();
                writer.WriteEndArray();
                break;
            case "web_fetch_tool_result":
                writer.WriteStartObject();
                writer.WriteString("type"u8, "web_fetch_result"u8);
                writer.WriteString("url"u8, original.ValueKind == JsonValueKind.Object && original.TryGetProperty("url"u8, out var url) &&
                    url.ValueKind == JsonValueKind.String ? url.GetString() : string.Empty);
                writer.WriteStartObject("content"u8);
                writer.WriteString("type"u8, "document"u8);
                writer.WriteStartObject("source"u8);
                writer.WriteString("type"u8, "text"u8);
                writer.WriteString("media_type"u8, "text/plain"u8);
                writer.WriteString("data"u8, placeholder);
                writer.WriteEndObject();
                writer.WriteEndObject();
                writer.WriteEndObject();
                break;
            case "code_execution_tool_result" or "bash_code_execution_tool_result":
                writer.WriteStartObject();
                writer.WriteString("type"u8, type == "code_execution_tool_result" ? "code_execution_result"u8 : "bash_code_execution_result"u8);
                writer.WriteString("stdout"u8, placeholder);
                writer.WriteString("stderr"u8, string.Empty);
                writer.WriteNumber("return_code"u8, 0);
                writer.WriteStartArray("content"u8);
                writer.WriteEndArray();
                writer.WriteEndObject();
                break;
            case "text_editor_code_execution_tool_result":
                writer.WriteStartObject();
                writer.WriteString("type"u8, "text_editor_code_execution_view_result"u8);
                writer.WriteString("file_type"u8, "text"u8);
                writer.WriteString("content"u8, placeholder);
                writer.WriteEndObject();
                break;
            default:
                // An MCP result's content is a list of text blocks, as a client tool's is.
                writer.WriteStartArray();
                placeholderText.Json.WriteTo(writer);
                writer.WriteEndArray();
                break;
        }
    }

    private static string? Type(ContextBlock block) =>
        block.Json.TryGetProperty("type"u8, out var type) && type.ValueKind == JsonValueKind.String ? type.GetString() : null;

    private static bool Is(JsonElement owner, ReadOnlySpan<byte> name, string text) =>
        owner.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.ValueEquals(text);
}
