using System.Text.Json;

namespace Mnemo.Context;

/// <summary>One edit of a <see cref="ContextManagementConfig"/>: a strategy and its parameters.</summary>
public abstract class ContextEditStrategy
{
    private protected ContextEditStrategy()
    {
    }

    /// <summary>The strategy's type, as the API names it.</summary>
    public abstract string Type { get; }

    /// <summary>Writes the edit's JSON, with exactly the fields it was given.</summary>
    public abstract void WriteTo(Utf8JsonWriter writer);
}

/// <summary>What starts tool-result clearing: the request's input tokens or its number of tool uses.</summary>
public enum ContextTriggerKind
{
    /// <summary>The request's input tokens reach the value.</summary>
    InputTokens,

    /// <summary>The conversation's tool uses reach the value.</summary>
    ToolUses,
}

/// <summary>A trigger: <c>{"type": "input_tokens" | "tool_uses", "value": n}</c>.</summary>
public readonly record struct ContextTrigger(ContextTriggerKind Kind, long Value)
{
    /// <summary>The API's default: 100,000 input tokens.</summary>
    public static ContextTrigger Default => new(ContextTriggerKind.InputTokens, 100_000);

    internal string TypeName => Kind == ContextTriggerKind.ToolUses ? "tool_uses" : "input_tokens";
}

/// <summary><c>clear_tool_uses_20250919</c>: replaces old tool results with a placeholder once the context grows.</summary>
/// <remarks>A property left <see langword="null"/> takes the API's default and is left out of the JSON.</remarks>
public sealed class ClearToolUsesEdit : ContextEditStrategy
{
    /// <summary>The strategy's type name.</summary>
    public const string TypeName = "clear_tool_uses_20250919";

    /// <summary>What starts clearing; <see langword="null"/> means 100,000 input tokens.</summary>
    public ContextTrigger? Trigger { get; init; }

    /// <summary>How many of the most recent tool uses stay untouched; <see langword="null"/> means 3.</summary>
    public long? Keep { get; init; }

    /// <summary>The fewest input tokens a clearing must free, or nothing is cleared; <see langword="null"/> means no minimum.</summary>
    public long? ClearAtLeast { get; init; }

    /// <summary>Tools whose uses are never cleared; <see langword="null"/> means none.</summary>
    public IReadOnlyList<string>? ExcludeTools { get; init; }

    /// <summary>
    /// Whether cleared tool uses also lose their input: <see langword="true"/> for every tool, or the tools listed in
    /// <see cref="ClearToolInputsFor"/>; <see langword="null"/> means <see langword="false"/>.
    /// </summary>
    public bool? ClearToolInputs { get; init; }

    /// <summary>The tools whose inputs are cleared, when <c>clear_tool_inputs</c> is a list; overrides <see cref="ClearToolInputs"/>.</summary>
    public IReadOnlyList<string>? ClearToolInputsFor { get; init; }

    /// <inheritdoc/>
    public override string Type => TypeName;

    /// <summary>The trigger in force.</summary>
    public ContextTrigger EffectiveTrigger => Trigger ?? ContextTrigger.Default;

    /// <summary>The number of recent tool uses kept in force.</summary>
    public long EffectiveKeep => Keep ?? 3;

    /// <summary>Whether a cleared use of <paramref name="toolName"/> loses its input too.</summary>
    public bool ClearsInputOf(string? toolName) =>
        ClearToolInputsFor is { } tools ? toolName is not null && tools.Contains(toolName) : ClearToolInputs == true;

    /// <summary>Whether <paramref name="toolName"/> is excluded from clearing.</summary>
    public bool Excludes(string? toolName) => toolName is not null && ExcludeTools is { } tools && tools.Contains(toolName);

    /// <inheritdoc/>
    public override void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("type"u8, TypeName);
        if (Trigger is { } trigger)
        {
            writer.WriteStartObject("trigger"u8);
            writer.WriteString("type"u8, trigger.TypeName);
            writer.WriteNumber("value"u8, trigger.Value);
            writer.WriteEndObject();
        }

