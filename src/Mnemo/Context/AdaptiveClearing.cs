using System.Globalization;

namespace Mnemo.Context;

/// <summary>Bounds and thresholds of <see cref="AdaptiveClearing"/>.</summary>
public sealed record AdaptiveClearingOptions
{
    /// <summary>Gets the fewest tool uses <c>keep</c> goes down to; 1 by default.</summary>
    public long MinKeep { get; init; } = 1;

    /// <summary>Gets the most tool uses <c>keep</c> goes up to; 20 by default.</summary>
    public long MaxKeep { get; init; } = 20;

    /// <summary>Gets how many requests after its clearing a result needed again counts as "soon": <c>keep</c> was too
    /// small. 5 by default.</summary>
    public int SoonRequests { get; init; } = 5;

    /// <summary>Gets how many clearings in a row that take nothing needed again bring <c>keep</c> down by one; 3 by default.</summary>
    public int QuietClearings { get; init; } = 3;

    /// <summary>Gets the share of a tool's cleared results needed again past which the tool is no longer cleared; 0.5 by default.</summary>
    public double ExcludeShare { get; init; } = 0.5;

    /// <summary>Gets how many of a tool's cleared results must be needed again before it can be excluded; 2 by default.</summary>
    public int ExcludeAfter { get; init; } = 2;

    /// <summary>Gets the requests over which a clearing's savings are counted against the cache rewrite it causes, when
    /// setting <c>clear_at_least</c>; <see langword="null"/> leaves <c>clear_at_least</c> as the starting profile has it.
    /// 20 by default.</summary>
    public int? PaybackRequests { get; init; } = 20;
}

/// <summary>One change adaptive mode made to the configuration, and why.</summary>
/// <param name="Request">The request after which it was made.</param>
/// <param name="Setting">What changed: <c>keep</c>, <c>exclude_tools</c> or <c>clear_at_least</c>.</param>
/// <param name="From">The value before.</param>
/// <param name="To">The value after.</param>
/// <param name="Reason">Why, in words.</param>
public sealed record AdaptiveChange(int Request, string Setting, string From, string To, string Reason);

/// <summary>
/// Adjusts a <c>clear_tool_uses_20250919</c> configuration between requests from what happens to what it clears:
/// <c>keep</c> goes up when a cleared result is needed again soon after (recalled or fetched again), and down after
/// clearings that took nothing needed again; a tool whose cleared results are needed again more often than not stops
/// being cleared; and <c>clear_at_least</c> is set so that what a clearing frees, read from the cache on each of the
/// next <see cref="AdaptiveClearingOptions.PaybackRequests"/> requests, pays for rewriting the cache after the
/// cleared result, at the model's prices. Every change is an <see cref="AdaptiveChange"/> with its reason.
/// </summary>
/// <remarks>Not thread-safe: a session (or a replay) feeds it one request at a time.</remarks>
public sealed class AdaptiveClearing
{
    private readonly AdaptiveClearingOptions _options;
    private readonly ModelPrices _prices;
    private readonly Dictionary<(string Tool, string Input), int> _clearedAt = [];
    private readonly Dictionary<string, (int Cleared, int Needed)> _byTool = new(StringComparer.Ordinal);
    private readonly List<AdaptiveChange> _changes = [];
    private int _quiet;
    private bool _neededSinceClearing;

    /// <summary>Initializes a new instance of the <see cref="AdaptiveClearing"/> class.</summary>
    /// <param name="start">The configuration to start from, such as a profile's.</param>
    /// <param name="prices">The model's prices, for <c>clear_at_least</c>.</param>
    /// <param name="options">Bounds and thresholds; the defaults when <see langword="null"/>.</param>
    public AdaptiveClearing(ClearToolUsesEdit start, ModelPrices prices, AdaptiveClearingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(prices);
        _options = options ?? new AdaptiveClearingOptions();
        _prices = prices;
        Current = start;
    }

    /// <summary>Gets the configuration to send with the next request.</summary>
    public ClearToolUsesEdit Current { get; private set; }

    /// <summary>Gets every change made, in order.</summary>
    public IReadOnlyList<AdaptiveChange> Changes => _changes;

