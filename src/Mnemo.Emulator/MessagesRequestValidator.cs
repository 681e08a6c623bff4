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

    internal const string ThinkingDocs = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking";

    /// <returns>Whether thinking is on (the model's default counted), and the model's row when the table knows it.</returns>
    public static (bool Thinking, Mnemo.Context.ClaudeModel? Model) Validate(JsonElement body, bool countTokens, IReadOnlyCollection<string> betas, bool strictAlternation)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw Invalid("Input should be a valid dictionary or object to extract fields from");
        }

        RequireString(body, "model");
        var maxTokens = countTokens ? long.MaxValue : RequirePositiveInteger(body, "max_tokens");
        var (thinking, model) = ModelRules.Check(body, countTokens, betas, ValidateThinking(body, maxTokens), maxTokens);

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
        MessageListValidator.Validate(messages, thinking, strictAlternation, model?.AcceptsSystemMessages != false ? null : model.Id, betas.Contains(Mnemo.Context.CompactEdit.Beta), ref cacheBreakpoints);
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

        if (contextManagement.ValueKind == JsonValueKind.Object && contextManagement.TryGetProperty("edits"u8, out var edits) &&
            edits.ValueKind == JsonValueKind.Array && !betas.Contains(Mnemo.Context.CompactEdit.Beta))
        {
            // Without its beta the API does not know the compaction strategy at all.
            var i = 0;
            foreach (var edit in edits.EnumerateArray())
            {
                if (edit.ValueKind == JsonValueKind.Object && edit.TryGetProperty("type"u8, out var type) && type.ValueKind == JsonValueKind.String &&
                    type.ValueEquals(Mnemo.Context.CompactEdit.TypeName))
                {
                    throw Invalid(Format($"context_management.edits.{i}.type: Input tag '{Mnemo.Context.CompactEdit.TypeName}' found using 'type' does not match any of the expected tags: 'clear_tool_uses_20250919', 'clear_thinking_20251015'"));
                }

                i++;
            }
        }

        if (body.TryGetProperty("stop_sequences"u8, out var stops) && stops.ValueKind != JsonValueKind.Null &&
            (stops.ValueKind != JsonValueKind.Array || stops.EnumerateArray().Any(stop => stop.ValueKind != JsonValueKind.String)))
        {
            throw Invalid("stop_sequences: Input should be a valid list of strings");
        }

        return (thinking, model);
    }

    private static bool? ValidateThinking(JsonElement body, long maxTokens)
    {
        if (!body.TryGetProperty("thinking"u8, out var thinking) || thinking.ValueKind == JsonValueKind.Null)
        {
            return null;
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

            MessageListValidator.ValidateText(block, where);
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

    internal static bool IsType(JsonElement block, string type) =>
        block.TryGetProperty("type"u8, out var value) && value.ValueKind == JsonValueKind.String && value.ValueEquals(type);

    internal static ApiErrorException Invalid(string message) => ApiErrorException.InvalidRequest(message);

    internal static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
