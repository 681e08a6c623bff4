using System.Text;
using Mnemo.Memory.Safety;

namespace Mnemo.Memory;

/// <summary>Works on a store the way a host or a person does: compare-and-swap writes, history, restore, diff, statistics,
/// export and import, clearing and seeding.</summary>
/// <remarks>
/// Built on the store interfaces only, so every backend gets the same behaviour. History operations need an
/// <see cref="IVersionedMemoryStore"/> and throw <see cref="NotSupportedException"/> on a store without history.
/// The class is thread-safe when its store is.
/// </remarks>
public sealed partial class MemoryAdmin
{
    /// <summary>The expected hash that means "there must be no file here yet".</summary>
    public const string NoFile = "";

    private readonly TimeProvider _time;
    private readonly CompareAndSwap<MemoryWriteOutcome> _writes = new(CompareAndSwap.DefaultMaxRetries);

    /// <summary>Initializes a new instance of the <see cref="MemoryAdmin"/> class.</summary>
    /// <param name="store">The store to work on.</param>
    /// <param name="timeProvider">Where "now" comes from for statistics and exports; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    public MemoryAdmin(IMemoryStore store, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        Store = store;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Gets the store.</summary>
    public IMemoryStore Store { get; }

    /// <summary>Gets the checks a restore makes on the version it brings back, as the screening stage makes on a write:
    /// secrets masked, a version the policy would refuse not restored.</summary>
    /// <value><see langword="null"/> by default: a restore writes the version as recorded.</value>
    public MemorySafety? Safety { get; init; }

    private IVersionedMemoryStore Versioned =>
        Store as IVersionedMemoryStore ?? throw new NotSupportedException("This memory store keeps no history.");

    /// <summary>Writes a file, optionally only if it still has the content a caller read (compare-and-swap).</summary>
    /// <param name="path">The file.</param>
    /// <param name="content">The new content.</param>
    /// <param name="expectedHash">The SHA-256 the file must have now; <see cref="NoFile"/> when it must not exist; <see langword="null"/> to write whatever is there.</param>
    /// <param name="context">Who writes and why; the reason defaults to <c>write</c>.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>What the write did. A file that already holds <paramref name="content"/> is left alone and reported
    /// <see cref="MemoryWriteOutcome.Unchanged"/> whatever the expected hash, so a retried write succeeds.</returns>
    /// <exception cref="MemoryConflictException">The file does not have <paramref name="expectedHash"/>, nor the new content already.</exception>
    /// <exception cref="MemoryQuotaExceededException">The write would pass one of the store's quotas.</exception>
    public async ValueTask<MemoryWriteOutcome> WriteAsync(
        MemoryPath path,
        ReadOnlyMemory<byte> content,
        string? expectedHash = null,
        MemoryWriteContext? context = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        context = WithReason(context, "write");
        var (outcome, lost) = await _writes.RunAsync(
            (Store, Path: path, Content: content, ExpectedHash: expectedHash, Context: context),
            static async (state, token) =>
            {
                var (store, path, content, expectedHash, context) = state;
                var current = await store.ReadAsync(path, token).ConfigureAwait(false);
                if (current is { Kind: MemoryEntryKind.Directory })
                {
                    throw new MemoryException($"The path {path.Original} is a directory, not a file.");
                }

                if (current is not null && current.Content.Span.SequenceEqual(content.Span))
                {
                    return CompareAndSwap<MemoryWriteOutcome>.Won(MemoryWriteOutcome.Unchanged);
                }

                var actual = current is null ? null : MemoryHash.Sha256(current.Content.Span);
                if (expectedHash is not null && expectedHash != (actual ?? NoFile))
                {
                    throw new MemoryConflictException(path, expectedHash, actual);
                }

                return current is null
                    ? await store.CreateFileAsync(path, content, context, token).ConfigureAwait(false)
                        ? CompareAndSwap<MemoryWriteOutcome>.Won(MemoryWriteOutcome.Created)
                        : CompareAndSwap<MemoryWriteOutcome>.Lost(default)
                    : await store.ReplaceFileAsync(path, content, current, context, token).ConfigureAwait(false)
                        ? CompareAndSwap<MemoryWriteOutcome>.Won(MemoryWriteOutcome.Updated)
                        : CompareAndSwap<MemoryWriteOutcome>.Lost(default);
            },
            cancellationToken).ConfigureAwait(false);
        return lost
            ? throw new MemoryStoreException($"the file {path.Original} kept changing while it was being written", isTransient: true)
            : outcome;
    }

