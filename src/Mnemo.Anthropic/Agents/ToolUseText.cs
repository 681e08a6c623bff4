using System.Text.Json;
using Mnemo.Context;

namespace Mnemo.Anthropic.Agents;

/// <summary>A tool call in a few words, for a person: <c>memory str_replace /memories/notes.md</c>, <c>read_file a.py</c>.</summary>
public static class ToolUseText
{
    /// <summary>Describes a call by its tool and the one input that says most: a memory command and its path, a path, a query, a URL.</summary>
    /// <param name="name">The tool's name.</param>
    /// <param name="input">The call's input.</param>
    /// <returns>The name and the input in a few words.</returns>
    public static string Describe(string? name, JsonElement input)
    {
        string? Text(string property) => input.ValueKind == JsonValueKind.Object && input.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

        var what = name switch
        {
            "memory" => string.Join(' ', new[] { Text("command"), Text("path") ?? Text("old_path"), Text("new_path") is { } to ? "-> " + to : null }
                .Where(part => part is not null)),
            _ when (Text("path") ?? Text("file") ?? Text("query") ?? Text("url") ?? Text("command")) is { } one => one,
            _ when input.ValueKind == JsonValueKind.Undefined => string.Empty,
            _ => input.GetRawText() is { Length: <= 80 } raw ? raw : input.GetRawText()[..77] + "...",
        };
        return what.Length == 0 ? name ?? "?" : $"{name} {what}";
    }

    /// <summary>Describes a <c>tool_use</c> (or <c>server_tool_use</c>) block.</summary>
    /// <param name="block">The block.</param>
    /// <returns>Its tool and input in a few words.</returns>
    public static string Describe(ContextBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        return Describe(block.ToolName, block.Json.ValueKind == JsonValueKind.Object && block.Json.TryGetProperty("input"u8, out var input) ? input : default);
    }
}
