using System.Buffers;
using System.Runtime.Versioning;
using System.Text;
using static Mnemo.Memory.FileSystem.FolderCodes;

namespace Mnemo.Memory.FileSystem;

/// <summary>The Linux engine: the folder store's calls made as they are named, through libc.</summary>
/// <remarks>Every path is resolved relative to a folder handle held open, with <c>O_NOFOLLOW</c> at each name, so nothing
/// can be swapped in between a check and a use; <c>renameat2</c> with <c>RENAME_NOREPLACE</c> never overwrites; <c>flock</c>
/// on the root is the writers' lock; files and folders are flushed with <c>fsync</c>, groups with <c>syncfs</c>.</remarks>
[SupportedOSPlatform("linux")]
internal sealed class LinuxFolderSystem : FolderSystem
{
    private LinuxFolderSystem()
    {
    }

    /// <summary>Gets the one instance: the engine holds no state of its own.</summary>
    public static LinuxFolderSystem Instance { get; } = new();

    public override FolderEngine Engine => FolderEngine.Linux;

    public override int LastError => LinuxInterop.LastError;

    public override string Describe(int errno) => LinuxInterop.Describe(errno);

    public override int OpenAt(int dirFd, string path, int flags, uint mode) => LinuxInterop.OpenAt(dirFd, path, flags, mode);

    public override int Close(int fd) => LinuxInterop.Close(fd);

    public override unsafe nint Read(int fd, Span<byte> buffer)
    {
        fixed (byte* pointer = buffer)
        {
            return LinuxInterop.Read(fd, pointer, (nuint)buffer.Length);
        }
    }

    public override unsafe nint Write(int fd, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* pointer = buffer)
        {
            return LinuxInterop.Write(fd, pointer, (nuint)buffer.Length);
        }
    }

    public override unsafe nint PRead(int fd, Span<byte> buffer, long offset)
    {
        fixed (byte* pointer = buffer)
        {
            return LinuxInterop.PRead(fd, pointer, (nuint)buffer.Length, offset);
        }
    }

    public override int FTruncate(int fd, long length) => LinuxInterop.FTruncate(fd, length);

    public override int FSync(int fd) => LinuxInterop.FSync(fd);

    public override int FDataSync(int fd) => LinuxInterop.FDataSync(fd);

    public override int SyncFs(int fd) => LinuxInterop.SyncFs(fd);

    public override int FLock(int fd, int operation) => LinuxInterop.FLock(fd, operation);

    public override int Statx(int dirFd, string path, int flags, uint mask, out StatxBuffer buffer) =>
        LinuxInterop.Statx(dirFd, path, flags, mask, out buffer);

    public override string? ReadLink(int dirFd, string name)
    {
        Span<byte> buffer = stackalloc byte[4096];
        nint length;
        unsafe
        {
            fixed (byte* pointer = buffer)
            {
                length = LinuxInterop.ReadLinkAt(dirFd, name, pointer, (nuint)buffer.Length);
            }
        }

        return length < 0 ? null : System.Text.Encoding.UTF8.GetString(buffer[..(int)length]);
    }

    public override int MkdirAt(int dirFd, string path, uint mode) => LinuxInterop.MkdirAt(dirFd, path, mode);

    public override int UnlinkAt(int dirFd, string path, int flags) => LinuxInterop.UnlinkAt(dirFd, path, flags);

    public override int RenameAt2(int oldDirFd, string oldPath, int newDirFd, string newPath, uint flags) =>
        LinuxInterop.RenameAt2(oldDirFd, oldPath, newDirFd, newPath, flags);

    public override string RealPathOf(int dirFd, string path) => new FileInfo($"/proc/self/fd/{dirFd}").LinkTarget ?? path;

    /// <summary>
    /// Reads a folder's names and their types (<c>d_type</c>, 0 when the file system does not tell) with <c>getdents64</c>,
    /// leaving out <c>.</c>, <c>..</c> and names that are not UTF-8.
    /// </summary>
    public override unsafe List<(string Name, byte Type)> ReadNames(int dirFd)
    {
        var names = new List<(string Name, byte Type)>();
        var buffer = ArrayPool<byte>.Shared.Rent(32 * 1024);
        try
        {
            while (true)
            {
                nint count;
                fixed (byte* pointer = buffer)
                {
                    count = LinuxInterop.GetDents64(dirFd, pointer, (nuint)buffer.Length);
                }

                if (count < 0)
                {
                    if (LinuxInterop.LastError == EIntr)
                    {
                        continue;
                    }

                    throw Failure("list a folder", LinuxInterop.LastError);
                }

                if (count == 0)
                {
                    return names;
                }

                for (var offset = 0; offset < count;)
                {
                    var recordLength = BitConverter.ToUInt16(buffer, offset + 16);
                    var type = buffer[offset + 18];
                    var nameBytes = buffer.AsSpan(offset + 19, recordLength - 19);
                    nameBytes = nameBytes[..nameBytes.IndexOf((byte)0)];
                    offset += recordLength;
                    if (nameBytes.SequenceEqual("."u8) || nameBytes.SequenceEqual(".."u8))
                    {
                        continue;
                    }

                    try
                    {
                        names.Add((StrictUtf8.GetString(nameBytes), type));
                    }
                    catch (DecoderFallbackException)
                    {
                        // A name that is not UTF-8 cannot be named by the model; it is not shown.
                    }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
