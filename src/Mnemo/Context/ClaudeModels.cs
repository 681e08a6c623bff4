using System.Globalization;

namespace Mnemo.Context;

/// <summary>The thinking settings a model accepts (<c>thinking.type</c>).</summary>
[Flags]
public enum ThinkingModes
{
    /// <summary>None.</summary>
    None = 0,

    /// <summary><c>{"type": "disabled"}</c>: thinking can be turned off.</summary>
    Disabled = 1,

    /// <summary><c>{"type": "enabled", "budget_tokens": n}</c>: manual extended thinking.</summary>
    Enabled = 2,

    /// <summary><c>{"type": "adaptive"}</c>: the model decides when and how much to think.</summary>
    Adaptive = 4,
}

/// <summary>List prices of one model, in US dollars per million tokens.</summary>
/// <param name="Input">Base input tokens.</param>
/// <param name="Output">Output tokens (thinking included).</param>
/// <param name="CacheWrite5m">Input tokens written to the cache with the 5-minute lifetime.</param>
/// <param name="CacheWrite1h">Input tokens written to the cache with the 1-hour lifetime.</param>
/// <param name="CacheRead">Input tokens read from the cache (hits and refreshes).</param>
public sealed record ModelPrices(decimal Input, decimal Output, decimal CacheWrite5m, decimal CacheWrite1h, decimal CacheRead)
{
    /// <summary>The cost of one request's usage, in US dollars; cache writes at the 5-minute price.</summary>
    /// <param name="inputTokens">Uncached input tokens.</param>
    /// <param name="outputTokens">Output tokens.</param>
    /// <param name="cacheReadTokens">Input tokens read from the cache.</param>
    /// <param name="cacheWriteTokens">Input tokens written to the cache.</param>
    /// <returns>The cost.</returns>
    public decimal Cost(long inputTokens, long outputTokens, long cacheReadTokens = 0, long cacheWriteTokens = 0) =>
        ((inputTokens * Input) + (outputTokens * Output) + (cacheReadTokens * CacheRead) + (cacheWriteTokens * CacheWrite5m)) / 1_000_000m;
}

/// <summary>What Mnemo knows of one Claude model: one row of <see cref="ClaudeModels"/>.</summary>
/// <param name="Id">The API id, such as <c>claude-opus-4-5-20251101</c>.</param>
/// <param name="Alias">The alias that follows the newest snapshot, such as <c>claude-opus-4-5</c>; the id when there is none.</param>
/// <param name="DisplayName">The name people use, such as <c>Claude Opus 4.5</c>.</param>
/// <param name="ContextWindow">Input and output tokens one request may hold.</param>
/// <param name="MaxOutputTokens">The largest <c>max_tokens</c> the Messages API takes.</param>
/// <param name="Thinking">The <c>thinking.type</c> values accepted.</param>
/// <param name="DefaultThinking">What a request that leaves out <c>thinking</c> gets.</param>
/// <param name="ThinkingPrefixBound">Whether each thinking block is bound to the prefix that produced it (prefix checks).</param>
/// <param name="AcceptsSystemMessages">Whether <c>{"role": "system"}</c> messages are taken mid-conversation.</param>
/// <param name="KeepsAllThinkingByDefault">Whether <c>clear_thinking_20251015</c> without <c>keep</c> keeps every turn's thinking.</param>
/// <param name="Prices">List prices.</param>
public sealed record ClaudeModel(
    string Id,
    string Alias,
    string DisplayName,
    long ContextWindow,
    long MaxOutputTokens,
    ThinkingModes Thinking,
    ThinkingModes DefaultThinking,
    bool ThinkingPrefixBound,
    bool AcceptsSystemMessages,
    bool KeepsAllThinkingByDefault,
    ModelPrices Prices)
{
    /// <summary>Whether thinking can be turned off; a model that always thinks refuses forced tool use
    /// (<c>tool_choice</c> <c>any</c> or <c>tool</c>), as every model does with thinking on.</summary>
    public bool AcceptsForcedToolUse => (Thinking & ThinkingModes.Disabled) != 0;

    /// <summary>Whether the API compacts for this model (<c>compact_20260112</c> on its side): from Opus 4.6 and Sonnet 4.6
    /// on, per the compaction page. Compaction on Mnemo's side works for any model.</summary>
    public bool AcceptsCompaction { get; init; } = true;

    /// <summary>The default <c>keep</c> of <c>clear_thinking_20251015</c>, in thinking turns; <see cref="long.MaxValue"/> for all.</summary>
    public long DefaultThinkingTurnsKept => KeepsAllThinkingByDefault ? long.MaxValue : 1;

    /// <summary>Whether <paramref name="name"/> names this model: its id, its alias, or the alias with a date.</summary>
    public bool IsNamedBy(string name) =>
        string.Equals(name, Id, StringComparison.OrdinalIgnoreCase) || string.Equals(name, Alias, StringComparison.OrdinalIgnoreCase);
}

