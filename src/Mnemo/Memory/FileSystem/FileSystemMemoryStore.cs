using static Mnemo.Memory.FileSystem.FolderCodes;

namespace Mnemo.Memory.FileSystem;

/// <summary>Represents a memory store in a folder of the local file system.</summary>
/// <remarks>
/// <para><b>Safety.</b> Every path is resolved one name at a time, never as a whole path string. Links (and Windows'
/// junctions) that stay inside the root are followed; a path that leaves it fails with <see cref="MemoryPathEscapeException"/>.
/// On Linux the names are resolved from folder handles the store holds open, so a link cannot lead out even when it is
/// planted between a check and a use; the portable engine used elsewhere narrows that race but cannot close it
/// (<see cref="FolderEngine"/>).</para>
/// <para><b>Atomicity and durability.</b> A write goes to a hidden temp file beside its target (mode 0600), is flushed to
/// the disk, and is renamed into place; the folder is flushed too. A reader sees the old file or the new one, never part
/// of one; a crash leaves no visible temp file, and the hidden ones it may leave are removed when a store next opens the root.
/// Folders the store makes get mode 0700.</para>
/// <para><b>Concurrency.</b> Writes take an exclusive lock on the root folder (<c>flock</c> on Linux, the lock file
/// <c>.mnemo/write.lock</c> elsewhere), held by threads of this process and by other processes alike; reads take no lock. <see cref="ReplaceFileAsync"/> compares the file's identity
/// and its bytes with what was read, so no intervening write goes unnoticed. The store is thread-safe.</para>
/// <para>Runs wherever .NET runs: Linux (x64, arm64) with its own calls, other systems with the portable engine
/// (<see cref="FileSystemMemoryStoreOptions.Engine"/>). The folder's files, history and logs have one format on every system.</para>
/// </remarks>
public sealed partial class FileSystemMemoryStore : IVersionedMemoryStore, IUntrackedMemoryReader, IDisposable
{
    private readonly FolderSystem _fs;
    private readonly int _rootFd;
    private readonly int _metaFd;
    private readonly FolderWriteLock _writeLock;
    private readonly FolderPathResolver _resolver;
    private readonly FolderListing _listing;
    private readonly DurableFileWriter _writer;
    private readonly HistoryLog? _log;
    private readonly RequestIndex _requests = new();
    private readonly UsageCounter _usage;
    private readonly ReadTracker _reads;
    private readonly MemoryQuotas _quotas;
    private readonly TimeProvider _time;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="FileSystemMemoryStore"/> class over a folder, creating it if missing.</summary>
    /// <param name="rootDirectory">The folder that <c>/memories</c> maps to.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <exception cref="PlatformNotSupportedException">The Linux engine was asked for on another system.</exception>
    /// <exception cref="MemoryStoreException">The folder cannot be created or opened.</exception>
    public FileSystemMemoryStore(string rootDirectory, FileSystemMemoryStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(rootDirectory);
        options = (options ?? new FileSystemMemoryStoreOptions()).Validated();
        _fs = FolderEngines.Open(options.Engine, options.NameRules);
        _writer = new DurableFileWriter(_fs, options.Durable);
        _replaceGroups = options.Durable ? new(RunReplacesAsync, HistoryLog.MaxGroupChanges, MaxGroupBytes) : null;
        _quotas = options.Quotas;
        _time = options.TimeProvider;
        _usage = new UsageCounter(seesOtherWriters: options.History);
        ExpireAfter = options.ExpireAfter;
        RootDirectory = Path.GetFullPath(rootDirectory);
        try
        {
            FolderEngines.CreateRoot(RootDirectory);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new MemoryStoreException("The memory folder cannot be created.", innerException: exception);
        }

        _rootFd = _fs.OpenAt(AtFdCwd, RootDirectory, ORdOnly | ODirectory | OCloExec, 0);
        if (_rootFd < 0)
        {
            throw _fs.Failure("open the memory folder", _fs.LastError);
        }

        _writeLock = new FolderWriteLock(_fs, _rootFd);
        _metaFd = -1;
        try
        {
            _resolver = new FolderPathResolver(_fs, _rootFd, _fs.RealPathOf(_rootFd, RootDirectory));
            _listing = new FolderListing(_fs, _rootFd, _resolver);
            _metaFd = OpenMetaDirectory();
            _log = options.History ? new HistoryLog(_metaFd, _writer, _time, Applied) : null;
            _reads = new ReadTracker(_metaFd, _writer, _time, options.ReadTrackingResolution);
            using (LockAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult())
            {
                // What a crashed writer left: temp files and half-deleted folders.
                _writer.RemoveStaleTempFiles(_rootFd);
            }
        }
        catch
        {
            // A constructor that fails disposes what it opened.
            if (_metaFd >= 0)
            {
                _ = _fs.Close(_metaFd);
            }

            _ = _fs.Close(_rootFd);
            _writeLock.Dispose();
            throw;
        }
    }

