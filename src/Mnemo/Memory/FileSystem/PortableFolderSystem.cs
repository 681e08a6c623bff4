using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;
using static Mnemo.Memory.FileSystem.FolderCodes;

namespace Mnemo.Memory.FileSystem;

/// <summary>The portable engine: the folder store's calls answered with .NET's file APIs alone, on Windows, macOS and Linux.</summary>
/// <remarks>
/// <para>A folder "handle" is a number for a folder's full path, checked when it was opened to be a folder and not a link
/// or reparse point; a file handle is a <see cref="SafeFileHandle"/>. Every name is looked at before it is used: a link
/// (<see cref="FileSystemInfo.LinkTarget"/>) is reported as one, so the store's resolver follows it only while it stays
/// inside the root, and a file is looked at again once opened, so a link swapped in before the open is caught after it.
/// What cannot be closed here is the gap between a folder's check and a later use of its path: a folder replaced by a link
/// in that gap is followed. docs/memory-tool.md says so beside the Linux engine, which holds real folder handles.</para>
/// <para>Writes: <see cref="File.Move(string, string, bool)"/> without overwrite is the exclusive rename, with overwrite the
/// atomic replace; files are flushed with <see cref="RandomAccess.FlushToDisk"/>; folders cannot be flushed through .NET
/// (a flush of a folder handle is a no-op). The writers' lock is <c>.mnemo/write.lock</c> opened with <see cref="FileShare.None"/>,
/// which every system enforces between processes.</para>
/// <para>Errors are answered as Linux's error numbers, so the store's logic reads them as it reads the Linux engine's.
/// Thread-safe; one instance per store.</para>
/// </remarks>
internal sealed partial class PortableFolderSystem : FolderSystem
{
    private const string LockName = "write.lock";

    [ThreadStatic]
    private static int _lastError;

    private readonly ConcurrentDictionary<int, Handle> _handles = new();
    private readonly FolderNameRules _rules;
    private int _nextHandle = 2;
    private bool _foldsCase;

    /// <summary>Initializes a new instance of the <see cref="PortableFolderSystem"/> class.</summary>
    /// <param name="rules">The name rules kept, resolved.</param>
    public PortableFolderSystem(FolderNameRules rules)
    {
        _rules = rules;
        _foldsCase = FolderNames.FoldsCase(rules);
    }

    public override FolderEngine Engine => FolderEngine.Portable;

    public override int LastError => _lastError;

    public override void CheckNames(MemoryPath path)
    {
        foreach (var name in path.Segments)
        {
            if (name is not ("" or "." or "..") && FolderNames.Refusal(_rules, name) is { } refusal)
            {
                throw new MemoryStoreException(refusal);
            }
        }
    }

    public override int OpenAt(int dirFd, string path, int flags, uint mode)
    {
        try
        {
            var full = PathOf(dirFd, path);
            if ((flags & OCreat) != 0 && (flags & OExcl) != 0)
            {
                return Add(new Handle(full, OpenFile(full, FileMode.CreateNew, Access(flags), mode), append: false));
            }

            var kind = KindOf(full);
            if (kind == Kind.Missing && (flags & OCreat) == 0)
            {
                return Fail(ENoEnt);
            }

            if (kind == Kind.Link && ((flags & ONoFollow) != 0 || (flags & ODirectory) != 0))
            {
                return Fail(ELoop);
            }

            if (kind == Kind.Directory)
            {
                return (flags & OAccessMode) != ORdOnly ? Fail(EIsDir) : Add(new Handle(full, null, append: false));
            }

            if ((flags & ODirectory) != 0)
            {
                return Fail(kind == Kind.Missing ? ENoEnt : ENotDir);
            }

            var file = OpenFile(full, (flags & OCreat) != 0 ? FileMode.OpenOrCreate : FileMode.Open, Access(flags), mode);

            // Looked at again once open: a link swapped in between the look above and the open is caught here.
            if (KindOf(full) != Kind.File)
            {
                file.Dispose();
                return Fail(ELoop);
            }

            return Add(new Handle(full, file, append: (flags & OAppend) != 0));
        }
        catch (Exception exception) when (ErrorOf(exception) is { } error)
        {
            return Fail(error);
        }
    }

