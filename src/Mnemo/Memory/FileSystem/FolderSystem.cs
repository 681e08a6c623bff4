using System.Buffers;
using System.Globalization;
using System.Text;
using static Mnemo.Memory.FileSystem.FolderCodes;

namespace Mnemo.Memory.FileSystem;

/// <summary>The file-system calls the folder store makes, in the shape of Linux's (<c>openat</c>, <c>statx</c>,
/// <c>renameat2</c>, <c>flock</c>…): every path relative to a folder handle, failures as error numbers. An engine answers
/// them: <see cref="LinuxFolderSystem"/> with the calls themselves, <see cref="PortableFolderSystem"/> with .NET's file APIs.
/// Above them, what the store builds on every engine alike: whole files, byte ranges, versions, and the store's failures.</summary>
internal abstract class FolderSystem
{
    private const int CompareChunkBytes = 16 * 1024;

    protected static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Gets the engine's name, as <c>mnemo</c> and the docs say it: <c>linux</c> or <c>portable</c>.</summary>
    public abstract FolderEngine Engine { get; }

    /// <summary>Gets the error number of the last call that failed on this thread.</summary>
    public abstract int LastError { get; }

    /// <summary>Describes an error number in words, such as "No space left on device"; it never names a path.</summary>
    public abstract string Describe(int errno);

    /// <summary>Opens a name in a folder (<c>openat</c>): a folder, a file to read, or a new file; -1 on failure.</summary>
    public abstract int OpenAt(int dirFd, string path, int flags, uint mode);

    public abstract int Close(int fd);

    /// <summary>Reads at the handle's position and moves it (<c>read</c>); -1 on failure.</summary>
    public abstract nint Read(int fd, Span<byte> buffer);

    /// <summary>Writes at the handle's position, or at the end for a handle opened to append (<c>write</c>); -1 on failure.</summary>
    public abstract nint Write(int fd, ReadOnlySpan<byte> buffer);

    /// <summary>Reads at an offset without moving the position (<c>pread</c>); -1 on failure.</summary>
    public abstract nint PRead(int fd, Span<byte> buffer, long offset);

    public abstract int FTruncate(int fd, long length);

    public abstract int FSync(int fd);

    public abstract int FDataSync(int fd);

    /// <summary>Flushes everything written on the file system that holds a handle (<c>syncfs</c>); ENOSYS where there is no such call.</summary>
    public abstract int SyncFs(int fd);

    /// <summary>Takes or releases the exclusive cross-process lock of a folder (<c>flock</c>), waiting for it.</summary>
    public abstract int FLock(int fd, int operation);

    public abstract int Statx(int dirFd, string path, int flags, uint mask, out StatxBuffer buffer);

    /// <summary>Reads where a link leads, in <c>/</c> form; <see langword="null"/> when the name is not a link or went away.</summary>
    public abstract string? ReadLink(int dirFd, string name);

    public abstract int MkdirAt(int dirFd, string path, uint mode);

    public abstract int UnlinkAt(int dirFd, string path, int flags);

    public abstract int RenameAt2(int oldDirFd, string oldPath, int newDirFd, string newPath, uint flags);

    /// <summary>Reads a folder's names and their types (<c>d_type</c>: 4 for a folder, 0 when not told), leaving out <c>.</c>,
    /// <c>..</c> and names the model cannot name.</summary>
    public abstract List<(string Name, byte Type)> ReadNames(int dirFd);

    /// <summary>The real path of the folder a handle holds, links resolved, in <c>/</c> form: what a link's absolute target is checked against.</summary>
    public abstract string RealPathOf(int dirFd, string path);

    /// <summary>Checks a memory path's names against what this system can hold; the Linux engine holds any.</summary>
    /// <exception cref="MemoryStoreException">A name the system cannot hold as it is.</exception>
    public virtual void CheckNames(MemoryPath path)
    {
    }

    /// <summary>Tells whether a failure means the tree changed under the caller (a name went, a link or file appeared).</summary>
    /// <param name="errno">The failure's code.</param>
    /// <returns><see langword="true"/> when trying again may succeed.</returns>
    public static bool IsRace(int errno) => errno is ENoEnt or ELoop or ENotDir or EExist;