/// <summary>How a model name was matched against <see cref="ClaudeModels"/>.</summary>
/// <param name="Model">The row whose rules apply.</param>
/// <param name="IsKnown">Whether the name is in the table; when not, <see cref="Model"/> holds the nearest rules
/// (its family's newest, or the newest family's) and the caller should say so.</param>
/// <param name="Name">The name looked up.</param>
public readonly record struct ModelLookup(ClaudeModel Model, bool IsKnown, string? Name)
{
    /// <summary>A one-line warning for a name the table does not know; <see langword="null"/> when it does.</summary>
    public string? Warning => IsKnown ? null
        : $"model '{Name}' is not in Mnemo's model table; using the rules of {Model.DisplayName} ({Model.Id})";
}

/// <summary>
/// The model table: context windows, output limits, thinking rules, prefix binding, mid-conversation system messages and
/// list prices of the Claude models, by id and alias. The editor, the agent session, the emulator's validation, token
/// budgets and cost figures all read it, so they agree.
/// </summary>
/// <remarks>
/// <para>Sources (platform docs, December 2026): the models overview (ids, windows, output limits), the pricing page
/// (prices), the context-editing page (<c>clear_thinking</c>'s default <c>keep</c>: all turns on Opus 4.5+ and Sonnet
/// 4.6+, the last turn's on earlier models and Haiku), the preserved-thinking page's prefix checks (bound on Fable 5.x,
/// Mythos 5.x, Opus 5.5, Sonnet 5.5, Haiku 5.5), the mid-conversation system messages page (Opus 4.8, Opus 5, Fable
/// and Mythos; not Sonnet 5) and the compaction page (the API compacts from Opus 4.6 and Sonnet 4.6 on). Figures the public pages did not give are taken from the model before it and flagged
/// <c>assumed</c> below: Fable and Mythos 5.2 (as 5.1), Sonnet 5.5 (as Sonnet 5), Haiku 5.5's window and output (as
/// the 5 generation's 1M with Haiku 4.5's 64K), and Opus 5.5's and Haiku 5.5's split of the published average price
/// (at the family's 1:5 input-to-output ratio).</para>
/// <para>A name not in the table is matched by family and version (<c>claude-opus-6</c> gets the newest Opus's rules,
/// <c>claude-sonnet-4-5-20250929</c> its alias's); a name of no known family gets the newest family's rules. Both are
/// reported by <see cref="ModelLookup.IsKnown"/>, never thrown.</para>
/// </remarks>
public static class ClaudeModels
{
    private const long Million = 1_000_000;
    private const ThinkingModes Manual = ThinkingModes.Disabled | ThinkingModes.Enabled;
    private const ThinkingModes AllModes = ThinkingModes.Disabled | ThinkingModes.Enabled | ThinkingModes.Adaptive;
    private const ThinkingModes AdaptiveOnly = ThinkingModes.Adaptive;

    private static readonly ModelPrices Opus4Prices = new(15m, 75m, 18.75m, 30m, 1.50m);
    private static readonly ModelPrices OpusPrices = new(5m, 25m, 6.25m, 10m, 0.50m);
    private static readonly ModelPrices SonnetPrices = new(3m, 15m, 3.75m, 6m, 0.30m);
    private static readonly ModelPrices Sonnet5Prices = new(2m, 10m, 2.50m, 4m, 0.20m);
    private static readonly ModelPrices HaikuPrices = new(1m, 5m, 1.25m, 2m, 0.10m);
    private static readonly ModelPrices Fable5Prices = new(10m, 50m, 12.50m, 20m, 1.00m);
    private static readonly ModelPrices Fable51Prices = new(10m, 50m, 12.50m, 20m, 0.25m);