        if (Keep is { } keep)
        {
            WriteTyped(writer, "keep"u8, "tool_uses", keep);
        }

        if (ClearAtLeast is { } clearAtLeast)
        {
            WriteTyped(writer, "clear_at_least"u8, "input_tokens", clearAtLeast);
        }

        if (ExcludeTools is { } excluded)
        {
            WriteNames(writer, "exclude_tools"u8, excluded);
        }

        if (ClearToolInputsFor is { } inputs)
        {
            WriteNames(writer, "clear_tool_inputs"u8, inputs);
        }
        else if (ClearToolInputs is { } clearInputs)
        {
            writer.WriteBoolean("clear_tool_inputs"u8, clearInputs);
        }

        writer.WriteEndObject();
    }

    internal static ClearToolUsesEdit Read(JsonElement json, string where)
    {
        ContextManagementConfig.RejectExtra(json, where, "type", "trigger", "keep", "clear_at_least", "exclude_tools", "clear_tool_inputs");
        ContextTrigger? trigger = null;
        if (json.TryGetProperty("trigger"u8, out var triggerJson))
        {
            var (type, value) = ContextManagementConfig.ReadTyped(triggerJson, $"{where}.trigger", 1, "input_tokens", "tool_uses");
            trigger = new ContextTrigger(type == "tool_uses" ? ContextTriggerKind.ToolUses : ContextTriggerKind.InputTokens, value);
        }

        long? keep = json.TryGetProperty("keep"u8, out var keepJson)
            ? ContextManagementConfig.ReadTyped(keepJson, $"{where}.keep", 0, "tool_uses").Value
            : null;
        long? clearAtLeast = json.TryGetProperty("clear_at_least"u8, out var clearJson)
            ? ContextManagementConfig.ReadTyped(clearJson, $"{where}.clear_at_least", 1, "input_tokens").Value
            : null;
        var excluded = json.TryGetProperty("exclude_tools"u8, out var excludedJson) ? ReadNames(excludedJson, $"{where}.exclude_tools") : null;
        bool? clearInputs = null;
        IReadOnlyList<string>? clearInputsFor = null;
        if (json.TryGetProperty("clear_tool_inputs"u8, out var inputsJson))
        {
            if (inputsJson.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                clearInputs = inputsJson.GetBoolean();
            }
            else if (inputsJson.ValueKind == JsonValueKind.Array)
            {
                clearInputsFor = ReadNames(inputsJson, $"{where}.clear_tool_inputs");
            }
            else
            {
                throw new ContextFormatException($"{where}.clear_tool_inputs: Input should be a valid boolean or a list of tool names");
            }
        }

        return new ClearToolUsesEdit
        {
            Trigger = trigger,
            Keep = keep,
            ClearAtLeast = clearAtLeast,
            ExcludeTools = excluded,
            ClearToolInputs = clearInputs,
            ClearToolInputsFor = clearInputsFor,
        };
    }

    private static string[] ReadNames(JsonElement json, string where)
    {
        if (json.ValueKind != JsonValueKind.Array)
        {
            throw new ContextFormatException($"{where}: Input should be a valid list");
        }

        var names = new string[json.GetArrayLength()];
        var i = 0;
        foreach (var name in json.EnumerateArray())
        {
            names[i] = name.ValueKind == JsonValueKind.String
                ? name.GetString()!
                : throw new ContextFormatException($"{where}.{i}: Input should be a valid string");
            i++;
        }

        return names;
    }

    private static void WriteTyped(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string type, long value)
    {
        writer.WriteStartObject(name);
        writer.WriteString("type"u8, type);
        writer.WriteNumber("value"u8, value);
        writer.WriteEndObject();
    }

    private static void WriteNames(Utf8JsonWriter writer, ReadOnlySpan<byte> name, IReadOnlyList<string> names)
    {
        writer.WriteStartArray(name);
        foreach (var item in names)
        {
            writer.WriteStringValue(item);
        }

        writer.WriteEndArray();
    }
}

