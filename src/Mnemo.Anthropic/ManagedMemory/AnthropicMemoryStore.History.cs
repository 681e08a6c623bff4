using System.Text;
using System.Text.Json;
using Anthropic.Models.Beta.MemoryStores.Memories;
using Anthropic.Models.Beta.MemoryStores.MemoryVersions;
using Mnemo.Memory;

namespace Mnemo.Anthropic.ManagedMemory;

/// <summary>The store's history, read from the API's memory versions: every create, change and delete the API recorded
/// under the store's folder, whoever made it (Mnemo, a Managed Agents session, the Console).</summary>
public sealed partial class AnthropicMemoryStore : IVersionedMemoryStore
{
    /// <summary>Gets <see langword="null"/>: a managed store's memories do not expire by themselves; <see cref="SweepAsync"/> takes an age.</summary>
    public TimeSpan? ExpireAfter => null;

    /// <summary>Reads the history from the API's memory versions, oldest first, under the store's folder.</summary>
    /// <remarks>
    /// <para>Each version is one change: <c>created</c> a create, <c>modified</c> an edit (or a rename when the path moved,
    /// with <see cref="MemoryChange.From"/>), <c>deleted</c> a delete holding the content the memory had before it. The
    /// actor is the API's: <c>api:…</c> (the key's id), <c>session:…</c> or <c>user:…</c>; the API keeps no reason. A redacted
    /// version has no content. Sequence numbers count the versions in the order the API lists them, so they hold while no
    /// version is added before them.</para>
    /// </remarks>
    public async ValueTask<IReadOnlyList<MemoryChange>> ReadHistoryAsync(CancellationToken cancellationToken = default)
    {
        var versions = new List<BetaManagedAgentsMemoryVersion>();
        var page = await SendAsync("read the history", () => _versions.List(_store, new MemoryVersionListParams { View = BetaManagedAgentsMemoryView.Full, Limit = PageSize }, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        while (true)
        {
            versions.AddRange(page.Items);
            if (!page.HasNext())
            {
                break;
            }

            var current = page;
            page = await SendAsync("read the history", () => current.Next(cancellationToken), cancellationToken).ConfigureAwait(false);
        }

        versions.Reverse(); // the API lists newest first
        var paths = KnownPaths(versions);
        var last = new Dictionary<string, (string Path, string? Content, string? Hash, long Size)>(StringComparer.Ordinal);
        var changes = new List<MemoryChange>();
        var redactions = new List<(DateTimeOffset Time, string? Actor)>();
        for (var i = 0; i < versions.Count; i++)
        {
            var version = versions[i];
            last.TryGetValue(version.MemoryID, out var before);
            var path = paths[i];
            var operation = version.Operation.Raw();
            if (operation != "deleted")
            {
                last[version.MemoryID] = (path ?? string.Empty, version.Content, version.ContentSha256, version.ContentSizeBytes ?? 0);
            }

            var mapped = path is null ? null : FromApiPath(path);
            if (mapped is null)
            {
                continue; // outside the store's folder
            }

            if (version.RedactedAt is { } redactedAt)
            {
                redactions.Add((redactedAt, Actor(version.RedactedBy)));
            }

            var (content, hash, size) = operation == "deleted"
                ? (before.Content, before.Hash, before.Size)
                : (version.Content, version.ContentSha256, version.ContentSizeBytes ?? 0);
            var from = operation == "modified" && before.Path is { Length: > 0 } previous && previous != path ? FromApiPath(previous) : null;
            var kind = operation switch
            {
                "created" => MemoryChangeKind.Create,
                "deleted" => MemoryChangeKind.Delete,
                _ when from is not null => MemoryChangeKind.Rename,
                _ => MemoryChangeKind.Edit,
            };
            var file = new MemoryFileVersion(mapped.Normalized, hash ?? string.Empty, size, content is null ? (ReadOnlyMemory<byte>?)null : Encoding.UTF8.GetBytes(content));
            changes.Add(new MemoryChange(0, version.CreatedAt, kind, mapped.Normalized, [file])
            {
                From = from?.Normalized,
                Actor = Actor(version.CreatedBy),
            });
        }

        return Numbered(changes, redactions);
    }

    /// <summary>Each version's path: its own, or for a redacted version (whose path the API cleared) the nearest its
    /// memory had, before it or else after it.</summary>
    private static string?[] KnownPaths(List<BetaManagedAgentsMemoryVersion> versions)
    {
        var paths = versions.Select(version => version.Path).ToArray();
        var later = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = versions.Count - 1; i >= 0; i--)
        {
            if (paths[i] is { } known)
            {
                later[versions[i].MemoryID] = known;
            }
            else if (later.TryGetValue(versions[i].MemoryID, out var next))
            {
                paths[i] = next;
            }
        }

        var earlier = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < versions.Count; i++)
        {
            if (versions[i].Path is { } own)
            {
                earlier[versions[i].MemoryID] = own;
            }
            else if (earlier.TryGetValue(versions[i].MemoryID, out var previous))
            {
                paths[i] = previous;
            }
        }

        return paths;
    }

