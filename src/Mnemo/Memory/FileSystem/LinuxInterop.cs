using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Mnemo.Memory.FileSystem;

/// <summary>The libc calls the file-system store makes: every path is resolved relative to a directory it holds open.</summary>
/// <remarks>
/// .NET's path-based file APIs cannot open a directory, resolve one name at a time, or refuse to follow a link
/// at the last name, so the store cannot be safe against links planted between a check and a use without these calls.
/// Flag values are Linux's (x64 and arm64 differ only in <c>O_DIRECTORY</c> and <c>O_NOFOLLOW</c>).
/// </remarks>
[SupportedOSPlatform("linux")]
internal static unsafe partial class LinuxInterop
{
    private const string Libc = "libc";

    public const int ORdOnly = 0;
    public const int OWrOnly = 1;
    public const int ORdWr = 2;
    public const int OAppend = 0x400;
    public const int OCreat = 0x40;
    public const int OExcl = 0x80;
    public const int ONoCtty = 0x100;
    public const int ONonBlock = 0x800;
    public const int OCloExec = 0x80000;

    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const int AtRemoveDir = 0x200;
    public const int AtEmptyPath = 0x1000;

    public const uint RenameNoReplace = 1;
    public const int LockEx = 2;
    public const int LockUn = 8;

    public const uint StatxBasicStats = 0x7ff;
    public const int SIfMt = 0xF000;
    public const int SIfDir = 0x4000;
    public const int SIfReg = 0x8000;
    public const int SIfLnk = 0xA000;

    public const int EIntr = 4;
    public const int ENoEnt = 2;
    public const int ENxio = 6;
    public const int EAcces = 13;
    public const int EExist = 17;
    public const int ENotDir = 20;
    public const int EIsDir = 21;
    public const int EInval = 22;
    public const int ELoop = 40;
    public const int ENotEmpty = 39;
    public const int ENoSys = 38;

    private static readonly bool IsArm = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm;

    public static int ODirectory { get; } = IsArm ? 0x4000 : 0x10000;

    public static int ONoFollow { get; } = IsArm ? 0x8000 : 0x20000;

    public static bool IsSupported { get; } =
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    [LibraryImport(Libc, EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int OpenAt(int dirFd, string path, int flags, uint mode);

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Libc, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport(Libc, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport(Libc, EntryPoint = "pread", SetLastError = true)]
    public static partial nint PRead(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport(Libc, EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int FTruncate(int fd, long length);

    [LibraryImport(Libc, EntryPoint = "fsync", SetLastError = true)]
    public static partial int FSync(int fd);

    [LibraryImport(Libc, EntryPoint = "fdatasync", SetLastError = true)]
    public static partial int FDataSync(int fd);

    [LibraryImport(Libc, EntryPoint = "syncfs", SetLastError = true)]
    public static partial int SyncFs(int fd);

    [LibraryImport(Libc, EntryPoint = "flock", SetLastError = true)]
    public static partial int FLock(int fd, int operation);

    [LibraryImport(Libc, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Statx(int dirFd, string path, int flags, uint mask, out StatxBuffer buffer);

    [LibraryImport(Libc, EntryPoint = "readlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint ReadLinkAt(int dirFd, string path, byte* buffer, nuint size);

    [LibraryImport(Libc, EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MkdirAt(int dirFd, string path, uint mode);

    [LibraryImport(Libc, EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int UnlinkAt(int dirFd, string path, int flags);

    [LibraryImport(Libc, EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int RenameAt2(int oldDirFd, string oldPath, int newDirFd, string newPath, uint flags);

    [LibraryImport(Libc, EntryPoint = "linkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int LinkAt(int oldDirFd, string oldPath, int newDirFd, string newPath, int flags);

    [LibraryImport(Libc, EntryPoint = "getdents64", SetLastError = true)]
    public static partial nint GetDents64(int fd, byte* buffer, nuint count);

    [LibraryImport(Libc, EntryPoint = "strerror")]
    private static partial nint StrError(int errno);

    public static int LastError => Marshal.GetLastPInvokeError();

    /// <summary>Describes an errno in words, such as "No space left on device"; it never names a path.</summary>
    public static string Describe(int errno) => Marshal.PtrToStringUTF8(StrError(errno)) ?? $"errno {errno}";

    /// <summary>The kernel's <c>struct statx</c>; the same layout on every architecture.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    public struct StatxBuffer
    {
        [FieldOffset(0)] public uint Mask;
        [FieldOffset(16)] public uint NLink;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Ino;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(96)] public long CTimeSeconds;
        [FieldOffset(104)] public uint CTimeNanoseconds;
        [FieldOffset(112)] public long MTimeSeconds;
        [FieldOffset(120)] public uint MTimeNanoseconds;
        [FieldOffset(136)] public uint DevMajor;
        [FieldOffset(140)] public uint DevMinor;

        public readonly int Type => Mode & SIfMt;

        public readonly bool IsDirectory => Type == SIfDir;

        public readonly bool IsRegular => Type == SIfReg;

        public readonly bool IsLink => Type == SIfLnk;

        public readonly (ulong Device, ulong Inode) Identity => (((ulong)DevMajor << 32) | DevMinor, Ino);
    }
}
