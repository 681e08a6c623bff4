using System.Text.Json;
using Mnemo.Context;

namespace Mnemo.Sessions;

/// <summary>Represents one request of a recorded session, with what editing did to it and what it cost.</summary>
/// <param name="Number">The request's number, from 1.</param>
/// <param name="At">When it was sent.</param>
public sealed record SessionRequest(int Number, DateTimeOffset At)
{
    /// <summary>Gets the messages it held.</summary>
    public int Messages { get; internal set; }

    /// <summary>Gets its input tokens as projected before editing.</summary>
    public long ProjectedTokens { get; internal set; }

    /// <summary>Gets its usage as billed; <see langword="null"/> when no response was recorded.</summary>
    public SessionUsage? Usage { get; internal set; }

    /// <summary>Gets what it would have used without editing, when the record knows it exactly (a replay).</summary>
    public SessionUsage? Baseline { get; internal set; }

    /// <summary>Gets the input tokens editing removed from it.</summary>
    public long ClearedInputTokens { get; internal set; }

    /// <summary>Gets the tool uses it cleared for the first time.</summary>
    public int ClearedToolUses { get; internal set; }

    /// <summary>Gets whether it went with a warning to save.</summary>
    public bool Warned { get; internal set; }

    /// <summary>Gets whether the older context was compacted on it.</summary>
    public bool Compacted { get; internal set; }

    /// <summary>Gets what it cost at list prices, in US dollars.</summary>
    public decimal Cost { get; internal set; }

    /// <summary>Gets the input tokens editing saved on it: exactly, against <see cref="Baseline"/>, when known; else the
    /// tokens it cleared.</summary>
    public long SavedTokens { get; internal set; }

    /// <summary>Gets the cost editing saved on it: exactly, against <see cref="Baseline"/>, when known; else the cleared
    /// tokens at the request's own blended input price (what its billed input cost per token).</summary>
    public decimal SavedCost { get; internal set; }
}

/// <summary>Represents a memory file as one session used it.</summary>
/// <param name="Path">The file.</param>
public sealed record SessionFile(string Path)
{
    /// <summary>Gets how many times the session viewed it.</summary>
    public int Reads { get; internal set; }

    /// <summary>Gets how many times it wrote it (create, str_replace, insert, and a rename to it).</summary>
    public int Writes { get; internal set; }

    /// <summary>Gets the largest size recorded of it: the text written or the view's result, in bytes.</summary>
    public long Bytes { get; internal set; }

    /// <summary>Writes the file as one JSON object: <c>path</c>, <c>reads</c>, <c>writes</c>, <c>bytes</c>.</summary>
    /// <param name="writer">Where to write.</param>
    public void WriteTo(System.Text.Json.Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("path"u8, Path);
        writer.WriteNumber("reads"u8, Reads);
        writer.WriteNumber("writes"u8, Writes);
        writer.WriteNumber("bytes"u8, Bytes);
        writer.WriteEndObject();
    }
}

/// <summary>Represents one session's record read back: each request, each approach to a clearing, the memory files used,
/// and the lines that could not be read.</summary>
public sealed class SessionLog
{
    private readonly Dictionary<int, SessionRequest> _requests = [];
    private readonly Dictionary<string, SessionFile> _files = new(StringComparer.Ordinal);
    private readonly List<SessionPreservation> _preservations = [];
    private readonly List<(int Request, string Tool, bool Recalled)> _reacquisitions = [];

    private SessionLog(string session)
    {
        Session = session;
    }

    /// <summary>Gets the session's id.</summary>
    public string Session { get; }

    /// <summary>Gets what the record's first line says of the session.</summary>
    public SessionInfo Info { get; private set; } = new();

    /// <summary>Gets when the session began: its first line's time.</summary>
    public DateTimeOffset? Started { get; private set; }

    /// <summary>Gets when its last run ended; <see langword="null"/> while it runs, or if it stopped without saying.</summary>
    public DateTimeOffset? Ended { get; private set; }

    /// <summary>Gets how its last run ended.</summary>
    public string? Stop { get; private set; }

    /// <summary>Gets its requests, in order.</summary>
    public IReadOnlyList<SessionRequest> Requests => [.. _requests.Values.OrderBy(request => request.Number)];

    /// <summary>Gets how each approach to a clearing ended, in order.</summary>
    public IReadOnlyList<SessionPreservation> Preservations => _preservations;

    /// <summary>Gets the calls that fetched again what a clearing took (<c>Recalled</c>: through <c>recall</c>).</summary>
    public IReadOnlyList<(int Request, string Tool, bool Recalled)> Reacquisitions => _reacquisitions;

    /// <summary>Gets the memory files the session used, by path.</summary>
    public IReadOnlyCollection<SessionFile> Files => _files.Values;

    /// <summary>Gets the tool calls it made.</summary>
    public int ToolCalls { get; private set; }

    /// <summary>Gets the tool calls whose result was an error.</summary>
    public int ToolErrors { get; private set; }