    /// <summary>Deletes a file, optionally only if it still has the content a caller read.</summary>
    /// <param name="path">The file.</param>
    /// <param name="expectedHash">The SHA-256 the file must have now; <see langword="null"/> to delete whatever is there.</param>
    /// <param name="context">Who deletes and why; the reason defaults to <c>delete</c>.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns><see langword="true"/> when deleted; <see langword="false"/> when there was already no file, which is what was asked.</returns>
    /// <exception cref="MemoryConflictException">The file does not have <paramref name="expectedHash"/>.</exception>
    public async ValueTask<bool> DeleteFileAsync(
        MemoryPath path, string? expectedHash = null, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        var current = await Store.ReadAsync(path, cancellationToken).ConfigureAwait(false);
        if (current is null)
        {
            return false;
        }

        if (expectedHash is not null)
        {
            var actual = current.Kind == MemoryEntryKind.File ? MemoryHash.Sha256(current.Content.Span) : null;
            if (actual != expectedHash)
            {
                throw new MemoryConflictException(path, expectedHash, actual);
            }
        }

        return await Store.DeleteAsync(path, WithReason(context, "delete"), cancellationToken).ConfigureAwait(false) == MemoryDeleteOutcome.Deleted;
    }

    /// <summary>Lists every file with its size, walking the whole store.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The files, ordered by path, and the folders that hold no file.</returns>
    public async ValueTask<(IReadOnlyList<(MemoryPath Path, long Size)> Files, IReadOnlyList<MemoryPath> EmptyDirectories)> ListAllAsync(
        CancellationToken cancellationToken = default)
    {
        var files = new List<(MemoryPath, long)>();
        var empty = new List<MemoryPath>();
        var entries = await Store.ListAsync(MemoryPath.RootPath, int.MaxValue, cancellationToken).ConfigureAwait(false) ?? [];
        Walk(MemoryPath.RootPath, entries);
        files.Sort((x, y) => string.CompareOrdinal(x.Item1.Normalized, y.Item1.Normalized));
        empty.Sort((x, y) => string.CompareOrdinal(x.Normalized, y.Normalized));
        return (files, empty);

        void Walk(MemoryPath folder, IReadOnlyList<MemoryEntry> children)
        {
            foreach (var entry in children)
            {
                if (entry.Name.StartsWith(".tmp-", StringComparison.Ordinal))
                {
                    continue; // a write in flight
                }

                var path = folder.Child(entry.Name);
                if (entry.Kind == MemoryEntryKind.File)
                {
                    files.Add((path, entry.Size));
                }
                else if (entry.Children is { Count: > 0 } grandchildren)
                {
                    Walk(path, grandchildren);
                }
                else
                {
                    empty.Add(path);
                }
            }
        }
    }

    /// <summary>Reads the changes that touched a file or folder, following renames back to the names it had before.</summary>
    /// <param name="path">The file or folder; <see langword="null"/> or the root for the whole history.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The changes, oldest first.</returns>
    public async ValueTask<IReadOnlyList<MemoryChange>> HistoryAsync(MemoryPath? path = null, CancellationToken cancellationToken = default)
    {
        var history = await Versioned.ReadHistoryAsync(cancellationToken).ConfigureAwait(false);
        if (path is null || path.IsRoot)
        {
            return history;
        }

        return MemoryHistoryQueries.Touching(history, path);
    }

    /// <summary>Finds the version of a file that a change recorded.</summary>
    /// <param name="path">The file as the change named it, or as it is named now if a rename moved it since.</param>
    /// <param name="sequence">The change's sequence number.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The version, or <see langword="null"/> when the change recorded no version of that file.</returns>
    public async ValueTask<MemoryFileVersion?> GetVersionAsync(MemoryPath path, long sequence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        var history = await HistoryAsync(path, cancellationToken).ConfigureAwait(false);
        var change = history.FirstOrDefault(change => change.Sequence == sequence);
        return change is null ? null : MemoryHistoryQueries.VersionIn(change, path);
    }

    /// <summary>Lists the files that were deleted and not written again since, with the change that deleted each.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The deleted files, ordered by path.</returns>
    public async ValueTask<IReadOnlyList<(MemoryFileVersion File, MemoryChange DeletedBy)>> DeletedFilesAsync(CancellationToken cancellationToken = default)
    {
        var history = await Versioned.ReadHistoryAsync(cancellationToken).ConfigureAwait(false);
        var (last, deleted) = MemoryHistoryQueries.Deleted(history);
        var result = new List<(MemoryFileVersion, MemoryChange)>();
        foreach (var name in deleted.Order(StringComparer.Ordinal))
        {
            if (MemoryPath.TryParse(name, out var path, out _) && await Store.ReadAsync(path, cancellationToken).ConfigureAwait(false) is null)
            {
                result.Add(last[name]);
            }
        }

        return result;
    }

