namespace Mnemo.Memory.FileSystem;

/// <summary>Specifies how a <see cref="FileSystemMemoryStore"/> reaches its folder.</summary>
public enum FolderEngine
{
    /// <summary>The best engine the system has: <see cref="Linux"/> on Linux (x64, arm64), <see cref="Portable"/> elsewhere.</summary>
    Automatic,

    /// <summary>Linux's own calls (<c>openat</c>, <c>statx</c>, <c>renameat2</c>, <c>flock</c>, <c>syncfs</c>) on folder handles:
    /// no link can be swapped in between a check and a use. Linux on x64 or arm64 only.</summary>
    Linux,

    /// <summary>.NET's file APIs only, on every system .NET runs on (Windows, macOS, Linux): names checked one at a time for
    /// links and reparse points, atomic renames, flushed files, and a lock file between processes. It narrows, but cannot
    /// close, the race of a link swapped in between a check and a use.</summary>
    Portable,
}
