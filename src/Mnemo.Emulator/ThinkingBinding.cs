using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mnemo.Emulator;

/// <summary>
/// Thinking blocks bound to the prefix that produced them, as on the models whose thinking is prefix-bound: a block's
/// signature records its text, the <c>system</c> prompt, the <c>tools</c>, the conversation before it (its thinking left
/// out, so earlier turns' thinking may be dropped) and the thinking block before it in its turn. A replay whose prefix
/// differs fails with the API's 400, or, with <c>thinking.block_binding.prefix_mismatch_behavior: "drop_block"</c> (beta
/// <c>thinking-binding-controls-2026-08-01</c>), loses the failing blocks, each reported in <c>input_transformations</c>.
/// </summary>
internal static class ThinkingBinding
{
    private const string Prefix = "mnemo-bound1:";

    private const string Bound =
        "Invalid `signature` in `thinking` block. The block is bound to a different conversation. Remove the block, or set " +
        "`thinking.block_binding.prefix_mismatch_behavior` to \"drop_block\". That setting requires the `thinking-binding-controls-2026-08-01` " +
        "value in the `anthropic-beta` header.";

    /// <summary>Signs a thinking block the reply holds.</summary>
    /// <param name="body">The request the reply answers.</param>
    /// <param name="before">The reply's blocks before this one, as JSON.</param>
    /// <param name="previousInTurn">The signature of the thinking block before this one in its turn (in the request or the
    /// reply); <see langword="null"/> when it is the turn's first.</param>
    /// <param name="thinking">The block's text.</param>
    public static string Sign(JsonElement body, IReadOnlyList<JsonElement> before, string? previousInTurn, string thinking)
    {
        var messages = body.GetProperty("messages"u8).EnumerateArray().ToList();
        var continues = messages.Count > 0 && Role(messages[^1]) == "assistant";
        var at = continues ? messages.Count - 1 : messages.Count;
        var prefix = new List<JsonElement>();
        if (continues)
        {
            prefix.AddRange(Blocks(messages[^1]));
        }

        prefix.AddRange(before);
        return Prefix + string.Join('.', Hash(thinking), Hash(body, "system"u8), Hash(body, "tools"u8), Hash(messages, at, prefix), Hash(previousInTurn ?? string.Empty));
    }

    /// <summary>The signature of the last thinking block of the turn the reply continues; <see langword="null"/> when the
    /// turn has none yet.</summary>
    public static string? LastInTurn(JsonElement body)
    {
        var messages = body.GetProperty("messages"u8).EnumerateArray().ToList();
        for (var i = messages.Count - 1; i >= 0 && !StartsTurn(messages[i]); i--)
        {
            foreach (var block in Blocks(messages[i]).Reverse())
            {
                if (ThinkingId(block) is { } id)
                {
                    return id;
                }
            }
        }

        return null;
    }

    /// <summary>Checks every thinking block the request sends back against the prefix it is sent with.</summary>
    /// <returns>The request, less the blocks dropped under <c>drop_block</c>, and the <c>input_transformations</c> entries.</returns>
    /// <exception cref="ApiErrorException">A block fails its check and the request does not ask to drop such blocks.</exception>
    public static (JsonElement Body, IReadOnlyList<(string Path, string Reason)> Dropped) Check(JsonElement body, bool drop)
    {
        var messages = body.GetProperty("messages"u8).EnumerateArray().ToList();
        var dropped = new List<(int Message, int Block)>();
        string? previous = null;
        var droppingTurn = false;
        for (var i = 0; i < messages.Count; i++)
        {
            if (StartsTurn(messages[i]))
            {
                (previous, droppingTurn) = (null, false);
            }

            if (Role(messages[i]) != "assistant")
            {
                continue;
            }

            var blocks = Blocks(messages[i]).ToList();
            for (var j = 0; j < blocks.Count; j++)
            {
                if (ThinkingId(blocks[j]) is not { } id)
                {
                    continue;
                }

                var reason = droppingTurn ? "previous" : Judge(body, messages, i, blocks, j, previous);
                if (reason is not null)
                {
                    var at = string.Create(CultureInfo.InvariantCulture, $"messages.{i}.content.{j}");
                    if (!drop)
                    {
                        throw ApiErrorException.InvalidRequest($"{at}: {Bound} {reason}");
                    }

                    // The rest of the turn's thinking goes with it: it was made after the block that is gone.
                    dropped.Add((i, j));
                    droppingTurn = true;
                    continue;
                }

                previous = id;
            }
        }

        return dropped.Count == 0 ? (body, []) : (Without(body, dropped), [.. dropped.Select(d => (string.Create(CultureInfo.InvariantCulture, $"messages.{d.Message}.content.{d.Block}"), "prefix_binding_mismatch"))]);
    }

