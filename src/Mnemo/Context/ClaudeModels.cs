namespace Mnemo.Context;

/// <summary>What context editing needs to know about Claude models, by model name: the one place that knows it.</summary>
/// <remarks>
/// From the platform docs' context-editing page: when <c>clear_thinking_20251015</c> is given without <c>keep</c>,
/// Claude Opus 4.5 and later and Sonnet 4.6 and later keep the thinking of every turn; earlier models, and Haiku,
/// keep the last turn's. Names are matched by family and version, with or without a date or an alias suffix
/// (<c>claude-opus-4-5-20251101</c>, <c>claude-sonnet-4-6</c>, <c>claude-opus-5</c>); later families (Fable, Mythos)
/// count as current. A name not known at all (another provider's, a local model) gets the earlier models' default.
/// </remarks>
public static class ClaudeModels
{
    /// <summary>Whether a model keeps every turn's thinking by default under <c>clear_thinking_20251015</c>.</summary>
    /// <param name="model">The request's <c>model</c>; <see langword="null"/> when it names none.</param>
    /// <returns><see langword="true"/> for Opus 4.5+, Sonnet 4.6+ and the families after them; <see langword="false"/> otherwise.</returns>
    public static bool KeepsAllThinkingByDefault(string? model)
    {
        if (Parse(model) is not { } parsed)
        {
            return false;
        }

        return parsed.Family switch
        {
            "opus" => parsed.Version >= new Version(4, 5),
            "sonnet" => parsed.Version >= new Version(4, 6),
            "haiku" => false,
            "fable" or "mythos" => true,
            _ => false,
        };
    }

    /// <summary>The number of thinking turns <c>clear_thinking_20251015</c> keeps when its <c>keep</c> is not given.</summary>
    /// <param name="model">The request's model.</param>
    /// <returns><see cref="long.MaxValue"/> (all) on the models that keep every turn's thinking; 1 on the others.</returns>
    public static long DefaultThinkingTurnsKept(string? model) => KeepsAllThinkingByDefault(model) ? long.MaxValue : 1;

    /// <summary>Reads <c>claude-{family}-{major}[-{minor}][-…]</c>, and the older <c>claude-{major}[-{minor}]-{family}</c>.</summary>
    private static (string Family, Version Version)? Parse(string? model)
    {
        if (model is null || !model.StartsWith("claude-", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var parts = model["claude-".Length..].ToLowerInvariant().Split('-', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            return null;
        }

        // claude-3-5-sonnet-20241022, claude-3-haiku-20240307: the version comes first on the oldest names.
        if (char.IsAsciiDigit(parts[0][0]))
        {
            var family = parts.FirstOrDefault(part => !part.All(char.IsAsciiDigit));
            return family is null ? null : (family, ReadVersion(parts, 0));
        }

        return parts.Length > 1 ? (parts[0], ReadVersion(parts, 1)) : (parts[0], new Version(0, 0));
    }

    /// <summary>A major number and, when the next part is a short number (not a date), a minor one.</summary>
    private static Version ReadVersion(string[] parts, int at)
    {
        if (at >= parts.Length || !int.TryParse(parts[at], System.Globalization.CultureInfo.InvariantCulture, out var major) || parts[at].Length > 2)
        {
            return new Version(0, 0);
        }

        var minor = at + 1 < parts.Length && parts[at + 1].Length <= 2 && int.TryParse(parts[at + 1], System.Globalization.CultureInfo.InvariantCulture, out var m) ? m : 0;
        return new Version(major, minor);
    }
}