    /// <summary>Every model in the table, oldest first.</summary>
    public static IReadOnlyList<ClaudeModel> All { get; } =
    [
        new("claude-opus-4-20250514", "claude-opus-4-0", "Claude Opus 4", 200_000, 32_000, Manual, ThinkingModes.Disabled, false, false, false, Opus4Prices) { AcceptsCompaction = false },
        new("claude-sonnet-4-20250514", "claude-sonnet-4-0", "Claude Sonnet 4", 200_000, 64_000, Manual, ThinkingModes.Disabled, false, false, false, SonnetPrices) { AcceptsCompaction = false },
        new("claude-opus-4-1-20250805", "claude-opus-4-1", "Claude Opus 4.1", 200_000, 32_000, Manual, ThinkingModes.Disabled, false, false, false, Opus4Prices) { AcceptsCompaction = false },
        new("claude-sonnet-4-5-20250929", "claude-sonnet-4-5", "Claude Sonnet 4.5", 200_000, 64_000, Manual, ThinkingModes.Disabled, false, false, false, SonnetPrices) { AcceptsCompaction = false },
        new("claude-haiku-4-5-20251001", "claude-haiku-4-5", "Claude Haiku 4.5", 200_000, 64_000, Manual, ThinkingModes.Disabled, false, false, false, HaikuPrices) { AcceptsCompaction = false },
        new("claude-opus-4-5-20251101", "claude-opus-4-5", "Claude Opus 4.5", 200_000, 64_000, Manual, ThinkingModes.Disabled, false, false, true, OpusPrices) { AcceptsCompaction = false },
        new("claude-opus-4-6", "claude-opus-4-6", "Claude Opus 4.6", Million, 128_000, AllModes, ThinkingModes.Disabled, false, false, true, OpusPrices),
        new("claude-sonnet-4-6", "claude-sonnet-4-6", "Claude Sonnet 4.6", Million, 64_000, AllModes, ThinkingModes.Disabled, false, false, true, SonnetPrices),
        new("claude-opus-4-7", "claude-opus-4-7", "Claude Opus 4.7", Million, 128_000, AllModes, ThinkingModes.Disabled, false, false, true, OpusPrices),
        new("claude-opus-4-8", "claude-opus-4-8", "Claude Opus 4.8", Million, 128_000, AllModes, ThinkingModes.Disabled, false, true, true, OpusPrices),
        new("claude-fable-5", "claude-fable-5", "Claude Fable 5", Million, 128_000, AdaptiveOnly, AdaptiveOnly, true, true, true, Fable5Prices),
        new("claude-mythos-5", "claude-mythos-5", "Claude Mythos 5", Million, 128_000, AdaptiveOnly, AdaptiveOnly, true, true, true, Fable5Prices),
        new("claude-sonnet-5", "claude-sonnet-5", "Claude Sonnet 5", Million, 128_000, AdaptiveOnly, AdaptiveOnly, false, false, true, Sonnet5Prices),
        new("claude-opus-5", "claude-opus-5", "Claude Opus 5", Million, 128_000, AdaptiveOnly, AdaptiveOnly, false, true, true, OpusPrices),
        new("claude-fable-5-1", "claude-fable-5-1", "Claude Fable 5.1", Million, 128_000, AdaptiveOnly, AdaptiveOnly, true, true, true, Fable51Prices),
        new("claude-mythos-5-1", "claude-mythos-5-1", "Claude Mythos 5.1", Million, 128_000, AdaptiveOnly, AdaptiveOnly, true, true, true, Fable51Prices),
        new("claude-opus-5-5", "claude-opus-5-5", "Claude Opus 5.5", Million, 128_000, AdaptiveOnly, AdaptiveOnly, true, true, true, new(4m, 20m, 5m, 8m, 0.40m)), // price split assumed
        new("claude-sonnet-5-5", "claude-sonnet-5-5", "Claude Sonnet 5.5", Million, 128_000, AdaptiveOnly, AdaptiveOnly, true, false, true, Sonnet5Prices), // assumed as Sonnet 5
        new("claude-haiku-5-5", "claude-haiku-5-5", "Claude Haiku 5.5", Million, 64_000, AdaptiveOnly, AdaptiveOnly, true, false, false, HaikuPrices), // window, output, price split assumed
        new("claude-fable-5-2", "claude-fable-5-2", "Claude Fable 5.2", Million, 128_000, AdaptiveOnly, AdaptiveOnly, true, true, true, Fable51Prices), // assumed as 5.1
        new("claude-mythos-5-2", "claude-mythos-5-2", "Claude Mythos 5.2", Million, 128_000, AdaptiveOnly, AdaptiveOnly, true, true, true, Fable51Prices), // assumed as 5.1
    ];

