using System.Text.Json;

namespace Mnemo.Context;

/// <summary>
/// Compaction on the client's side: renders the <c>compaction</c> blocks a history holds (everything before the last one
/// is dropped, its summary stands in) and makes new ones when a <see cref="CompactEdit"/>'s trigger is passed.
/// </summary>
internal static class Compactor
{
    /// <summary>The request as the model sees it: everything before the last <c>compaction</c> block with content is
    /// replaced by a user message holding its summary. A block with <c>"content": null</c> (a failed compaction) stands in
    /// for nothing, as the API treats it.</summary>
    /// <returns>The rendered request and, per rendered message, the index of the message of <paramref name="request"/> it
    /// came from (-1 for the summary); <see langword="null"/> origins when nothing was rendered.</returns>
    public static (ContextRequest Request, int[]? Origins) Render(ContextRequest request)
    {
        var messages = request.Messages;
        var (from, summary, after, any) = (0, (string?)null, 0, false);
        for (var i = messages.Count - 1; i >= 0 && summary is null; i--)
        {
            if (!messages[i].HasCompaction)
            {
                continue;
            }

            any = true;
            var blocks = messages[i].Blocks;
            for (var b = blocks.Count - 1; b >= 0; b--)
            {
                if (blocks[b].Kind == ContextBlockKind.Compaction && SummaryOf(blocks[b]) is { } text)
                {
                    (from, summary, after) = (i, text, b + 1);
                    break;
                }
            }
        }

        if (!any)
        {
            return (request, null);
        }

        // The summary stands in for everything before its block; every compaction block itself (a failed one, with
        // null content, stands in for nothing) is left out of what the model reads.
        var rendered = new List<ContextMessage>(messages.Count - from + 1);
        var origins = new List<int>(messages.Count - from + 1);
        if (summary is not null)
        {
            rendered.Add(SummaryMessage(summary));
            origins.Add(-1);
        }

        for (var i = from; i < messages.Count; i++)
        {
            var message = messages[i];
            if (i == from && summary is not null)
            {
                var rest = message.Blocks.Skip(after).Where(block => block.Kind != ContextBlockKind.Compaction).ToArray();
                if (rest.Length > 0)
                {
                    rendered.Add(message.WithBlocks(rest));
                    origins.Add(i);
                }

                continue;
            }

            if (HasCompaction(message))
            {
                var kept = message.Blocks.Where(block => block.Kind != ContextBlockKind.Compaction).ToArray();
                if (kept.Length == 0)
                {
                    continue;
                }

                message = message.WithBlocks(kept);
            }

            rendered.Add(message);
            origins.Add(i);
        }

        return (request.WithMessages(rendered), [.. origins]);
    }

    private static bool HasCompaction(ContextMessage message) => message.HasCompaction;

    /// <summary>Where a compaction of <paramref name="messages"/> ends: with <paramref name="keepLastTurn"/>, at the last
    /// assistant message (it and what follows stay whole, so every tool call keeps its result); else after everything,
    /// as the API compacts.</summary>
    public static int Cut(IReadOnlyList<ContextMessage> messages, bool keepLastTurn)
    {
        if (!keepLastTurn)
        {
            return messages.Count;
        }

        for (var i = messages.Count - 1; i > 0; i--)
        {
            if (messages[i].IsAssistant)
            {
                return i;
            }
        }

        return messages.Count;
    }

    public static ContextMessage SummaryMessage(string summary) => ContextMessage.FromJson(WriteJson(summary, static (writer, text) =>
    {
        writer.WriteStartObject();
        writer.WriteString("role"u8, "user"u8);
        writer.WriteStartArray("content"u8);
        writer.WriteStartObject();
        writer.WriteString("type"u8, "text"u8);
        writer.WriteString("text"u8, text);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
    }));

    /// <summary>The summary of a <c>compaction</c> block; <see langword="null"/> for a failed one.</summary>
    public static string? SummaryOf(ContextBlock block) =>
        block.Json.TryGetProperty("content"u8, out var content) && content.ValueKind == JsonValueKind.String ? content.GetString() : null;

    private static JsonElement WriteJson<TState>(TState state, Action<Utf8JsonWriter, TState> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            write(writer, state);
        }

        return JsonDocument.Parse(stream.ToArray()).RootElement.Clone();
    }
}
