using System.Globalization;
using System.Text.Json;

namespace Mnemo.Sessions;

/// <summary>Represents which sessions an overview covers; every condition left <see langword="null"/> lets all through.</summary>
public sealed record SessionFilter
{
    /// <summary>Gets the store sessions must have used.</summary>
    public string? Store { get; init; }

    /// <summary>Gets the agent that must have run them.</summary>
    public string? Agent { get; init; }

    /// <summary>Gets the model they must have used.</summary>
    public string? Model { get; init; }

    /// <summary>Gets the first day (UTC) they may have begun on.</summary>
    public DateOnly? From { get; init; }

    /// <summary>Gets the last day (UTC) they may have begun on.</summary>
    public DateOnly? To { get; init; }

    /// <summary>Tells whether a session passes.</summary>
    /// <param name="summary">The session.</param>
    /// <returns><see langword="true"/> when it does.</returns>
    public bool Matches(SessionSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var day = summary.Started is { } started ? DateOnly.FromDateTime(started.UtcDateTime) : (DateOnly?)null;
        return (Store is null || summary.Store == Store) && (Agent is null || summary.Agent == Agent) && (Model is null || summary.Model == Model)
            && (From is null || (day is { } first && first >= From)) && (To is null || (day is { } last && last <= To));
    }
}

/// <summary>Represents many sessions summed up: totals, a series per day, preservation outcomes and the memory files used
/// most. Every figure is a sum of the sessions' summaries, so it agrees with their records exactly.</summary>
public sealed class SessionOverview
{
    /// <summary>The decimal places of a dollar costs are written with.</summary>
    public const int MoneyDecimals = 4;

    private SessionOverview(IReadOnlyList<SessionSummary> sessions, SessionSummary totals)
    {
        Sessions = sessions;
        Totals = totals;
    }

    /// <summary>Gets the sessions covered, newest first.</summary>
    public IReadOnlyList<SessionSummary> Sessions { get; }

    /// <summary>Gets their totals, as one summary (its id is <c>total</c>; its files are every file, summed).</summary>
    public SessionSummary Totals { get; }

    /// <summary>Gets the stores, agents and models among all sessions given (before filtering), for a filter's choices.</summary>
    public (IReadOnlyList<string> Stores, IReadOnlyList<string> Agents, IReadOnlyList<string> Models) Choices { get; private init; } = ([], [], []);

    /// <summary>Sums sessions up.</summary>
    /// <param name="sessions">Every session.</param>
    /// <param name="filter">Which to cover; all when <see langword="null"/>.</param>
    /// <returns>The overview.</returns>
    public static SessionOverview Create(IEnumerable<SessionSummary> sessions, SessionFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        var all = sessions as IReadOnlyList<SessionSummary> ?? [.. sessions];
        var covered = all.Where(summary => filter is null || filter.Matches(summary))
            .OrderByDescending(summary => summary.Started ?? DateTimeOffset.MinValue).ThenBy(summary => summary.Session, StringComparer.Ordinal).ToList();
        var files = new Dictionary<string, SessionFile>(StringComparer.Ordinal);
        foreach (var file in covered.SelectMany(summary => summary.Files))
        {
            if (!files.TryGetValue(file.Path, out var sum))
            {
                files[file.Path] = sum = new SessionFile(file.Path);
            }

            sum.Reads += file.Reads;
            sum.Writes += file.Writes;
            sum.Bytes = Math.Max(sum.Bytes, file.Bytes);
        }

        var totals = Sum("total", covered) with { Files = [.. files.Values.OrderBy(file => file.Path, StringComparer.Ordinal)] };
        return new SessionOverview(covered, totals)
        {
            Choices = (Distinct(all, summary => summary.Store), Distinct(all, summary => summary.Agent), Distinct(all, summary => summary.Model)),
        };
    }