    /// <summary>Gets the full path of the folder that <c>/memories</c> maps to.</summary>
    public string RootDirectory { get; }

    /// <summary>Gets the engine the store reaches its folder through: <see cref="FolderEngine.Linux"/> or <see cref="FolderEngine.Portable"/>.</summary>
    public FolderEngine Engine => _fs.Engine;

    /// <inheritdoc/>
    public ValueTask<MemoryItem?> ReadAsync(MemoryPath path, CancellationToken cancellationToken = default) => Read(path, track: true, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<MemoryItem?> ReadUntrackedAsync(MemoryPath path, CancellationToken cancellationToken = default) => Read(path, track: false, cancellationToken);

    private ValueTask<MemoryItem?> Read(MemoryPath path, bool track, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        if (IsReserved(path))
        {
            return ValueTask.FromResult<MemoryItem?>(null);
        }

        _fs.CheckNames(path);
        var item = ReadItem(path);
        if (track && item is { Kind: MemoryEntryKind.File })
        {
            _reads.NoteRead(path);
        }

        return ValueTask.FromResult(item);
    }

    private MemoryItem? ReadItem(MemoryPath path) => RaceRetry.Run(() =>
    {
        using var resolved = _resolver.Resolve(path, createParents: false, openFinal: true);
        if (resolved.Status == ResolveStatus.Raced)
        {
            return Attempt<MemoryItem?>.Raced;
        }

        if (resolved.Status == ResolveStatus.Root || (resolved.Status == ResolveStatus.Found && resolved.Stat.IsDirectory))
        {
            return new Attempt<MemoryItem?>(MemoryItem.Directory);
        }

        if (resolved.Status != ResolveStatus.Found || !resolved.Stat.IsRegular)
        {
            return new Attempt<MemoryItem?>(null);
        }

        return _fs.ReadFile(resolved) is { } file ? new Attempt<MemoryItem?>(file) : Attempt<MemoryItem?>.Raced;
    });

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<MemoryEntry>?> ListAsync(MemoryPath directory, int depth, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        if (IsReserved(directory))
        {
            return ValueTask.FromResult<IReadOnlyList<MemoryEntry>?>(null);
        }

        _fs.CheckNames(directory);

        return ValueTask.FromResult(_listing.List(directory, depth));
    }

    /// <inheritdoc/>
    public async ValueTask<bool> CreateFileAsync(
        MemoryPath path, ReadOnlyMemory<byte> content, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.IsRoot)
        {
            return false;
        }

        ThrowIfReserved(path);
        _quotas.CheckPath(path);
        _quotas.CheckFile(path, content.Span, default);
        using var gate = await LockAsync(cancellationToken).ConfigureAwait(false);
        PrepareLocked();
        if (_requests.AppliedBefore(context, _log))
        {
            return true;
        }

        if (_quotas.LimitsTotals)
        {
            var usage = UsageLocked();
            _quotas.CheckTotals(path, usage.Files + 1, 1, usage.Bytes + content.Length, content.Length);
        }

        return RaceRetry.Run(() =>
        {
            using var resolved = _resolver.Resolve(path, createParents: true);
            switch (resolved.Status)
            {
                case ResolveStatus.Raced:
                    return Attempt<bool>.Raced;
                case ResolveStatus.Root or ResolveStatus.Found:
                    return new Attempt<bool>(false);
                case ResolveStatus.ParentMissing:
                    throw new MemoryParentNotDirectoryException(path);
            }

            var temp = _writer.WriteTemp(resolved.ParentFd, content.Span);
            var change = BeginChange(MemoryChangeKind.Create, path, null, Versions(path, content), context, (resolved.ParentFd, temp));
            if (_fs.RenameAt2(resolved.ParentFd, temp, resolved.ParentFd, resolved.Name!, RenameNoReplace) != 0)
            {
                var error = _fs.LastError;
                _ = _fs.UnlinkAt(resolved.ParentFd, temp, 0);
                EndChange(change, applied: false);
                return error == EExist ? new Attempt<bool>(false) : throw _fs.Failure("create a file", error);
            }

            resolved.SyncDirectories(_writer.Durable);
            EndChange(change, applied: true, filesAdded: 1, bytesAdded: content.Length);
            return new Attempt<bool>(true);
        });
    }