/// <summary><c>clear_thinking_20251015</c>: removes the thinking of earlier turns, keeping the last few turns' thinking.</summary>
public sealed class ClearThinkingEdit : ContextEditStrategy
{
    /// <summary>The strategy's type name.</summary>
    public const string TypeName = "clear_thinking_20251015";

    private readonly long? _keepTurns;

    /// <summary>How many of the last turns with thinking keep it; <see langword="null"/> means the model's default (all turns on
    /// Opus 4.5+ and Sonnet 4.6+, the last on earlier models and Haiku), or all, with <see cref="KeepAll"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public long? KeepTurns
    {
        get => _keepTurns;
        init
        {
            if (value is { } turns)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(turns, 1, nameof(KeepTurns));
            }

            _keepTurns = value;
        }
    }

    /// <summary>Keeps every turn's thinking (<c>"keep": "all"</c>), which is best for prompt caching.</summary>
    public bool KeepAll { get; init; }

    /// <summary>Writes <c>"keep": {"type": "all"}</c> rather than <c>"keep": "all"</c>, as it was read.</summary>
    public bool KeepAllAsObject { get; init; }

    /// <inheritdoc/>
    public override string Type => TypeName;

    /// <summary>The number of thinking turns kept in force on a model that keeps the last turn's by default;
    /// <see cref="long.MaxValue"/> when all are kept. <see cref="EffectiveKeepTurnsFor"/> knows the request's model.</summary>
    public long EffectiveKeepTurns => KeepAll ? long.MaxValue : KeepTurns ?? 1;

    /// <summary>The number of thinking turns kept in force for a request to <paramref name="model"/>: the <c>keep</c>
    /// given, or the model's default (<see cref="ClaudeModels.DefaultThinkingTurnsKept"/>).</summary>
    /// <param name="model">The request's model.</param>
    /// <returns>The number of turns; <see cref="long.MaxValue"/> when all are kept.</returns>
    public long EffectiveKeepTurnsFor(string? model) => KeepAll ? long.MaxValue : KeepTurns ?? ClaudeModels.DefaultThinkingTurnsKept(model);

    /// <inheritdoc/>
    public override void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("type"u8, TypeName);
        if (KeepAll && KeepAllAsObject)
        {
            writer.WriteStartObject("keep"u8);
            writer.WriteString("type"u8, "all");
            writer.WriteEndObject();
        }
        else if (KeepAll)
        {
            writer.WriteString("keep"u8, "all");
        }
        else if (KeepTurns is { } turns)
        {
            writer.WriteStartObject("keep"u8);
            writer.WriteString("type"u8, "thinking_turns");
            writer.WriteNumber("value"u8, turns);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    internal static ClearThinkingEdit Read(JsonElement json, string where)
    {
        ContextManagementConfig.RejectExtra(json, where, "type", "keep");
        if (!json.TryGetProperty("keep"u8, out var keep))
        {
            return new ClearThinkingEdit();
        }

        if (keep.ValueKind == JsonValueKind.String)
        {
            return keep.ValueEquals("all"u8)
                ? new ClearThinkingEdit { KeepAll = true }
                : throw new ContextFormatException($"{where}.keep: Input should be 'all' or an object with a type");
        }

        ContextManagementConfig.RequireObject(keep, $"{where}.keep");
        if (keep.TryGetProperty("type"u8, out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("all"u8))
        {
            ContextManagementConfig.RejectExtra(keep, $"{where}.keep", "type");
            return new ClearThinkingEdit { KeepAll = true, KeepAllAsObject = true };
        }

        var (_, value) = ContextManagementConfig.ReadTyped(keep, $"{where}.keep", 1, "thinking_turns", "all");
        return new ClearThinkingEdit { KeepTurns = value };
    }
}