    /// <summary>Makes a unified diff between two versions of a file, or a version and the file as it is now.</summary>
    /// <param name="path">The file.</param>
    /// <param name="fromSequence">The older version's change; <see langword="null"/> for the version before <paramref name="toSequence"/>.</param>
    /// <param name="toSequence">The newer version's change; <see langword="null"/> for the file as it is now.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The diff; empty when the two are the same.</returns>
    /// <exception cref="MemoryException">A version is missing or redacted.</exception>
    public async ValueTask<string> DiffAsync(MemoryPath path, long? fromSequence = null, long? toSequence = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        var history = await HistoryAsync(path, cancellationToken).ConfigureAwait(false);
        var versions = history
            .Select(change => (Change: change, File: MemoryHistoryQueries.VersionIn(change, path)))
            .Where(pair => pair.File is not null && pair.Change.Kind != MemoryChangeKind.Delete)
            .ToList();

        int IndexOf(long sequence)
        {
            var index = versions.FindIndex(pair => pair.Change.Sequence == sequence);
            return index >= 0 ? index : throw new MemoryException($"No change {sequence} recorded a version of {path.Normalized}.");
        }

        (string Text, string Label) At(int index) =>
            (Text(versions[index].File!, versions[index].Change), $"{path.Normalized} (version {versions[index].Change.Sequence})");

        string newText, newLabel;
        int newIndex;
        if (toSequence is { } to)
        {
            newIndex = IndexOf(to);
            (newText, newLabel) = At(newIndex);
        }
        else
        {
            var current = await Store.ReadAsync(path, cancellationToken).ConfigureAwait(false);
            newText = current is { Kind: MemoryEntryKind.File } file ? Decode(file.Content) : string.Empty;
            newLabel = current is null ? $"{path.Normalized} (deleted)" : $"{path.Normalized} (now)";
            newIndex = versions.Count;
            if (current is not null && newIndex > 0 && versions[^1].File!.Hash == MemoryHash.Sha256(current.Content.Span))
            {
                newIndex--; // the file as it is now is the last version; "the one before" is the one before that
            }
        }

        var (oldText, oldLabel) = fromSequence is { } from ? At(IndexOf(from))
            : newIndex > 0 ? At(newIndex - 1)
            : (string.Empty, "/dev/null");

        return LineDiff.Unified(oldText, newText, oldLabel, newLabel);
    }

    /// <summary>Counts what the store holds and how it has grown, and finds its largest and stalest files.</summary>
    /// <param name="top">How many of the largest and stalest files to name.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The statistics.</returns>
    public async ValueTask<MemoryStoreStats> StatsAsync(int top = 5, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        var now = _time.GetUtcNow();
        IReadOnlyList<MemoryFileActivity> activity;
        long growthDay = 0, growthWeek = 0, growthMonth = 0;
        var changes = 0;
        if (Store is IVersionedMemoryStore versioned)
        {
            activity = await versioned.ReadActivityAsync(cancellationToken).ConfigureAwait(false);
            var history = await versioned.ReadHistoryAsync(cancellationToken).ConfigureAwait(false);
            changes = history.Count;
            (growthDay, growthWeek, growthMonth) = MemoryStoreStats.Growth(history, now);
        }

        else
        {
            var (files, _) = await ListAllAsync(cancellationToken).ConfigureAwait(false);
            activity = [.. files.Select(file => new MemoryFileActivity(file.Path, file.Size, DateTimeOffset.MinValue, null))];
        }

        return new MemoryStoreStats(
            activity.Count,
            activity.Sum(file => file.Size),
            changes,
            growthDay,
            growthWeek,
            growthMonth,
            activity.Count == 0 ? null : activity.Max(file => file.LastAccess),
            [.. activity.OrderByDescending(file => file.Size).ThenBy(file => file.Path.Normalized, StringComparer.Ordinal).Take(top)],
            [.. activity.OrderBy(file => file.LastAccess).ThenBy(file => file.Path.Normalized, StringComparer.Ordinal).Take(top)]);
    }

