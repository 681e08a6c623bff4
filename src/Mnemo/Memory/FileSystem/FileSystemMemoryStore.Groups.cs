using static Mnemo.Memory.FileSystem.FolderCodes;

namespace Mnemo.Memory.FileSystem;

/// <summary>Group commit of durable edits: concurrent writers share one take of the lock and one flush of the history.</summary>
public sealed partial class FileSystemMemoryStore
{
    private const int SyncFileSystemFrom = 4;

    private GroupCommit<GroupedReplace, bool?>? _replaceGroups;

    /// <summary>Runs a group of compare-and-swap replaces under one take of the write lock, in the order a single write keeps.</summary>
    /// <remarks>
    /// <para>The steps are those of one write, each done for the whole group before the next: every new content written to
    /// a temp file and flushed; every change appended to the history with one flush; every rename, each folder flushed;
    /// every settle line. So a crash leaves what a crash of single writes would: changes recorded whose renames may or may
    /// not have happened, which the next writer settles from what the files show.</para>
    /// <para>A member the group cannot take as it is (a file already edited earlier in the group, a path that changed while
    /// being resolved, a failure before anything was renamed) answers <see langword="null"/> and takes the single path.</para>
    /// </remarks>
    private async Task RunReplacesAsync(List<Grouped<GroupedReplace, bool?>> group)
    {
        var members = new List<GroupMember>(group.Count);
        var renamed = false;
        try
        {
            using var gate = await LockAsync(CancellationToken.None).ConfigureAwait(false);
            PrepareLocked();
            var paths = new HashSet<string>(StringComparer.Ordinal);
            long groupAdded = 0;
            foreach (var entry in group)
            {
                var (path, content, expected, context) = entry.Item;
                if (!paths.Add(path.Normalized))
                {
                    entry.Done.TrySetResult(null);
                    continue;
                }

                if (_requests.AppliedBefore(context, _log))
                {
                    entry.Done.TrySetResult(true);
                    continue;
                }

                var added = content.Length - expected.Content.Length;
                if (added > 0 && _quotas.LimitsTotals)
                {
                    var usage = UsageLocked();
                    try
                    {
                        _quotas.CheckTotals(path, usage.Files, 0, usage.Bytes + groupAdded + added, added);
                    }
                    catch (MemoryQuotaExceededException exception)
                    {
                        entry.Done.TrySetException(exception);
                        continue;
                    }
                }

                var resolved = _resolver.Resolve(path, createParents: false, openFinal: true);
                var unchanged = resolved.Status == ResolveStatus.Found && resolved.Stat.IsRegular ? _fs.Unchanged(resolved, expected) : false;
                if (resolved.Status == ResolveStatus.Raced || unchanged is not true)
                {
                    resolved.Dispose();
                    entry.Done.TrySetResult(resolved.Status == ResolveStatus.Raced || unchanged is null ? null : false);
                    continue;
                }

                var member = new GroupMember(entry, resolved, added);
                members.Add(member);
                member.Temp = _writer.WriteTemp(resolved.ParentFd, content.Span, out member.TempFd);
                groupAdded += added;
            }

            if (members.Count == 0)
            {
                return;
            }

            // 1. The new contents on disk: data and size, which is what reading them back needs (the rename, flushed with its
            // folder below, makes the name). A few files are flushed one by one; more, with one flush of the file system
            // they are on, which costs about what one file's does where each flush is a full one.
            var flushedAll = false;
            if (members.Count >= SyncFileSystemFrom)
            {
                flushedAll = _fs.SyncFs(_rootFd) == 0;
                if (!flushedAll && _fs.LastError != ENoSys)
                {
                    throw _fs.Failure("flush files to disk", _fs.LastError);
                }
            }

            if (!flushedAll)
            {
                foreach (var member in members)
                {
                    if (_fs.FDataSync(member.TempFd) != 0)
                    {
                        throw _fs.Failure("flush a file to disk", _fs.LastError);
                    }
                }
            }

            // 2. Every change in the history, with one flush.
            var changes = BeginChanges(members);

            // 3. The renames, each folder flushed; from here on nothing throws, and every member gets its answer.
            renamed = true;
            foreach (var member in members)
            {
                if (_fs.RenameAt2(member.Resolved.ParentFd, member.Temp!, member.Resolved.ParentFd, member.Resolved.Name!, 0) != 0)
                {
                    member.Error = _fs.LastError;
                    _ = _fs.UnlinkAt(member.Resolved.ParentFd, member.Temp!, 0);
                }

                member.Temp = null;
            }

            // One flush per folder, however many of the group's files it holds.
            var folders = new HashSet<(ulong Device, ulong Inode)>();
            foreach (var member in members.Where(member => member.Error == 0))
            {
                if (_fs.Statx(member.Resolved.ParentFd, string.Empty, AtEmptyPath, StatxBasicStats, out var folder) != 0 || folders.Add(folder.Identity))
                {
                    member.Resolved.SyncParent(_writer.Durable);
                }
            }

            // 4. The settle lines, in the order of the changes.
            for (var i = 0; i < members.Count; i++)
            {
                EndChange(changes[i], applied: members[i].Error == 0, bytesAdded: members[i].Added);
            }

            foreach (var member in members)
            {
                if (member.Error == 0)
                {
                    member.Entry.Done.TrySetResult(true);
                }
                else
                {
                    member.Entry.Done.TrySetException(_fs.Failure("replace a file", member.Error));
                }
            }
        }
        catch (Exception exception) when (!renamed)
        {
            // Nothing was renamed: each member that has no answer yet takes the single path, which reports what stays wrong.
            _ = exception;
            group.ForEach(entry => entry.Done.TrySetResult(null));
        }
        finally
        {
            foreach (var member in members)
            {
                if (member.TempFd >= 0)
                {
                    _ = _fs.Close(member.TempFd);
                }

                if (member.Temp is not null)
                {
                    _ = _fs.UnlinkAt(member.Resolved.ParentFd, member.Temp, 0);
                }

                member.Resolved.Dispose();
            }
        }
    }

    /// <summary>Records a group's changes in one write and one flush; the group's form of <see cref="BeginChange"/>.</summary>
    private List<PendingChange> BeginChanges(List<GroupMember> members)
    {
        if (_log is null)
        {
            return members.ConvertAll(member => new PendingChange(0, -1, member.Entry.Item.Context?.RequestId, default));
        }

        var now = _time.GetUtcNow();
        var first = _log.NextSequence;
        return _log.Begin(members.ConvertAll(member =>
        {
            var (path, content, _, context) = member.Entry.Item;
            return Change(first++, now, MemoryChangeKind.Edit, path, null, Versions(path, content), context);
        }));
    }

    private sealed record GroupedReplace(MemoryPath Path, ReadOnlyMemory<byte> Content, MemoryItem Expected, MemoryWriteContext? Context);

    private sealed class GroupMember(Grouped<GroupedReplace, bool?> entry, FolderResolution resolved, long added)
    {
        public Grouped<GroupedReplace, bool?> Entry { get; } = entry;

        public FolderResolution Resolved { get; } = resolved;

        public long Added { get; } = added;

        public string? Temp { get; set; }

        public int TempFd = -1;

        public int Error { get; set; }
    }
}
