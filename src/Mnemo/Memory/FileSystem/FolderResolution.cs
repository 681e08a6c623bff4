using static Mnemo.Memory.FileSystem.FolderCodes;

namespace Mnemo.Memory.FileSystem;

/// <summary>What resolving a path found.</summary>
internal enum ResolveStatus
{
    /// <summary>The path names something: <see cref="FolderResolution.Name"/> in <see cref="FolderResolution.ParentFd"/>.</summary>
    Found,

    /// <summary>The path's parent exists and the last name does not.</summary>
    Missing,

    /// <summary>A folder on the way is missing, or is a file.</summary>
    ParentMissing,

    /// <summary>The path is the root itself.</summary>
    Root,

    /// <summary>Something changed under the walk; resolve again.</summary>
    Raced,
}

/// <summary>One try of something that resolves paths: its answer, or the news that the tree changed under it.</summary>
/// <typeparam name="T">The answer.</typeparam>
/// <param name="Value">The answer, when not raced.</param>
/// <param name="IsRaced">Whether the tree changed under the try, so it must be made again.</param>
internal readonly record struct Attempt<T>(T Value, bool IsRaced = false)
{
    public static Attempt<T> Raced => new(default!, true);
}

/// <summary>Tries again what another writer's change of the tree interrupted, a bounded number of times.</summary>
internal static class RaceRetry
{
    private const int MaxRaceRetries = 100;

    /// <summary>Makes tries until one is not raced.</summary>
    /// <typeparam name="T">The answer.</typeparam>
    /// <param name="attempt">One try.</param>
    /// <returns>The first answer that was not raced.</returns>
    /// <exception cref="MemoryStoreException">The tree kept changing (transient).</exception>
    public static T Run<T>(Func<Attempt<T>> attempt)
    {
        for (var i = 0; i < MaxRaceRetries; i++)
        {
            var result = attempt();
            if (!result.IsRaced)
            {
                return result.Value;
            }
        }

        throw new MemoryStoreException("the path kept changing while it was being resolved", isTransient: true);
    }
}

/// <summary>The folder handles from the root down to a path's parent, which the walk holds open.</summary>
internal sealed class FolderResolution(FolderSystem files, int rootFd) : IDisposable
{
    private readonly FolderSystem _fs = files;

    private readonly List<(int Fd, string Name)> _chain = [];

    public ResolveStatus Status { get; private set; }

    public string? Name { get; private set; }

    public StatxBuffer Stat { get; private set; }

    /// <summary>Gets the open handle of what the path names, when the resolution was asked to open it; -1 otherwise.</summary>
    public int FinalFd { get; private set; } = -1;

    public bool CreatedDirectory { get; set; }

    public int TopFd => _chain.Count == 0 ? rootFd : _chain[^1].Fd;

    public bool AtRoot => _chain.Count == 0;

    public int ParentFd => TopFd;

    public void Push(int fd, string name) => _chain.Add((fd, name));

    public bool Pop()
    {
        if (_chain.Count == 0)
        {
            return false;
        }

        _ = _fs.Close(_chain[^1].Fd);
        _chain.RemoveAt(_chain.Count - 1);
        return true;
    }

    public void PopToRoot()
    {
        while (Pop())
        {
        }
    }

    /// <summary>Tells whether a folder with this identity is on the walked chain (the root excluded).</summary>
    public bool HasAncestor((ulong, ulong) identity) =>
        _chain.Exists(link => _fs.Statx(link.Fd, string.Empty, AtEmptyPath, StatxBasicStats, out var stat) == 0 && stat.Identity == identity);

    public FolderResolution Finish(ResolveStatus status, string? name = null, StatxBuffer stat = default)
    {
        (Status, Name, Stat) = (status, name, stat);
        return this;
    }

    public FolderResolution FinishOpen(string name, int fd, in StatxBuffer stat)
    {
        FinalFd = fd;
        return Finish(ResolveStatus.Found, name, stat);
    }

    /// <summary>Ends a walk whose names ran out in a folder: that folder, named from its parent, is the result.</summary>
    public FolderResolution FinishAtTop(bool keepOpen)
    {
        if (_chain.Count == 0)
        {
            return Finish(ResolveStatus.Root);
        }

        var (fd, name) = _chain[^1];
        _chain.RemoveAt(_chain.Count - 1);
        if (_fs.Statx(fd, string.Empty, AtEmptyPath, StatxBasicStats, out var stat) != 0 || !stat.IsDirectory)
        {
            _ = _fs.Close(fd);
            return Finish(ResolveStatus.Raced);
        }

        if (!keepOpen)
        {
            _ = _fs.Close(fd);
            return Finish(ResolveStatus.Found, name, stat);
        }

        return FinishOpen(name, fd, stat);
    }

    public void SyncParent(bool durable)
    {
        if (durable)
        {
            _ = _fs.FSync(TopFd);
        }
    }

    /// <summary>Flushes the parent and, when the walk made folders, every folder above it, so new entries survive a crash.</summary>
    public void SyncDirectories(bool durable)
    {
        if (!durable)
        {
            return;
        }

        _ = _fs.FSync(TopFd);
        if (CreatedDirectory)
        {
            _ = _fs.FSync(rootFd);
            foreach (var (fd, _) in _chain)
            {
                _ = _fs.FSync(fd);
            }
        }
    }

    public void Dispose()
    {
        if (FinalFd >= 0)
        {
            _ = _fs.Close(FinalFd);
            FinalFd = -1;
        }

        foreach (var (fd, _) in _chain)
        {
            _ = _fs.Close(fd);
        }

        _chain.Clear();
    }
}
