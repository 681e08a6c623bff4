using static Mnemo.Memory.FileSystem.LinuxInterop;

namespace Mnemo.Benchmarks;

/// <summary>The bare operations Mnemo's writes and reads sit on, made with the same libc calls and no checks at all.</summary>
public static unsafe class BareFloor
{
    private const uint Mode = 0x180;

    /// <summary>Writes a temp file, optionally flushes it, and renames it over the target.</summary>
    public static void WriteRename(int dirFd, string target, ReadOnlySpan<byte> content, bool fsync, bool fsyncDirectory = false)
    {
        var fd = OpenAt(dirFd, ".tmp-bare", OWrOnly | OCreat | OCloExec, Mode);
        fixed (byte* pointer = content)
        {
            _ = Write(fd, pointer, (nuint)content.Length);
        }

        if (fsync)
        {
            _ = FSync(fd);
        }

        _ = Close(fd);
        _ = RenameAt2(dirFd, ".tmp-bare", dirFd, target, 0);
        if (fsyncDirectory)
        {
            _ = FSync(dirFd);
        }
    }

    /// <summary>
    /// Runs the whole-process floor: <paramref name="count"/> writes of <paramref name="size"/> bytes, each flushed unless
    /// <paramref name="sync"/> is off, and followed by a flush of the folder when <paramref name="syncDirectory"/> is on.
    /// </summary>
    public static void Run(int count, int size, string directory, bool sync, bool syncDirectory)
    {
        Directory.CreateDirectory(directory);
        var dirFd = OpenAt(AtFdCwd, directory, ORdOnly | ODirectory | OCloExec, 0);
        var content = new byte[size];
        Array.Fill(content, (byte)'x');
        for (var i = 0; i < count; i++)
        {
            WriteRename(dirFd, $"note{i % 50}.md", content, fsync: sync, fsyncDirectory: syncDirectory);
        }

        _ = Close(dirFd);
    }

}