    public override int Close(int fd)
    {
        if (!_handles.TryRemove(fd, out var handle))
        {
            return Fail(EBadF);
        }

        handle.Stream?.Dispose();
        handle.Lock?.Dispose();
        return 0;
    }

    public override nint Read(int fd, Span<byte> buffer)
    {
        if (FileOf(fd) is not { } handle)
        {
            return Fail(EBadF);
        }

        try
        {
            var read = RandomAccess.Read(handle.File!, buffer, handle.Position);
            handle.Position += read;
            return read;
        }
        catch (Exception exception) when (ErrorOf(exception) is { } error)
        {
            return Fail(error);
        }
    }

    public override nint Write(int fd, ReadOnlySpan<byte> buffer)
    {
        if (FileOf(fd) is not { } handle)
        {
            return Fail(EBadF);
        }

        try
        {
            // A handle opened to append writes at the end; writers of the store's logs hold the lock, and the read log is a hint.
            var offset = handle.Append ? RandomAccess.GetLength(handle.File!) : handle.Position;
            RandomAccess.Write(handle.File!, buffer, offset);
            handle.Position = offset + buffer.Length;
            return buffer.Length;
        }
        catch (Exception exception) when (ErrorOf(exception) is { } error)
        {
            return Fail(error);
        }
    }

    public override nint PRead(int fd, Span<byte> buffer, long offset)
    {
        if (FileOf(fd) is not { } handle)
        {
            return Fail(EBadF);
        }

        try
        {
            return RandomAccess.Read(handle.File!, buffer, offset);
        }
        catch (Exception exception) when (ErrorOf(exception) is { } error)
        {
            return Fail(error);
        }
    }

    public override int FTruncate(int fd, long length) => OnFile(fd, file => RandomAccess.SetLength(file, length));

    public override int FSync(int fd) => _handles.TryGetValue(fd, out var handle) && handle.File is null ? 0 : OnFile(fd, RandomAccess.FlushToDisk);

    public override int FDataSync(int fd) => FSync(fd);

    public override int SyncFs(int fd) => Fail(ENoSys);

