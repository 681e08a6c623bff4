using System.Runtime.InteropServices;
using static Mnemo.Memory.FileSystem.FolderCodes;

namespace Mnemo.Memory.FileSystem;

/// <summary>The portable engine's names and paths: where a handle and a name lead, what is there, and the errors in Linux's numbers.</summary>
internal sealed partial class PortableFolderSystem
{
    private const int MaxLinkDepth = 40;

    private string _rootReal = string.Empty;
    private bool _emulatesCase;

    private enum Kind
    {
        Missing,
        File,
        Directory,
        Link,
    }

    /// <summary>The full path of a name in an open folder; with case folded by the rules on a volume that does not fold it,
    /// the name as the folder holds it in another case when it does not hold it as given.</summary>
    private string PathOf(int dirFd, string name)
    {
        if (dirFd == AtFdCwd)
        {
            return Path.GetFullPath(name);
        }

        if (!_handles.TryGetValue(dirFd, out var folder) || folder.File is not null)
        {
            throw new EngineError(EBadF);
        }

        if (name is "" or ".")
        {
            return folder.Path;
        }

        if (name == ".." || name.Contains('/', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal) ||
            (OperatingSystem.IsWindows() && name.Contains('\\', StringComparison.Ordinal)) || FolderNames.Refusal(_rules, name) is not null)
        {
            throw new EngineError(EInval); // a link's target can name anything: it is held to the same rules as the model's paths
        }

        var full = Path.Join(folder.Path, name);
        if (_emulatesCase && KindOf(full) == Kind.Missing)
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(folder.Path))
            {
                var held = Path.GetFileName(entry);
                if (held.Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    return Path.Join(folder.Path, held);
                }
            }
        }

        return full;
    }

    /// <summary>What a path names, never following a link at its last name: a link is a symbolic link or a junction
    /// (a reparse point with a target); other reparse points, such as a cloud file's placeholder, are what they hold.</summary>
    private static Kind KindOf(string path)
    {
        var info = new FileInfo(path);
        var attributes = info.Attributes;
        if ((int)attributes == -1)
        {
            return Kind.Missing;
        }

        if (attributes.HasFlag(FileAttributes.ReparsePoint) && info.LinkTarget is not null)
        {
            return Kind.Link;
        }

        return attributes.HasFlag(FileAttributes.Directory) ? Kind.Directory : Kind.File;
    }

    private int StatByPath(string path, out StatxBuffer buffer)
    {
        buffer = default;
        switch (KindOf(path))
        {
            case Kind.Missing:
                return Fail(ENoEnt);
            case Kind.Link:
                buffer = StatOf(path, SIfLnk, 0, default, default);
                return 0;
            case Kind.Directory:
                buffer = StatOf(path, SIfDir, 0, Directory.GetLastWriteTimeUtc(path), default);
                return 0;
            default:
                var info = new FileInfo(path);
                buffer = StatOf(path, SIfReg, info.Length, info.LastWriteTimeUtc, info.CreationTimeUtc);
                return 0;
        }
    }

    /// <summary>A status in <c>statx</c>'s shape. The identity is the path's (folded as the volume folds it) and, for a file,
    /// its creation time: a file put in place by a rename is another file, as it has another inode on Linux.</summary>
    private StatxBuffer StatOf(string path, int type, long size, DateTime written, DateTime created)
    {
        var since = written == default ? TimeSpan.Zero : written - DateTime.UnixEpoch;
        var born = created == default ? TimeSpan.Zero : created - DateTime.UnixEpoch;
        return new StatxBuffer
        {
            Mode = (ushort)type,
            Size = (ulong)Math.Max(size, 0),
            Ino = Hash(_foldsCase ? path.ToUpperInvariant() : path) ^ (type == SIfReg ? (ulong)born.Ticks : 0),
            MTimeSeconds = since.Ticks / TimeSpan.TicksPerSecond,
            MTimeNanoseconds = (uint)(since.Ticks % TimeSpan.TicksPerSecond * 100),
            CTimeSeconds = born.Ticks / TimeSpan.TicksPerSecond,
            CTimeNanoseconds = (uint)(born.Ticks % TimeSpan.TicksPerSecond * 100),
        };
    }

    /// <summary>FNV-1a over the path's characters: a stable number for a folder's identity.</summary>
    private static ulong Hash(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }

    /// <summary>A link's target as the store's resolver reads it: <c>/</c> between names; an absolute target inside the
    /// root spelt from the root's real path, so a difference of case or of a drive letter's spelling is not taken for an escape.</summary>
    private string LinkTargetInSlashes(string target)
    {
        if (OperatingSystem.IsWindows())
        {
            target = target.StartsWith(@"\\?\", StringComparison.Ordinal) || target.StartsWith(@"\??\", StringComparison.Ordinal) ? target[4..] : target;
        }

        if (!Path.IsPathFullyQualified(target))
        {
            return OperatingSystem.IsWindows() ? target.Replace('\\', '/') : target;
        }

        var slashed = InSlashes(Path.GetFullPath(target));
        var comparison = _foldsCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return slashed.Equals(_rootReal, comparison) || slashed.StartsWith(_rootReal + "/", comparison)
            ? _rootReal + slashed[_rootReal.Length..]
            : slashed;
    }

    /// <summary>A full path with <c>/</c> between names and a <c>/</c> in front (<c>/C:/Users/…</c> on Windows).</summary>
    private static string InSlashes(string path) => OperatingSystem.IsWindows() ? "/" + path.Replace('\\', '/') : path;

    /// <summary>A folder's full path with every link on the way resolved (macOS's <c>/tmp</c> is <c>/private/tmp</c>).</summary>
    private static string RealPath(string path, int depth = 0)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full) ?? string.Empty;
        var current = root;
        foreach (var part in full[root.Length..].Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Join(current, part);
            var target = depth < MaxLinkDepth && KindOf(next) == Kind.Link ? Directory.ResolveLinkTarget(next, returnFinalTarget: true) : null;
            current = target is null ? next : RealPath(target.FullName, depth + 1);
        }

        return current;
    }

    /// <summary>Tells whether the volume takes a folder's name in another case as the same folder (NTFS, APFS by default).</summary>
    private void NoteVolume(string real)
    {
        var toggled = string.Concat(real.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)));
        var volumeFolds = !toggled.Equals(real, StringComparison.Ordinal) && Directory.Exists(toggled);
        _foldsCase |= volumeFolds;
        _emulatesCase = FolderNames.FoldsCase(_rules) && !volumeFolds;
        _rootReal = InSlashes(real);
    }

    /// <summary>The error number for what a .NET file API threw; <see langword="null"/> for what is not the file system's answer.</summary>
    private static int? ErrorOf(Exception exception) => exception switch
    {
        EngineError engine => engine.Errno,
        FileNotFoundException or DirectoryNotFoundException => ENoEnt,
        UnauthorizedAccessException => EAcces,
        PathTooLongException => ENameTooLong,
        IOException io => OperatingSystem.IsWindows() ? FromWindows(io.HResult) : FromUnix(io.HResult),
        ArgumentException or NotSupportedException => EInval,
        ObjectDisposedException => EBadF,
        _ => null,
    };

    private static int FromWindows(int hresult) => (hresult & 0xFFFF) switch
    {
        2 or 3 => ENoEnt,
        5 => EAcces,
        32 or 33 => EBusy,       // sharing and lock violations: another program has the file open
        39 or 112 => ENoSpc,
        80 or 183 => EExist,
        123 or 161 => EInval,
        145 => ENotEmpty,
        206 => ENameTooLong,
        267 => ENotDir,
        _ => EIo,
    };

    private static int FromUnix(int errno)
    {
        var mac = OperatingSystem.IsMacOS();
        return errno switch
        {
            ENoEnt or EAcces or EExist or ENotDir or EIsDir or EInval or ENoSpc or ERoFs or EBusy or EFBig or EPerm => errno,
            11 when !mac => EBusy,   // EWOULDBLOCK: a lock another process holds
            35 when mac => EBusy,
            39 when !mac => ENotEmpty,
            66 when mac => ENotEmpty,
            40 when !mac => ELoop,
            62 when mac => ELoop,
            36 when !mac => ENameTooLong,
            63 when mac => ENameTooLong,
            _ => EIo,
        };
    }

    /// <summary>A failure found before any .NET call, carried to the one place that turns failures into error numbers.</summary>
    private sealed class EngineError(int errno) : Exception
    {
        public int Errno { get; } = errno;
    }
}
