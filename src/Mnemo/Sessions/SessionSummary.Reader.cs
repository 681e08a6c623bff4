using System.Text.Json;

namespace Mnemo.Sessions;

/// <summary>Reads summaries as an index holds them, one JSON object per line, with a forward-only reader: an index of
/// 100,000 sessions is read in one pass, without a document per line.</summary>
public sealed partial record SessionSummary
{
    /// <summary>Reads a summary from one line of an index.</summary>
    /// <param name="line">The line: one JSON object, as <see cref="WriteTo(Utf8JsonWriter)"/> writes it.</param>
    /// <returns>The summary; <see langword="null"/> when the line is not one (damaged, cut off, or naming no valid session).</returns>
    public static SessionSummary? ReadLine(ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            return Read(ref reader);
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private static SessionSummary? Read(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        string? session = null, agent = null, model = null, store = null, source = null, stop = null;
        DateTimeOffset? started = null, ended = null;
        var numbers = new long[Fields.Length];
        decimal cost = 0, savedCost = 0;
        double saveSeconds = 0;
        List<SessionFile> files = [];
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueSpan;
            reader.Read();
            if (reader.TokenType == JsonTokenType.Null)
            {
                continue;
            }

            if (name.SequenceEqual("session"u8))
            {
                session = reader.GetString();
            }
            else if (name.SequenceEqual("agent"u8))
            {
                agent = reader.GetString();
            }
            else if (name.SequenceEqual("model"u8))
            {
                model = reader.GetString();
            }
            else if (name.SequenceEqual("store"u8))
            {
                store = reader.GetString();
            }
            else if (name.SequenceEqual("source"u8))
            {
                source = reader.GetString();
            }
            else if (name.SequenceEqual("stop"u8))
            {
                stop = reader.GetString();
            }
            else if (name.SequenceEqual("started"u8))
            {
                started = reader.GetDateTimeOffset();
            }
            else if (name.SequenceEqual("ended"u8))
            {
                ended = reader.GetDateTimeOffset();
            }
            else if (name.SequenceEqual("cost_usd"u8))
            {
                cost = reader.GetDecimal();
                if (!SessionRecords.Plausible(cost))
                {
                    return null;
                }
            }
            else if (name.SequenceEqual("saved_cost_usd"u8))
            {
                savedCost = reader.GetDecimal();
                if (!SessionRecords.Plausible(savedCost))
                {
                    return null;
                }
            }
            else if (name.SequenceEqual("save_seconds"u8))
            {
                saveSeconds = reader.GetDouble();
                if (!double.IsFinite(saveSeconds))
                {
                    return null;
                }
            }
            else if (name.SequenceEqual("files"u8) && reader.TokenType == JsonTokenType.StartArray)
            {
                ReadFiles(ref reader, files);
            }
            else if (FieldIndex(name) is var index and >= 0 && reader.TokenType == JsonTokenType.Number)
            {
                numbers[index] = reader.GetInt64();
                if (!SessionRecords.Plausible(numbers[index]))
                {
                    return null;
                }
            }
            else
            {
                reader.Skip();
            }
        }

        if (!SessionRecords.IsValidId(session))
        {
            return null;
        }

        long N(string field) => numbers[Array.IndexOf(Fields, field)];
        return new SessionSummary(session!)
        {
            Agent = agent,
            Model = model,
            Store = store,
            Source = source ?? SessionRecords.Live,
            Started = started,
            Ended = ended,
            Stop = stop,
            Requests = (int)N("requests"),
            InputTokens = N("input_tokens"),
            OutputTokens = N("output_tokens"),
            CacheReadTokens = N("cache_read_tokens"),
            CacheWriteTokens = N("cache_write_tokens"),
            Cost = cost,
            SavedTokens = N("saved_tokens"),
            SavedCost = savedCost,
            Clearings = (int)N("clearings"),
            ClearedToolUses = (int)N("cleared_tool_uses"),
            Compactions = (int)N("compactions"),
            Warnings = (int)N("warnings"),
            Preserved = (int)N("preserved"),
            NotPreserved = (int)N("not_preserved"),
            NotWarned = (int)N("not_warned"),
            SaveSeconds = saveSeconds,
            SaveCount = (int)N("save_count"),
            Reacquisitions = (int)N("reacquisitions"),
            Recalls = (int)N("recalls"),
            ToolCalls = (int)N("tool_calls"),
            ToolErrors = (int)N("tool_errors"),
            MemoryWrites = (int)N("memory_writes"),
            MemoryReads = (int)N("memory_reads"),
            Files = files,
            SkippedLines = (int)N("skipped_lines"),
            Bytes = N("bytes"),
        };
    }

    private static readonly string[] Fields =
    [
        "requests", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "saved_tokens", "clearings",
        "cleared_tool_uses", "compactions", "warnings", "preserved", "not_preserved", "not_warned", "save_count", "reacquisitions",
        "recalls", "tool_calls", "tool_errors", "memory_writes", "memory_reads", "skipped_lines", "bytes",
    ];

    private static readonly byte[][] FieldBytes = [.. Fields.Select(System.Text.Encoding.UTF8.GetBytes)];

    private static int FieldIndex(ReadOnlySpan<byte> name)
    {
        for (var i = 0; i < FieldBytes.Length; i++)
        {
            if (name.SequenceEqual(FieldBytes[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static void ReadFiles(ref Utf8JsonReader reader, List<SessionFile> files)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            string? path = null;
            long reads = 0, writes = 0, bytes = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                reader.Read();
                if (name.SequenceEqual("path"u8) && reader.TokenType == JsonTokenType.String)
                {
                    path = reader.GetString();
                }
                else if (reader.TokenType == JsonTokenType.Number)
                {
                    var value = reader.GetInt64();
                    value = SessionRecords.Plausible(value) ? value : 0;
                    reads = name.SequenceEqual("reads"u8) ? value : reads;
                    writes = name.SequenceEqual("writes"u8) ? value : writes;
                    bytes = name.SequenceEqual("bytes"u8) ? value : bytes;
                }
                else
                {
                    reader.Skip();
                }
            }

            if (path is not null)
            {
                files.Add(new SessionFile(path) { Reads = (int)reads, Writes = (int)writes, Bytes = bytes });
            }
        }
    }
}
