using System.Text.Json;

namespace Mnemo.Context.Replay;

/// <summary>Adaptive mode's bounds in a session record (<see cref="SessionTranscripts.AdaptiveField"/>), so a replay of
/// an adaptive session's "as run" is adaptive too.</summary>
public static partial class SessionTranscripts
{
    /// <summary>Writes adaptive mode's bounds as a session record keeps them.</summary>
    /// <param name="writer">Where to write: the record's object, open.</param>
    /// <param name="options">The bounds.</param>
    public static void WriteAdaptive(Utf8JsonWriter writer, AdaptiveClearingOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(options);
        writer.WriteStartObject(AdaptiveField);
        writer.WriteNumber("min_keep"u8, options.MinKeep);
        writer.WriteNumber("max_keep"u8, options.MaxKeep);
        writer.WriteNumber("soon_requests"u8, options.SoonRequests);
        writer.WriteNumber("quiet_clearings"u8, options.QuietClearings);
        writer.WriteNumber("exclude_share"u8, options.ExcludeShare);
        writer.WriteNumber("exclude_after"u8, options.ExcludeAfter);
        if (options.PaybackRequests is { } payback)
        {
            writer.WriteNumber("payback_requests"u8, payback);
        }
        else
        {
            writer.WriteNull("payback_requests"u8);
        }

        writer.WriteNumber("window_share"u8, options.WindowShare);
        writer.WriteEndObject();
    }

    /// <summary>Adaptive mode's bounds from a record; the defaults for what it leaves out.</summary>
    /// <exception cref="ContextFormatException">A bound is not a number, or out of range.</exception>
    private static AdaptiveClearingOptions ReadAdaptive(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            throw new ContextFormatException($"{AdaptiveField}: expected an object of adaptive mode's bounds");
        }

        var defaults = new AdaptiveClearingOptions();
        var options = new AdaptiveClearingOptions
        {
            MinKeep = Number(json, "min_keep", defaults.MinKeep),
            MaxKeep = Number(json, "max_keep", defaults.MaxKeep),
            SoonRequests = (int)Number(json, "soon_requests", defaults.SoonRequests),
            QuietClearings = (int)Number(json, "quiet_clearings", defaults.QuietClearings),
            ExcludeShare = Share(json, "exclude_share", defaults.ExcludeShare),
            ExcludeAfter = (int)Number(json, "exclude_after", defaults.ExcludeAfter),
            PaybackRequests = json.TryGetProperty("payback_requests"u8, out var payback) && payback.ValueKind == JsonValueKind.Null
                ? null : (int)Number(json, "payback_requests", defaults.PaybackRequests ?? 20),
            WindowShare = Share(json, "window_share", defaults.WindowShare),
        };
        try
        {
            options.Validate(AdaptiveField);
        }
        catch (ArgumentException exception)
        {
            throw new ContextFormatException(exception.Message.Replace($" (Parameter '{AdaptiveField}')", string.Empty, StringComparison.Ordinal));
        }

        return options;

        static long Number(JsonElement json, string name, long fallback) =>
            !json.TryGetProperty(name, out var value) ? fallback
            : value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number
            : throw new ContextFormatException($"{AdaptiveField}.{name}: expected a whole number");

        static double Share(JsonElement json, string name, double fallback) =>
            !json.TryGetProperty(name, out var value) ? fallback
            : value.ValueKind == JsonValueKind.Number ? value.GetDouble()
            : throw new ContextFormatException($"{AdaptiveField}.{name}: expected a number");
    }
}
