using static Mnemo.Memory.FileSystem.FolderCodes;

namespace Mnemo.Memory.FileSystem;

/// <summary>How the folder store's writes record themselves: the history's begin and settle around each change, the
/// idempotency keys, the usage count, and the store's reserved folder.</summary>
public sealed partial class FileSystemMemoryStore
{
    private const uint DirectoryMode = 0x1C0; // 0700
    private const long MaxGroupBytes = 8L * 1024 * 1024;

    private static bool IsReserved(MemoryPath path) => path.Segments.Count > 0 && path.Segments[0] == MetaDirectoryName;

    /// <summary>Refuses a path into the store's own folder, and names the system cannot hold (see <see cref="FolderNameRules"/>).</summary>
    private void ThrowIfReserved(MemoryPath path)
    {
        if (IsReserved(path))
        {
            throw new MemoryPathEscapeException(path);
        }

        _fs.CheckNames(path);
    }

    private int OpenMetaDirectory()
    {
        var created = _fs.MkdirAt(_rootFd, MetaDirectoryName, DirectoryMode) == 0;
        if (!created && _fs.LastError != EExist)
        {
            throw _fs.Failure("create the store's .mnemo folder", _fs.LastError);
        }

        var fd = _fs.OpenAt(_rootFd, MetaDirectoryName, ORdOnly | ODirectory | ONoFollow | OCloExec, 0);
        if (fd < 0)
        {
            throw _fs.Failure("open the store's .mnemo folder", _fs.LastError);
        }

        if (created && _writer.Durable)
        {
            _ = _fs.FSync(_rootFd);
        }

        return fd;
    }

    private IReadOnlyList<MemoryFileVersion> Versions(MemoryPath path, ReadOnlyMemory<byte> content) =>
        _log is not null ? [new MemoryFileVersion(path.Normalized, MemoryHash.Sha256(content.Span), content.Length, content)] : [];

    /// <summary>Settles what a crashed writer left and notices other processes' writes; the first thing under the write lock.</summary>
    private void PrepareLocked()
    {
        if (_log?.Prepare() == true)
        {
            _usage.Forget();
        }
    }

    /// <summary>Records a change before its content step, flushed; nothing but a pending marker when the store keeps no history.</summary>
    /// <param name="kind">What the change does.</param>
    /// <param name="path">The path it leaves (a rename's destination).</param>
    /// <param name="from">A rename's source.</param>
    /// <param name="files">Every file the change leaves, with its content.</param>
    /// <param name="context">Who writes and why.</param>
    /// <param name="discardOnFailure">A temp file to remove should the record fail, so nothing is left behind.</param>
    private PendingChange BeginChange(
        MemoryChangeKind kind, MemoryPath path, MemoryPath? from, IReadOnlyList<MemoryFileVersion> files, MemoryWriteContext? context,
        (int DirFd, string Name)? discardOnFailure = null)
    {
        if (_log is null)
        {
            return new PendingChange(0, -1, context?.RequestId, default);
        }

        try
        {
            return _log.Begin(Change(_log.NextSequence, _time.GetUtcNow(), kind, path, from, files, context));
        }
        catch when (discardOnFailure is var (dirFd, name))
        {
            _ = _fs.UnlinkAt(dirFd, name, 0);
            throw;
        }
    }

    private static MemoryChange Change(
        long sequence, DateTimeOffset time, MemoryChangeKind kind, MemoryPath path, MemoryPath? from, IReadOnlyList<MemoryFileVersion> files, MemoryWriteContext? context) =>
        new(sequence, time, kind, path.Normalized, files)
        {
            From = from?.Normalized,
            Actor = context?.Actor,
            Reason = context?.Reason,
            RequestId = context?.RequestId,
        };

    /// <summary>Settles a change once its content step is done or has failed; never throws, as the step already happened.</summary>
    private void EndChange(PendingChange change, bool applied, long filesAdded = 0, long bytesAdded = 0)
    {
        if (_log is not null && change.LogFd >= 0)
        {
            _log.Settle(change, applied);
            _requests.Settled(change.LogBefore, _log.Key);
        }

        if (!applied)
        {
            return;
        }

        _usage.Add(filesAdded, bytesAdded);
        if (change.RequestId is { } id)
        {
            _requests.Remember(id, change.Sequence);
        }
    }

    /// <summary>The store's file count and bytes (see <see cref="UsageCounter"/>); under the write lock.</summary>
    private (long Files, long Bytes) UsageLocked() => _usage.Get(add => WalkFiles((_, _, _, stat) => add((long)stat.Size)));

    /// <summary>Visits every regular file under the root (links are not followed, the store's own folder is skipped).</summary>
    private void WalkFiles(Action<int, string, MemoryPath, StatxBuffer> visit)
    {
        // A fresh handle: reading a folder moves its handle's position, and the root's own handle is shared.
        var rootFd = _fs.OpenAt(_rootFd, ".", ORdOnly | ODirectory | OCloExec, 0);
        if (rootFd < 0)
        {
            throw _fs.Failure("open the memory folder", _fs.LastError);
        }

        try
        {
            FolderTree.WalkFiles(_fs, rootFd, MemoryPath.RootPath, skipMetaFolder: true, visit);
        }
        finally
        {
            _ = _fs.Close(rootFd);
        }
    }

    /// <summary>Tells whether an unsettled change took effect, from what the files show now.</summary>
    private bool Applied(MemoryChange change)
    {
        MemoryItem? Read(string? path) =>
            MemoryPath.TryParse(path, out var parsed, out _) ? ReadItem(parsed) : null;

        return change.Kind switch
        {
            MemoryChangeKind.Create or MemoryChangeKind.Edit => Read(change.Path) is { Kind: MemoryEntryKind.File } file &&
                change.Files.Count == 1 && MemoryHash.Sha256(file.Content.Span) == change.Files[0].Hash,
            MemoryChangeKind.Delete => Read(change.Path) is null,
            MemoryChangeKind.Rename => Read(change.From) is null && Read(change.Path) is not null,
            _ => true,
        };
    }

    /// <summary>Reads every file a delete or a rename moves, at the paths the change leaves them; <see langword="null"/> on a race.</summary>
    private List<MemoryFileVersion>? CollectFiles(int parentFd, string name, in StatxBuffer stat, MemoryPath source, MemoryPath target)
    {
        var files = new List<MemoryFileVersion>();
        if (_log is null)
        {
            return files;
        }

        if (stat.IsRegular)
        {
            var content = _fs.ReadAt(parentFd, name);
            if (content is null)
            {
                return null;
            }

            files.Add(new MemoryFileVersion(target.Normalized, MemoryHash.Sha256(content), content.Length, content));
            return files;
        }

        if (!stat.IsDirectory)
        {
            return files;
        }

        var fd = _fs.OpenAt(parentFd, name, ORdOnly | ODirectory | ONoFollow | OCloExec, 0);
        if (fd < 0)
        {
            return FolderSystem.IsRace(_fs.LastError) ? null : throw _fs.Failure("open a folder", _fs.LastError);
        }

        try
        {
            FolderTree.WalkFiles(_fs, fd, target, skipMetaFolder: false, (dirFd, child, file, _) =>
            {
                if (_fs.ReadAt(dirFd, child) is { } content)
                {
                    files.Add(new MemoryFileVersion(file.Normalized, MemoryHash.Sha256(content), content.Length, content));
                }
            });
            return files;
        }
        finally
        {
            _ = _fs.Close(fd);
        }
    }
}