    /// <summary>Takes in a clearing: the results it took for the first time, each by its tool and canonical input.</summary>
    /// <param name="request">The request that cleared.</param>
    /// <param name="results">What it took.</param>
    /// <param name="freedTokens">The tokens the clearing took out of the request.</param>
    /// <param name="rewrittenTokens">The tokens after the first result it cleared, which the cache must write again.</param>
    /// <returns>The changes this made.</returns>
    public IReadOnlyList<AdaptiveChange> Cleared(int request, IReadOnlyList<(string Tool, string Input)> results, long freedTokens, long rewrittenTokens)
    {
        ArgumentNullException.ThrowIfNull(results);
        var made = new List<AdaptiveChange>();
        if (results.Count == 0)
        {
            return made;
        }

        foreach (var result in results)
        {
            _clearedAt[result] = request;
            var counts = _byTool.GetValueOrDefault(result.Tool);
            _byTool[result.Tool] = (counts.Cleared + 1, counts.Needed);
        }

        _quiet = _neededSinceClearing ? 0 : _quiet + 1;
        _neededSinceClearing = false;
        if (_quiet >= _options.QuietClearings && Current.EffectiveKeep > _options.MinKeep)
        {
            _quiet = 0;
            made.Add(Set(request, "keep", Current.EffectiveKeep - 1,
                string.Create(CultureInfo.InvariantCulture, $"{_options.QuietClearings} clearings in a row took nothing that was needed again")));
        }

        if (_options.PaybackRequests is { } payback && rewrittenTokens > 0)
        {
            // Freed tokens save a cache read on each of the next requests; the rewrite costs the write premium once.
            var premium = (_prices.CacheWrite5m - _prices.CacheRead) * rewrittenTokens;
            var needed = _prices.CacheRead == 0 ? 0 : (long)Math.Ceiling(premium / (_prices.CacheRead * payback));
            var current = Current.ClearAtLeast ?? 0;
            if (needed > current)
            {
                made.Add(SetClearAtLeast(request, needed, string.Create(CultureInfo.InvariantCulture,
                    $"rewriting {rewrittenTokens:N0} cached tokens costs what reading {needed:N0} tokens from the cache costs over {payback} requests; this clearing freed {freedTokens:N0}")));
            }
        }

        return made;
    }

    /// <summary>Takes in a result needed again after it was cleared: recalled, or fetched by calling the tool again.</summary>
    /// <param name="request">The request whose response needed it.</param>
    /// <param name="tool">The tool.</param>
    /// <param name="input">The canonical input.</param>
    /// <returns>The changes this made.</returns>
    public IReadOnlyList<AdaptiveChange> Needed(int request, string tool, string input)
    {
        var made = new List<AdaptiveChange>();
        if (!_clearedAt.TryGetValue((tool, input), out var clearedAt))
        {
            return made;
        }

        _neededSinceClearing = true;
        _quiet = 0;
        var counts = _byTool.GetValueOrDefault(tool);
        _byTool[tool] = counts = (counts.Cleared, counts.Needed + 1);
        var after = request - clearedAt;
        if (after <= _options.SoonRequests && Current.EffectiveKeep < _options.MaxKeep)
        {
            made.Add(Set(request, "keep", Current.EffectiveKeep + 1,
                string.Create(CultureInfo.InvariantCulture, $"a cleared {tool} result was needed again {after} request(s) after it was cleared")));
        }

        if (counts.Needed >= _options.ExcludeAfter && counts.Needed > _options.ExcludeShare * counts.Cleared && !Current.Excludes(tool))
        {
            var excluded = (Current.ExcludeTools ?? []).Append(tool).ToList();
            var from = string.Join(", ", Current.ExcludeTools ?? []);
            Current = Copy(Current, excludeTools: excluded);
            var change = new AdaptiveChange(request, "exclude_tools", from, string.Join(", ", excluded),
                string.Create(CultureInfo.InvariantCulture, $"{counts.Needed} of the {counts.Cleared} cleared {tool} results were needed again"));
            _changes.Add(change);
            made.Add(change);
        }

        return made;
    }

    private AdaptiveChange Set(int request, string setting, long keep, string reason)
    {
        var change = new AdaptiveChange(request, setting, Current.EffectiveKeep.ToString(CultureInfo.InvariantCulture), keep.ToString(CultureInfo.InvariantCulture), reason);
        Current = Copy(Current, keep: keep);
        _changes.Add(change);
        return change;
    }

    private AdaptiveChange SetClearAtLeast(int request, long tokens, string reason)
    {
        var change = new AdaptiveChange(request, "clear_at_least", (Current.ClearAtLeast ?? 0).ToString(CultureInfo.InvariantCulture), tokens.ToString(CultureInfo.InvariantCulture), reason);
        Current = Copy(Current, clearAtLeast: tokens);
        _changes.Add(change);
        return change;
    }

    private static ClearToolUsesEdit Copy(ClearToolUsesEdit edit, long? keep = null, long? clearAtLeast = null, IReadOnlyList<string>? excludeTools = null) => new()
    {
        Trigger = edit.Trigger,
        Keep = keep ?? edit.Keep,
        ClearAtLeast = clearAtLeast ?? edit.ClearAtLeast,
        ExcludeTools = excludeTools ?? edit.ExcludeTools,
        ClearToolInputs = edit.ClearToolInputs,
        ClearToolInputsFor = edit.ClearToolInputsFor,
    };
}
