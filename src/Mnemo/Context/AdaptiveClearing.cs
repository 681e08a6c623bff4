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

    /// <summary>Gets the requests over which a clearing's savings are counted against the cache rewrite it causes: results
    /// are cleared in batches, each when what it frees, read from the cache on each of these requests, pays for rewriting
    /// the cache after it (see <see cref="AdaptiveClearing.KeepFor"/>). <see langword="null"/> clears as the API does,
    /// whatever ages out of <c>keep</c> on each request. 20 by default.</summary>
    public int? PaybackRequests { get; init; } = 20;

    /// <summary>Gets the share of the model's context window past which a batch is cleared whether it pays or not; 0.9 by default.</summary>
    public double WindowShare { get; init; } = 0.9;

    /// <summary>Checks the bounds.</summary>
    /// <param name="owner">What the options are called where they were given, for the message.</param>
    /// <exception cref="ArgumentException">A bound is out of range; the message names it.</exception>
    public void Validate(string owner = nameof(AdaptiveClearingOptions))
    {
        string? problem = null;
        if (MinKeep < 0 || MaxKeep < MinKeep)
        {
            problem = "MinKeep must be 0 or more and MaxKeep at least MinKeep";
        }
        else if (SoonRequests < 1 || QuietClearings < 1 || ExcludeAfter < 1)
        {
            problem = "SoonRequests, QuietClearings and ExcludeAfter must each be at least 1";
        }
        else if (double.IsNaN(ExcludeShare) || ExcludeShare < 0 || ExcludeShare > 1)
        {
            problem = "ExcludeShare must be between 0 and 1";
        }
        else if (PaybackRequests < 1)
        {
            problem = "PaybackRequests must be at least 1, or null to clear as the API does";
        }
        else if (double.IsNaN(WindowShare) || WindowShare <= 0 || WindowShare > 1)
        {
            problem = "WindowShare must be above 0 and at most 1";
        }

        if (problem is not null)
        {
            throw new ArgumentException($"{owner}: {problem}.", owner);
        }
    }
}

/// <summary>What clearing more would take from a conversation: see <see cref="AdaptiveClearing.Measure"/>.</summary>
/// <param name="Answered">The answered tool uses, of every tool, oldest first: what <c>keep</c> counts.</param>
/// <param name="BacklogTokens">The estimated tokens that clearing the results between the reach of the last clearing and
/// what <c>keep</c> reaches now would free (excluded tools and results already cleared left out).</param>
/// <param name="RewrittenTokens">The estimated tokens of the conversation from the first result such a clearing changes
/// to its end: what the prompt cache writes again after it.</param>
public readonly record struct ClearingBacklog(long Answered, long BacklogTokens, long RewrittenTokens);

/// <summary>One change adaptive mode made to the configuration, and why.</summary>
/// <param name="Request">The request after which it was made.</param>
/// <param name="Setting">What changed: <c>keep</c> or <c>exclude_tools</c>. (<c>clear_at_least</c>'s aim, a clearing
/// that pays for the cache it breaks, is met by clearing in batches instead: see <see cref="AdaptiveClearing.KeepFor"/>.)</param>
/// <param name="From">The value before.</param>
/// <param name="To">The value after.</param>
/// <param name="Reason">Why, in words.</param>
public sealed record AdaptiveChange(int Request, string Setting, string From, string To, string Reason)
{
    /// <summary>Writes changes as a report keeps them: <c>adaptive_changes</c>, each with <c>request</c>, <c>setting</c>,
    /// <c>from</c>, <c>to</c> and <c>reason</c>.</summary>
    /// <param name="writer">Where to write: an object, open.</param>
    /// <param name="changes">The changes, in order.</param>
    public static void WriteAll(System.Text.Json.Utf8JsonWriter writer, IEnumerable<AdaptiveChange> changes)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(changes);
        writer.WriteStartArray("adaptive_changes"u8);
        foreach (var change in changes)
        {
            writer.WriteStartObject();
            writer.WriteNumber("request"u8, change.Request);
            writer.WriteString("setting"u8, change.Setting);
            writer.WriteString("from"u8, change.From);
            writer.WriteString("to"u8, change.To);
            writer.WriteString("reason"u8, change.Reason);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }
}

