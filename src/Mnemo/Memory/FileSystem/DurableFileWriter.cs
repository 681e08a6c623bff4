using System.Globalization;
using static Mnemo.Memory.FileSystem.FolderCodes;

namespace Mnemo.Memory.FileSystem;

/// <summary>Writes files the crash-safe way: a hidden temp file beside the target (mode 0600), flushed to the disk when
/// durable, renamed into place, its folder flushed; and removes what a crashed writer left.</summary>
/// <param name="files">The engine the files are reached through.</param>
/// <param name="durable">Whether files and folders are flushed to the disk before a write is done.</param>
internal sealed class DurableFileWriter(FolderSystem files, bool durable)
{
    private readonly FolderSystem _fs = files;

    private const string TempPrefix = ".tmp-mnemo-";
    /// <summary>The mode of every file the store makes: 0600, its owner's only.</summary>
    public const uint FileMode = 0x180;

    // Unpredictability is not needed here, only a prefix two processes are unlikely to share (O_EXCL settles the rest), so
    // the prefix comes from the runtime's seeded generator rather than from the cryptographic library, which is slow to load.
    private static readonly ulong TempNamePrefix = (ulong)Random.Shared.NextInt64();
    private static int _tempCounter;

    /// <summary>Gets a value indicating whether files and folders are flushed to the disk.</summary>
    public bool Durable { get; } = durable;

    /// <summary>Gets the engine the files are reached through.</summary>
    public FolderSystem Files => _fs;

    /// <summary>Puts a whole new file in place under a name in one step: a temp file written (and flushed), renamed over the
    /// old, the folder flushed.</summary>
    /// <param name="dirFd">The folder.</param>
    /// <param name="name">The file's name in it.</param>
    /// <param name="content">The file's content.</param>
    /// <param name="action">What this is, for the failure's message, such as <c>replace the history</c>.</param>
    public void ReplaceFile(int dirFd, string name, ReadOnlySpan<byte> content, string action)
    {
        var temp = WriteTemp(dirFd, content);
        if (_fs.RenameAt2(dirFd, temp, dirFd, name, 0) != 0)
        {
            var error = _fs.LastError;
            _ = _fs.UnlinkAt(dirFd, temp, 0);
            throw _fs.Failure(action, error);
        }

        if (Durable)
        {
            _ = _fs.FSync(dirFd);
        }
    }

    /// <summary>
    /// Makes a temp name unique to this process (a random 64-bit prefix drawn once) and to this call (a counter): no system
    /// call per name, and creates use <c>O_EXCL</c>, so even a collision could only fail a write, never mix two.
    /// </summary>
    public static string TempName() =>
        string.Create(CultureInfo.InvariantCulture, $"{TempPrefix}{TempNamePrefix:x16}{(uint)Interlocked.Increment(ref _tempCounter):x8}");

    public static bool IsTempName(string name) =>
        name.Length == TempPrefix.Length + 24 && name.StartsWith(TempPrefix, StringComparison.Ordinal);

    /// <summary>Writes bytes to a new hidden temp file in a folder, flushed to the disk; returns its name.</summary>
    public string WriteTemp(int dirFd, ReadOnlySpan<byte> content)
    {
        var name = WriteTemp(dirFd, content, out var fd);
        try
        {
            if (Durable && _fs.FSync(fd) != 0)
            {
                throw _fs.Failure("flush a file to disk", _fs.LastError);
            }
        }
        catch
        {
            _ = _fs.Close(fd);
            _ = _fs.UnlinkAt(dirFd, name, 0);
            throw;
        }

        if (_fs.Close(fd) != 0 && _fs.LastError != EIntr)
        {
            var error = _fs.LastError;
            _ = _fs.UnlinkAt(dirFd, name, 0);
            throw _fs.Failure("write a file", error);
        }

        return name;
    }

    /// <summary>Writes a temp file and leaves it open and unflushed, for the caller to flush (a group flushes all its files first).</summary>
    public string WriteTemp(int dirFd, ReadOnlySpan<byte> content, out int fd)
    {
        var name = TempName();
        fd = _fs.OpenAt(dirFd, name, OWrOnly | OCreat | OExcl | ONoFollow | OCloExec, FileMode);
        if (fd < 0)
        {
            throw _fs.Failure("create a temp file", _fs.LastError);
        }

        try
        {
            _fs.WriteAll(fd, content);
            return name;
        }
        catch
        {
            _ = _fs.Close(fd);
            fd = -1;
            _ = _fs.UnlinkAt(dirFd, name, 0);
            throw;
        }
    }

    /// <summary>Removes a folder and everything in it; links inside are removed, never followed.</summary>
    public void RemoveTree(int parentFd, string name)
    {
        var fd = _fs.OpenAt(parentFd, name, ORdOnly | ODirectory | ONoFollow | OCloExec, 0);
        if (fd < 0)
        {
            return;
        }

        try
        {
            foreach (var (child, _) in _fs.ReadNames(fd))
            {
                if (_fs.UnlinkAt(fd, child, 0) != 0 && _fs.LastError is EIsDir or 1 /* EPERM: Linux's answer for a folder */)
                {
                    RemoveTree(fd, child);
                }
            }
        }
        finally
        {
            _ = _fs.Close(fd);
        }

        if (_fs.UnlinkAt(parentFd, name, AtRemoveDir) != 0 && _fs.LastError != ENoEnt)
        {
            throw _fs.Failure("delete a folder", _fs.LastError);
        }
    }

    /// <summary>Removes temp files and half-deleted folders that a crashed writer left; runs under the write lock.</summary>
    public void RemoveStaleTempFiles(int rootFd)
    {
        Sweep(rootFd, 0);

        void Sweep(int dirFd, int level)
        {
            foreach (var (name, _) in _fs.ReadNames(dirFd))
            {
                if (_fs.Statx(dirFd, name, AtSymlinkNoFollow, StatxBasicStats, out var stat) != 0)
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
                        _ = _fs.UnlinkAt(dirFd, name, 0);
                    }
                }
                else if (stat.IsDirectory && level < 64)
                {
                    var fd = _fs.OpenAt(dirFd, name, ORdOnly | ODirectory | ONoFollow | OCloExec, 0);
                    if (fd >= 0)
                    {
                        try
                        {
                            Sweep(fd, level + 1);
                        }
                        finally
                        {
                            _ = _fs.Close(fd);
                        }
                    }
                }
            }
        }
    }
}