    /// <summary>Gets the covered sessions summed per day (UTC) they began on, oldest first.</summary>
    /// <returns>The days and their sums; sessions with no start time are left out.</returns>
    public IReadOnlyList<(DateOnly Day, SessionSummary Sum, int Sessions)> Days() =>
        [.. Sessions.Where(summary => summary.Started is not null)
            .GroupBy(summary => DateOnly.FromDateTime(summary.Started!.Value.UtcDateTime))
            .OrderBy(group => group.Key)
            .Select(group => (group.Key, Sum(group.Key.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), [.. group]), group.Count()))];

    /// <summary>Writes the overview as JSON: <c>totals</c>, <c>days</c>, <c>sessions</c> (at most <paramref name="maxSessions"/>,
    /// newest first), <c>largest_files</c> and <c>most_read_files</c> (ten each), and <c>choices</c>. Costs are rounded to
    /// four decimal places (of a dollar), away from zero, as the dashboard shows them.</summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="maxSessions">How many sessions to list.</param>
    public void WriteTo(Utf8JsonWriter writer, int maxSessions = 200)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteNumber("session_count"u8, Sessions.Count);
        if (Totals.SaveCount > 0 && Totals.SaveSeconds / Totals.SaveCount is var mean && double.IsFinite(mean) && Math.Abs(mean) < 1e15)
        {
            // The mean of the approaches' warning-to-save seconds, to two places as shown.
            writer.WriteNumber("mean_seconds_to_save"u8, Math.Round((decimal)Totals.SaveSeconds / Totals.SaveCount, 2, MidpointRounding.AwayFromZero));
        }
        else
        {
            writer.WriteNull("mean_seconds_to_save"u8);
        }

        writer.WritePropertyName("totals"u8);
        (Totals with { Files = [] }).WriteTo(writer, MoneyDecimals);
        writer.WriteStartArray("days"u8);
        foreach (var (day, sum, count) in Days())
        {
            writer.WriteStartObject();
            writer.WriteString("day"u8, day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            writer.WriteNumber("sessions"u8, count);
            writer.WriteNumber("requests"u8, sum.Requests);
            writer.WriteNumber("input_tokens"u8, sum.InputTokens);
            writer.WriteNumber("saved_tokens"u8, sum.SavedTokens);
            writer.WriteNumber("cost_usd"u8, SessionSummary.Money(sum.Cost, MoneyDecimals));
            writer.WriteNumber("saved_cost_usd"u8, SessionSummary.Money(sum.SavedCost, MoneyDecimals));
            writer.WriteNumber("clearings"u8, sum.Clearings);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("sessions"u8);
        foreach (var summary in Sessions.Take(maxSessions))
        {
            (summary with { Files = [] }).WriteTo(writer, MoneyDecimals);
        }

        writer.WriteEndArray();
        WriteFiles(writer, "largest_files"u8, Totals.Files.OrderByDescending(file => file.Bytes).ThenBy(file => file.Path, StringComparer.Ordinal));
        WriteFiles(writer, "most_read_files"u8, Totals.Files.Where(file => file.Reads > 0).OrderByDescending(file => file.Reads).ThenBy(file => file.Path, StringComparer.Ordinal));
        writer.WriteStartObject("choices"u8);
        WriteStrings(writer, "stores"u8, Choices.Stores);
        WriteStrings(writer, "agents"u8, Choices.Agents);
        WriteStrings(writer, "models"u8, Choices.Models);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static SessionSummary Sum(string id, IReadOnlyList<SessionSummary> sessions) => new(id)
    {
        Requests = sessions.Sum(s => s.Requests),
        InputTokens = sessions.Sum(s => s.InputTokens),
        OutputTokens = sessions.Sum(s => s.OutputTokens),
        CacheReadTokens = sessions.Sum(s => s.CacheReadTokens),
        CacheWriteTokens = sessions.Sum(s => s.CacheWriteTokens),
        Cost = sessions.Sum(s => s.Cost),
        SavedTokens = sessions.Sum(s => s.SavedTokens),
        SavedCost = sessions.Sum(s => s.SavedCost),
        Clearings = sessions.Sum(s => s.Clearings),
        ClearedToolUses = sessions.Sum(s => s.ClearedToolUses),
        Compactions = sessions.Sum(s => s.Compactions),
        Warnings = sessions.Sum(s => s.Warnings),
        Preserved = sessions.Sum(s => s.Preserved),
        NotPreserved = sessions.Sum(s => s.NotPreserved),
        NotWarned = sessions.Sum(s => s.NotWarned),
        SaveSeconds = sessions.Sum(s => s.SaveSeconds),
        SaveCount = sessions.Sum(s => s.SaveCount),
        Reacquisitions = sessions.Sum(s => s.Reacquisitions),
        Recalls = sessions.Sum(s => s.Recalls),
        ToolCalls = sessions.Sum(s => s.ToolCalls),
        ToolErrors = sessions.Sum(s => s.ToolErrors),
        MemoryWrites = sessions.Sum(s => s.MemoryWrites),
        MemoryReads = sessions.Sum(s => s.MemoryReads),
        SkippedLines = sessions.Sum(s => s.SkippedLines),
        Bytes = sessions.Sum(s => s.Bytes),
    };

    private static string[] Distinct(IEnumerable<SessionSummary> sessions, Func<SessionSummary, string?> value) =>
        [.. sessions.Select(value).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    private static void WriteFiles(Utf8JsonWriter writer, ReadOnlySpan<byte> name, IEnumerable<SessionFile> files)
    {
        writer.WriteStartArray(name);
        foreach (var file in files.Take(10))
        {
            file.WriteTo(writer);
        }

        writer.WriteEndArray();
    }

    private static void WriteStrings(Utf8JsonWriter writer, ReadOnlySpan<byte> name, IReadOnlyList<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }
}
