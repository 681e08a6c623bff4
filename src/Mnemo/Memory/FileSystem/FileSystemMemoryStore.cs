using System.Buffers;
using System.Globalization;
using System.Text;
using static Mnemo.Memory.FileSystem.LinuxInterop;
using System.Runtime.Versioning;

namespace Mnemo.Memory.FileSystem;

/// <summary>Represents a memory store in a folder of the local file system.</summary>
/// <remarks>
/// <para><b>Safety.</b> Every path is resolved one name at a time from directory handles the store holds open, never as a
/// whole path string, so a symbolic link cannot lead out of the root even when it is planted between a check and a use.
/// Links that stay inside the root are followed; a path that leaves it fails with <see cref="MemoryPathEscapeException"/>.</para>
/// <para><b>Atomicity and durability.</b> A write goes to a hidden temp file beside its target (mode 0600), is flushed to
/// the disk, and is renamed into place; the folder is flushed too. A reader sees the old file or the new one, never part
/// of one; a crash leaves no visible temp file, and the hidden ones it may leave are removed when a store next opens the root.
/// Folders the store makes get mode 0700.</para>
/// <para><b>Concurrency.</b> Writes take an exclusive lock on the root folder (<c>flock</c>), held by threads of this
/// process and by other processes alike; reads take no lock. <see cref="ReplaceFileAsync"/> compares the file's identity
/// and its bytes with what was read, so no intervening write goes unnoticed. The store is thread-safe.</para>
/// <para>Linux only (x64 and arm64): the safety above rests on <c>openat</c>, <c>statx</c> and <c>renameat2</c>.</para>
/// </remarks>
[SupportedOSPlatform("linux")]
public sealed partial class FileSystemMemoryStore : IVersionedMemoryStore, IDisposable
{
    private const string TempPrefix = ".tmp-mnemo-";
    private const int MaxLinks = 40;
    private const int MaxRaceRetries = 100;
    private const int CompareChunkBytes = 16 * 1024;
    private const uint FileMode = 0x180; // 0600
    private const uint DirectoryMode = 0x1C0; // 0700

    private const byte DirectoryType = 4; // DT_DIR

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    // Unpredictability is not needed here, only a prefix two processes are unlikely to share (O_EXCL settles the rest), so
    // the prefix comes from the runtime's seeded generator rather than from the cryptographic library, which is slow to load.
    private static readonly ulong TempNamePrefix = (ulong)Random.Shared.NextInt64();
    private static int _tempCounter;

