namespace Mnemo.Memory;

/// <summary>Appends whole lines to a file shared by processes, with .NET's file APIs alone: each append holds the file's
/// lock file (<c>NAME.lock</c>, opened without sharing, which every system enforces between processes), so lines never
/// interleave. Where Linux's calls are at hand the logs append with one <c>O_APPEND</c> write instead, which needs no lock.</summary>
internal static class LockedLineAppender
{
    private const int MaxWaitMilliseconds = 10_000;

    /// <summary>Appends a line, waiting up to ten seconds for another process's append to finish.</summary>
    /// <param name="path">The file, created when missing (0600 where the system has modes).</param>
    /// <param name="line">The line, its newline included.</param>
    /// <param name="flush">Whether to flush it to the disk before returning.</param>
    /// <exception cref="IOException">The file cannot be written, or the lock was held for ten seconds.</exception>
    public static void Append(string path, ReadOnlySpan<byte> line, bool flush)
    {
        using var held = Lock(path + ".lock");
        using var stream = new FileStream(path, Options(FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete));
        stream.Write(line);
        stream.Flush(flushToDisk: flush);
    }

    /// <summary>Takes a lock file, waiting for another process to let go of it.</summary>
    /// <param name="path">The lock file.</param>
    /// <returns>The held lock; dispose it to let go.</returns>
    public static FileStream Lock(string path)
    {
        for (int waited = 0, wait = 1; ; waited += wait, wait = Math.Min(wait * 2, 50))
        {
            try
            {
                return new FileStream(path, Options(FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (waited < MaxWaitMilliseconds && File.Exists(path))
            {
                Thread.Sleep(wait); // held by another process's append
            }
        }
    }

    private static FileStreamOptions Options(FileMode mode, FileAccess access, FileShare share)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return options;
    }
}
