using static Mnemo.Memory.FileSystem.FolderCodes;

namespace Mnemo.Memory.FileSystem;

/// <summary>The folder store's write lock: one writer at a time among this process's threads (a semaphore) and among
/// processes (<c>flock</c> on the root folder).</summary>
/// <param name="files">The engine the folder is reached through.</param>
/// <param name="rootFd">The root folder's handle, which the lock is taken on.</param>
internal sealed class FolderWriteLock(FolderSystem files, int rootFd) : IDisposable
{
    private readonly FolderSystem _fs = files;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly int _rootFd = rootFd;

    /// <summary>Waits for the lock.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests while waiting for another thread.</param>
    /// <returns>The held lock; dispose it to release.</returns>
    public async ValueTask<Held> TakeAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        while (_fs.FLock(_rootFd, LockEx) != 0)
        {
            if (_fs.LastError != EIntr)
            {
                var error = _fs.LastError;
                _gate.Release();
                throw _fs.Failure("lock the memory folder", error);
            }
        }

        return new Held(this);
    }

    /// <inheritdoc/>
    public void Dispose() => _gate.Dispose();

    /// <summary>The lock while it is held.</summary>
    internal readonly struct Held(FolderWriteLock owner) : IDisposable
    {
        /// <summary>Releases the lock.</summary>
        public void Dispose()
        {
            _ = owner._fs.FLock(owner._rootFd, LockUn);
            owner._gate.Release();
        }
    }
}
