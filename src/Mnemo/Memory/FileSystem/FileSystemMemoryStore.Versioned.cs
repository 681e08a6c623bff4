using static Mnemo.Memory.FileSystem.FolderCodes;

namespace Mnemo.Memory.FileSystem;

/// <summary>The folder store's history, activity, expiry, redaction and import: the versioned half of its contract.</summary>
/// <remarks>
/// <para>The history lives in <c>.mnemo/history.jsonl</c> (<see cref="HistoryLog"/>: one line per change with the content
/// of every file it leaves, settled after the files change, so a crash never leaves a version without its content).</para>
/// <para>Reads take no lock; at most once per <see cref="VersionedMemoryStoreOptions.ReadTrackingResolution"/> per file a
/// read is written to <c>.mnemo/reads.jsonl</c>, for expiry and statistics.</para>
/// </remarks>
public sealed partial class FileSystemMemoryStore
{
    /// <summary>The name of the folder in the root that holds the store's own records; no memory path can reach it.</summary>
    public const string MetaDirectoryName = ".mnemo";

    /// <inheritdoc/>
    public TimeSpan? ExpireAfter { get; }

    /// <summary>Gets the full path of the folder that holds the store's history and read log.</summary>
    public string MetaDirectory => Path.Combine(RootDirectory, MetaDirectoryName);

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<MemoryChange>> ReadHistoryAsync(CancellationToken cancellationToken = default)
    {
        if (_log is null)
        {
            return [];
        }

        using var gate = await LockAsync(cancellationToken).ConfigureAwait(false);
        PrepareLocked();
        return _log.Settled();
    }

    /// <inheritdoc/>
    public async ValueTask<int> RedactAsync(string hash, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(hash);
        if (_log is null || !MemoryHash.IsSha256(hash))
        {
            return 0;
        }

        using var gate = await LockAsync(cancellationToken).ConfigureAwait(false);
        PrepareLocked();
        return _log.Redact(hash, context);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<MemoryFileActivity>> ReadActivityAsync(CancellationToken cancellationToken = default)
    {
        using var gate = await LockAsync(cancellationToken).ConfigureAwait(false);
        PrepareLocked();
        return ActivityLocked();
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<MemoryPath>> SweepAsync(
        TimeSpan maxIdle, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxIdle, TimeSpan.Zero);
        using var gate = await LockAsync(cancellationToken).ConfigureAwait(false);
        PrepareLocked();
        var now = _time.GetUtcNow();
        context = (context ?? new MemoryWriteContext()) with { Reason = context?.Reason ?? "expire" };
        var swept = new List<MemoryPath>();
        var kept = new List<MemoryFileActivity>();
        foreach (var file in ActivityLocked())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (now - file.LastAccess > maxIdle && DeleteLocked(file.Path, context) == MemoryDeleteOutcome.Deleted)
            {
                swept.Add(file.Path);
            }
            else
            {
                kept.Add(file);
            }
        }

        _reads.Compact(kept);
        return swept;
    }

    /// <inheritdoc/>
    public async ValueTask ImportAsync(MemorySnapshot snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        for (var i = 1; i < snapshot.History.Count; i++)
        {
            if (snapshot.History[i].Sequence <= snapshot.History[i - 1].Sequence)
            {
                throw new MemoryStoreException("the history to import is out of order: sequence numbers must rise");
            }
        }

        using var gate = await LockAsync(cancellationToken).ConfigureAwait(false);
        PrepareLocked();
        _usage.Forget();
        if (UsageLocked().Files > 0 || (_log is not null && _log.NextSequence > 1))
        {
            throw new MemoryStoreException("the store is not empty: an import needs a store with no files and no history");
        }

        foreach (var directory in snapshot.Directories)
        {
            ThrowIfReserved(directory);
            using var resolved = _resolver.Resolve(directory.Child("_"), createParents: true);
            resolved.SyncDirectories(_writer.Durable);
        }

        foreach (var file in snapshot.Files)
        {
            ThrowIfReserved(file.Path);
            RaceRetry.Run(() =>
            {
                using var resolved = _resolver.Resolve(file.Path, createParents: true);
                if (resolved.Status == ResolveStatus.Raced)
                {
                    return Attempt<bool>.Raced;
                }

                if (resolved.Status != ResolveStatus.Missing)
                {
                    throw resolved.Status == ResolveStatus.ParentMissing
                        ? new MemoryParentNotDirectoryException(file.Path)
                        : new MemoryStoreException($"the import names {file.Path.Normalized} twice");
                }

                var temp = _writer.WriteTemp(resolved.ParentFd, file.Content.Span);
                if (_fs.RenameAt2(resolved.ParentFd, temp, resolved.ParentFd, resolved.Name!, RenameNoReplace) != 0)
                {
                    var error = _fs.LastError;
                    _ = _fs.UnlinkAt(resolved.ParentFd, temp, 0);
                    throw _fs.Failure("create a file", error);
                }

                resolved.SyncDirectories(_writer.Durable);
                return new Attempt<bool>(true);
            });
        }

        if (_log is not null && snapshot.History.Count > 0)
        {
            _log.Import(snapshot.History);
        }

        _usage.Forget();
    }

    private List<MemoryFileActivity> ActivityLocked()
    {
        var writes = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        if (_log is not null)
        {
            foreach (var change in _log.Settled())
            {
                if (change.Kind is MemoryChangeKind.Create or MemoryChangeKind.Edit or MemoryChangeKind.Rename)
                {
                    foreach (var file in change.Files)
                    {
                        writes[file.Path] = change.Time;
                    }
                }
            }
        }

        var reads = _reads.ReadAll();
        var activity = new List<MemoryFileActivity>();
        WalkFiles((_, _, path, stat) =>
        {
            var key = path.Normalized;
            var written = writes.TryGetValue(key, out var time)
                ? time
                : DateTimeOffset.FromUnixTimeSeconds(stat.MTimeSeconds).AddTicks(stat.MTimeNanoseconds / 100);
            activity.Add(new MemoryFileActivity(path, (long)stat.Size, written, reads.TryGetValue(key, out var read) ? read : null));
        });
        return activity;
    }
}
