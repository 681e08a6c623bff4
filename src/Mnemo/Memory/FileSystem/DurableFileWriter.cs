using System.Globalization;
using System.Runtime.Versioning;
using static Mnemo.Memory.FileSystem.LinuxInterop;

namespace Mnemo.Memory.FileSystem;

/// <summary>Writes files the crash-safe way: a hidden temp file beside the target (mode 0600), flushed to the disk when
/// durable, renamed into place, its folder flushed; and removes what a crashed writer left.</summary>
/// <param name="durable">Whether files and folders are flushed to the disk before a write is done.</param>
[SupportedOSPlatform("linux")]
internal sealed class DurableFileWriter(bool durable)
{
    private const string TempPrefix = ".tmp-mnemo-";
    /// <summary>The mode of every file the store makes: 0600, its owner's only.</summary>
    public const uint FileMode = 0x180;

    // Unpredictability is not needed here, only a prefix two processes are unlikely to share (O_EXCL settles the rest), so
    // the prefix comes from the runtime's seeded generator rather than from the cryptographic library, which is slow to load.
    private static readonly ulong TempNamePrefix = (ulong)Random.Shared.NextInt64();
    private static int _tempCounter;

    /// <summary>Gets a value indicating whether files and folders are flushed to the disk.</summary>
    public bool Durable { get; } = durable;

    /// <summary>Puts a whole new file in place under a name in one step: a temp file written (and flushed), renamed over the
    /// old, the folder flushed.</summary>
    /// <param name="dirFd">The folder.</param>
    /// <param name="name">The file's name in it.</param>
    /// <param name="content">The file's content.</param>
    /// <param name="action">What this is, for the failure's message, such as <c>replace the history</c>.</param>
    public void ReplaceFile(int dirFd, string name, ReadOnlySpan<byte> content, string action)
    {
        var temp = WriteTemp(dirFd, content);
        if (RenameAt2(dirFd, temp, dirFd, name, 0) != 0)
        {
            var error = LastError;
            _ = UnlinkAt(dirFd, temp, 0);
            throw LinuxFiles.Failure(action, error);
        }

        if (Durable)
        {
            _ = FSync(dirFd);
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
            if (Durable && FSync(fd) != 0)
            {
                throw LinuxFiles.Failure("flush a file to disk", LastError);
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
            throw LinuxFiles.Failure("write a file", error);
        }

        return name;
    }

    /// <summary>Writes a temp file and leaves it open and unflushed, for the caller to flush (a group flushes all its files first).</summary>
    public static string WriteTemp(int dirFd, ReadOnlySpan<byte> content, out int fd)
    {
        var name = TempName();
        fd = OpenAt(dirFd, name, OWrOnly | OCreat | OExcl | ONoFollow | OCloExec, FileMode);
        if (fd < 0)
        {
            throw LinuxFiles.Failure("create a temp file", LastError);
        }

        try
        {
            LinuxFiles.WriteAll(fd, content);
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

    /// <summary>Removes a folder and everything in it; links inside are removed, never followed.</summary>
    public static void RemoveTree(int parentFd, string name)
    {
        var fd = OpenAt(parentFd, name, ORdOnly | ODirectory | ONoFollow | OCloExec, 0);
        if (fd < 0)
        {
            return;
        }

        try
        {
            foreach (var (child, _) in LinuxFiles.ReadNames(fd))
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
            throw LinuxFiles.Failure("delete a folder", LastError);
        }
    }

    /// <summary>Removes temp files and half-deleted folders that a crashed writer left; runs under the write lock.</summary>
    public static void RemoveStaleTempFiles(int rootFd)
    {
        Sweep(rootFd, 0);

        static void Sweep(int dirFd, int level)
        {
            foreach (var (name, _) in LinuxFiles.ReadNames(dirFd))
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
}
