using System.Text.Json;
using static Mnemo.Emulator.MessagesRequestValidator;

namespace Mnemo.Emulator;

/// <summary>Checks a request's <c>messages</c> as the API does: roles, blocks, tool calls answered in the next message and
/// nowhere else, and the thinking rules of the tool loop. Each failure is an <see cref="ApiErrorException"/>.</summary>
internal static class MessageListValidator
{
    /// <summary>Checks the messages: roles and their order, content blocks, tool calls and their results, thinking in the tool loop.</summary>
    /// <param name="messages">The <c>messages</c> array, not empty.</param>
    /// <param name="thinking">Whether the request has thinking on.</param>
    /// <param name="strictAlternation">Whether two messages of one role in a row are refused.</param>
    /// <param name="refusesSystemMessages">The model's id when it takes no mid-conversation <c>system</c> messages;
    /// <see langword="null"/> when it takes them (or is not known).</param>
    /// <param name="cacheBreakpoints">The cache breakpoints counted so far; the messages' are added.</param>
    /// <param name="compactionBeta">Whether the request names the compaction beta, which <c>compaction</c> blocks need.</param>
    public static void Validate(JsonElement messages, bool thinking, bool strictAlternation, string? refusesSystemMessages, bool compactionBeta, ref int cacheBreakpoints)
    {
        var list = messages.EnumerateArray().ToArray();
        var roles = new string[list.Length];
        for (var i = 0; i < list.Length; i++)
        {
            var message = list[i];
            var where = Format($"messages.{i}");
            if (message.ValueKind != JsonValueKind.Object)
            {
                throw Invalid($"{where}: Input should be a valid dictionary or object to extract fields from");
            }

            if (!message.TryGetProperty("role"u8, out var roleValue) || roleValue.ValueKind != JsonValueKind.String ||
                roleValue.GetString() is not ("user" or "assistant" or "system"))
            {
                throw Invalid(message.TryGetProperty("role"u8, out _) ? $"{where}.role: Input should be 'user', 'assistant' or 'system'" : $"{where}.role: Field required");
            }

            var role = roles[i] = roleValue.GetString()!;
            if (role == "system")
            {
                ValidateSystemMessage(list, i, where, refusesSystemMessages);
                continue;
            }

            var isLast = i == list.Length - 1;
            if (!message.TryGetProperty("content"u8, out var content))
            {
                throw Invalid($"{where}.content: Field required");
            }

            if (content.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
            {
                throw Invalid($"{where}.content: Input should be a valid string or a list of content blocks");
            }

            var empty = content.ValueKind == JsonValueKind.String ? content.GetString()!.Length == 0 : content.GetArrayLength() == 0;
            if (empty && !(isLast && role == "assistant"))
            {
                throw Invalid($"{where}: all messages must have non-empty content except for the optional final assistant message");
            }

            if (strictAlternation && i > 0 && role == roles[i - 1])
            {
                throw Invalid($"messages: roles must alternate between \"user\" and \"assistant\", but found multiple \"{role}\" roles in a row");
            }

            if (content.ValueKind == JsonValueKind.Array)
            {
                var j = 0;
                foreach (var block in content.EnumerateArray())
                {
                    ValidateBlock(block, Format($"{where}.content.{j++}"), role, thinking, isLast, compactionBeta);
                    cacheBreakpoints += HasCacheControl(block) ? 1 : 0;
                }
            }
        }

        ValidateToolPairs(list, roles);
        if (thinking)
        {
            RequireThinkingFirstInToolLoop(list);
        }
    }

    /// <summary>A mid-conversation <c>system</c> message: on a model that takes them, after a user message, last or
    /// before an assistant message, never first nor next to another, text only.</summary>
    private static void ValidateSystemMessage(JsonElement[] list, int i, string where, string? refusedBy)
    {
        if (refusedBy is not null)
        {
            throw Invalid(Format($"{where}.role: mid-conversation `system` messages are not supported by {refusedBy}; put the instruction in a `user` message"));
        }

        if (i == 0)
        {
            throw Invalid($"{where}: a `system` message cannot be the first message; give conversation-wide instructions in the top-level `system` field");
        }

        if (Role(list[i - 1]) != "user")
        {
            throw Invalid($"{where}: a `system` message must follow a `user` message");
        }

        if (i + 1 < list.Length && Role(list[i + 1]) != "assistant")
        {
            throw Invalid($"{where}: a `system` message must be the last message or be followed by an `assistant` message");
        }

        if (!list[i].TryGetProperty("content"u8, out var content) || content.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
        {
            throw Invalid($"{where}.content: Input should be a valid string or a list of text blocks");
        }

        if (content.ValueKind == JsonValueKind.Array)
        {
            var j = 0;
            foreach (var block in content.EnumerateArray())
            {
                if (!IsType(block, "text"))
                {
                    throw Invalid(Format($"{where}.content.{j}.type: Input should be 'text'"));
                }

                ValidateText(block, Format($"{where}.content.{j++}"));
            }
        }

        static string? Role(JsonElement message) =>
            message.ValueKind == JsonValueKind.Object && message.TryGetProperty("role"u8, out var role) && role.ValueKind == JsonValueKind.String ? role.GetString() : null;
    }

    /// <summary>
    /// Every tool call of an assistant turn is answered by a result in the user turn right after it, and every result
    /// answers a call of that assistant turn. Consecutive messages of one role are one turn, as the API combines them.
    /// </summary>
    private static void ValidateToolPairs(JsonElement[] list, string[] roles)
    {
        var calls = new List<string>();
        var callsEnd = -1;
        for (var start = 0; start < list.Length;)
        {
            var end = start;
            while (end + 1 < list.Length && roles[end + 1] == roles[start])
            {
                end++;
            }

            if (roles[start] == "assistant")
            {
                calls.Clear();
                for (var i = start; i <= end; i++)
                {
                    foreach (var (block, _) in Blocks(list[i], "tool_use"))
                    {
                        calls.Add(block.GetProperty("id"u8).GetString()!);
                    }
                }

                callsEnd = end;
            }
            else
            {
                var answered = new HashSet<string>(StringComparer.Ordinal);
                for (var i = start; i <= end; i++)
                {
                    foreach (var (block, j) in Blocks(list[i], "tool_result"))
                    {
                        var id = block.GetProperty("tool_use_id"u8).GetString()!;
                        if (!calls.Contains(id))
                        {
                            throw Invalid(Format($"messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: {id}. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."));
                        }

                        answered.Add(id);
                    }
                }

                var missing = calls.Where(id => !answered.Contains(id)).ToList();
                if (missing.Count > 0)
                {
                    throw Invalid(Format($"messages.{callsEnd}: `tool_use` ids were found without `tool_result` blocks immediately after: {string.Join(", ", missing)}. Each `tool_use` block must have a corresponding `tool_result` block in the next message."));
                }

                calls.Clear();
            }

            start = end + 1;
        }
    }

    private static IEnumerable<(JsonElement Block, int Index)> Blocks(JsonElement message, string type)
    {
        var content = message.GetProperty("content"u8);
        if (content.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }

        var j = 0;
        foreach (var block in content.EnumerateArray())
        {
            if (IsType(block, type))
            {
                yield return (block, j);
            }

            j++;
        }
    }

    private static void ValidateBlock(JsonElement block, string at, string role, bool thinking, bool inLastMessage, bool compactionBeta)
    {
        if (block.ValueKind != JsonValueKind.Object)
        {
            throw Invalid($"{at}: Input should be a valid dictionary or object to extract fields from");
        }

        if (!block.TryGetProperty("type"u8, out var type) || type.ValueKind != JsonValueKind.String)
        {
            throw Invalid($"{at}.type: Field required");
        }

        switch (type.GetString())
        {
            case "text":
                ValidateText(block, at);
                break;
            case "tool_use":
                if (role != "assistant")
                {
                    throw Invalid($"{at}: `tool_use` blocks can only be in `assistant` messages");
                }

                RequireField(block, "id", JsonValueKind.String, at);
                RequireField(block, "name", JsonValueKind.String, at);
                RequireField(block, "input", JsonValueKind.Object, at);
                break;
            case "tool_result":
                if (role != "user")
                {
                    throw Invalid($"{at}: `tool_result` blocks can only be in `user` messages");
                }

                RequireField(block, "tool_use_id", JsonValueKind.String, at);
                break;
            case "thinking" or "redacted_thinking":
                if (role != "assistant")
                {
                    throw Invalid($"{at}: `{type.GetString()}` blocks can only be in `assistant` messages");
                }

                if (!thinking && inLastMessage)
                {
                    throw Invalid($"{at}: When thinking is disabled, an `assistant` message in the final position cannot contain `thinking`. To use thinking blocks, enable `thinking` in your request.");
                }

                if (type.ValueEquals("thinking"u8))
                {
                    RequireField(block, "thinking", JsonValueKind.String, at);
                    RequireField(block, "signature", JsonValueKind.String, at);
                    if (!EmulatorIds.IsValidSignature(block.GetProperty("thinking"u8).GetString()!, block.GetProperty("signature"u8).GetString()!))
                    {
                        throw Invalid($"{at}: Invalid `signature` in `thinking` block");
                    }
                }

                break;
            case "compaction":
                if (!compactionBeta)
                {
                    throw Invalid($"{at}: `compaction` blocks need the `{Mnemo.Context.CompactEdit.Beta}` beta in the anthropic-beta header");
                }

                if (role != "assistant")
                {
                    throw Invalid($"{at}: `compaction` blocks can only be in `assistant` messages");
                }

                if (!block.TryGetProperty("content"u8, out var summary) || summary.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                {
                    throw Invalid($"{at}.content: Field required");
                }

                if (summary.ValueKind == JsonValueKind.String && summary.GetString()!.Length == 0)
                {
                    throw Invalid($"{at}.content: Empty string content is not allowed; send null for a failed compaction");
                }

                break;
        }
    }

    /// <summary>With thinking on, the assistant message that made the calls now being answered must open with its thinking.</summary>
    private static void RequireThinkingFirstInToolLoop(JsonElement[] list)
    {
        // A system message at the end (an instruction for the turn to come) does not end the tool loop.
        var end = list.Length - 1;
        while (end > 0 && list[end].GetProperty("role"u8).ValueEquals("system"u8))
        {
            end--;
        }

        var last = list[end];
        if (!last.GetProperty("role"u8).ValueEquals("user"u8) || !HasBlock(last, "tool_result"))
        {
            return;
        }

        for (var i = end - 1; i >= 0; i--)
        {
            if (!list[i].GetProperty("role"u8).ValueEquals("assistant"u8))
            {
                continue;
            }

            var content = list[i].GetProperty("content"u8);
            // A compaction block the API put first is no part of the turn's own output: the thinking follows it.
            var at = 0;
            while (content.ValueKind == JsonValueKind.Array && at < content.GetArrayLength() - 1 && IsType(content[at], "compaction"))
            {
                at++;
            }

            var first = content.ValueKind == JsonValueKind.Array && content.GetArrayLength() > 0 ? content[at] : default;
            var firstType = first.ValueKind == JsonValueKind.Object && first.TryGetProperty("type"u8, out var t) && t.ValueKind == JsonValueKind.String
                ? t.GetString()!
                : "text";
            if (firstType is not ("thinking" or "redacted_thinking"))
            {
                throw Invalid(Format($"messages.{i}.content.{at}.type: Expected `thinking` or `redacted_thinking`, but found `{firstType}`. When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at {ThinkingDocs}"));
            }

            return;
        }
    }

    private static bool HasBlock(JsonElement message, string type)
    {
        var content = message.GetProperty("content"u8);
        return content.ValueKind == JsonValueKind.Array && content.EnumerateArray().Any(block => block.ValueKind == JsonValueKind.Object && IsType(block, type));
    }

    internal static void ValidateText(JsonElement block, string at)
    {
        if (!block.TryGetProperty("text"u8, out var text) || text.ValueKind != JsonValueKind.String)
        {
            throw Invalid($"{at}.text: Field required");
        }

        if (text.GetString()!.Length == 0)
        {
            throw Invalid("messages: text content blocks must be non-empty");
        }
    }

    private static void RequireField(JsonElement block, string name, JsonValueKind kind, string at)
    {
        if (!block.TryGetProperty(name, out var value))
        {
            throw Invalid($"{at}.{name}: Field required");
        }

        if (value.ValueKind != kind)
        {
            throw Invalid(kind == JsonValueKind.Object ? $"{at}.{name}: Input should be a valid dictionary" : $"{at}.{name}: Input should be a valid string");
        }
    }
}