    /// <inheritdoc/>
    public async ValueTask<bool> ReplaceFileAsync(
        MemoryPath path,
        ReadOnlyMemory<byte> content,
        MemoryItem expected,
        MemoryWriteContext? context = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(expected);
        if (expected.Kind != MemoryEntryKind.File)
        {
            return false;
        }

        ThrowIfReserved(path);
        _quotas.CheckFile(path, content.Span, expected.Content.Span);
        if (_replaceGroups is not null)
        {
            ThrowIfDisposed();
            if (await _replaceGroups.RunAsync(new GroupedReplace(path, content, expected, context), content.Length, cancellationToken).ConfigureAwait(false) is { } done)
            {
                return done;
            }
        }

        using var gate = await LockAsync(cancellationToken).ConfigureAwait(false);
        PrepareLocked();
        if (_requests.AppliedBefore(context, _log))
        {
            return true;
        }

        var added = content.Length - expected.Content.Length;
        if (added > 0 && _quotas.LimitsTotals)
        {
            var usage = UsageLocked();
            _quotas.CheckTotals(path, usage.Files, 0, usage.Bytes + added, added);
        }

        return RaceRetry.Run(() =>
        {
            using var resolved = _resolver.Resolve(path, createParents: false, openFinal: true);
            if (resolved.Status == ResolveStatus.Raced)
            {
                return Attempt<bool>.Raced;
            }

            if (resolved.Status != ResolveStatus.Found || !resolved.Stat.IsRegular)
            {
                return new Attempt<bool>(false);
            }

            // The identity alone could repeat (a freed inode number reused within one timestamp tick), so the bytes are compared too.
            var unchanged = _fs.Unchanged(resolved, expected);
            if (unchanged is null)
            {
                return Attempt<bool>.Raced;
            }

            if (!unchanged.Value)
            {
                return new Attempt<bool>(false);
            }

            var temp = _writer.WriteTemp(resolved.ParentFd, content.Span);
            var change = BeginChange(MemoryChangeKind.Edit, path, null, Versions(path, content), context, (resolved.ParentFd, temp));
            if (_fs.RenameAt2(resolved.ParentFd, temp, resolved.ParentFd, resolved.Name!, 0) != 0)
            {
                var error = _fs.LastError;
                _ = _fs.UnlinkAt(resolved.ParentFd, temp, 0);
                EndChange(change, applied: false);
                throw _fs.Failure("replace a file", error);
            }

            resolved.SyncParent(_writer.Durable);
            EndChange(change, applied: true, bytesAdded: added);
            return new Attempt<bool>(true);
        });
    }

    /// <summary>Closes the root folder's handle.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _log?.Dispose();
            _ = _fs.Close(_metaFd);
            _ = _fs.Close(_rootFd);
            _writeLock.Dispose();
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private ValueTask<FolderWriteLock.Held> LockAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        return _writeLock.TakeAsync(cancellationToken);
    }
}