    /// <summary>Deletes the files not read or written for longer than the store's time-to-live, or the one given.</summary>
    /// <param name="maxIdle">How long a file may sit untouched; <see langword="null"/> for the store's <see cref="IVersionedMemoryStore.ExpireAfter"/>.</param>
    /// <param name="context">Who sweeps.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The files deleted; each can be restored.</returns>
    /// <exception cref="InvalidOperationException">Neither <paramref name="maxIdle"/> nor the store sets a time-to-live.</exception>
    public ValueTask<IReadOnlyList<MemoryPath>> SweepAsync(TimeSpan? maxIdle = null, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        var versioned = Versioned;
        var idle = maxIdle ?? versioned.ExpireAfter ?? throw new InvalidOperationException("No time-to-live is set: give one, or set the store's ExpireAfter.");
        return versioned.SweepAsync(idle, WithReason(context, "expire"), cancellationToken);
    }

    /// <summary>Deletes everything under <c>/memories</c>; the deletes are recorded, so the files can be restored.</summary>
    /// <param name="context">Who clears; the reason defaults to <c>clear</c>.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>How many entries of the root were deleted.</returns>
    public async ValueTask<int> ClearAsync(MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        var entries = await Store.ListAsync(MemoryPath.RootPath, 1, cancellationToken).ConfigureAwait(false) ?? [];
        var deleted = 0;
        foreach (var entry in entries.OrderBy(entry => entry.Name, StringComparer.Ordinal))
        {
            if (await Store.DeleteAsync(MemoryPath.RootPath.Child(entry.Name), WithReason(context, "clear"), cancellationToken).ConfigureAwait(false)
                == MemoryDeleteOutcome.Deleted)
            {
                deleted++;
            }
        }

        return deleted;
    }

    /// <summary>Creates a template's starter files, leaving any file that already exists as it is.</summary>
    /// <param name="template">The template.</param>
    /// <param name="context">Who seeds; the reason defaults to <c>init</c>.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The files created.</returns>
    public async ValueTask<IReadOnlyList<MemoryPath>> InitAsync(
        MemoryTemplate template, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(template);
        var created = new List<MemoryPath>();
        foreach (var (name, text) in template.Files)
        {
            var path = MemoryPath.FromSegments(name.Split('/'));
            if (await Store.CreateFileAsync(path, Encoding.UTF8.GetBytes(text), WithReason(context, "init"), cancellationToken).ConfigureAwait(false))
            {
                created.Add(path);
            }
        }

        return created;
    }

    /// <summary>Writes the whole store, history included, to one portable file of JSON lines.</summary>
    /// <param name="destination">Where to write.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>How many files and changes were written.</returns>
    /// <remarks>
    /// Lines: a header <c>{"format":"mnemo-memory-archive","version":1,...}</c>, then <c>{"dir":path}</c> for each empty
    /// folder, <c>{"file":{"path","sha256","size","text"|"base64"}}</c> for each file, and <c>{"change":{...}}</c> for each
    /// change in the history's own form. Content that is not UTF-8 is kept as base64, so every byte round-trips.
    /// </remarks>
    public async ValueTask<(int Files, int Changes)> ExportAsync(Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var history = Store is IVersionedMemoryStore versioned
            ? await versioned.ReadHistoryAsync(cancellationToken).ConfigureAwait(false)
            : [];
        var (files, empty) = await ListAllAsync(cancellationToken).ConfigureAwait(false);
        return await MemoryArchive.WriteAsync(Store, files, empty, history, _time.GetUtcNow(), destination, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Loads an archive made by <see cref="ExportAsync"/> into this store, which must be empty: no file, no history.</summary>
    /// <param name="source">The archive.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>How many files and changes were loaded.</returns>
    /// <exception cref="MemoryException">The archive is damaged, or the store is not empty.</exception>
    public ValueTask<(int Files, int Changes)> ImportAsync(Stream source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        return MemoryArchive.LoadAsync(Store, source, cancellationToken);
    }

    private static MemoryWriteContext WithReason(MemoryWriteContext? context, string reason) =>
        context is null ? new MemoryWriteContext(null, reason) : context.Reason is null ? context with { Reason = reason } : context;

    private static string Text(MemoryFileVersion file, MemoryChange change) =>
        file.Content is { } content ? Decode(content) : throw new MemoryException($"Version {change.Sequence} of {file.Path} was redacted; its content is gone.");

    private static string Decode(ReadOnlyMemory<byte> content) => Encoding.UTF8.GetString(content.Span);
}

/// <summary>Says what a <see cref="MemoryAdmin.WriteAsync"/> did.</summary>
public enum MemoryWriteOutcome
{
    /// <summary>The file was created.</summary>
    Created,

    /// <summary>The file's content was replaced.</summary>
    Updated,

    /// <summary>The file already held the content; nothing was written.</summary>
    Unchanged,
}
