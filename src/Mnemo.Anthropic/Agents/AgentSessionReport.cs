using System.Text.Json;
using Mnemo.Context;

namespace Mnemo.Anthropic.Agents;

/// <summary>Writes what a session preserved and lost as data: the same figures <see cref="AgentSessionSummary.Format"/>
/// prints, for a report file or a dashboard.</summary>
public static class AgentSessionReport
{
    /// <summary>Writes the report: per approach to a clearing <c>warned_request</c>, <c>cleared_request</c>,
    /// <c>outcome</c> (<c>preserved</c>, <c>not_preserved</c>, <c>not_warned</c>), <c>seconds_to_save</c> and
    /// <c>cleared[]</c> (<c>tool</c>, <c>input</c>, <c>covered</c>); every clearing's results as <c>cleared_results[]</c>
    /// (the same, with <c>cleared_request</c>); then <c>reacquisitions[]</c>, adaptive mode's <c>adaptive_changes[]</c>
    /// (<c>request</c>, <c>setting</c>, <c>from</c>, <c>to</c>, <c>reason</c>) and <c>batched_requests</c>, and <c>resumption</c>.</summary>
    /// <param name="summary">The session's summary.</param>
    /// <param name="writer">Where to write.</param>
    public static void Write(AgentSessionSummary summary, Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteStartArray("approaches"u8);
        foreach (var record in summary.Preservations)
        {
            writer.WriteStartObject();
            WriteNumber(writer, "warned_request"u8, record.WarnedAtRequest);
            writer.WriteNumber("cleared_request"u8, record.ClearedAtRequest);
            writer.WriteString("kind"u8, record.Compacted ? "compaction" : "clearing");
            writer.WriteString("outcome"u8, record.Preserved ? "preserved" : record.Warned ? "not_preserved" : "not_warned");
            writer.WriteNumber("saves"u8, record.MemorySaves);
            if (record.SecondsToFirstSave is { } seconds)
            {
                writer.WriteNumber("seconds_to_save"u8, Math.Round(seconds, 3));
            }
            else
            {
                writer.WriteNull("seconds_to_save"u8);
            }

            writer.WriteStartArray("cleared"u8);
            foreach (var cleared in record.ClearedResults)
            {
                writer.WriteStartObject();
                WriteCleared(writer, cleared);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();

        // Every clearing's results, the later ones of an approach too: over the trigger, each request clears what aged out.
        writer.WriteStartArray("cleared_results"u8);
        foreach (var cleared in summary.ClearedResults)
        {
            writer.WriteStartObject();
            writer.WriteNumber("cleared_request"u8, cleared.ClearedAtRequest);
            WriteCleared(writer, cleared);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("reacquisitions"u8);
        foreach (var again in summary.Reacquisitions)
        {
            writer.WriteStartObject();
            writer.WriteNumber("request"u8, again.Request);
            writer.WriteString("tool"u8, again.Name);
            WriteInput(writer, again.Input);
            writer.WriteBoolean("recalled"u8, again.Recalled);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        AdaptiveChange.WriteAll(writer, summary.AdaptiveChanges);
        writer.WriteNumber("batched_requests"u8, summary.BatchedRequests);
        if (summary.Resumption is { } resumed)
        {
            writer.WriteStartObject("resumption"u8);
            writer.WriteNumber("files_at_start"u8, resumed.FilesAtStart);
            writer.WriteBoolean("first_call_was_memory_view"u8, resumed.FirstCallWasMemoryView);
            writer.WriteNumber("files_read"u8, resumed.FilesRead);
            WriteNumber(writer, "read_all_by_request"u8, resumed.RequestsToReadAll);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("resumption"u8);
        }

        writer.WriteEndObject();
    }

    private static void WriteCleared(Utf8JsonWriter writer, ClearedResult cleared)
    {
        writer.WriteString("tool"u8, cleared.Tool);
        WriteInput(writer, cleared.Input);
        writer.WriteBoolean("covered"u8, cleared.Covered);
    }

    /// <summary>A call's input, or null when the event carries none (an event made by hand).</summary>
    private static void WriteInput(Utf8JsonWriter writer, JsonElement input)
    {
        writer.WritePropertyName("input"u8);
        if (input.ValueKind == JsonValueKind.Undefined)
        {
            writer.WriteNullValue();
        }
        else
        {
            input.WriteTo(writer);
        }
    }

    private static void WriteNumber(Utf8JsonWriter writer, ReadOnlySpan<byte> name, int? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