    private readonly bool _durable;
    private readonly int _rootFd;
    private readonly int _metaFd;
    private readonly string _rootRealPath;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="FileSystemMemoryStore"/> class over a folder, creating it if missing.</summary>
    /// <param name="rootDirectory">The folder that <c>/memories</c> maps to.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <exception cref="PlatformNotSupportedException">The operating system is not Linux on x64 or arm64.</exception>
    /// <exception cref="MemoryStoreException">The folder cannot be created or opened.</exception>
    public FileSystemMemoryStore(string rootDirectory, FileSystemMemoryStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(rootDirectory);
        if (!OperatingSystem.IsLinux() || !IsSupported)
        {
            throw new PlatformNotSupportedException("The file-system memory store runs on Linux (x64 or arm64) only.");
        }

        options = (options ?? new FileSystemMemoryStoreOptions()).Validated();
        _durable = options.Durable;
        _replaceGroups = _durable ? new(RunReplacesAsync, MaxGroupWrites, MaxGroupBytes) : null;
        _history = options.History;
        _quotas = options.Quotas;
        _time = options.TimeProvider;
        _readResolution = options.ReadTrackingResolution;
        ExpireAfter = options.ExpireAfter;
        RootDirectory = Path.GetFullPath(rootDirectory);
        try
        {
            Directory.CreateDirectory(RootDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new MemoryStoreException("The memory folder cannot be created.", innerException: exception);
        }

        _rootFd = OpenAt(AtFdCwd, RootDirectory, ORdOnly | ODirectory | OCloExec, 0);
        if (_rootFd < 0)
        {
            throw Failure("open the memory folder", LastError);
        }

        _metaFd = -1;
        try
        {
            _rootRealPath = new FileInfo($"/proc/self/fd/{_rootFd}").LinkTarget ?? RootDirectory;
            _metaFd = OpenMetaDirectory();
            RemoveStaleTempFiles();
        }
        catch
        {
            // A constructor that fails disposes what it opened.
            if (_metaFd >= 0)
            {
                _ = Close(_metaFd);
            }

            _ = Close(_rootFd);
            _writeGate.Dispose();
            throw;
        }
    }

    /// <summary>Gets the full path of the folder that <c>/memories</c> maps to.</summary>
    public string RootDirectory { get; }

    /// <inheritdoc/>
    public ValueTask<MemoryItem?> ReadAsync(MemoryPath path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        if (IsReserved(path))
        {
            return ValueTask.FromResult<MemoryItem?>(null);
        }

        var item = ReadItem(path);
        if (item is { Kind: MemoryEntryKind.File })
        {
            NoteRead(path);
        }

        return ValueTask.FromResult(item);
    }

    private MemoryItem? ReadItem(MemoryPath path) => Retry(() =>
    {
        using var resolved = Resolve(path, createParents: false, openFinal: true);
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

        return ReadFile(resolved) is { } file ? new Attempt<MemoryItem?>(file) : Attempt<MemoryItem?>.Raced;
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

        return ValueTask.FromResult(Retry(() =>
        {
            using var resolved = Resolve(directory, createParents: false, openFinal: true);
            if (resolved.Status == ResolveStatus.Raced)
            {
                return Attempt<IReadOnlyList<MemoryEntry>?>.Raced;
            }

            if (resolved.Status != ResolveStatus.Root && !(resolved.Status == ResolveStatus.Found && resolved.Stat.IsDirectory))
            {
                return new Attempt<IReadOnlyList<MemoryEntry>?>(null);
            }

            // The resolution's own handle is listed when it has one. The root's handle is shared and its read position
            // must not move, so the root is listed through a fresh handle; so is a folder the resolution found by looking
            // rather than by opening (it could not open it, or the folder appeared after the open failed).
            var ownsFd = resolved.FinalFd < 0;
            var fd = !ownsFd ? resolved.FinalFd
                : resolved.Status == ResolveStatus.Root ? OpenAt(_rootFd, ".", ORdOnly | ODirectory | OCloExec, 0)
                : OpenAt(resolved.ParentFd, resolved.Name!, ORdOnly | ODirectory | ONoFollow | OCloExec, 0);
            if (fd < 0)
            {
                return IsRace(LastError) ? Attempt<IReadOnlyList<MemoryEntry>?>.Raced : throw Failure("open a folder", LastError);
            }

            try
            {
                return new Attempt<IReadOnlyList<MemoryEntry>?>(ListDirectory(fd, directory, depth));
            }
            finally
            {
                if (ownsFd)
                {
                    _ = Close(fd);
                }
            }
        }));
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
        if (AppliedBefore(context))
        {
            return true;
        }

        if (_quotas.LimitsTotals)
        {
            var usage = UsageLocked();
            _quotas.CheckTotals(path, usage.Files + 1, 1, usage.Bytes + content.Length, content.Length);
        }

        return Retry(() =>
        {
            using var resolved = Resolve(path, createParents: true);
            switch (resolved.Status)
            {
                case ResolveStatus.Raced:
                    return Attempt<bool>.Raced;
                case ResolveStatus.Root or ResolveStatus.Found:
                    return new Attempt<bool>(false);
                case ResolveStatus.ParentMissing:
                    throw new MemoryParentNotDirectoryException(path);
            }

            var temp = WriteTemp(resolved.ParentFd, content.Span);
            var change = BeginChange(MemoryChangeKind.Create, path, null, Versions(path, content), context, (resolved.ParentFd, temp));
            if (RenameAt2(resolved.ParentFd, temp, resolved.ParentFd, resolved.Name!, RenameNoReplace) != 0)
            {
                var error = LastError;
                _ = UnlinkAt(resolved.ParentFd, temp, 0);
                EndChange(change, applied: false);
                return error == EExist ? new Attempt<bool>(false) : throw Failure("create a file", error);
            }

            resolved.SyncDirectories(_durable);
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
        if (AppliedBefore(context))
        {
            return true;
        }

        var added = content.Length - expected.Content.Length;
        if (added > 0 && _quotas.LimitsTotals)
        {
            var usage = UsageLocked();
            _quotas.CheckTotals(path, usage.Files, 0, usage.Bytes + added, added);
        }

        return Retry(() =>
        {
            using var resolved = Resolve(path, createParents: false, openFinal: true);
            if (resolved.Status == ResolveStatus.Raced)
            {
                return Attempt<bool>.Raced;
            }

            if (resolved.Status != ResolveStatus.Found || !resolved.Stat.IsRegular)
            {
                return new Attempt<bool>(false);
            }

            // The identity alone could repeat (a freed inode number reused within one timestamp tick), so the bytes are compared too.
            var unchanged = Unchanged(resolved, expected);
            if (unchanged is null)
            {
                return Attempt<bool>.Raced;
            }

            if (!unchanged.Value)
            {
                return new Attempt<bool>(false);
            }

            var temp = WriteTemp(resolved.ParentFd, content.Span);
            var change = BeginChange(MemoryChangeKind.Edit, path, null, Versions(path, content), context, (resolved.ParentFd, temp));
            if (RenameAt2(resolved.ParentFd, temp, resolved.ParentFd, resolved.Name!, 0) != 0)
            {
                var error = LastError;
                _ = UnlinkAt(resolved.ParentFd, temp, 0);
                EndChange(change, applied: false);
                throw Failure("replace a file", error);
            }

            resolved.SyncParent(_durable);
            EndChange(change, applied: true, bytesAdded: added);
            return new Attempt<bool>(true);
        });
    }

    /// <inheritdoc/>
    public async ValueTask<MemoryDeleteOutcome> DeleteAsync(
        MemoryPath path, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ThrowIfReserved(path);
        using var gate = await LockAsync(cancellationToken).ConfigureAwait(false);
        PrepareLocked();
        if (AppliedBefore(context))
        {
            return MemoryDeleteOutcome.Deleted;
        }

        return DeleteLocked(path, context);
    }

    private MemoryDeleteOutcome DeleteLocked(MemoryPath path, MemoryWriteContext? context) => Retry(() =>
    {
        using var resolved = Resolve(path, createParents: false);
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
            var hidden = TempName();
            var change = BeginChange(MemoryChangeKind.Delete, path, null, files, context);
            if (RenameAt2(resolved.ParentFd, resolved.Name!, resolved.ParentFd, hidden, RenameNoReplace) != 0)
            {
                var error = LastError;
                EndChange(change, applied: false);
                return IsRace(error) ? Attempt<MemoryDeleteOutcome>.Raced : throw Failure("delete a folder", error);
            }

            resolved.SyncParent(_durable);
            EndChange(change, applied: true, filesAdded: -files.Count, bytesAdded: -freed);
            RemoveTree(resolved.ParentFd, hidden);
        }
        else
        {
            var change = BeginChange(MemoryChangeKind.Delete, path, null, files, context);
            if (UnlinkAt(resolved.ParentFd, resolved.Name!, 0) != 0)
            {
                var error = LastError;
                EndChange(change, applied: false);
                return IsRace(error) ? Attempt<MemoryDeleteOutcome>.Raced : throw Failure("delete a file", error);
            }

            resolved.SyncParent(_durable);
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
        if (AppliedBefore(context))
        {
            return MemoryRenameOutcome.Renamed;
        }

        return Retry(() =>
        {
            using var from = Resolve(source, createParents: false);
            using var probe = Resolve(destination, createParents: false);
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

            using var to = Resolve(destination, createParents: true);
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
            if (RenameAt2(from.ParentFd, from.Name!, to.ParentFd, to.Name!, RenameNoReplace) != 0)
            {
                var error = LastError;
                EndChange(change, applied: false);
                return error switch
                {
                    EExist or ENotEmpty => new Attempt<MemoryRenameOutcome>(MemoryRenameOutcome.DestinationExists),
                    EInval => new Attempt<MemoryRenameOutcome>(MemoryRenameOutcome.DestinationInsideSource),
                    _ when IsRace(error) => Attempt<MemoryRenameOutcome>.Raced,
                    _ => throw Failure("rename", error),
                };
            }

            to.SyncDirectories(_durable);
            from.SyncParent(_durable);
            EndChange(change, applied: true);
            return new Attempt<MemoryRenameOutcome>(MemoryRenameOutcome.Renamed);
        });
    }

    /// <summary>Closes the root folder's handle.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            CloseLog();
            _ = Close(_metaFd);
            _ = Close(_rootFd);
            _writeGate.Dispose();
        }
    }

    private static bool IsRace(int errno) => errno is ENoEnt or ELoop or ENotDir or EExist;

    private static MemoryStoreException Failure(string action, int errno) =>
        new($"the file system refused to {action}: {Describe(errno)}", isTransient: errno == EIntr);

    /// <summary>
    /// Makes a temp name unique to this process (a random 64-bit prefix drawn once) and to this call (a counter): no system
    /// call per name, and creates use <c>O_EXCL</c>, so even a collision could only fail a write, never mix two.
    /// </summary>
    private static string TempName() =>
        string.Create(CultureInfo.InvariantCulture, $"{TempPrefix}{TempNamePrefix:x16}{(uint)Interlocked.Increment(ref _tempCounter):x8}");

    private static bool IsTempName(string name) =>
        name.Length == TempPrefix.Length + 24 && name.StartsWith(TempPrefix, StringComparison.Ordinal);

    private static T Retry<T>(Func<Attempt<T>> attempt)
    {
        for (var i = 0; i < MaxRaceRetries; i++)
        {
            var result = attempt();
            if (!result.IsRaced)
            {
                return result.Value;
            }
        }

        throw new MemoryStoreException("the path kept changing while it was being resolved", isTransient: true);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private async ValueTask<WriteLock> LockAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        while (FLock(_rootFd, LockEx) != 0)
        {
            if (LastError != EIntr)
            {
                var error = LastError;
                _writeGate.Release();
                throw Failure("lock the memory folder", error);
            }
        }

        return new WriteLock(this);
    }

    /// <summary>Resolves a path one name at a time from the root handle, following links only while they stay inside.</summary>
    /// <remarks>
    /// Each folder on the way is opened with <c>O_NOFOLLOW</c> before anything else is asked of it, so the handle the walk
    /// goes on from is the folder itself and nothing can be swapped in behind a check. Only when an open fails is the
    /// name inspected, to tell a link (followed while it stays inside) from a file or a missing name. With
    /// <paramref name="openFinal"/> the last name is opened too (never following a link, never blocking) and its handle
    /// kept in <see cref="Resolution.FinalFd"/>, so a read needs no second look-up.
    /// </remarks>
    private Resolution Resolve(MemoryPath path, bool createParents, bool openFinal = false)
    {
        var resolution = new Resolution(_rootFd);
        var pending = new Stack<string>(path.Segments.Reverse());
        var links = 0;
        try
        {
            while (pending.TryPop(out var name))
            {
                if (name is "" or ".")
                {
                    continue;
                }

                if (name == "..")
                {
                    if (!resolution.Pop())
                    {
                        throw new MemoryPathEscapeException(path);
                    }

                    continue;
                }

                // The store's own records sit beside the memory files and are as far out of reach as anything outside the root.
                if (name == MetaDirectoryName && resolution.AtRoot)
                {
                    throw new MemoryPathEscapeException(path);
                }

                var last = pending.Count == 0;
                var openError = 0;
                if (!last || openFinal)
                {
                    var flags = last ? ORdOnly | ONoFollow | ONonBlock | ONoCtty | OCloExec : ORdOnly | ODirectory | ONoFollow | OCloExec;
                    var fd = OpenAt(resolution.TopFd, name, flags, 0);
                    if (fd >= 0)
                    {
                        if (!last)
                        {
                            resolution.Push(fd, name);
                            continue;
                        }

                        if (Statx(fd, string.Empty, AtEmptyPath, StatxBasicStats, out var opened) != 0)
                        {
                            var error = LastError;
                            _ = Close(fd);
                            throw Failure("inspect a file", error);
                        }

                        return resolution.FinishOpen(name, fd, opened);
                    }

                    // A missing name, a link, a file where a folder should be, or something that cannot be opened
                    // (a socket): inspected below. Anything else is the file system's own failure.
                    openError = LastError;
                    if (openError is not (ENoEnt or ELoop or ENotDir or ENxio or EAcces))
                    {
                        throw Failure(last ? "open a file" : "open a folder", openError);
                    }
                }

                if (Statx(resolution.TopFd, name, AtSymlinkNoFollow, StatxBasicStats, out var stat) != 0)
                {
                    var error = LastError;
                    if (error != ENoEnt)
                    {
                        return error == ENotDir ? resolution.Finish(ResolveStatus.Raced) : throw Failure("inspect a path", error);
                    }

                    if (last)
                    {
                        return resolution.Finish(ResolveStatus.Missing, name);
                    }

                    if (!createParents)
                    {
                        return resolution.Finish(ResolveStatus.ParentMissing);
                    }

                    if (MkdirAt(resolution.TopFd, name, DirectoryMode) != 0 && LastError != EExist)
                    {
                        throw Failure("create a folder", LastError);
                    }

                    resolution.CreatedDirectory = true;
                    pending.Push(name);
                    continue;
                }

                if (stat.IsLink)
                {
                    if (++links > MaxLinks)
                    {
                        return resolution.Finish(last ? ResolveStatus.Missing : ResolveStatus.ParentMissing, name);
                    }

                    var target = ReadLink(resolution.TopFd, name);
                    if (target is null)
                    {
                        return resolution.Finish(ResolveStatus.Raced);
                    }

                    if (target.StartsWith('/'))
                    {
                        if (!target.Equals(_rootRealPath, StringComparison.Ordinal) &&
                            !target.StartsWith(_rootRealPath + "/", StringComparison.Ordinal))
                        {
                            throw new MemoryPathEscapeException(path);
                        }

                        resolution.PopToRoot();
                        target = target[_rootRealPath.Length..];
                    }

                    foreach (var part in target.Split('/').Reverse())
                    {
                        pending.Push(part);
                    }

                    continue;
                }

                if (last)
                {
                    return resolution.Finish(ResolveStatus.Found, name, stat);
                }

                // Not a link and yet the open failed: a file where a folder should be, a folder that may not be
                // entered, or a folder that appeared after the open.
                if (!stat.IsDirectory)
                {
                    return resolution.Finish(ResolveStatus.ParentMissing);
                }

                return openError == EAcces ? throw Failure("open a folder", openError) : resolution.Finish(ResolveStatus.Raced);
            }

            // The names ran out inside a link or at a "..": the result is the folder the walk stands in.
            return resolution.FinishAtTop(openFinal);
        }
        catch
        {
            resolution.Dispose();
            throw;
        }
    }

    private static string? ReadLink(int dirFd, string name)
    {
        Span<byte> buffer = stackalloc byte[4096];
        nint length;
        unsafe
        {
            fixed (byte* pointer = buffer)
            {
                length = ReadLinkAt(dirFd, name, pointer, (nuint)buffer.Length);
            }
        }

        return length < 0 ? null : Encoding.UTF8.GetString(buffer[..(int)length]);
    }

    /// <summary>Reads a resolved regular file; <see langword="null"/> when it changed between the resolution and the open.</summary>
    private static MemoryItem? ReadFile(Resolution resolved)
    {
        if (resolved.FinalFd >= 0)
        {
            return MemoryItem.File(ReadAll(resolved.FinalFd, (long)resolved.Stat.Size), VersionOf(resolved.Stat));
        }

        var fd = OpenAt(resolved.ParentFd, resolved.Name!, ORdOnly | ONoFollow | ONonBlock | ONoCtty | OCloExec, 0);
        if (fd < 0)
        {
            return IsRace(LastError) ? null : throw Failure("open a file", LastError);
        }

        try
        {
            if (Statx(fd, string.Empty, AtEmptyPath, StatxBasicStats, out var stat) != 0)
            {
                throw Failure("inspect a file", LastError);
            }

            if (!stat.IsRegular || stat.Identity != resolved.Stat.Identity)
            {
                return null;
            }

            var content = ReadAll(fd, (long)stat.Size);
            return MemoryItem.File(content, VersionOf(stat));
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>
    /// Tells whether a resolved file still has the version and the bytes of <paramref name="expected"/>, comparing as it
    /// reads through a small pooled buffer; <see langword="null"/> when the file changed between the resolution and the open.
    /// </summary>
    private static bool? Unchanged(Resolution resolved, MemoryItem expected)
    {
        if (resolved.FinalFd < 0)
        {
            var current = ReadFile(resolved);
            return current is null ? null : current.Version == expected.Version && current.Content.Span.SequenceEqual(expected.Content.Span);
        }

        var content = expected.Content.Span;
        if ((long)resolved.Stat.Size != content.Length || VersionOf(resolved.Stat) != expected.Version)
        {
            return false;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(content.Length, CompareChunkBytes));
        try
        {
            for (var compared = 0; compared < content.Length;)
            {
                var read = ReadSome(resolved.FinalFd, buffer.AsSpan(0, Math.Min(buffer.Length, content.Length - compared)));
                if (read == 0 || !buffer.AsSpan(0, read).SequenceEqual(content.Slice(compared, read)))
                {
                    return false;
                }

                compared += read;
            }

            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static MemoryVersion VersionOf(in StatxBuffer stat) =>
        new(string.Create(CultureInfo.InvariantCulture,
            $"{stat.Identity.Device:x}.{stat.Ino:x}.{stat.Size:x}.{stat.MTimeSeconds:x}.{stat.MTimeNanoseconds:x}.{stat.CTimeSeconds:x}.{stat.CTimeNanoseconds:x}"));

    /// <summary>Reads the <paramref name="size"/> bytes that the handle's <c>statx</c> measured, fewer if the file shrank.</summary>
    /// <remarks>
    /// Mnemo never changes a file in place (a write renames a new file over it), so the measured size is the size. A file
    /// something else appends to in place is read as it was measured, which is what its version says; an edit made on
    /// that snapshot fails its compare-and-swap, because the append changed the file's size and times.
    /// </remarks>
    private static byte[] ReadAll(int fd, long size)
    {
        if (size > Array.MaxLength)
        {
            throw new MemoryStoreException("the file is too large to read");
        }

        var buffer = GC.AllocateUninitializedArray<byte>((int)Math.Max(size, 0));
        for (var total = 0; total < buffer.Length;)
        {
            var read = ReadSome(fd, buffer.AsSpan(total));
            if (read == 0)
            {
                return buffer[..total];
            }

            total += read;
        }

        return buffer;
    }

    /// <summary>Reads what one <c>read</c> gives into <paramref name="buffer"/>, retrying on interruption; 0 at the end.</summary>
    private static unsafe int ReadSome(int fd, Span<byte> buffer)
    {
        while (true)
        {
            nint read;
            fixed (byte* pointer = buffer)
            {
                read = Read(fd, pointer, (nuint)buffer.Length);
            }

            if (read >= 0)
            {
                return (int)read;
            }

            if (LastError != EIntr)
            {
                throw Failure("read a file", LastError);
            }
        }
    }

    /// <summary>Writes bytes to a new hidden temp file in a folder, flushed to the disk; returns its name.</summary>
    private string WriteTemp(int dirFd, ReadOnlySpan<byte> content)
    {
        var name = WriteTemp(dirFd, content, out var fd);
        try
        {
            if (_durable && FSync(fd) != 0)
            {
                throw Failure("flush a file to disk", LastError);
            }
        }
        catch
        {
            _ = Close(fd);
            _ = UnlinkAt(dirFd, name, 0);
            throw;
        }

        if (Close(fd) != 0 && LastError != EIntr)
        {
            var error = LastError;
            _ = UnlinkAt(dirFd, name, 0);
            throw Failure("write a file", error);
        }

        return name;
    }

    /// <summary>Writes a temp file and leaves it open and unflushed, for the caller to flush (a group flushes all its files first).</summary>
    private static string WriteTemp(int dirFd, ReadOnlySpan<byte> content, out int fd)
    {
        var name = TempName();
        fd = OpenAt(dirFd, name, OWrOnly | OCreat | OExcl | ONoFollow | OCloExec, FileMode);
        if (fd < 0)
        {
            throw Failure("create a temp file", LastError);
        }

        try
        {
            WriteAll(fd, content);
            return name;
        }
        catch
        {
            _ = Close(fd);
            fd = -1;
            _ = UnlinkAt(dirFd, name, 0);
            throw;
        }
    }

    private static unsafe void WriteAll(int fd, ReadOnlySpan<byte> content)
    {
        fixed (byte* start = content)
        {
            var written = 0;
            while (written < content.Length)
            {
                var count = Write(fd, start + written, (nuint)(content.Length - written));
                if (count < 0)
                {
                    if (LastError == EIntr)
                    {
                        continue;
                    }

                    throw Failure("write a file", LastError);
                }

                written += (int)count;
            }
        }
    }

    private List<MemoryEntry> ListDirectory(int dirFd, MemoryPath directory, int depth)
    {
        var entries = new List<MemoryEntry>();
        foreach (var (name, type) in ReadNames(dirFd))
        {
            // The root's own listing skips the store's folder by name; a folder that is the root by a link is checked by identity.
            if (name == MetaDirectoryName && (directory.IsRoot || IsRootFolder(dirFd)))
            {
                continue;
            }

            // A folder's size is not shown, so a folder the listing names as such needs no look-up.
            StatxBuffer stat = default;
            var isDirectory = type == DirectoryType;
            if (!isDirectory && Statx(dirFd, name, AtSymlinkNoFollow, StatxBasicStats, out stat) != 0)
            {
                continue; // removed while listing
            }

            if (stat.IsLink)
            {
                if (ListLink(directory, name, depth) is { } linked)
                {
                    entries.Add(linked);
                }

                continue;
            }

            if (stat.IsRegular)
            {
                entries.Add(new MemoryEntry(name, MemoryEntryKind.File, (long)stat.Size));
            }
            else if (isDirectory || stat.IsDirectory)
            {
                IReadOnlyList<MemoryEntry>? children = null;
                if (depth > 1)
                {
                    var fd = OpenAt(dirFd, name, ORdOnly | ODirectory | ONoFollow | OCloExec, 0);
                    if (fd >= 0)
                    {
                        try
                        {
                            children = ListDirectory(fd, directory.Child(name), depth - 1);
                        }
                        finally
                        {
                            _ = Close(fd);
                        }
                    }
                }

                entries.Add(new MemoryEntry(name, MemoryEntryKind.Directory, 0, children ?? (depth > 1 ? [] : null)));
            }
        }

        return entries;
    }

    /// <summary>Lists a link as what it leads to; <see langword="null"/> when it leads out of the root or nowhere.</summary>
    private MemoryEntry? ListLink(MemoryPath directory, string name, int depth)
    {
        try
        {
            var path = directory.Child(name);
            var stat = Retry(() =>
            {
                using var resolved = Resolve(path, createParents: false);
                return resolved.Status switch
                {
                    ResolveStatus.Raced => Attempt<StatxBuffer?>.Raced,
                    ResolveStatus.Found => new Attempt<StatxBuffer?>(resolved.Stat),
                    _ => new Attempt<StatxBuffer?>(null),
                };
            });
            if (stat is { IsRegular: true } file)
            {
                return new MemoryEntry(name, MemoryEntryKind.File, (long)file.Size);
            }

            if (stat is not { IsDirectory: true })
            {
                return null;
            }

            var children = depth > 1 ? ListAsync(path, depth - 1).Result : null;
            return new MemoryEntry(name, MemoryEntryKind.Directory, 0, children);
        }
        catch (MemoryPathEscapeException)
        {
            return null;
        }
    }

    /// <summary>
    /// Reads a folder's names and their types (<c>d_type</c>, 0 when the file system does not tell) with <c>getdents64</c>,
    /// leaving out <c>.</c>, <c>..</c> and names that are not UTF-8.
    /// </summary>
    private static unsafe List<(string Name, byte Type)> ReadNames(int dirFd)
    {
        var names = new List<(string Name, byte Type)>();
        var buffer = ArrayPool<byte>.Shared.Rent(32 * 1024);
        try
        {
            while (true)
            {
                nint count;
                fixed (byte* pointer = buffer)
                {
                    count = GetDents64(dirFd, pointer, (nuint)buffer.Length);
                }

                if (count < 0)
                {
                    if (LastError == EIntr)
                    {
                        continue;
                    }

                    throw Failure("list a folder", LastError);
                }

                if (count == 0)
                {
                    return names;
                }

                for (var offset = 0; offset < count;)
                {
                    var recordLength = BitConverter.ToUInt16(buffer, offset + 16);
                    var type = buffer[offset + 18];
                    var nameBytes = buffer.AsSpan(offset + 19, recordLength - 19);
                    nameBytes = nameBytes[..nameBytes.IndexOf((byte)0)];
                    offset += recordLength;
                    if (nameBytes.SequenceEqual("."u8) || nameBytes.SequenceEqual(".."u8))
                    {
                        continue;
                    }

                    try
                    {
                        names.Add((StrictUtf8.GetString(nameBytes), type));
                    }
                    catch (DecoderFallbackException)
                    {
                        // A name that is not UTF-8 cannot be named by the model; it is not shown.
                    }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Removes a folder and everything in it; links inside are removed, never followed.</summary>
    private static void RemoveTree(int parentFd, string name)
    {
        var fd = OpenAt(parentFd, name, ORdOnly | ODirectory | ONoFollow | OCloExec, 0);
        if (fd < 0)
        {
            return;
        }

        try
        {
            foreach (var (child, _) in ReadNames(fd))
            {
                if (UnlinkAt(fd, child, 0) != 0 && LastError is EIsDir or 1 /* EPERM: Linux's answer for a folder */)
                {
                    RemoveTree(fd, child);
                }
            }
        }
        finally
        {
            _ = Close(fd);
        }

        if (UnlinkAt(parentFd, name, AtRemoveDir) != 0 && LastError != ENoEnt)
        {
            throw Failure("delete a folder", LastError);
        }
    }

    /// <summary>Removes temp files and half-deleted folders that a crashed writer left; runs under the write lock.</summary>
    private void RemoveStaleTempFiles()
    {
        using var gate = LockAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
        Sweep(_rootFd, 0);

        static void Sweep(int dirFd, int level)
        {
            foreach (var (name, _) in ReadNames(dirFd))
            {
                if (Statx(dirFd, name, AtSymlinkNoFollow, StatxBasicStats, out var stat) != 0)
                {
                    continue;
                }

                if (IsTempName(name))
                {
                    if (stat.IsDirectory)
                    {
                        RemoveTree(dirFd, name);
                    }
                    else
                    {
                        _ = UnlinkAt(dirFd, name, 0);
                    }
                }
                else if (stat.IsDirectory && level < 64)
                {
                    var fd = OpenAt(dirFd, name, ORdOnly | ODirectory | ONoFollow | OCloExec, 0);
                    if (fd >= 0)
                    {
                        try
                        {
                            Sweep(fd, level + 1);
                        }
                        finally
                        {
                            _ = Close(fd);
                        }
                    }
                }
            }
        }
    }

    private readonly record struct Attempt<T>(T Value, bool IsRaced = false)
    {
        public static Attempt<T> Raced => new(default!, true);
    }

    private enum ResolveStatus
    {
        Found,
        Missing,
        ParentMissing,
        Root,
        Raced,
    }

    /// <summary>The folder handles from the root down to a path's parent, which the walk holds open.</summary>
    private sealed class Resolution(int rootFd) : IDisposable
    {
        private readonly List<(int Fd, string Name)> _chain = [];

        public ResolveStatus Status { get; private set; }

        public string? Name { get; private set; }

        public StatxBuffer Stat { get; private set; }

        /// <summary>Gets the open handle of what the path names, when the resolution was asked to open it; -1 otherwise.</summary>
        public int FinalFd { get; private set; } = -1;

        public bool CreatedDirectory { get; set; }

        public int TopFd => _chain.Count == 0 ? rootFd : _chain[^1].Fd;

        public bool AtRoot => _chain.Count == 0;

        public int ParentFd => TopFd;

        public void Push(int fd, string name) => _chain.Add((fd, name));

        public bool Pop()
        {
            if (_chain.Count == 0)
            {
                return false;
            }

            _ = Close(_chain[^1].Fd);
            _chain.RemoveAt(_chain.Count - 1);
            return true;
        }

        public void PopToRoot()
        {
            while (Pop())
            {
            }
        }

        /// <summary>Tells whether a folder with this identity is on the walked chain (the root excluded).</summary>
        public bool HasAncestor((ulong, ulong) identity) =>
            _chain.Exists(link => Statx(link.Fd, string.Empty, AtEmptyPath, StatxBasicStats, out var stat) == 0 && stat.Identity == identity);

        public Resolution Finish(ResolveStatus status, string? name = null, StatxBuffer stat = default)
        {
            (Status, Name, Stat) = (status, name, stat);
            return this;
        }

        public Resolution FinishOpen(string name, int fd, in StatxBuffer stat)
        {
            FinalFd = fd;
            return Finish(ResolveStatus.Found, name, stat);
        }

        /// <summary>Ends a walk whose names ran out in a folder: that folder, named from its parent, is the result.</summary>
        public Resolution FinishAtTop(bool keepOpen)
        {
            if (_chain.Count == 0)
            {
                return Finish(ResolveStatus.Root);
            }

            var (fd, name) = _chain[^1];
            _chain.RemoveAt(_chain.Count - 1);
            if (Statx(fd, string.Empty, AtEmptyPath, StatxBasicStats, out var stat) != 0 || !stat.IsDirectory)
            {
                _ = Close(fd);
                return Finish(ResolveStatus.Raced);
            }

            if (!keepOpen)
            {
                _ = Close(fd);
                return Finish(ResolveStatus.Found, name, stat);
            }

            return FinishOpen(name, fd, stat);
        }

        public void SyncParent(bool durable)
        {
            if (durable)
            {
                _ = FSync(TopFd);
            }
        }

        /// <summary>Flushes the parent and, when the walk made folders, every folder above it, so new entries survive a crash.</summary>
        public void SyncDirectories(bool durable)
        {
            if (!durable)
            {
                return;
            }

            _ = FSync(TopFd);
            if (CreatedDirectory)
            {
                _ = FSync(rootFd);
                foreach (var (fd, _) in _chain)
                {
                    _ = FSync(fd);
                }
            }
        }

        public void Dispose()
        {
            if (FinalFd >= 0)
            {
                _ = Close(FinalFd);
                FinalFd = -1;
            }

            foreach (var (fd, _) in _chain)
            {
                _ = Close(fd);
            }

            _chain.Clear();
        }
    }

    private readonly struct WriteLock(FileSystemMemoryStore store) : IDisposable
    {
        public void Dispose()
        {
            _ = FLock(store._rootFd, LockUn);
            store._writeGate.Release();
        }
    }
}