    public override int FLock(int fd, int operation)
    {
        if (!_handles.TryGetValue(fd, out var handle) || handle.File is not null)
        {
            return Fail(EBadF);
        }

        if (operation == LockUn)
        {
            Interlocked.Exchange(ref handle.Lock, null)?.Dispose();
            return 0;
        }

        // Opened without sharing: Windows refuses a second open, and .NET takes an exclusive flock for it on macOS and Linux.
        var path = Path.Combine(handle.Path, FileSystemMemoryStore.MetaDirectoryName, LockName);
        for (var wait = 1; ; wait = Math.Min(wait * 2, 50))
        {
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                handle.Lock = new FileStream(path, options);
                return 0;
            }
            catch (IOException exception) when (ErrorOf(exception) == EBusy)
            {
                Thread.Sleep(wait);
            }
            catch (Exception exception) when (ErrorOf(exception) is { } error)
            {
                return Fail(error);
            }
        }
    }

    public override int Statx(int dirFd, string path, int flags, uint mask, out StatxBuffer buffer)
    {
        buffer = default;
        try
        {
            if ((flags & AtEmptyPath) != 0 && path.Length == 0)
            {
                if (!_handles.TryGetValue(dirFd, out var handle))
                {
                    return Fail(EBadF);
                }

                if (handle.File is { } file)
                {
                    buffer = StatOf(handle.Path, SIfReg, RandomAccess.GetLength(file), File.GetLastWriteTimeUtc(file), File.GetCreationTimeUtc(file));
                    return 0;
                }

                return StatByPath(handle.Path, out buffer);
            }

            return StatByPath(PathOf(dirFd, path), out buffer);
        }
        catch (Exception exception) when (ErrorOf(exception) is { } error)
        {
            return Fail(error);
        }
    }

    public override string? ReadLink(int dirFd, string name)
    {
        try
        {
            var full = PathOf(dirFd, name);
            var target = KindOf(full) == Kind.Link ? new FileInfo(full).LinkTarget : null;
            return target is null ? Fail<string>(EInval) : LinkTargetInSlashes(target);
        }
        catch (Exception exception) when (ErrorOf(exception) is { } error)
        {
            return Fail<string>(error);
        }
    }

    public override int MkdirAt(int dirFd, string path, uint mode)
    {
        try
        {
            var full = PathOf(dirFd, path);
            if (KindOf(full) != Kind.Missing)
            {
                return Fail(EExist);
            }

            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(full);
            }
            else
            {
                Directory.CreateDirectory(full, (UnixFileMode)mode);
            }

            return 0;
        }
        catch (Exception exception) when (ErrorOf(exception) is { } error)
        {
            return Fail(error);
        }
    }

    public override int UnlinkAt(int dirFd, string path, int flags)
    {
        try
        {
            var full = PathOf(dirFd, path);
            var kind = KindOf(full);
            switch (kind)
            {
                case Kind.Missing:
                    return Fail(ENoEnt);
                case Kind.Directory when (flags & AtRemoveDir) != 0:
                    Directory.Delete(full, recursive: false);
                    return 0;
                case Kind.Directory:
                    return Fail(EIsDir);
                case not Kind.Directory when (flags & AtRemoveDir) != 0:
                    return Fail(ENotDir);
                case Kind.Link when File.GetAttributes(full).HasFlag(FileAttributes.Directory):
                    Directory.Delete(full, recursive: false); // a folder link or junction: the link goes, never what it leads to
                    return 0;
                default:
                    File.Delete(full);
                    return 0;
            }
        }
        catch (Exception exception) when (ErrorOf(exception) is { } error)
        {
            return Fail(error);
        }
    }

    public override int RenameAt2(int oldDirFd, string oldPath, int newDirFd, string newPath, uint flags)
    {
        try
        {
            var from = PathOf(oldDirFd, oldPath);
            var to = PathOf(newDirFd, newPath);
            var kind = KindOf(from);
            if (kind == Kind.Missing)
            {
                return Fail(ENoEnt);
            }

            var replace = (flags & RenameNoReplace) == 0;
            if (!replace && KindOf(to) != Kind.Missing)
            {
                return Fail(EExist);
            }

            if (kind == Kind.Directory || (kind == Kind.Link && File.GetAttributes(from).HasFlag(FileAttributes.Directory)))
            {
                Directory.Move(from, to);
            }
            else
            {
                File.Move(from, to, overwrite: replace);
            }

            return 0;
        }
        catch (Exception exception) when (ErrorOf(exception) is { } error)
        {
            return Fail(error);
        }
    }

    public override List<(string Name, byte Type)> ReadNames(int dirFd)
    {
        if (!_handles.TryGetValue(dirFd, out var handle) || handle.File is not null)
        {
            throw Failure("list a folder", EBadF);
        }

        var names = new List<(string Name, byte Type)>();
        try
        {
            var options = new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false };
            foreach (var entry in new DirectoryInfo(handle.Path).EnumerateFileSystemInfos("*", options))
            {
                var name = entry.Name;
                if (name.Contains('\uFFFD', StringComparison.Ordinal))
                {
                    continue; // a name that is not valid Unicode on disk cannot be named by the model; it is not shown
                }

                var attributes = entry.Attributes;
                var folder = attributes.HasFlag(FileAttributes.Directory) && !attributes.HasFlag(FileAttributes.ReparsePoint);
                names.Add((name, folder ? (byte)4 : (byte)0));
            }

            return names;
        }
        catch (Exception exception) when (ErrorOf(exception) is { } error)
        {
            throw Failure("list a folder", error);
        }
    }

    public override string RealPathOf(int dirFd, string path)
    {
        var real = RealPath(path);
        NoteVolume(real);
        return _rootReal;
    }
}
