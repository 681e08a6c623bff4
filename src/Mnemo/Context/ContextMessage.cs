using System.Text.Json;

namespace Mnemo.Context;

/// <summary>One message of a conversation, as the Messages API's JSON holds it; immutable.</summary>
public sealed class ContextMessage
{
    private ContextMessage(JsonElement json, string role, IReadOnlyList<ContextBlock> blocks, bool contentChanged)
    {
        Json = json;
        Role = role;
        Blocks = blocks;
        ContentChanged = contentChanged;
        for (var i = 0; i < blocks.Count; i++)
        {
            HasCompaction |= blocks[i].Kind == ContextBlockKind.Compaction;
        }
    }

    /// <summary>Whether the message holds a <c>compaction</c> block; worked out once, so a request is checked for one
    /// message by message rather than block by block.</summary>
    internal bool HasCompaction { get; }

    /// <summary>The message's JSON as it came; its <c>content</c> is stale when <see cref="ContentChanged"/> is set.</summary>
    public JsonElement Json { get; }

    /// <summary>The message's role: <c>user</c>, <c>assistant</c>, or <c>system</c> for an instruction given mid-conversation.</summary>
    public string Role { get; }

    /// <summary>The content blocks; a message whose content is a plain string has one block holding that string.</summary>
    public IReadOnlyList<ContextBlock> Blocks { get; }

    /// <summary>Whether the blocks differ from the JSON's content, which happens only to edited messages.</summary>
    public bool ContentChanged { get; }

    /// <summary>Whether this message is the assistant's.</summary>
    public bool IsAssistant => Role == "assistant";

    /// <summary>Whether this message starts a turn: a user message with anything besides tool results.</summary>
    public bool StartsTurn
    {
        get
        {
            if (Role != "user")
            {
                // A mid-conversation system message is an instruction within the turn, not a turn of its own.
                return false;
            }

            var blocks = Blocks;
            for (var b = 0; b < blocks.Count; b++)
            {
                if (blocks[b].Kind != ContextBlockKind.ToolResult)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Reads a message from its JSON object.</summary>
    /// <exception cref="ContextFormatException">The JSON is not a message.</exception>
    public static ContextMessage FromJson(JsonElement json) => FromJson(json, -1);

    internal static ContextMessage FromJson(JsonElement json, int index)
    {
        json = json.Clone();
        string Location() => index < 0 ? "message" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"messages.{index}");
        if (json.ValueKind != JsonValueKind.Object)
        {
            throw new ContextFormatException($"{Location()}: expected a message object, got {JsonKinds.Describe(json.ValueKind)}");
        }

        if (!json.TryGetProperty("role"u8, out var role) || role.ValueKind != JsonValueKind.String)
        {
            throw new ContextFormatException($"{Location()}.role: a message needs a role, \"user\", \"assistant\" or \"system\"");
        }

        var roleName = role.GetString()!;
        if (roleName is not ("user" or "assistant" or "system"))
        {
            throw new ContextFormatException($"{Location()}.role: expected \"user\", \"assistant\" or \"system\", got \"{roleName}\"");
        }

        if (!json.TryGetProperty("content"u8, out var content))
        {
            throw new ContextFormatException($"{Location()}.content: a message needs content");
        }

        ContextBlock[] blocks;
        if (content.ValueKind == JsonValueKind.String)
        {
            blocks = [ContextBlock.FromJson(content)];
        }
        else if (content.ValueKind == JsonValueKind.Array)
        {
            blocks = new ContextBlock[content.GetArrayLength()];
            var i = 0;
            foreach (var block in content.EnumerateArray())
            {
                if (block.ValueKind != JsonValueKind.Object)
                {
                    throw new ContextFormatException($"{Location()}.content.{i}: expected a content block object, got {JsonKinds.Describe(block.ValueKind)}");
                }

                blocks[i++] = ContextBlock.FromJson(block);
            }
        }
        else
        {
            throw new ContextFormatException($"{Location()}.content: expected a string or a list of blocks, got {JsonKinds.Describe(content.ValueKind)}");
        }

        return new ContextMessage(json, roleName, blocks, contentChanged: false);
    }

    /// <summary>Returns this message with other blocks and every other field as it was.</summary>
    public ContextMessage WithBlocks(IReadOnlyList<ContextBlock> blocks) => new(Json, Role, blocks, contentChanged: true);

    /// <summary>Writes the message as JSON: as it came when unchanged, else its fields with the new content.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (!ContentChanged)
        {
            Json.WriteTo(writer);
            return;
        }

        writer.WriteStartObject();
        foreach (var property in Json.EnumerateObject())
        {
            if (property.NameEquals("content"u8))
            {
                writer.WritePropertyName("content"u8);
                writer.WriteStartArray();
                foreach (var block in Blocks)
                {
                    block.Json.WriteTo(writer);
                }

                writer.WriteEndArray();
            }
            else
            {
                property.WriteTo(writer);
            }
        }

        writer.WriteEndObject();
    }
}
