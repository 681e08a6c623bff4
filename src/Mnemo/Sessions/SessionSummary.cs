using System.Globalization;
using System.Text.Json;

namespace Mnemo.Sessions;

/// <summary>Represents one session summed up: a line of its store's index, and a row of the dashboard's overview.</summary>
/// <param name="Session">The session's id.</param>
public sealed partial record SessionSummary(string Session)
{
    /// <summary>Gets the agent's name.</summary>
    public string? Agent { get; init; }

    /// <summary>Gets the model.</summary>
    public string? Model { get; init; }

    /// <summary>Gets the memory store.</summary>
    public string? Store { get; init; }

    /// <summary>Gets the source: <c>live</c> or <c>replay</c>.</summary>
    public string Source { get; init; } = SessionRecords.Live;

    /// <summary>Gets when it began.</summary>
    public DateTimeOffset? Started { get; init; }

    /// <summary>Gets when its last run ended.</summary>
    public DateTimeOffset? Ended { get; init; }

    /// <summary>Gets how its last run ended.</summary>
    public string? Stop { get; init; }

    /// <summary>Gets the requests sent.</summary>
    public int Requests { get; init; }

    /// <summary>Gets the input tokens billed, cache reads and writes included.</summary>
    public long InputTokens { get; init; }

    /// <summary>Gets the output tokens.</summary>
    public long OutputTokens { get; init; }

    /// <summary>Gets the input tokens read from the prompt cache.</summary>
    public long CacheReadTokens { get; init; }

    /// <summary>Gets the input tokens written to the prompt cache.</summary>
    public long CacheWriteTokens { get; init; }

    /// <summary>Gets the cost at list prices, compactions' own requests included, in US dollars.</summary>
    public decimal Cost { get; init; }

    /// <summary>Gets the input tokens context editing saved against no editing.</summary>
    public long SavedTokens { get; init; }

    /// <summary>Gets the cost context editing saved against no editing, in US dollars.</summary>
    public decimal SavedCost { get; init; }

    /// <summary>Gets the clearings.</summary>
    public int Clearings { get; init; }

    /// <summary>Gets the tool uses cleared.</summary>
    public int ClearedToolUses { get; init; }

    /// <summary>Gets the compactions that succeeded.</summary>
    public int Compactions { get; init; }

    /// <summary>Gets the warnings given.</summary>
    public int Warnings { get; init; }

    /// <summary>Gets the approaches where the model was warned and saved first.</summary>
    public int Preserved { get; init; }

    /// <summary>Gets the approaches where it was warned and saved nothing.</summary>
    public int NotPreserved { get; init; }

    /// <summary>Gets the approaches with no warning.</summary>
    public int NotWarned { get; init; }

    /// <summary>Gets the seconds from warning to first save, summed over the approaches that had both.</summary>
    public double SaveSeconds { get; init; }

    /// <summary>Gets the approaches that had a warning and a save.</summary>
    public int SaveCount { get; init; }

    /// <summary>Gets the calls that ran a tool again for what a clearing took.</summary>
    public int Reacquisitions { get; init; }

    /// <summary>Gets the results brought back from the archive by <c>recall</c>.</summary>
    public int Recalls { get; init; }

    /// <summary>Gets the tool calls.</summary>
    public int ToolCalls { get; init; }

    /// <summary>Gets the tool calls that ended in an error.</summary>
    public int ToolErrors { get; init; }

    /// <summary>Gets the memory writes.</summary>
    public int MemoryWrites { get; init; }

    /// <summary>Gets the memory views.</summary>
    public int MemoryReads { get; init; }

    /// <summary>Gets the memory files used, by path.</summary>
    public IReadOnlyList<SessionFile> Files { get; init; } = [];

    /// <summary>Gets the record's lines that could not be read.</summary>
    public int SkippedLines { get; init; }

    /// <summary>Gets the size of the record this summary was made from, in bytes: the index is out of date for a session
    /// whose record has grown since.</summary>
    public long Bytes { get; init; }

    /// <summary>Writes the summary as one JSON object.</summary>
    /// <param name="writer">Where to write.</param>
    public void WriteTo(Utf8JsonWriter writer) => WriteTo(writer, null);

