using static Mnemo.Memory.FileSystem.FolderCodes;

namespace Mnemo.Memory.FileSystem;

/// <summary>The one walk over a folder's files: regular files only, links never followed, temp files skipped.</summary>
internal static class FolderTree
{
    private const int MaxDepth = 64;

    /// <summary>Visits every regular file below a folder, depth first, at most 64 levels down.</summary>
    /// <param name="fs">The engine the folder is reached through.</param>
    /// <param name="dirFd">The folder's handle; its read position moves, so pass one the caller owns.</param>
    /// <param name="path">The folder's memory path, from which the files' paths are made.</param>
    /// <param name="skipMetaFolder">Whether to skip the store's own folder among the first level's names (when walking the root).</param>
    /// <param name="visit">Told of each file: the handle of the folder that holds it, its name there, its path and its <c>statx</c>.</param>
    public static void WalkFiles(FolderSystem fs, int dirFd, MemoryPath path, bool skipMetaFolder, Action<int, string, MemoryPath, StatxBuffer> visit) =>
        Walk(fs, dirFd, path, skipMetaFolder, visit, 0);

    private static void Walk(FolderSystem fs, int dirFd, MemoryPath path, bool skipMetaFolder, Action<int, string, MemoryPath, StatxBuffer> visit, int level)
    {
        foreach (var (name, _) in fs.ReadNames(dirFd))
        {
            if (DurableFileWriter.IsTempName(name) || (skipMetaFolder && level == 0 && name == FileSystemMemoryStore.MetaDirectoryName) ||
                fs.Statx(dirFd, name, AtSymlinkNoFollow, StatxBasicStats, out var stat) != 0)
            {
                continue;
            }

            if (stat.IsRegular)
            {
                visit(dirFd, name, path.Child(name), stat);
            }
            else if (stat.IsDirectory && level < MaxDepth)
            {
                var fd = fs.OpenAt(dirFd, name, ORdOnly | ODirectory | ONoFollow | OCloExec, 0);
                if (fd >= 0)
                {
                    try
                    {
                        Walk(fs, fd, path.Child(name), skipMetaFolder, visit, level + 1);
                    }
                    finally
                    {
                        _ = fs.Close(fd);
                    }
                }
            }
        }
    }
}