/// <summary>
/// Adjusts a <c>clear_tool_uses_20250919</c> configuration between requests from what happens to what it clears:
/// <c>keep</c> goes up when a cleared result is needed again soon after (recalled or fetched again), and down after
/// clearings that took nothing needed again; a tool whose cleared results are needed again more often than not stops
/// being cleared; and clearing comes in batches (<see cref="KeepFor"/>), each when what it frees pays for the cache
/// rewrite it causes, at the model's prices. Every change of the configuration is an <see cref="AdaptiveChange"/> with
/// its reason.
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
        _options.Validate();
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
    /// <returns>The changes this made.</returns>
    public IReadOnlyList<AdaptiveChange> Cleared(int request, IReadOnlyList<(string Tool, string Input)> results)
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

        return made;
    }

    /// <summary>The <c>keep</c> to send with the next request, in batches: once a clearing has reached some tool uses, the
    /// next request keeps everything after them (so nothing more is cleared and the cache holds), until what has aged out
    /// of <c>keep</c> since would, read from the cache on each of the next <see cref="AdaptiveClearingOptions.PaybackRequests"/>
    /// requests, pay for rewriting the cache after the last clearing; or until the request nears the model's window.
    /// Then the batch is cleared at once. The API, given the whole history each time, would instead clear one more
    /// result on every request past the trigger, and rewrite the cache each time.</summary>
    /// <param name="answered">The answered tool uses of the request about to be sent.</param>
    /// <param name="reach">How many of them (oldest first) the last clearing reached.</param>
    /// <param name="backlogTokens">The tokens clearing the tool uses between <paramref name="reach"/> and what <c>keep</c> would reach now frees.</param>
    /// <param name="rewrittenTokens">The request's tokens after the first of those, which the cache would write again.</param>
    /// <param name="requestTokens">The request's input tokens.</param>
    /// <param name="window">The model's context window.</param>
    /// <returns>The <c>keep</c> to send.</returns>
    public long KeepFor(long answered, long reach, long backlogTokens, long rewrittenTokens, long requestTokens, long window)
    {
        var keep = Current.EffectiveKeep;
        var trigger = Current.EffectiveTrigger;
        var reached = trigger.Kind == ContextTriggerKind.ToolUses ? answered > trigger.Value : requestTokens > trigger.Value;
        if (_options.PaybackRequests is not { } payback || !reached || answered - keep <= reach)
        {
            return keep;
        }

        var premium = (_prices.CacheWrite5m - _prices.CacheRead) * rewrittenTokens;
        var value = _prices.CacheRead * payback * backlogTokens;
        if (value >= premium || requestTokens >= _options.WindowShare * window)
        {
            return keep;
        }

        HeldRequests++;
        return Math.Max(keep, answered - reach);
    }

    /// <summary>Measures a conversation for <see cref="KeepFor"/>: its answered tool uses, what clearing those between
    /// <paramref name="reach"/> and what <c>keep</c> reaches now would free, and the tokens from the first of them on,
    /// estimated as <see cref="Tokens.EstimatingTokenCounter"/> counts. One pass over the messages.</summary>
    /// <param name="messages">The conversation as the model would see it, unedited (the history as kept, not as sent).</param>
    /// <param name="reach">How many answered tool uses (oldest first) the last clearing reached.</param>
    /// <returns>The measure.</returns>
    public ClearingBacklog Measure(IReadOnlyList<ContextMessage> messages, long reach)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var results = new Dictionary<string, (int Message, ContextBlock Block)>(StringComparer.Ordinal);
        for (var i = 0; i < messages.Count; i++)
        {
            foreach (var block in messages[i].Blocks)
            {
                if (block.Kind is ContextBlockKind.ToolResult or ContextBlockKind.ServerToolResult && block.ToolUseId is { } id)
                {
                    results.TryAdd(id, (i, block));
                }
            }
        }

        // The answered uses in the order clearing takes them: each with its result's message and size.
        var uses = new List<(string? Tool, int Message, ContextBlock Result)>();
        for (var i = 0; i < messages.Count; i++)
        {
            if (!messages[i].IsAssistant)
            {
                continue;
            }

            foreach (var use in messages[i].Blocks)
            {
                var expected = use.Kind switch
                {
                    ContextBlockKind.ToolUse => (Kind: ContextBlockKind.ToolResult, Message: i + 1),
                    ContextBlockKind.ServerToolUse => (Kind: ContextBlockKind.ServerToolResult, Message: i),
                    _ => (Kind: ContextBlockKind.Other, Message: -1),
                };
                if (expected.Message >= 0 && use.ToolUseId is { } id && results.TryGetValue(id, out var result) &&
                    result.Message == expected.Message && result.Block.Kind == expected.Kind)
                {
                    uses.Add((use.ToolName, result.Message, result.Block));
                }
            }
        }

        var answered = uses.Count;
        var next = Math.Clamp(answered - Current.EffectiveKeep, 0, answered);
        var from = (int)Math.Clamp(reach, 0, answered);
        long backlog = 0;
        for (var o = from; o < next; o++)
        {
            if (!Current.Excludes(uses[o].Tool))
            {
                backlog += uses[o].Result.EstimatedTokens;
            }
        }

        long rewritten = 0;
        if (from < answered)
        {
            for (var i = uses[from].Message; i < messages.Count; i++)
            {
                rewritten += Tokens.EstimatingTokenCounter.Count(messages[i]);
            }
        }

        return new ClearingBacklog(answered, backlog, rewritten);
    }

    /// <summary>Gets how many requests were sent with their clearing held back, to clear a larger batch later.</summary>
    public int HeldRequests { get; private set; }

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
