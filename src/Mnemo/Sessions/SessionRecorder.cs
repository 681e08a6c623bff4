using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Mnemo.Sessions;

/// <summary>Describes a session whose record is written: who ran it, on what, and how its context was managed.</summary>
public sealed record SessionInfo
{
    /// <summary>Gets the agent's name, for the dashboard's filter.</summary>
    public string? Agent { get; init; }

    /// <summary>Gets the model requested.</summary>
    public string? Model { get; init; }

    /// <summary>Gets the memory store the session used, for the dashboard's filter.</summary>
    public string? Store { get; init; }

    /// <summary>Gets where the session comes from: <c>live</c> (an agent ran it) or <c>replay</c> (<c>mnemo context replay</c>).</summary>
    public string Source { get; init; } = SessionRecords.Live;

    /// <summary>Gets where context editing ran: <c>client</c>, <c>server</c>, or <see langword="null"/> without editing.</summary>
    public string? Side { get; init; }

    /// <summary>Gets the input tokens at which clearing or compaction starts; <see langword="null"/> without a trigger.</summary>
    public long? TriggerTokens { get; init; }

    /// <summary>Gets the input tokens at which the model is warned to save; <see langword="null"/> without a warning.</summary>
    public long? WarningTokens { get; init; }
}

/// <summary>Writes a session's record: one JSON line per event, kept in memory until <see cref="FlushAsync"/> appends them
/// to an <see cref="ISessionRecordStore"/>.</summary>
/// <remarks>
/// <para>The lines hold sizes, names, ids, token counts and times, never content: a memory write records its path and its
/// size, a tool call its name, id and result size. The format is documented in docs/dashboard.md; each line has
/// <c>type</c> and <c>at</c>, and every line of a request its <c>request</c> number.</para>
/// <para>Not thread-safe: a session's events come in order from its one flow.</para>
/// </remarks>
public sealed class SessionRecorder
{
    private static readonly JsonWriterOptions LineOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly ISessionRecordStore _store;
    private readonly TimeProvider _time;
    private readonly ArrayBufferWriter<byte> _pending = new();
    private readonly Utf8JsonWriter _writer;

    /// <summary>Initializes a new instance of the <see cref="SessionRecorder"/> class and writes the record's first line.</summary>
    /// <param name="store">Where the record goes.</param>
    /// <param name="info">What the session is.</param>
    /// <param name="session">The session's id; a new one (time and a random part) when <see langword="null"/>.</param>
    /// <param name="timeProvider">Where each line's time comes from; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="session"/> is not a valid id.</exception>
    public SessionRecorder(ISessionRecordStore store, SessionInfo info, string? session = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(info);
        _store = store;
        _time = timeProvider ?? TimeProvider.System;
        Session = session ?? SessionRecords.NewId(_time.GetUtcNow());
        SessionRecords.ThrowIfInvalidId(Session);
        _writer = new Utf8JsonWriter(_pending, LineOptions);
        Line("start", null);
        _writer.WriteString("session"u8, Session);
        String("agent"u8, info.Agent);
        String("model"u8, info.Model);
        String("store"u8, info.Store);
        _writer.WriteString("source"u8, info.Source);
        String("side"u8, info.Side);
        Number("trigger_tokens"u8, info.TriggerTokens);
        Number("warning_tokens"u8, info.WarningTokens);
        End();
    }

    /// <summary>Gets the session's id: its record's name in the store.</summary>
    public string Session { get; }

    /// <summary>Records a request about to be sent.</summary>
    /// <param name="request">Its number, from 1.</param>
    /// <param name="messages">The messages it holds.</param>
    /// <param name="projectedTokens">Its input tokens as projected before editing.</param>
    /// <param name="triggerRatio">How close it is to the trigger; <see langword="null"/> without one.</param>
    public void Request(int request, int messages, long projectedTokens, double? triggerRatio)
    {
        Line("request", request);
        _writer.WriteNumber("messages"u8, messages);
        _writer.WriteNumber("projected_tokens"u8, projectedTokens);
        if (triggerRatio is { } ratio)
        {
            _writer.WriteNumber("trigger_ratio"u8, Math.Round(ratio, 4));
        }

        End();
    }

