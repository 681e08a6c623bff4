using static Mnemo.Memory.FileSystem.FolderCodes;
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
    /// Runs the whole-process floor: one write of <paramref name="size"/> bytes for each path listed in
    /// <paramref name="pathsFile"/> (relative paths, one a line, such as <c>topic3/note10.md</c>), under
    /// <paramref name="directory"/>. Each write is flushed unless <paramref name="sync"/> is off, and followed by a flush
    /// of its folder when <paramref name="syncDirectory"/> is on. Folders are made as they are first needed.
    /// </summary>
    public static void Run(string pathsFile, int size, string directory, bool sync, bool syncDirectory)
    {
        Directory.CreateDirectory(directory);
        var root = OpenAt(AtFdCwd, directory, ORdOnly | ODirectory | OCloExec, 0);
        var folders = new Dictionary<string, int>(StringComparer.Ordinal);
        var content = new byte[size];
        Array.Fill(content, (byte)'x');
        foreach (var path in File.ReadLines(pathsFile))
        {
            var slash = path.LastIndexOf('/');
            var folder = slash < 0 ? string.Empty : path[..slash];
            if (!folders.TryGetValue(folder, out var folderFd))
            {
                _ = MkdirAt(root, folder, 0x1C0);
                folderFd = folder.Length == 0 ? root : OpenAt(root, folder, ORdOnly | ODirectory | OCloExec, 0);
                folders.Add(folder, folderFd);
            }

            WriteRename(folderFd, path[(slash + 1)..], content, sync, syncDirectory);
        }

        foreach (var fd in folders.Values)
        {
            _ = Close(fd);
        }
    }
}
