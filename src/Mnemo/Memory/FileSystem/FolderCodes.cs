using System.Runtime.InteropServices;

namespace Mnemo.Memory.FileSystem;

/// <summary>The flags, error numbers and file status that the folder store's engines speak: Linux's own values, which the
/// portable engine takes and answers in too, so the store's logic is one for every system.</summary>
/// <remarks>Flag values are Linux's (x64 and arm64 differ only in <c>O_DIRECTORY</c> and <c>O_NOFOLLOW</c>).</remarks>
internal static class FolderCodes
{
    public const int ORdOnly = 0;
    public const int OWrOnly = 1;
    public const int ORdWr = 2;
    public const int OAccessMode = 3;
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

    public const int EPerm = 1;
    public const int ENoEnt = 2;
    public const int EIntr = 4;
    public const int EIo = 5;
    public const int ENxio = 6;
    public const int EBadF = 9;
    public const int EAcces = 13;
    public const int EBusy = 16;
    public const int EExist = 17;
    public const int EXDev = 18;
    public const int ENotDir = 20;
    public const int EIsDir = 21;
    public const int EInval = 22;
    public const int EFBig = 27;
    public const int ENoSpc = 28;
    public const int ERoFs = 30;
    public const int ENameTooLong = 36;
    public const int ENoSys = 38;
    public const int ENotEmpty = 39;
    public const int ELoop = 40;

    private static readonly bool IsArm = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm;

    public static int ODirectory { get; } = IsArm ? 0x4000 : 0x10000;

    public static int ONoFollow { get; } = IsArm ? 0x8000 : 0x20000;

    /// <summary>The kernel's <c>struct statx</c>; the same layout on every architecture. The portable engine fills the fields it can.</summary>
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