    /// <summary>Records a response's usage, as the API billed it.</summary>
    /// <param name="request">The request's number.</param>
    /// <param name="stopReason">Why the model stopped.</param>
    /// <param name="usage">The usage.</param>
    /// <param name="baseline">What the same request would have cost without context editing, when known exactly (a replay
    /// knows it); <see langword="null"/> to leave it to the estimate (docs/dashboard.md).</param>
    public void Response(int request, string? stopReason, SessionUsage usage, SessionUsage? baseline = null)
    {
        ArgumentNullException.ThrowIfNull(usage);
        Line("response", request);
        String("stop_reason"u8, stopReason);
        usage.WriteTo(_writer);
        if (baseline is not null)
        {
            _writer.WriteStartObject("baseline"u8);
            baseline.WriteTo(_writer);
            _writer.WriteEndObject();
        }

        End();
    }

    /// <summary>Records a clearing: the context editing applied to a request that cleared tool uses or thinking.</summary>
    /// <param name="request">The request's number.</param>
    /// <param name="side">Where it ran: <c>client</c> or <c>server</c>.</param>
    /// <param name="clearedInputTokens">The input tokens the editing removed from the request.</param>
    /// <param name="clearedThinkingTurns">The thinking turns it cleared.</param>
    /// <param name="newlyCleared">The tool uses cleared for the first time by this request: tool name and call id.</param>
    public void Clearing(int request, string side, long clearedInputTokens, int clearedThinkingTurns, IReadOnlyList<(string Tool, string Id)> newlyCleared)
    {
        ArgumentNullException.ThrowIfNull(newlyCleared);
        Line("clearing", request);
        _writer.WriteString("side"u8, side);
        _writer.WriteNumber("cleared_input_tokens"u8, clearedInputTokens);
        _writer.WriteNumber("cleared_thinking_turns"u8, clearedThinkingTurns);
        _writer.WriteNumber("cleared_tool_uses"u8, newlyCleared.Count);
        _writer.WriteStartArray("tools"u8);
        foreach (var (tool, id) in newlyCleared)
        {
            _writer.WriteStartObject();
            _writer.WriteString("tool"u8, tool);
            _writer.WriteString("id"u8, id);
            _writer.WriteEndObject();
        }

        _writer.WriteEndArray();
        End();
    }

    /// <summary>Records a compaction: the older context summarised.</summary>
    /// <param name="request">The request it applied to.</param>
    /// <param name="side">Where it ran.</param>
    /// <param name="succeeded">Whether the summary was made.</param>
    /// <param name="tokensBefore">The request's input tokens before it, as projected.</param>
    /// <param name="usage">The compaction's own request: input and output tokens.</param>
    public void Compaction(int request, string side, bool succeeded, long tokensBefore, SessionUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        Line("compaction", request);
        _writer.WriteString("side"u8, side);
        _writer.WriteBoolean("succeeded"u8, succeeded);
        _writer.WriteNumber("tokens_before"u8, tokensBefore);
        usage.WriteTo(_writer);
        End();
    }

    /// <summary>Records the warning given because a clearing or compaction is near.</summary>
    /// <param name="request">The request it was added to.</param>
    /// <param name="projectedTokens">That request's projected input tokens.</param>
    /// <param name="triggerRatio">How close it is to the trigger.</param>
    /// <param name="compaction">Whether the trigger is compaction's.</param>
    public void Warning(int request, long projectedTokens, double triggerRatio, bool compaction)
    {
        Line("warning", request);
        _writer.WriteNumber("projected_tokens"u8, projectedTokens);
        _writer.WriteNumber("trigger_ratio"u8, Math.Round(triggerRatio, 4));
        _writer.WriteBoolean("compaction"u8, compaction);
        End();
    }

