using static Mnemo.Memory.FileSystem.FolderCodes;

namespace Mnemo.Memory.FileSystem;

/// <summary>The folder store's changes of whole trees: delete and rename, each recording every file it moves or removes.</summary>
/// <remarks>A folder is deleted by hiding it first, in one atomic rename, then removing it: a crash mid-way leaves no
/// half-deleted folder in sight. A rename never overwrites (<c>renameat2</c> with <c>RENAME_NOREPLACE</c>).</remarks>
public sealed partial class FileSystemMemoryStore
{
    /// <inheritdoc/>
    public async ValueTask<MemoryDeleteOutcome> DeleteAsync(
        MemoryPath path, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ThrowIfReserved(path);
        using var gate = await LockAsync(cancellationToken).ConfigureAwait(false);
        PrepareLocked();
        if (_requests.AppliedBefore(context, _log))
        {
            return MemoryDeleteOutcome.Deleted;
        }

        return DeleteLocked(path, context);
    }

    private MemoryDeleteOutcome DeleteLocked(MemoryPath path, MemoryWriteContext? context) => RaceRetry.Run(() =>
    {
        using var resolved = _resolver.Resolve(path, createParents: false);
        switch (resolved.Status)
        {
            case ResolveStatus.Raced:
                return Attempt<MemoryDeleteOutcome>.Raced;
            case ResolveStatus.Root:
                return new Attempt<MemoryDeleteOutcome>(MemoryDeleteOutcome.Root);
            case ResolveStatus.Missing or ResolveStatus.ParentMissing:
                return new Attempt<MemoryDeleteOutcome>(MemoryDeleteOutcome.NotFound);
        }

        // The record holds every file's last content, so anything deleted can be brought back from it.
        var files = CollectFiles(resolved.ParentFd, resolved.Name!, resolved.Stat, path, path);
        if (files is null)
        {
            return Attempt<MemoryDeleteOutcome>.Raced;
        }

        var freed = files.Sum(file => file.Size);
        if (resolved.Stat.IsDirectory)
        {
            // Hide the folder first, in one atomic step, so a crash mid-way leaves no half-deleted folder in sight.
            var hidden = DurableFileWriter.TempName();
            var change = BeginChange(MemoryChangeKind.Delete, path, null, files, context);
            if (_fs.RenameAt2(resolved.ParentFd, resolved.Name!, resolved.ParentFd, hidden, RenameNoReplace) != 0)
            {
                var error = _fs.LastError;
                EndChange(change, applied: false);
                return FolderSystem.IsRace(error) ? Attempt<MemoryDeleteOutcome>.Raced : throw _fs.Failure("delete a folder", error);
            }

            resolved.SyncParent(_writer.Durable);
            EndChange(change, applied: true, filesAdded: -files.Count, bytesAdded: -freed);
            _writer.RemoveTree(resolved.ParentFd, hidden);
        }
        else
        {
            var change = BeginChange(MemoryChangeKind.Delete, path, null, files, context);
            if (_fs.UnlinkAt(resolved.ParentFd, resolved.Name!, 0) != 0)
            {
                var error = _fs.LastError;
                EndChange(change, applied: false);
                return FolderSystem.IsRace(error) ? Attempt<MemoryDeleteOutcome>.Raced : throw _fs.Failure("delete a file", error);
            }

            resolved.SyncParent(_writer.Durable);
            EndChange(change, applied: true, filesAdded: -files.Count, bytesAdded: -freed);
        }

        return new Attempt<MemoryDeleteOutcome>(MemoryDeleteOutcome.Deleted);
    });

    /// <inheritdoc/>
    public async ValueTask<MemoryRenameOutcome> RenameAsync(
        MemoryPath source, MemoryPath destination, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        ThrowIfReserved(source);
        ThrowIfReserved(destination);
        if (!destination.IsRoot)
        {
            _quotas.CheckPath(destination);
        }

        using var gate = await LockAsync(cancellationToken).ConfigureAwait(false);
        PrepareLocked();
        if (_requests.AppliedBefore(context, _log))
        {
            return MemoryRenameOutcome.Renamed;
        }

        return RaceRetry.Run(() =>
        {
            using var from = _resolver.Resolve(source, createParents: false);
            using var probe = _resolver.Resolve(destination, createParents: false);
            if (from.Status == ResolveStatus.Raced || probe.Status == ResolveStatus.Raced)
            {
                return Attempt<MemoryRenameOutcome>.Raced;
            }

            if (from.Status == ResolveStatus.Root || probe.Status == ResolveStatus.Root)
            {
                return new Attempt<MemoryRenameOutcome>(MemoryRenameOutcome.Root);
            }

            if (probe.Status == ResolveStatus.Found)
            {
                return new Attempt<MemoryRenameOutcome>(MemoryRenameOutcome.DestinationExists);
            }

            if (from.Status != ResolveStatus.Found)
            {
                return new Attempt<MemoryRenameOutcome>(MemoryRenameOutcome.SourceNotFound);
            }

            if (from.Stat.IsDirectory && (source.IsSameOrAncestorOf(destination) || probe.HasAncestor(from.Stat.Identity)))
            {
                return new Attempt<MemoryRenameOutcome>(MemoryRenameOutcome.DestinationInsideSource);
            }

            var files = CollectFiles(from.ParentFd, from.Name!, from.Stat, source, destination);
            if (files is null)
            {
                return Attempt<MemoryRenameOutcome>.Raced;
            }

            foreach (var file in files)
            {
                if (MemoryPath.TryParse(file.Path, out var moved, out _))
                {
                    _quotas.CheckPath(moved);
                }
            }

            using var to = _resolver.Resolve(destination, createParents: true);
            switch (to.Status)
            {
                case ResolveStatus.Raced:
                    return Attempt<MemoryRenameOutcome>.Raced;
                case ResolveStatus.ParentMissing:
                    throw new MemoryParentNotDirectoryException(destination);
                case ResolveStatus.Found or ResolveStatus.Root:
                    return new Attempt<MemoryRenameOutcome>(MemoryRenameOutcome.DestinationExists);
            }

            var change = BeginChange(MemoryChangeKind.Rename, destination, source, files, context);
            if (_fs.RenameAt2(from.ParentFd, from.Name!, to.ParentFd, to.Name!, RenameNoReplace) != 0)
            {
                var error = _fs.LastError;
                EndChange(change, applied: false);
                return error switch
                {
                    EExist or ENotEmpty => new Attempt<MemoryRenameOutcome>(MemoryRenameOutcome.DestinationExists),
                    EInval => new Attempt<MemoryRenameOutcome>(MemoryRenameOutcome.DestinationInsideSource),
                    _ when FolderSystem.IsRace(error) => Attempt<MemoryRenameOutcome>.Raced,
                    _ => throw _fs.Failure("rename", error),
                };
            }

            to.SyncDirectories(_writer.Durable);
            from.SyncParent(_writer.Durable);
            EndChange(change, applied: true);
            return new Attempt<MemoryRenameOutcome>(MemoryRenameOutcome.Renamed);
        });
    }
}
