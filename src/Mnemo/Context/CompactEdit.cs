using System.Globalization;
using System.Text.Json;

namespace Mnemo.Context;

/// <summary>
/// <c>compact_20260112</c>: once the input passes the trigger, the older context is summarised into a <c>compaction</c>
/// block that stands in for everything before it (beta <c>compact-2026-01-12</c>).
/// </summary>
/// <remarks>A property left <see langword="null"/> takes the API's default and is left out of the JSON.</remarks>
public sealed class CompactEdit : ContextEditStrategy
{
    /// <summary>The strategy's type name.</summary>
    public const string TypeName = "compact_20260112";

    /// <summary>The beta a request that compacts, or sends a compaction block back, names in <c>anthropic-beta</c>.</summary>
    public const string Beta = "compact-2026-01-12";

    /// <summary>The API's default trigger: 150,000 input tokens.</summary>
    public const long DefaultTriggerTokens = 150_000;

    /// <summary>The smallest trigger the API takes: 50,000 input tokens.</summary>
    public const long MinimumTriggerTokens = 50_000;

    /// <summary>The input tokens that start compaction; <see langword="null"/> means 150,000. Only <c>input_tokens</c>
    /// triggers are taken.</summary>
    public long? TriggerTokens { get; init; }

    /// <summary>Instructions that replace the default summarisation prompt; <see langword="null"/> keeps it.</summary>
    public string? Instructions { get; init; }

    /// <summary>Whether the response stops after the <c>compaction</c> block (<c>stop_reason</c> <c>"compaction"</c>) so
    /// that the caller can add to the context before the model goes on; <see langword="null"/> means no.</summary>
    public bool? PauseAfterCompaction { get; init; }

    /// <inheritdoc/>
    public override string Type => TypeName;

    /// <summary>The trigger in force.</summary>
    public long EffectiveTriggerTokens => TriggerTokens ?? DefaultTriggerTokens;

    /// <inheritdoc/>
    public override void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("type"u8, TypeName);
        if (TriggerTokens is { } trigger)
        {
            writer.WriteStartObject("trigger"u8);
            writer.WriteString("type"u8, "input_tokens"u8);
            writer.WriteNumber("value"u8, trigger);
            writer.WriteEndObject();
        }

        if (Instructions is { } instructions)
        {
            writer.WriteString("instructions"u8, instructions);
        }

        if (PauseAfterCompaction is { } pause)
        {
            writer.WriteBoolean("pause_after_compaction"u8, pause);
        }

        writer.WriteEndObject();
    }

    internal static CompactEdit Read(JsonElement json, string where)
    {
        ContextManagementConfig.RejectExtra(json, where, "type", "trigger", "instructions", "pause_after_compaction");
        long? trigger = null;
        if (json.TryGetProperty("trigger"u8, out var triggerJson) && triggerJson.ValueKind != JsonValueKind.Null)
        {
            trigger = ContextManagementConfig.ReadTyped(triggerJson, $"{where}.trigger", MinimumTriggerTokens, "input_tokens").Value;
        }

        string? instructions = null;
        if (json.TryGetProperty("instructions"u8, out var instructionsJson) && instructionsJson.ValueKind != JsonValueKind.Null)
        {
            instructions = instructionsJson.ValueKind == JsonValueKind.String
                ? instructionsJson.GetString()
                : throw new ContextFormatException($"{where}.instructions: Input should be a valid string");
        }

        bool? pause = null;
        if (json.TryGetProperty("pause_after_compaction"u8, out var pauseJson) && pauseJson.ValueKind != JsonValueKind.Null)
        {
            pause = pauseJson.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? pauseJson.GetBoolean()
                : throw new ContextFormatException($"{where}.pause_after_compaction: Input should be a valid boolean");
        }

        return new CompactEdit { TriggerTokens = trigger, Instructions = instructions, PauseAfterCompaction = pause };
    }

    internal void Check(int index)
    {
        if (TriggerTokens < MinimumTriggerTokens)
        {
            throw new ContextFormatException(string.Create(CultureInfo.InvariantCulture,
                $"context_management.edits.{index}.trigger.value: Input should be greater than or equal to {MinimumTriggerTokens}"));
        }
    }
}