    /// <summary>Records the end of an approach to a clearing: whether the model saved to memory first.</summary>
    /// <param name="request">The request that cleared or compacted.</param>
    /// <param name="outcome">The outcome and its figures.</param>
    public void Preservation(int request, SessionPreservation outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        Line("preservation", request);
        _writer.WriteString("outcome"u8, outcome.Outcome);
        Number("warned_request"u8, outcome.WarnedRequest);
        _writer.WriteNumber("saves"u8, outcome.Saves);
        if (outcome.SecondsToSave is { } seconds)
        {
            _writer.WriteNumber("seconds_to_save"u8, Math.Round(seconds, 3));
        }

        _writer.WriteNumber("covered"u8, outcome.Covered);
        _writer.WriteNumber("not_covered"u8, outcome.NotCovered);
        _writer.WriteBoolean("compaction"u8, outcome.Compaction);
        End();
    }

    /// <summary>Records a tool call's result: its name, id and size, never its text.</summary>
    /// <param name="request">The number of the request whose response made the call.</param>
    /// <param name="id">The call's id.</param>
    /// <param name="tool">The tool's name.</param>
    /// <param name="isError">Whether the result is an error.</param>
    /// <param name="elapsed">How long it took.</param>
    /// <param name="resultBytes">The result's size in UTF-8 bytes.</param>
    public void Tool(int request, string id, string tool, bool isError, TimeSpan elapsed, long resultBytes)
    {
        Line("tool", request);
        _writer.WriteString("id"u8, id);
        _writer.WriteString("tool"u8, tool);
        _writer.WriteBoolean("error"u8, isError);
        _writer.WriteNumber("ms"u8, Math.Round(elapsed.TotalMilliseconds, 3));
        _writer.WriteNumber("result_bytes"u8, resultBytes);
        End();
    }

    /// <summary>Records a memory command that succeeded: its path and size, never the content.</summary>
    /// <param name="request">The number of the request whose response made the call.</param>
    /// <param name="command">The command: <c>view</c>, <c>create</c>, <c>str_replace</c>, <c>insert</c>, <c>delete</c>, <c>rename</c>.</param>
    /// <param name="path">The path it named (the old path of a rename).</param>
    /// <param name="newPath">A rename's new path; <see langword="null"/> otherwise.</param>
    /// <param name="bytes">The size: of the text written for a write, of the result for a view.</param>
    /// <param name="directory">Whether the path is a folder (a view that listed one).</param>
    public void Memory(int request, string command, string path, string? newPath, long bytes, bool directory = false)
    {
        Line("memory", request);
        _writer.WriteString("command"u8, command);
        _writer.WriteString("path"u8, path);
        String("new_path"u8, newPath);
        _writer.WriteNumber("bytes"u8, bytes);
        if (directory)
        {
            _writer.WriteBoolean("directory"u8, true);
        }

        End();
    }

    /// <summary>Records a call that fetched again what a clearing took, or a recall of it from the archive.</summary>
    /// <param name="request">The number of the request whose response made the call.</param>
    /// <param name="id">The call's id.</param>
    /// <param name="tool">The tool's name.</param>
    /// <param name="recalled">Whether it came back through <c>recall</c> rather than by running the tool again.</param>
    public void Reacquisition(int request, string id, string tool, bool recalled)
    {
        Line("reacquisition", request);
        _writer.WriteString("id"u8, id);
        _writer.WriteString("tool"u8, tool);
        _writer.WriteBoolean("recalled"u8, recalled);
        End();
    }

    /// <summary>Records the end of a run, with the session's totals so far as its own tally has them.</summary>
    /// <param name="request">The last request's number.</param>
    /// <param name="stop">How the run ended, such as <c>completed</c>, <c>max_turns</c> or <c>max_tokens</c>.</param>
    /// <param name="totals">The session's totals since it began; <see langword="null"/> to leave them out.</param>
    public void End(int request, string stop, SessionTotals? totals = null)
    {
        Line("end", request);
        _writer.WriteString("stop"u8, stop);
        if (totals is not null)
        {
            _writer.WriteStartObject("totals"u8);
            _writer.WriteNumber("requests"u8, totals.Requests);
            _writer.WriteNumber("input_tokens"u8, totals.InputTokens);
            _writer.WriteNumber("output_tokens"u8, totals.OutputTokens);
            _writer.WriteNumber("cleared_input_tokens"u8, totals.ClearedInputTokens);
            _writer.WriteNumber("clearings"u8, totals.Clearings);
            _writer.WriteNumber("warnings"u8, totals.Warnings);
            _writer.WriteNumber("memory_writes"u8, totals.MemoryWrites);
            _writer.WriteEndObject();
        }

        End();
    }

