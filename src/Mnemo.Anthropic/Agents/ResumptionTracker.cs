using Mnemo.Memory;

namespace Mnemo.Anthropic.Agents;

/// <summary>How a session that began with memory present picked up from it.</summary>
/// <param name="FilesAtStart">The memory files there were when the session began (what earlier sessions left).</param>
/// <param name="FirstCallWasMemoryView">Whether the model's first tool call was a memory <c>view</c>, the protocol's first step.</param>
/// <param name="FilesRead">How many of those files the model has viewed so far.</param>
/// <param name="RequestsToReadAll">The request whose response read the last of them; <see langword="null"/> until every one is read.</param>
public sealed record ResumptionRecord(int FilesAtStart, bool FirstCallWasMemoryView, int FilesRead, int? RequestsToReadAll);

/// <summary>Follows a session that begins with memory present: its first tool call, and when it has read every file
/// earlier sessions left.</summary>
/// <remarks>Not thread-safe: events come in order from the session's one flow.</remarks>
internal sealed class ResumptionTracker
{
    private readonly HashSet<string> _unread;
    private readonly Dictionary<string, string> _views = new(StringComparer.Ordinal);
    private readonly int _files;
    private bool? _firstCallWasView;
    private int? _readAllAt;

    private ResumptionTracker(HashSet<string> files)
    {
        _unread = files;
        _files = files.Count;
    }

    /// <summary>The record so far; <see langword="null"/> when the session began with no memory to resume from.</summary>
    public ResumptionRecord Record => new(_files, _firstCallWasView == true, _files - _unread.Count, _readAllAt);

    /// <summary>Lists the memory a session begins with; <see langword="null"/> when there is none (or no store to list).</summary>
    /// <param name="memory">The session's memory tool.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    public static async Task<ResumptionTracker?> StartAsync(IMemoryTool memory, CancellationToken cancellationToken)
    {
        if (memory.GetService<IMemoryStore>() is not { } store)
        {
            return null;
        }

        IReadOnlyList<MemoryEntry>? entries;
        try
        {
            entries = await store.ListAsync(MemoryPath.RootPath, depth: 32, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // A measurement is not worth a run: a store that cannot be listed now (a server down) is not followed.
            return null;
        }

        if (entries is not { Count: > 0 })
        {
            return null;
        }

        var files = new HashSet<string>(StringComparer.Ordinal);
        Collect(entries, MemoryPath.Root, files);
        return files.Count == 0 ? null : new ResumptionTracker(files);
    }

    /// <summary>Takes in an event: the first tool call, and each memory file viewed.</summary>
    /// <returns>The record when this event completed it (the first call, or the last file read); else <see langword="null"/>.</returns>
    public ResumptionRecord? Observe(AgentEvent agentEvent)
    {
        switch (agentEvent)
        {
            case AgentToolCallEvent call:
                var view = call.Name == AgentSession.MemoryToolName && call.Input.ValueKind == System.Text.Json.JsonValueKind.Object &&
                    call.Input.TryGetProperty("command", out var command) && command.ValueEquals("view");
                if (view && call.Input.TryGetProperty("path", out var path) && path.ValueKind == System.Text.Json.JsonValueKind.String)
                {
                    _views[call.Id] = path.GetString()!.TrimEnd('/');
                }

                if (_firstCallWasView is null)
                {
                    _firstCallWasView = view;
                    return Record;
                }

                return null;
            case AgentToolResultEvent { IsError: false } result when _views.Remove(result.Id, out var viewed) && _unread.Remove(viewed) && _unread.Count == 0:
                _readAllAt = result.Request;
                return Record;
            default:
                return null;
        }
    }

    private static void Collect(IReadOnlyList<MemoryEntry> entries, string at, HashSet<string> files)
    {
        foreach (var entry in entries)
        {
            var path = $"{at}/{entry.Name}";
            if (entry.Kind == MemoryEntryKind.File)
            {
                files.Add(path);
            }
            else if (entry.Children is { } children)
            {
                Collect(children, path, files);
            }
        }
    }
}