    /// <summary>The store's failure for a system call that failed, in words, transient when it was interrupted.</summary>
    /// <param name="action">What the store was doing, such as <c>create a file</c>.</param>
    /// <param name="errno">The failure's code.</param>
    /// <returns>The failure.</returns>
    public MemoryStoreException Failure(string action, int errno) =>
        new($"the file system refused to {action}: {Describe(errno)}", isTransient: errno == EIntr);

    /// <summary>Reads a resolved regular file; <see langword="null"/> when it changed between the resolution and the open.</summary>
    public MemoryItem? ReadFile(FolderResolution resolved)
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
    public bool? Unchanged(FolderResolution resolved, MemoryItem expected)
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

    public static MemoryVersion VersionOf(in StatxBuffer stat) =>
        new(string.Create(CultureInfo.InvariantCulture,
            $"{stat.Identity.Device:x}.{stat.Ino:x}.{stat.Size:x}.{stat.MTimeSeconds:x}.{stat.MTimeNanoseconds:x}.{stat.CTimeSeconds:x}.{stat.CTimeNanoseconds:x}"));

    /// <summary>Reads the <paramref name="size"/> bytes that the handle's <c>statx</c> measured, fewer if the file shrank.</summary>
    /// <remarks>
    /// Mnemo never changes a file in place (a write renames a new file over it), so the measured size is the size. A file
    /// something else appends to in place is read as it was measured, which is what its version says; an edit made on
    /// that snapshot fails its compare-and-swap, because the append changed the file's size and times.
    /// </remarks>
    public byte[] ReadAll(int fd, long size)
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
    public int ReadSome(int fd, Span<byte> buffer)
    {
        while (true)
        {
            var read = Read(fd, buffer);
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

    public void WriteAll(int fd, ReadOnlySpan<byte> content)
    {
        var written = 0;
        while (written < content.Length)
        {
            var count = Write(fd, content[written..]);
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

    public long SizeOf(int fd) =>
        Statx(fd, string.Empty, AtEmptyPath, StatxBasicStats, out var stat) == 0 ? (long)stat.Size : throw Failure("inspect the history", LastError);

    public (ulong Inode, ulong Size) KeyOf(int fd) =>
        Statx(fd, string.Empty, AtEmptyPath, StatxBasicStats, out var stat) == 0 ? (stat.Ino, stat.Size) : throw Failure("inspect the history", LastError);

    /// <summary>Reads a regular file by name without following a link; <see langword="null"/> when it went away.</summary>
    public byte[]? ReadAt(int dirFd, string name)
    {
        var fd = OpenAt(dirFd, name, ORdOnly | ONoFollow | ONonBlock | OCloExec, 0);
        if (fd < 0)
        {
            return IsRace(LastError) ? null : throw Failure("open a file", LastError);
        }

        try
        {
            return ReadAll(fd, SizeOf(fd));
        }
        finally
        {
            _ = Close(fd);
        }
    }

    public byte[] ReadAt(int fd, long offset, long count)
    {
        var buffer = new byte[count];
        for (var total = 0; total < buffer.Length;)
        {
            var read = PRead(fd, buffer.AsSpan(total), offset + total);

            if (read < 0 && LastError == EIntr)
            {
                continue;
            }

            if (read <= 0)
            {
                throw Failure("read the history", read < 0 ? LastError : EIo /* the file shrank under the lock */);
            }

            total += (int)read;
        }

        return buffer;
    }

    /// <summary>Finds the last newline before <paramref name="end"/>, reading backwards in chunks; -1 when there is none.</summary>
    public long LastNewline(int fd, long end)
    {
        const int Chunk = 64 * 1024;
        for (var stop = end; stop > 0;)
        {
            var start = Math.Max(0, stop - Chunk);
            var index = ReadAt(fd, start, stop - start).AsSpan().LastIndexOf((byte)'\n');
            if (index >= 0)
            {
                return start + index;
            }

            stop = start;
        }

        return -1;
    }

    /// <summary>Splits JSON lines; a last line without its newline (still being written, or cut short) is left out.</summary>
    public static List<ReadOnlyMemory<byte>> SplitLines(byte[] bytes)
    {
        var lines = new List<ReadOnlyMemory<byte>>();
        var memory = bytes.AsMemory();
        while (memory.Length > 0)
        {
            var end = memory.Span.IndexOf((byte)'\n');
            if (end < 0)
            {
                break; // a line still being written, or cut short; the next writer repairs it
            }

            if (end > 0)
            {
                lines.Add(memory[..end]);
            }

            memory = memory[(end + 1)..];
        }

        return lines;
    }
}
