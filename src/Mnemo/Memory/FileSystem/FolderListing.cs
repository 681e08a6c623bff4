using static Mnemo.Memory.FileSystem.FolderCodes;

namespace Mnemo.Memory.FileSystem;

/// <summary>Lists a folder of the store and its sub-folders: names and sizes, links shown as what they lead to while they
/// stay inside the root, the store's own folder left out.</summary>
/// <param name="files">The engine the folder is reached through.</param>
/// <param name="rootFd">The root's handle, never read from directly (its read position is shared).</param>
/// <param name="resolver">Resolves the folder and the links met.</param>
internal sealed class FolderListing(FolderSystem files, int rootFd, FolderPathResolver resolver)
{
    private readonly FolderSystem _fs = files;

    private const byte DirectoryType = 4; // DT_DIR

    /// <summary>Lists a folder down to <paramref name="depth"/> levels.</summary>
    /// <param name="directory">The folder.</param>
    /// <param name="depth">How many levels; 1 for the folder's own entries.</param>
    /// <returns>The entries, or <see langword="null"/> when the path is not a folder.</returns>
    public IReadOnlyList<MemoryEntry>? List(MemoryPath directory, int depth)
    {
        return RaceRetry.Run(() =>
        {
            using var resolved = resolver.Resolve(directory, createParents: false, openFinal: true);
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
                : resolved.Status == ResolveStatus.Root ? _fs.OpenAt(rootFd, ".", ORdOnly | ODirectory | OCloExec, 0)
                : _fs.OpenAt(resolved.ParentFd, resolved.Name!, ORdOnly | ODirectory | ONoFollow | OCloExec, 0);
            if (fd < 0)
            {
                return FolderSystem.IsRace(_fs.LastError) ? Attempt<IReadOnlyList<MemoryEntry>?>.Raced : throw _fs.Failure("open a folder", _fs.LastError);
            }

            try
            {
                return new Attempt<IReadOnlyList<MemoryEntry>?>(ListDirectory(fd, directory, depth));
            }
            finally
            {
                if (ownsFd)
                {
                    _ = _fs.Close(fd);
                }
            }
        });
    }

    private List<MemoryEntry> ListDirectory(int dirFd, MemoryPath directory, int depth)
    {
        var entries = new List<MemoryEntry>();
        foreach (var (name, type) in _fs.ReadNames(dirFd))
        {
            // The root's own listing skips the store's folder by name; a folder that is the root by a link is checked by identity.
            if (name == FileSystemMemoryStore.MetaDirectoryName && (directory.IsRoot || resolver.IsRoot(dirFd)))
            {
                continue;
            }

            // A folder's size is not shown, so a folder the listing names as such needs no look-up.
            StatxBuffer stat = default;
            var isDirectory = type == DirectoryType;
            if (!isDirectory && _fs.Statx(dirFd, name, AtSymlinkNoFollow, StatxBasicStats, out stat) != 0)
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
                    var fd = _fs.OpenAt(dirFd, name, ORdOnly | ODirectory | ONoFollow | OCloExec, 0);
                    if (fd >= 0)
                    {
                        try
                        {
                            children = ListDirectory(fd, directory.Child(name), depth - 1);
                        }
                        finally
                        {
                            _ = _fs.Close(fd);
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
            var stat = RaceRetry.Run(() =>
            {
                using var resolved = resolver.Resolve(path, createParents: false);
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

            var children = depth > 1 ? List(path, depth - 1) : null;
            return new MemoryEntry(name, MemoryEntryKind.Directory, 0, children);
        }
        catch (MemoryPathEscapeException)
        {
            return null;
        }
    }
}