    /// <summary>The changes with the redactions among them, at the times the API records, each run of redactions by one
    /// actor one change (as one <see cref="RedactAsync"/> is), numbered from 1.</summary>
    /// <remarks>The API clears a redacted version's hash, so a redaction change does not name the content it removed.</remarks>
    private static List<MemoryChange> Numbered(List<MemoryChange> changes, List<(DateTimeOffset Time, string? Actor)> redactions)
    {
        var merged = new List<MemoryChange>(changes.Count + redactions.Count);
        var next = 0;
        MemoryChange? pending = null;
        foreach (var redaction in redactions.OrderBy(r => r.Time))
        {
            while (next < changes.Count && changes[next].Time <= redaction.Time)
            {
                merged.Add(changes[next++]);
                pending = null;
            }

            if (pending is not null && pending.Actor == redaction.Actor)
            {
                continue; // the same redaction, of another version
            }

            pending = new MemoryChange(0, redaction.Time, MemoryChangeKind.Redact, null, []) { Actor = redaction.Actor, Reason = "redact" };
            merged.Add(pending);
        }

        merged.AddRange(changes.Skip(next));
        return [.. merged.Select((change, i) => change with { Sequence = i + 1 })];
    }

    /// <summary>Redacts every earlier version of a memory under the store's folder that holds a content; a memory's
    /// current version cannot be redacted (change or delete the memory first).</summary>
    public async ValueTask<int> RedactAsync(string hash, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(hash);
        var heads = (await AllUnderAsync(_prefix, cancellationToken).ConfigureAwait(false)).Select(memory => memory.MemoryVersionID).ToHashSet(StringComparer.Ordinal);
        var redacted = 0;
        var page = await SendAsync("read the history", () => _versions.List(_store, new MemoryVersionListParams { Limit = PageSize }, cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        while (true)
        {
            foreach (var version in page.Items)
            {
                if (string.Equals(version.ContentSha256, hash, StringComparison.OrdinalIgnoreCase) && !heads.Contains(version.ID) &&
                    version.Path is { } path && FromApiPath(path) is not null)
                {
                    await SendAsync("redact a version", () => _versions.Redact(version.ID, new MemoryVersionRedactParams { MemoryStoreID = _store }, cancellationToken), cancellationToken)
                        .ConfigureAwait(false);
                    redacted++;
                }
            }

            if (!page.HasNext())
            {
                return redacted;
            }

            var current = page;
            page = await SendAsync("read the history", () => current.Next(cancellationToken), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads when each memory was last written; the API does not record reads, so none has a last read.</summary>
    public async ValueTask<IReadOnlyList<MemoryFileActivity>> ReadActivityAsync(CancellationToken cancellationToken = default) =>
        [.. (await AllUnderAsync(_prefix, cancellationToken).ConfigureAwait(false))
            .Select(memory => FromApiPath(memory.Path) is { } path ? new MemoryFileActivity(path, memory.ContentSizeBytes, memory.UpdatedAt, null) : null)
            .OfType<MemoryFileActivity>()];

    /// <summary>Deletes the memories not written for longer than an age (the API records no reads); each delete is a version.</summary>
    public async ValueTask<IReadOnlyList<MemoryPath>> SweepAsync(TimeSpan maxIdle, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        var cutoff = _options.TimeProvider.GetUtcNow() - maxIdle;
        var swept = new List<MemoryPath>();
        foreach (var activity in await ReadActivityAsync(cancellationToken).ConfigureAwait(false))
        {
            if (activity.LastWrite < cutoff && await DeleteAsync(activity.Path, context, cancellationToken).ConfigureAwait(false) == MemoryDeleteOutcome.Deleted)
            {
                swept.Add(activity.Path);
            }
        }

        return swept;
    }

    /// <summary>Refused: the API writes a managed store's history itself, so an archive's history cannot be loaded into one.</summary>
    /// <exception cref="MemoryStoreException">Always.</exception>
    public ValueTask ImportAsync(MemorySnapshot snapshot, CancellationToken cancellationToken = default) =>
        throw new MemoryStoreException("a managed memory store keeps its own history, so an archive cannot be imported into it; `mnemo memory copy` copies its files");

    /// <summary>The memory path of a store path under the folder; <see langword="null"/> outside it.</summary>
    private MemoryPath? FromApiPath(string api) =>
        api.StartsWith(_prefix, StringComparison.Ordinal) && api.Length > _prefix.Length &&
        MemoryPath.TryParse(MemoryPath.Root + "/" + api[_prefix.Length..], out var path, out _) ? path : null;

    /// <summary>Who made a version, as the API names them.</summary>
    private static string? Actor(BetaManagedAgentsActor? actor)
    {
        if (actor is null)
        {
            return null;
        }

        var json = JsonSerializer.SerializeToElement(actor);
        var type = json.TryGetProperty("type", out var kind) ? kind.GetString() : null;
        var id = type switch
        {
            "api_actor" => json.TryGetProperty("api_key_id", out var key) ? key.GetString() : null,
            "session_actor" => json.TryGetProperty("session_id", out var session) ? session.GetString() : null,
            "user_actor" => json.TryGetProperty("user_id", out var user) ? user.GetString() : null,
            _ => null,
        };
        return type is null ? null : $"{type.Replace("_actor", string.Empty, StringComparison.Ordinal)}:{id ?? "?"}";
    }
}