    /// <summary>The newest model of the newest family: the rules a name of no known family gets.</summary>
    public static ClaudeModel Newest { get; } = All.Single(row => row.Id == "claude-fable-5-2");

    /// <summary>Looks a model name up: exactly, by alias with or without a date, then by family and version.</summary>
    /// <param name="model">The request's <c>model</c>; <see langword="null"/> when it names none.</param>
    /// <returns>The rules that apply and whether the name is known.</returns>
    public static ModelLookup Find(string? model)
    {
        if (string.IsNullOrWhiteSpace(model))
        {
            return new ModelLookup(Newest, false, model);
        }

        if (Lookups.TryGetValue(model, out var cached))
        {
            return cached;
        }

        var found = Lookup(model);
        if (Lookups.Count < MaxCachedNames)
        {
            // Names are few in practice; the bound keeps a stream of made-up names from growing the cache.
            Lookups.TryAdd(model, found);
        }

        return found;
    }

    private const int MaxCachedNames = 1024;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, ModelLookup> Lookups = new(StringComparer.Ordinal);

    private static ModelLookup Lookup(string model)
    {
        foreach (var row in All)
        {
            if (row.IsNamedBy(model))
            {
                return new ModelLookup(row, true, model);
            }
        }

        if (Parse(model) is not { } parsed)
        {
            return new ModelLookup(Newest, false, model);
        }

        // A dated snapshot of a known alias (claude-opus-4-6-20260205) is that model; anything else gets its family's
        // nearest rules: the newest row of the family at or below its version, else the family's oldest.
        ClaudeModel? best = null;
        foreach (var row in All)
        {
            if (Parse(row.Alias) is { } known && known.Family == parsed.Family)
            {
                if (known.Version == parsed.Version && model.StartsWith(row.Alias + "-", StringComparison.OrdinalIgnoreCase) && parsed.Dated)
                {
                    return new ModelLookup(row, true, model);
                }

                if (known.Version <= parsed.Version && (best is null || Parse(best.Alias)!.Value.Version <= known.Version))
                {
                    best = row;
                }
            }
        }

        best ??= All.FirstOrDefault(row => Parse(row.Alias)?.Family == parsed.Family);
        return new ModelLookup(best ?? Newest, false, model);
    }

    /// <summary>Whether a model keeps every turn's thinking by default under <c>clear_thinking_20251015</c>.</summary>
    /// <param name="model">The request's <c>model</c>; <see langword="null"/> when it names none.</param>
    /// <returns>The table's answer for the model, or for the rules it falls back to.</returns>
    public static bool KeepsAllThinkingByDefault(string? model) => Find(model).Model.KeepsAllThinkingByDefault;

    /// <summary>The number of thinking turns <c>clear_thinking_20251015</c> keeps when its <c>keep</c> is not given.</summary>
    /// <param name="model">The request's model.</param>
    /// <returns><see cref="long.MaxValue"/> (all) on the models that keep every turn's thinking; 1 on the others.</returns>
    public static long DefaultThinkingTurnsKept(string? model) => Find(model).Model.DefaultThinkingTurnsKept;

    /// <summary>Reads <c>claude-{family}-{major}[-{minor}][-{date}]</c>, and the older <c>claude-{major}[-{minor}]-{family}</c>.</summary>
    private static (string Family, Version Version, bool Dated)? Parse(string? model)
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

        var dated = parts[^1].Length == 8 && parts[^1].All(char.IsAsciiDigit);
        // claude-3-5-sonnet-20241022, claude-3-haiku-20240307: the version comes first on the oldest names.
        if (char.IsAsciiDigit(parts[0][0]))
        {
            var family = parts.FirstOrDefault(part => !part.All(char.IsAsciiDigit));
            return family is null ? null : (family, ReadVersion(parts, 0), dated);
        }

        return parts.Length > 1 ? (parts[0], ReadVersion(parts, 1), dated) : (parts[0], new Version(0, 0), dated);
    }

    /// <summary>A major number and, when the next part is a short number (not a date), a minor one.</summary>
    private static Version ReadVersion(string[] parts, int at)
    {
        if (at >= parts.Length || parts[at].Length > 2 || !int.TryParse(parts[at], CultureInfo.InvariantCulture, out var major))
        {
            return new Version(0, 0);
        }

        var minor = at + 1 < parts.Length && parts[at + 1].Length <= 2 && int.TryParse(parts[at + 1], CultureInfo.InvariantCulture, out var m) ? m : 0;
        return new Version(major, minor);
    }
}