    /// <summary>Gets the clearings: requests that cleared tool uses for the first time.</summary>
    public int Clearings { get; private set; }

    /// <summary>Gets the compactions that succeeded.</summary>
    public int Compactions { get; private set; }

    /// <summary>Gets the warnings given.</summary>
    public int Warnings { get; private set; }

    /// <summary>Gets the memory writes that succeeded.</summary>
    public int MemoryWrites { get; private set; }

    /// <summary>Gets the memory views that succeeded.</summary>
    public int MemoryReads { get; private set; }

    /// <summary>Gets the cost of the compactions' own requests, in US dollars.</summary>
    public decimal CompactionCost { get; private set; }

    /// <summary>Gets the lines that were not JSON objects with a <c>type</c> (malformed or cut off): counted, skipped.</summary>
    public int SkippedLines { get; private set; }

    /// <summary>Gets the record's size in bytes.</summary>
    public long Bytes { get; private set; }

    /// <summary>Reads a session's record.</summary>
    /// <param name="session">The session's id.</param>
    /// <param name="record">The record's bytes: JSON lines.</param>
    /// <returns>The session; a record with no readable line gives an empty one, its lines counted as skipped.</returns>
    public static SessionLog Read(string session, ReadOnlySpan<byte> record)
    {
        var log = new SessionLog(session) { Bytes = record.Length };
        while (!record.IsEmpty)
        {
            var end = record.IndexOf((byte)'\n');
            var line = end < 0 ? record : record[..end];
            record = end < 0 ? [] : record[(end + 1)..];
            if (line.Trim(" \t\r"u8).IsEmpty)
            {
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(line.ToArray());
                if (document.RootElement.ValueKind != JsonValueKind.Object || SessionRecords.String(document.RootElement, "type") is not { } type)
                {
                    log.SkippedLines++;
                    continue;
                }

                log.Add(type, document.RootElement);
            }
            catch (Exception exception) when (exception is JsonException or FormatException or InvalidOperationException)
            {
                log.SkippedLines++;
            }
        }

        log.Price();
        return log;
    }

    /// <summary>Sums the session up, as its store's index keeps it.</summary>
    /// <returns>The summary.</returns>
    public SessionSummary Summarize()
    {
        var requests = Requests;
        var saves = _preservations.Where(record => record.SecondsToSave is not null).Select(record => record.SecondsToSave!.Value).ToList();
        return new SessionSummary(Session)
        {
            Agent = Info.Agent,
            Model = Info.Model,
            Store = Info.Store,
            Source = Info.Source,
            Started = Started,
            Ended = Ended,
            Stop = Stop,
            Requests = requests.Count,
            InputTokens = requests.Sum(request => request.Usage?.BilledInputTokens ?? 0),
            OutputTokens = requests.Sum(request => request.Usage?.OutputTokens ?? 0),
            CacheReadTokens = requests.Sum(request => request.Usage?.CacheReadTokens ?? 0),
            CacheWriteTokens = requests.Sum(request => request.Usage?.CacheWriteTokens ?? 0),
            Cost = requests.Sum(request => request.Cost) + CompactionCost,
            SavedTokens = requests.Sum(request => request.SavedTokens),
            SavedCost = requests.Sum(request => request.SavedCost),
            Clearings = Clearings,
            ClearedToolUses = requests.Sum(request => request.ClearedToolUses),
            Compactions = Compactions,
            Warnings = Warnings,
            Preserved = _preservations.Count(record => record.Outcome == "preserved"),
            NotPreserved = _preservations.Count(record => record.Outcome == "not_preserved"),
            NotWarned = _preservations.Count(record => record.Outcome == "not_warned"),
            SaveSeconds = saves.Sum(),
            SaveCount = saves.Count,
            Reacquisitions = _reacquisitions.Count(again => !again.Recalled),
            Recalls = _reacquisitions.Count(again => again.Recalled),
            ToolCalls = ToolCalls,
            ToolErrors = ToolErrors,
            MemoryWrites = MemoryWrites,
            MemoryReads = MemoryReads,
            Files = [.. _files.Values.OrderBy(file => file.Path, StringComparer.Ordinal)],
            SkippedLines = SkippedLines,
            Bytes = Bytes,
        };
    }

    private SessionRequest RequestOf(JsonElement line, DateTimeOffset at)
    {
        var number = (int)SessionRecords.Long(line, "request");
        if (!_requests.TryGetValue(number, out var request))
        {
            _requests[number] = request = new SessionRequest(number, at);
        }

        return request;
    }

