using System.Buffers;
using System.Globalization;
using System.Runtime.Versioning;
using System.Text;
using static Mnemo.Memory.FileSystem.LinuxInterop;

namespace Mnemo.Memory.FileSystem;

/// <summary>Reads and writes through file handles: whole files, byte ranges, folder names, and the store's failures.</summary>
[SupportedOSPlatform("linux")]
internal static class LinuxFiles
{
    private const int CompareChunkBytes = 16 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Tells whether a failure means the tree changed under the caller (a name went, a link or file appeared).</summary>
    /// <param name="errno">The failure's code.</param>
    /// <returns><see langword="true"/> when trying again may succeed.</returns>
    public static bool IsRace(int errno) => errno is ENoEnt or ELoop or ENotDir or EExist;

    /// <summary>The store's failure for a system call that failed, in words, transient when it was interrupted.</summary>
    /// <param name="action">What the store was doing, such as <c>create a file</c>.</param>
    /// <param name="errno">The failure's code.</param>
    /// <returns>The failure.</returns>
    public static MemoryStoreException Failure(string action, int errno) =>
        new($"the file system refused to {action}: {Describe(errno)}", isTransient: errno == EIntr);

    /// <summary>Reads a resolved regular file; <see langword="null"/> when it changed between the resolution and the open.</summary>
    public static MemoryItem? ReadFile(FolderResolution resolved)
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
    public static bool? Unchanged(FolderResolution resolved, MemoryItem expected)
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
    public static byte[] ReadAll(int fd, long size)
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
    public static unsafe int ReadSome(int fd, Span<byte> buffer)
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

    public static unsafe void WriteAll(int fd, ReadOnlySpan<byte> content)
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

    /// <summary>
    /// Reads a folder's names and their types (<c>d_type</c>, 0 when the file system does not tell) with <c>getdents64</c>,
    /// leaving out <c>.</c>, <c>..</c> and names that are not UTF-8.
    /// </summary>
    public static unsafe List<(string Name, byte Type)> ReadNames(int dirFd)
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

    public static long SizeOf(int fd) =>
        Statx(fd, string.Empty, AtEmptyPath, StatxBasicStats, out var stat) == 0 ? (long)stat.Size : throw Failure("inspect the history", LastError);

    public static (ulong Inode, ulong Size) KeyOf(int fd) =>
        Statx(fd, string.Empty, AtEmptyPath, StatxBasicStats, out var stat) == 0 ? (stat.Ino, stat.Size) : throw Failure("inspect the history", LastError);

    /// <summary>Reads a regular file by name without following a link; <see langword="null"/> when it went away.</summary>
    public static byte[]? ReadAt(int dirFd, string name)
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

    public static unsafe byte[] ReadAt(int fd, long offset, long count)
    {
        var buffer = new byte[count];
        for (var total = 0; total < buffer.Length;)
        {
            nint read;
            fixed (byte* pointer = &buffer[total])
            {
                read = PRead(fd, pointer, (nuint)(buffer.Length - total), offset + total);
            }

            if (read < 0 && LastError == EIntr)
            {
                continue;
            }

            if (read <= 0)
            {
                throw Failure("read the history", read < 0 ? LastError : 5 /* EIO: the file shrank under the lock */);
            }

            total += (int)read;
        }

        return buffer;
    }

    /// <summary>Finds the last newline before <paramref name="end"/>, reading backwards in chunks; -1 when there is none.</summary>
    public static long LastNewline(int fd, long end)
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