    /// <summary>Appends the lines written since the last flush to the store.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when they are kept; the lines stay pending if it fails, for the next flush.</returns>
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_pending.WrittenCount == 0)
        {
            return;
        }

        await _store.AppendAsync(Session, _pending.WrittenMemory, cancellationToken).ConfigureAwait(false);
        _pending.ResetWrittenCount();
    }

    private void Line(string type, int? request)
    {
        _writer.Reset(_pending);
        _writer.WriteStartObject();
        _writer.WriteString("type"u8, type);
        _writer.WriteString("at"u8, _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        Number("request"u8, request);
    }

    private void End()
    {
        _writer.WriteEndObject();
        _writer.Flush();
        _pending.Write("\n"u8);
    }

    private void String(ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null)
        {
            _writer.WriteString(name, value);
        }
    }

    private void Number(ReadOnlySpan<byte> name, long? value)
    {
        if (value is { } number)
        {
            _writer.WriteNumber(name, number);
        }
    }
}

/// <summary>Represents a session's totals at the end of a run, as the session's own tally has them.</summary>
/// <param name="Requests">Requests sent.</param>
/// <param name="InputTokens">Input tokens billed, cache reads and writes included.</param>
/// <param name="OutputTokens">Output tokens.</param>
/// <param name="ClearedInputTokens">Input tokens editing removed, summed over requests.</param>
/// <param name="Clearings">Requests that cleared tool uses for the first time.</param>
/// <param name="Warnings">Warnings given.</param>
/// <param name="MemoryWrites">Memory writes that succeeded.</param>
public sealed record SessionTotals(int Requests, long InputTokens, long OutputTokens, long ClearedInputTokens, int Clearings, int Warnings, int MemoryWrites);

/// <summary>Represents a request's token usage as billed.</summary>
/// <param name="InputTokens">Input tokens not read from or written to the cache.</param>
/// <param name="CacheWriteTokens">Input tokens written to the prompt cache.</param>
/// <param name="CacheReadTokens">Input tokens read from the prompt cache.</param>
/// <param name="OutputTokens">Output tokens.</param>
public sealed record SessionUsage(long InputTokens, long CacheWriteTokens, long CacheReadTokens, long OutputTokens)
{
    /// <summary>Gets every input token billed: uncached, written and read.</summary>
    public long BilledInputTokens => InputTokens + CacheWriteTokens + CacheReadTokens;

    internal void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteNumber("input_tokens"u8, InputTokens);
        writer.WriteNumber("cache_write_tokens"u8, CacheWriteTokens);
        writer.WriteNumber("cache_read_tokens"u8, CacheReadTokens);
        writer.WriteNumber("output_tokens"u8, OutputTokens);
    }

    internal static SessionUsage Read(JsonElement line) => new(
        SessionRecords.Long(line, "input_tokens"), SessionRecords.Long(line, "cache_write_tokens"),
        SessionRecords.Long(line, "cache_read_tokens"), SessionRecords.Long(line, "output_tokens"));
}

/// <summary>Represents how an approach to a clearing ended.</summary>
/// <param name="Outcome"><c>preserved</c> (warned, and saved before it), <c>not_preserved</c> (warned, saved nothing) or
/// <c>not_warned</c>.</param>
/// <param name="WarnedRequest">The request the warning went with; <see langword="null"/> when none did.</param>
/// <param name="Saves">The saves to memory between the warning and the clearing.</param>
/// <param name="SecondsToSave">Seconds from the warning to the first save; <see langword="null"/> without either.</param>
/// <param name="Covered">Cleared results a save mentions.</param>
/// <param name="NotCovered">Cleared results no save mentions.</param>
/// <param name="Compaction">Whether it ended in a compaction rather than a clearing.</param>
public sealed record SessionPreservation(string Outcome, int? WarnedRequest, int Saves, double? SecondsToSave, int Covered, int NotCovered, bool Compaction);
