using System.Globalization;
using System.Text.Json;

namespace Mnemo.Emulator;

/// <summary>
/// Checks a Messages API request body the way the API does for the mistakes agents make: missing fields, empty
/// messages, tool results that answer no tool call, thinking rules, cache breakpoints, beta-only fields. Each failure is
/// an <see cref="ApiErrorException"/> with the API's message where it is known.
/// </summary>
internal static class MessagesRequestValidator
{
    public const string ContextManagementBeta = "context-management-2025-06-27";

    private const string ThinkingDocs = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking";

    public static void Validate(JsonElement body, bool countTokens, IReadOnlyCollection<string> betas, bool strictAlternation)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw Invalid("Input should be a valid dictionary or object to extract fields from");
        }

        RequireString(body, "model");
        var maxTokens = countTokens ? long.MaxValue : RequirePositiveInteger(body, "max_tokens");
        var thinking = ValidateThinking(body, maxTokens);

        if (!body.TryGetProperty("messages"u8, out var messages))
        {
            throw Invalid("messages: Field required");
        }

        if (messages.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("messages: Input should be a valid list");
        }

        if (messages.GetArrayLength() == 0)
        {
            throw Invalid("messages: at least one message is required");
        }

        var cacheBreakpoints = 0;
        ValidateSystem(body, ref cacheBreakpoints);
        ValidateTools(body, betas, ref cacheBreakpoints);
        ValidateMessages(messages, thinking, strictAlternation, ref cacheBreakpoints);
        cacheBreakpoints += HasCacheControl(body) ? 1 : 0;
        if (cacheBreakpoints > 4)
        {
            throw Invalid(Format($"A maximum of 4 blocks with cache_control may be provided. Found {cacheBreakpoints}."));
        }

        if (body.TryGetProperty("context_management"u8, out var contextManagement) && contextManagement.ValueKind != JsonValueKind.Null &&
            !betas.Contains(ContextManagementBeta))
        {
            // Without the beta the field is unknown to the API, which rejects unknown fields.
            throw Invalid("context_management: Extra inputs are not permitted");
        }

        if (body.TryGetProperty("stop_sequences"u8, out var stops) && stops.ValueKind != JsonValueKind.Null &&
            (stops.ValueKind != JsonValueKind.Array || stops.EnumerateArray().Any(stop => stop.ValueKind != JsonValueKind.String)))
        {
            throw Invalid("stop_sequences: Input should be a valid list of strings");
        }
    }

    private static bool ValidateThinking(JsonElement body, long maxTokens)
    {
        if (!body.TryGetProperty("thinking"u8, out var thinking) || thinking.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        if (thinking.ValueKind != JsonValueKind.Object || !thinking.TryGetProperty("type"u8, out var type) || type.ValueKind != JsonValueKind.String)
        {
            throw Invalid("thinking: Input should be an object with a type: enabled, disabled or adaptive");
        }

        switch (type.GetString())
        {
            case "disabled":
                return false;
            case "adaptive":
                return true;
            case "enabled":
                if (!thinking.TryGetProperty("budget_tokens"u8, out var budget))
                {
                    throw Invalid("thinking.enabled.budget_tokens: Field required");
                }

                if (budget.ValueKind != JsonValueKind.Number || !budget.TryGetInt64(out var tokens))
                {
                    throw Invalid("thinking.enabled.budget_tokens: Input should be a valid integer");
                }

                if (tokens < 1024)
                {
                    throw Invalid("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024");
                }

                if (maxTokens <= tokens)
                {
                    throw Invalid($"`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at {ThinkingDocs}#max-tokens-and-context-window-size");
                }

                return true;
            default:
                throw Invalid(Format($"thinking: Input tag '{type.GetString()}' found using 'type' does not match any of the expected tags: 'enabled', 'disabled', 'adaptive'"));
        }
    }

    private static void ValidateSystem(JsonElement body, ref int cacheBreakpoints)
    {
        if (!body.TryGetProperty("system"u8, out var system) || system.ValueKind is JsonValueKind.Null or JsonValueKind.String)
        {
            return;
        }

        if (system.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("system: Input should be a valid string or a list of text blocks");
        }

        var i = 0;
        foreach (var block in system.EnumerateArray())
        {
            var where = Format($"system.{i++}");
            if (block.ValueKind != JsonValueKind.Object || !IsType(block, "text"))
            {
                throw Invalid($"{where}.type: Input should be 'text'");
            }

            ValidateText(block, where);
            cacheBreakpoints += HasCacheControl(block) ? 1 : 0;
        }
    }

    private static void ValidateTools(JsonElement body, IReadOnlyCollection<string> betas, ref int cacheBreakpoints)
    {
        if (!body.TryGetProperty("tools"u8, out var tools) || tools.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (tools.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("tools: Input should be a valid list");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var i = 0;
        foreach (var tool in tools.EnumerateArray())
        {
            var where = Format($"tools.{i++}");
            if (tool.ValueKind != JsonValueKind.Object)
            {
                throw Invalid($"{where}: Input should be a valid dictionary or object to extract fields from");
            }

            var type = tool.TryGetProperty("type"u8, out var typeValue) && typeValue.ValueKind == JsonValueKind.String ? typeValue.GetString()! : "custom";
            if (!tool.TryGetProperty("name"u8, out var name) || name.ValueKind != JsonValueKind.String)
            {
                throw Invalid($"{where}.{type}.name: Field required");
            }

            if (type == "custom" && !tool.TryGetProperty("input_schema"u8, out _))
            {
                throw Invalid($"{where}.custom.input_schema: Field required");
            }

            if (type == "memory_20250818" && !betas.Contains(ContextManagementBeta))
            {
                throw Invalid($"{where}: the memory tool (memory_20250818) needs the `{ContextManagementBeta}` beta in the anthropic-beta header");
            }

            if (!names.Add(name.GetString()!))
            {
                throw Invalid("tools: Tool names must be unique.");
            }

            cacheBreakpoints += HasCacheControl(tool) ? 1 : 0;
        }
    }

    private static void ValidateMessages(JsonElement messages, bool thinking, bool strictAlternation, ref int cacheBreakpoints)
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
                roleValue.GetString() is not ("user" or "assistant"))
            {
                throw Invalid(message.TryGetProperty("role"u8, out _) ? $"{where}.role: Input should be 'user' or 'assistant'" : $"{where}.role: Field required");
            }

            var role = roles[i] = roleValue.GetString()!;
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
                    ValidateBlock(block, Format($"{where}.content.{j++}"), role, thinking, isLast);
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

    private static void ValidateBlock(JsonElement block, string at, string role, bool thinking, bool inLastMessage)
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
        }
    }

    /// <summary>With thinking on, the assistant message that made the calls now being answered must open with its thinking.</summary>
    private static void RequireThinkingFirstInToolLoop(JsonElement[] list)
    {
        var last = list[^1];
        if (!last.GetProperty("role"u8).ValueEquals("user"u8) || !HasBlock(last, "tool_result"))
        {
            return;
        }

        for (var i = list.Length - 2; i >= 0; i--)
        {
            if (!list[i].GetProperty("role"u8).ValueEquals("assistant"u8))
            {
                continue;
            }

            var content = list[i].GetProperty("content"u8);
            var first = content.ValueKind == JsonValueKind.Array && content.GetArrayLength() > 0 ? content[0] : default;
            var firstType = first.ValueKind == JsonValueKind.Object && first.TryGetProperty("type"u8, out var t) && t.ValueKind == JsonValueKind.String
                ? t.GetString()!
                : "text";
            if (firstType is not ("thinking" or "redacted_thinking"))
            {
                throw Invalid(Format($"messages.{i}.content.0.type: Expected `thinking` or `redacted_thinking`, but found `{firstType}`. When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at {ThinkingDocs}"));
            }

            return;
        }
    }

    private static bool HasBlock(JsonElement message, string type)
    {
        var content = message.GetProperty("content"u8);
        return content.ValueKind == JsonValueKind.Array && content.EnumerateArray().Any(block => block.ValueKind == JsonValueKind.Object && IsType(block, type));
    }

    private static void ValidateText(JsonElement block, string at)
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

    private static void RequireString(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value))
        {
            throw Invalid($"{name}: Field required");
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw Invalid($"{name}: Input should be a valid string");
        }

        if (value.GetString()!.Length == 0)
        {
            throw Invalid($"{name}: String should have at least 1 character");
        }
    }

    private static long RequirePositiveInteger(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value))
        {
            throw Invalid($"{name}: Field required");
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
        {
            throw Invalid($"{name}: Input should be a valid integer");
        }

        return number >= 1 ? number : throw Invalid($"{name}: Input should be greater than or equal to 1");
    }

    internal static bool HasCacheControl(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty("cache_control"u8, out var control) && control.ValueKind == JsonValueKind.Object;

    private static bool IsType(JsonElement block, string type) =>
        block.TryGetProperty("type"u8, out var value) && value.ValueKind == JsonValueKind.String && value.ValueEquals(type);

    private static ApiErrorException Invalid(string message) => ApiErrorException.InvalidRequest(message);

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