    /// <summary>Writes the summary, its costs rounded to <paramref name="moneyDecimals"/> places when given (as a page shows them).</summary>
    internal void WriteTo(Utf8JsonWriter writer, int? moneyDecimals)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("session"u8, Session);
        Optional(writer, "agent"u8, Agent);
        Optional(writer, "model"u8, Model);
        Optional(writer, "store"u8, Store);
        writer.WriteString("source"u8, Source);
        Optional(writer, "started"u8, Started?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        Optional(writer, "ended"u8, Ended?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        Optional(writer, "stop"u8, Stop);
        writer.WriteNumber("requests"u8, Requests);
        writer.WriteNumber("input_tokens"u8, InputTokens);
        writer.WriteNumber("output_tokens"u8, OutputTokens);
        writer.WriteNumber("cache_read_tokens"u8, CacheReadTokens);
        writer.WriteNumber("cache_write_tokens"u8, CacheWriteTokens);
        writer.WriteNumber("cost_usd"u8, Money(Cost, moneyDecimals));
        writer.WriteNumber("saved_tokens"u8, SavedTokens);
        writer.WriteNumber("saved_cost_usd"u8, Money(SavedCost, moneyDecimals));
        writer.WriteNumber("clearings"u8, Clearings);
        writer.WriteNumber("cleared_tool_uses"u8, ClearedToolUses);
        writer.WriteNumber("compactions"u8, Compactions);
        writer.WriteNumber("warnings"u8, Warnings);
        writer.WriteNumber("preserved"u8, Preserved);
        writer.WriteNumber("not_preserved"u8, NotPreserved);
        writer.WriteNumber("not_warned"u8, NotWarned);
        writer.WriteNumber("save_seconds"u8, SaveSeconds);
        writer.WriteNumber("save_count"u8, SaveCount);
        writer.WriteNumber("reacquisitions"u8, Reacquisitions);
        writer.WriteNumber("recalls"u8, Recalls);
        writer.WriteNumber("tool_calls"u8, ToolCalls);
        writer.WriteNumber("tool_errors"u8, ToolErrors);
        writer.WriteNumber("memory_writes"u8, MemoryWrites);
        writer.WriteNumber("memory_reads"u8, MemoryReads);
        writer.WriteStartArray("files"u8);
        foreach (var file in Files)
        {
            file.WriteTo(writer);
        }

        writer.WriteEndArray();
        writer.WriteNumber("skipped_lines"u8, SkippedLines);
        writer.WriteNumber("bytes"u8, Bytes);
        writer.WriteEndObject();
    }

    /// <summary>Reads a summary written by <see cref="WriteTo(Utf8JsonWriter)"/>.</summary>
    /// <param name="json">The object.</param>
    /// <returns>The summary; <see langword="null"/> when the object names no valid session.</returns>
    public static SessionSummary? Read(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object || SessionRecords.String(json, "session") is not { } session || !SessionRecords.IsValidId(session))
        {
            return null;
        }

        var files = new List<SessionFile>();
        if (json.TryGetProperty("files", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var file in list.EnumerateArray())
            {
                if (file.ValueKind == JsonValueKind.Object && SessionRecords.String(file, "path") is { } path)
                {
                    files.Add(new SessionFile(path)
                    {
                        Reads = (int)SessionRecords.Long(file, "reads"),
                        Writes = (int)SessionRecords.Long(file, "writes"),
                        Bytes = SessionRecords.Long(file, "bytes"),
                    });
                }
            }
        }

        return new SessionSummary(session)
        {
            Agent = SessionRecords.String(json, "agent"),
            Model = SessionRecords.String(json, "model"),
            Store = SessionRecords.String(json, "store"),
            Source = SessionRecords.String(json, "source") ?? SessionRecords.Live,
            Started = Time(json, "started"),
            Ended = Time(json, "ended"),
            Stop = SessionRecords.String(json, "stop"),
            Requests = (int)SessionRecords.Long(json, "requests"),
            InputTokens = SessionRecords.Long(json, "input_tokens"),
            OutputTokens = SessionRecords.Long(json, "output_tokens"),
            CacheReadTokens = SessionRecords.Long(json, "cache_read_tokens"),
            CacheWriteTokens = SessionRecords.Long(json, "cache_write_tokens"),
            Cost = Decimal(json, "cost_usd"),
            SavedTokens = SessionRecords.Long(json, "saved_tokens"),
            SavedCost = Decimal(json, "saved_cost_usd"),
            Clearings = (int)SessionRecords.Long(json, "clearings"),
            ClearedToolUses = (int)SessionRecords.Long(json, "cleared_tool_uses"),
            Compactions = (int)SessionRecords.Long(json, "compactions"),
            Warnings = (int)SessionRecords.Long(json, "warnings"),
            Preserved = (int)SessionRecords.Long(json, "preserved"),
            NotPreserved = (int)SessionRecords.Long(json, "not_preserved"),
            NotWarned = (int)SessionRecords.Long(json, "not_warned"),
            SaveSeconds = SessionRecords.OptionalDouble(json, "save_seconds") ?? 0,
            SaveCount = (int)SessionRecords.Long(json, "save_count"),
            Reacquisitions = (int)SessionRecords.Long(json, "reacquisitions"),
            Recalls = (int)SessionRecords.Long(json, "recalls"),
            ToolCalls = (int)SessionRecords.Long(json, "tool_calls"),
            ToolErrors = (int)SessionRecords.Long(json, "tool_errors"),
            MemoryWrites = (int)SessionRecords.Long(json, "memory_writes"),
            MemoryReads = (int)SessionRecords.Long(json, "memory_reads"),
            Files = files,
            SkippedLines = (int)SessionRecords.Long(json, "skipped_lines"),
            Bytes = SessionRecords.Long(json, "bytes"),
        };
    }

    internal static decimal Money(decimal value, int? decimals) =>
        decimals is { } places ? Math.Round(value, places, MidpointRounding.AwayFromZero) : value;

    private static void Optional(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static DateTimeOffset? Time(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out var time) ? time : null;

    private static decimal Decimal(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var number) && SessionRecords.Plausible(number) ? number : 0m;
}
