using static Mnemo.Memory.FileSystem.FolderCodes;

namespace Mnemo.Memory.FileSystem;

/// <summary>Resolves memory paths inside the root from directory handles, one name at a time, so that no path, link or race
/// leads out of the root.</summary>
/// <remarks>
/// The root's handle is opened once and every walk starts from it: <c>openat</c> with <c>O_NOFOLLOW</c> for each name,
/// <c>statx</c> only when an open fails, links read and followed while their target stays inside the root's real path.
/// The store's own folder (<see cref="FileSystemMemoryStore.MetaDirectoryName"/>) is as far out of reach as anything outside.
/// Thread-safe: each walk holds its own handles.
/// </remarks>
internal sealed class FolderPathResolver(FolderSystem files, int rootFd, string rootRealPath)
{
    private readonly FolderSystem _fs = files;
    private const int MaxLinks = 40;
    private const uint DirectoryMode = 0x1C0; // 0700

    private readonly int _rootFd = rootFd;
    private readonly string _rootRealPath = rootRealPath;

    /// <summary>Tells whether a folder handle is the root, by identity (a link can lead back to it).</summary>
    /// <param name="dirFd">The folder's handle.</param>
    /// <returns><see langword="true"/> when it is the root folder.</returns>
    public bool IsRoot(int dirFd) =>
        _fs.Statx(dirFd, string.Empty, AtEmptyPath, StatxBasicStats, out var folder) == 0 &&
        _fs.Statx(_rootFd, string.Empty, AtEmptyPath, StatxBasicStats, out var root) == 0 &&
        folder.Identity == root.Identity;

    /// <summary>Resolves a path one name at a time from the root handle, following links only while they stay inside.</summary>
    /// <remarks>
    /// Each folder on the way is opened with <c>O_NOFOLLOW</c> before anything else is asked of it, so the handle the walk
    /// goes on from is the folder itself and nothing can be swapped in behind a check. Only when an open fails is the
    /// name inspected, to tell a link (followed while it stays inside) from a file or a missing name. With
    /// <paramref name="openFinal"/> the last name is opened too (never following a link, never blocking) and its handle
    /// kept in <see cref="FolderResolution.FinalFd"/>, so a read needs no second look-up.
    /// </remarks>
    public FolderResolution Resolve(MemoryPath path, bool createParents, bool openFinal = false)
    {
        var resolution = new FolderResolution(_fs, _rootFd);
        var pending = new Stack<string>(path.Segments.Reverse());
        var links = 0;
        try
        {
            while (pending.TryPop(out var name))
            {
                if (name is "" or ".")
                {
                    continue;
                }

                if (name == "..")
                {
                    if (!resolution.Pop())
                    {
                        throw new MemoryPathEscapeException(path);
                    }

                    continue;
                }

                // The store's own records sit beside the memory files and are as far out of reach as anything outside the root.
                if (name == FileSystemMemoryStore.MetaDirectoryName && resolution.AtRoot)
                {
                    throw new MemoryPathEscapeException(path);
                }

                var last = pending.Count == 0;
                var openError = 0;
                if (!last || openFinal)
                {
                    var flags = last ? ORdOnly | ONoFollow | ONonBlock | ONoCtty | OCloExec : ORdOnly | ODirectory | ONoFollow | OCloExec;
                    var fd = _fs.OpenAt(resolution.TopFd, name, flags, 0);
                    if (fd >= 0)
                    {
                        if (!last)
                        {
                            resolution.Push(fd, name);
                            continue;
                        }

                        if (_fs.Statx(fd, string.Empty, AtEmptyPath, StatxBasicStats, out var opened) != 0)
                        {
                            var error = _fs.LastError;
                            _ = _fs.Close(fd);
                            throw _fs.Failure("inspect a file", error);
                        }

                        return resolution.FinishOpen(name, fd, opened);
                    }

                    // A missing name, a link, a file where a folder should be, or something that cannot be opened
                    // (a socket): inspected below. Anything else is the file system's own failure.
                    openError = _fs.LastError;
                    if (openError is not (ENoEnt or ELoop or ENotDir or ENxio or EAcces))
                    {
                        throw _fs.Failure(last ? "open a file" : "open a folder", openError);
                    }
                }

                if (_fs.Statx(resolution.TopFd, name, AtSymlinkNoFollow, StatxBasicStats, out var stat) != 0)
                {
                    var error = _fs.LastError;
                    if (error != ENoEnt)
                    {
                        return error == ENotDir ? resolution.Finish(ResolveStatus.Raced) : throw _fs.Failure("inspect a path", error);
                    }

                    if (last)
                    {
                        return resolution.Finish(ResolveStatus.Missing, name);
                    }

                    if (!createParents)
                    {
                        return resolution.Finish(ResolveStatus.ParentMissing);
                    }

                    if (_fs.MkdirAt(resolution.TopFd, name, DirectoryMode) != 0 && _fs.LastError != EExist)
                    {
                        throw _fs.Failure("create a folder", _fs.LastError);
                    }

                    resolution.CreatedDirectory = true;
                    pending.Push(name);
                    continue;
                }

                if (stat.IsLink)
                {
                    if (++links > MaxLinks)
                    {
                        return resolution.Finish(last ? ResolveStatus.Missing : ResolveStatus.ParentMissing, name);
                    }

                    var target = _fs.ReadLink(resolution.TopFd, name);
                    if (target is null)
                    {
                        return resolution.Finish(ResolveStatus.Raced);
                    }

                    if (target.StartsWith('/'))
                    {
                        if (!target.Equals(_rootRealPath, StringComparison.Ordinal) &&
                            !target.StartsWith(_rootRealPath + "/", StringComparison.Ordinal))
                        {
                            throw new MemoryPathEscapeException(path);
                        }

                        resolution.PopToRoot();
                        target = target[_rootRealPath.Length..];
                    }

                    foreach (var part in target.Split('/').Reverse())
                    {
                        pending.Push(part);
                    }

                    continue;
                }

                if (last)
                {
                    return resolution.Finish(ResolveStatus.Found, name, stat);
                }

                // Not a link and yet the open failed: a file where a folder should be, a folder that may not be
                // entered, or a folder that appeared after the open.
                if (!stat.IsDirectory)
                {
                    return resolution.Finish(ResolveStatus.ParentMissing);
                }

                return openError == EAcces ? throw _fs.Failure("open a folder", openError) : resolution.Finish(ResolveStatus.Raced);
            }

            // The names ran out inside a link or at a "..": the result is the folder the walk stands in.
            return resolution.FinishAtTop(openFinal);
        }
        catch
        {
            resolution.Dispose();
            throw;
        }
    }
}
