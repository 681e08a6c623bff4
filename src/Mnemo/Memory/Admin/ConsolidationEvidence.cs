using System.Globalization;
using System.Text.Json;
using Mnemo.Context;
using Mnemo.Context.Replay;

namespace Mnemo.Memory;

/// <summary>One call of the memory tool in a session transcript.</summary>
/// <param name="Session">The transcript's name, as given.</param>
/// <param name="Message">The index of the assistant message that made the call, from 0, in its segment (the part of a
/// Claude Code transcript between two compactions).</param>
/// <param name="At">When the request that produced it was sent; <see langword="null"/> when the transcript does not say.</param>
/// <param name="Command">The memory command: <c>view</c>, <c>create</c>, <c>str_replace</c>, <c>insert</c>, <c>delete</c>, <c>rename</c>.</param>
/// <param name="Path">The path it names (for <c>rename</c>, the new one), normalised; as written when it is not a valid path.</param>
/// <param name="Written">The text it wrote (<c>file_text</c>, <c>new_str</c>, <c>insert_text</c>); <see langword="null"/> for the others.</param>
public sealed record MemoryCallEvidence(string Session, int Message, DateTimeOffset? At, string Command, string Path, string? Written)
{
    /// <summary>Gets the line of the transcript the call is on, for a transcript of JSON lines; <see langword="null"/> otherwise.</summary>
    public int? Line { get; init; }

    /// <summary>Where the call is, for a reader: the transcript, its line (or else the message), and the time when known.</summary>
    public string Cite()
    {
        var where = Line is { } line
            ? string.Create(CultureInfo.InvariantCulture, $"{Session} line {line}")
            : string.Create(CultureInfo.InvariantCulture, $"{Session} message {Message}");
        return At is { } at ? string.Create(CultureInfo.InvariantCulture, $"{where} ({at.UtcDateTime:yyyy-MM-dd HH:mm}Z)") : where;
    }
}

/// <summary>What session transcripts show a consolidation: every memory tool call in them, when it was made, what it
/// read and what it wrote. With it, <see cref="MemoryConsolidator"/> dates values the notes leave undated (by the
/// session that wrote them), and keeps off the expiry list a file that a session read recently.</summary>
public sealed class ConsolidationEvidence
{
    private readonly List<MemoryCallEvidence> _calls;

    private ConsolidationEvidence(int sessions, List<MemoryCallEvidence> calls)
    {
        Sessions = sessions;
        _calls = calls;
    }

    /// <summary>Gets how many sessions were read.</summary>
    public int Sessions { get; }

    /// <summary>Gets the memory tool calls, session by session, in order.</summary>
    public IReadOnlyList<MemoryCallEvidence> Calls => _calls;

    /// <summary>Reads the memory tool calls (tool name <c>memory</c>) of sessions in any format
    /// <see cref="SessionTranscripts"/> reads.</summary>
    /// <param name="sessions">Each session with the name to cite it by.</param>
    /// <returns>The evidence.</returns>
    public static ConsolidationEvidence FromSessions(IEnumerable<(string Name, ReplaySession Session)> sessions)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        var calls = new List<MemoryCallEvidence>();
        var count = 0;
        foreach (var (name, session) in sessions)
        {
            count++;
            foreach (var segment in session.Segments)
            {
                var messages = segment.Conversation.Messages;
                for (var m = 0; m < messages.Count; m++)
                {
                    if (!messages[m].IsAssistant)
                    {
                        continue;
                    }

                    // The request that produced this message is the one that sent the m messages before it.
                    var at = segment.Requests.FirstOrDefault(request => request.MessageCount == m)?.At;
                    foreach (var block in messages[m].Blocks)
                    {
                        if (block.Kind == ContextBlockKind.ToolUse && block.ToolName == "memory" &&
                            block.Json.TryGetProperty("input"u8, out var input) && input.ValueKind == JsonValueKind.Object &&
                            Text(input, "command") is { } command)
                        {
                            var path = Text(input, command == "rename" ? "new_path" : "path") ?? string.Empty;
                            var written = command switch
                            {
                                "create" => Text(input, "file_text"),
                                "str_replace" => Text(input, "new_str"),
                                "insert" => Text(input, "insert_text"),
                                _ => null,
                            };
                            calls.Add(new MemoryCallEvidence(name, m, at, command, Normalize(path), written)
                            {
                                Line = block.ToolUseId is { } id && segment.ToolUseLines.TryGetValue(id, out var line) ? line : null,
                            });
                        }
                    }
                }
            }
        }

        return new ConsolidationEvidence(count, calls);
    }

    /// <summary>The latest call that wrote a line, to the file or (renamed since, say) to any file: the line as the
    /// settings rule reads it, spacing aside. Only calls whose time is known date anything.</summary>
    /// <param name="path">The file the line is in now.</param>
    /// <param name="line">The line.</param>
    /// <returns>The call; <see langword="null"/> when no dated session wrote it.</returns>
    public MemoryCallEvidence? LastWrote(MemoryPath path, string line)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(line);
        var wanted = line.Trim();
        if (wanted.Length == 0)
        {
            return null;
        }

        MemoryCallEvidence? best = null;
        foreach (var call in _calls)
        {
            if (call is { Written: { } written, At: { } at } &&
                written.Split('\n').Any(candidate => candidate.Trim() == wanted) &&
                (best is null || at > best.At || (call.Path == path.Normalized && best.Path != path.Normalized && at == best.At)))
            {
                best = call;
            }
        }

        return best;
    }

    /// <summary>The latest call that read or wrote a file; <see langword="null"/> when no session touched it.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The call.</returns>
    public MemoryCallEvidence? LastTouched(MemoryPath path)
    {
        ArgumentNullException.ThrowIfNull(path);
        MemoryCallEvidence? last = null;
        foreach (var call in _calls)
        {
            if (call.Path == path.Normalized && call.Command != "delete" && (last is null || (call.At ?? DateTimeOffset.MinValue) >= (last.At ?? DateTimeOffset.MinValue)))
            {
                last = call;
            }
        }

        return last;
    }

    private static string? Text(JsonElement input, string name) =>
        input.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string Normalize(string path) => MemoryPath.TryParse(path, out var parsed, out _) ? parsed!.Normalized : path;
}