    /// <summary>Why a block fails its check; <see langword="null"/> when it passes, or is not one the emulator made.</summary>
    private static string? Judge(JsonElement body, List<JsonElement> messages, int i, List<JsonElement> blocks, int j, string? previous)
    {
        var block = blocks[j];
        if (!block.TryGetProperty("signature"u8, out var signatureValue) || signatureValue.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var signature = signatureValue.GetString()!;
        if (signature.StartsWith(EmulatorIds.SignaturePrefix, StringComparison.Ordinal))
        {
            return "The block carries no record of the conversation it was created in, and this model requires one.";
        }

        if (!signature.StartsWith(Prefix, StringComparison.Ordinal))
        {
            // Not the emulator's: nothing to judge it by.
            return null;
        }

        var parts = signature[Prefix.Length..].Split('.');
        if (parts.Length != 5)
        {
            return "The block's signature is malformed.";
        }

        var thinking = block.GetProperty("thinking"u8).GetString() ?? string.Empty;
        if (parts[0] != Hash(thinking))
        {
            // A changed block is refused whatever the binding settings, as the API refuses an edited thinking block.
            throw ApiErrorException.InvalidRequest(string.Create(CultureInfo.InvariantCulture, $"messages.{i}.content.{j}: Invalid `signature` in `thinking` block"));
        }

        return parts[1] != Hash(body, "system"u8) ? "The `system` prompt differs from the one this block was created with."
            : parts[2] != Hash(body, "tools"u8) ? "The `tools` differ from the ones this block was created with."
            : parts[3] != Hash(messages, i, blocks.Take(j)) ? "The conversation before this block differs from the one it was created after."
            : parts[4] != Hash(previous ?? string.Empty) ? "The `thinking` block that preceded this one when it was created is missing from this request."
            : null;
    }

    /// <summary>A user message that is not only tool results: where a turn starts.</summary>
    private static bool StartsTurn(JsonElement message) =>
        Role(message) == "user" && !Blocks(message).Any(block => Type(block) == "tool_result");

    private static string? ThinkingId(JsonElement block) => Type(block) switch
    {
        "thinking" => block.TryGetProperty("signature"u8, out var signature) && signature.ValueKind == JsonValueKind.String ? signature.GetString() : null,
        "redacted_thinking" => block.TryGetProperty("data"u8, out var data) && data.ValueKind == JsonValueKind.String ? data.GetString() : null,
        _ => null,
    };

    private static string Hash(string text) => Digest(System.Text.Encoding.UTF8.GetBytes(text));

    private static string Hash(JsonElement body, ReadOnlySpan<byte> field)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            if (body.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null)
            {
                WriteCanonical(writer, value);
            }
            else
            {
                writer.WriteNullValue();
            }
        }

        return Digest(buffer.WrittenSpan);
    }

    /// <summary>The conversation before a block: the messages before it and its message's blocks before it, thinking left out.</summary>
    private static string Hash(List<JsonElement> messages, int at, IEnumerable<JsonElement> before)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            for (var i = 0; i < at; i++)
            {
                writer.WriteStartObject();
                writer.WriteString("role"u8, Role(messages[i]));
                writer.WriteStartArray("content"u8);
                foreach (var block in Blocks(messages[i]))
                {
                    WriteBlock(writer, block);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteStartArray();
            foreach (var block in before)
            {
                WriteBlock(writer, block);
            }

            writer.WriteEndArray();
            writer.WriteEndArray();
        }

        return Digest(buffer.WrittenSpan);
    }

    private static void WriteBlock(Utf8JsonWriter writer, JsonElement block)
    {
        if (Type(block) is not ("thinking" or "redacted_thinking"))
        {
            WriteCanonical(writer, block);
        }
    }

    /// <summary>Writes JSON without its whitespace and without <c>cache_control</c>, which moves between requests.</summary>
    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in value.EnumerateObject())
                {
                    if (!property.NameEquals("cache_control"u8))
                    {
                        writer.WritePropertyName(property.Name);
                        WriteCanonical(writer, property.Value);
                    }
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    WriteCanonical(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                value.WriteTo(writer);
                break;
        }
    }

    private static string Digest(ReadOnlySpan<byte> bytes)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(bytes, hash);
        return Convert.ToBase64String(hash[..16]);
    }

    /// <summary>A message's blocks; a string content is one text block.</summary>
    private static IEnumerable<JsonElement> Blocks(JsonElement message)
    {
        if (!message.TryGetProperty("content"u8, out var content))
        {
            return [];
        }

        return content.ValueKind switch
        {
            JsonValueKind.Array => content.EnumerateArray(),
            JsonValueKind.String => [JsonSerializer.SerializeToElement(new { type = "text", text = content.GetString() })],
            _ => [],
        };
    }

    private static string? Role(JsonElement message) =>
        message.TryGetProperty("role"u8, out var role) && role.ValueKind == JsonValueKind.String ? role.GetString() : null;

    private static string? Type(JsonElement block) =>
        block.ValueKind == JsonValueKind.Object && block.TryGetProperty("type"u8, out var type) && type.ValueKind == JsonValueKind.String ? type.GetString() : null;

    /// <summary>The request without the dropped blocks.</summary>
    private static JsonElement Without(JsonElement body, List<(int Message, int Block)> dropped)
    {
        var node = JsonNode.Parse(body.GetRawText())!.AsObject();
        var messages = node["messages"]!.AsArray();
        foreach (var (i, j) in dropped.OrderByDescending(d => d.Message).ThenByDescending(d => d.Block))
        {
            messages[i]!["content"]!.AsArray().RemoveAt(j);
        }

        return JsonSerializer.SerializeToElement(node);
    }
}
