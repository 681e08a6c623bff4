using System.Runtime.Versioning;
using static Mnemo.Memory.FileSystem.LinuxInterop;

namespace Mnemo.Memory.FileSystem;

/// <summary>The one walk over a folder's files: regular files only, links never followed, temp files skipped.</summary>
[SupportedOSPlatform("linux")]
internal static class FolderTree
{
    private const int MaxDepth = 64;

    /// <summary>Visits every regular file below a folder, depth first, at most 64 levels down.</summary>
    /// <param name="dirFd">The folder's handle; its read position moves, so pass one the caller owns.</param>
    /// <param name="path">The folder's memory path, from which the files' paths are made.</param>
    /// <param name="skipMetaFolder">Whether to skip the store's own folder among the first level's names (when walking the root).</param>
    /// <param name="visit">Told of each file: the handle of the folder that holds it, its name there, its path and its <c>statx</c>.</param>
    public static void WalkFiles(int dirFd, MemoryPath path, bool skipMetaFolder, Action<int, string, MemoryPath, StatxBuffer> visit) =>
        Walk(dirFd, path, skipMetaFolder, visit, 0);

    private static void Walk(int dirFd, MemoryPath path, bool skipMetaFolder, Action<int, string, MemoryPath, StatxBuffer> visit, int level)
    {
        foreach (var (name, _) in LinuxFiles.ReadNames(dirFd))
        {
            if (DurableFileWriter.IsTempName(name) || (skipMetaFolder && level == 0 && name == FileSystemMemoryStore.MetaDirectoryName) ||
                Statx(dirFd, name, AtSymlinkNoFollow, StatxBasicStats, out var stat) != 0)
            {
                continue;
            }

            if (stat.IsRegular)
            {
                visit(dirFd, name, path.Child(name), stat);
            }
            else if (stat.IsDirectory && level < MaxDepth)
            {
                var fd = OpenAt(dirFd, name, ORdOnly | ODirectory | ONoFollow | OCloExec, 0);
                if (fd >= 0)
                {
                    try
                    {
                        Walk(fd, path.Child(name), skipMetaFolder, visit, level + 1);
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