    private void Add(string type, JsonElement line)
    {
        var at = line.TryGetProperty("at", out var time) && time.ValueKind == JsonValueKind.String && time.TryGetDateTimeOffset(out var parsed)
            ? parsed
            : Started ?? DateTimeOffset.UnixEpoch;
        switch (type)
        {
            case "start":
                Started ??= at;
                Info = new SessionInfo
                {
                    Agent = SessionRecords.String(line, "agent"),
                    Model = SessionRecords.String(line, "model"),
                    Store = SessionRecords.String(line, "store"),
                    Source = SessionRecords.String(line, "source") ?? SessionRecords.Live,
                    Side = SessionRecords.String(line, "side"),
                    TriggerTokens = SessionRecords.OptionalLong(line, "trigger_tokens"),
                    WarningTokens = SessionRecords.OptionalLong(line, "warning_tokens"),
                };
                break;
            case "request":
                var sent = RequestOf(line, at);
                sent.Messages = (int)SessionRecords.Long(line, "messages");
                sent.ProjectedTokens = SessionRecords.Long(line, "projected_tokens");
                break;
            case "response":
                var answered = RequestOf(line, at);
                answered.Usage = SessionUsage.Read(line);
                answered.Baseline = line.TryGetProperty("baseline", out var baseline) && baseline.ValueKind == JsonValueKind.Object ? SessionUsage.Read(baseline) : null;
                break;
            case "clearing":
                var cleared = RequestOf(line, at);
                cleared.ClearedInputTokens += SessionRecords.Long(line, "cleared_input_tokens");
                var newly = (int)SessionRecords.Long(line, "cleared_tool_uses");
                cleared.ClearedToolUses += newly;
                Clearings += newly > 0 ? 1 : 0;
                break;
            case "compaction":
                var compacted = RequestOf(line, at);
                var succeeded = SessionRecords.Bool(line, "succeeded");
                compacted.Compacted |= succeeded;
                Compactions += succeeded ? 1 : 0;
                var usage = SessionUsage.Read(line);
                CompactionCost += Prices.Cost(usage.InputTokens, usage.OutputTokens, usage.CacheReadTokens, usage.CacheWriteTokens);
                break;
            case "warning":
                RequestOf(line, at).Warned = true;
                Warnings++;
                break;
            case "preservation":
                _preservations.Add(new SessionPreservation(
                    SessionRecords.String(line, "outcome") ?? "not_warned",
                    (int?)SessionRecords.OptionalLong(line, "warned_request"),
                    (int)SessionRecords.Long(line, "saves"),
                    SessionRecords.OptionalDouble(line, "seconds_to_save"),
                    (int)SessionRecords.Long(line, "covered"),
                    (int)SessionRecords.Long(line, "not_covered"),
                    SessionRecords.Bool(line, "compaction")));
                break;
            case "tool":
                ToolCalls++;
                ToolErrors += SessionRecords.Bool(line, "error") ? 1 : 0;
                break;
            case "memory":
                AddMemory(line);
                break;
            case "reacquisition":
                _reacquisitions.Add(((int)SessionRecords.Long(line, "request"), SessionRecords.String(line, "tool") ?? string.Empty, SessionRecords.Bool(line, "recalled")));
                break;
            case "end":
                Ended = at;
                Stop = SessionRecords.String(line, "stop");
                break;
        }
    }

    private void AddMemory(JsonElement line)
    {
        if (SessionRecords.String(line, "command") is not { } command || SessionRecords.String(line, "path") is not { } path)
        {
            SkippedLines++;
            return;
        }

        var bytes = SessionRecords.Long(line, "bytes");
        if (command == "view")
        {
            MemoryReads++;
            if (SessionRecords.Bool(line, "directory"))
            {
                // A folder's listing is a read, but no file's.
                return;
            }

            var read = File(path);
            read.Reads++;
            read.Bytes = Math.Max(read.Bytes, bytes);
            return;
        }

        MemoryWrites++;
        var target = command == "rename" && SessionRecords.String(line, "new_path") is { } renamed ? renamed : path;
        if (command is not "delete")
        {
            var written = File(target);
            written.Writes++;
            written.Bytes = Math.Max(written.Bytes, bytes);
        }
    }

    private SessionFile File(string path)
    {
        if (!_files.TryGetValue(path, out var file))
        {
            _files[path] = file = new SessionFile(path);
        }

        return file;
    }

    private ModelPrices Prices => ClaudeModels.Find(Info.Model).Model.Prices;

    /// <summary>Prices each request, and what editing saved on it.</summary>
    private void Price()
    {
        var prices = Prices;
        foreach (var request in _requests.Values)
        {
            if (request.Usage is not { } usage)
            {
                continue;
            }

            request.Cost = Cost(prices, usage);
            if (request.Baseline is { } baseline)
            {
                request.SavedTokens = baseline.BilledInputTokens - usage.BilledInputTokens;
                request.SavedCost = Cost(prices, baseline) - request.Cost;
            }
            else if (request.ClearedInputTokens > 0 && usage.BilledInputTokens > 0)
            {
                var inputCost = Cost(prices, usage with { OutputTokens = 0 });
                request.SavedTokens = request.ClearedInputTokens;
                request.SavedCost = inputCost * request.ClearedInputTokens / usage.BilledInputTokens;
            }
        }
    }

    private static decimal Cost(ModelPrices prices, SessionUsage usage) =>
        prices.Cost(usage.InputTokens, usage.OutputTokens, usage.CacheReadTokens, usage.CacheWriteTokens);
}
