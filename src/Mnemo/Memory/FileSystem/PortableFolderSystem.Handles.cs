using Microsoft.Win32.SafeHandles;
using static Mnemo.Memory.FileSystem.FolderCodes;

namespace Mnemo.Memory.FileSystem;

/// <summary>The portable engine's handles: numbers for open folders and files, and the error numbers it answers with.</summary>
internal sealed partial class PortableFolderSystem
{
    public override string Describe(int errno) => errno switch
    {
        EPerm => "Operation not permitted",
        ENoEnt => "No such file or directory",
        EIo => "Input/output error",
        EBadF => "Bad file descriptor",
        EAcces => "Permission denied",
        EBusy => "The file is in use by another program",
        EExist => "File exists",
        ENotDir => "Not a directory",
        EIsDir => "Is a directory",
        EInval => "Invalid argument",
        EFBig => "File too large",
        ENoSpc => "No space left on device",
        ERoFs => "Read-only file system",
        ENameTooLong => "File name too long",
        ENoSys => "Function not implemented",
        ENotEmpty => "Directory not empty",
        ELoop => "Too many levels of symbolic links",
        _ => $"error {errno}",
    };

    private static FileAccess Access(int flags) => (flags & OAccessMode) switch
    {
        OWrOnly => FileAccess.Write,
        ORdWr => FileAccess.ReadWrite,
        _ => FileAccess.Read,
    };

    private static FileStream OpenFile(string path, FileMode mode, FileAccess access, uint unixMode)
    {
        // Shared for reading, writing and deleting: a reader never stops a writer's rename over the file. Unbuffered: the
        // engine reads and writes its handle at offsets it keeps itself.
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = FileShare.ReadWrite | FileShare.Delete, BufferSize = 0 };
        if (!OperatingSystem.IsWindows() && mode is FileMode.CreateNew or FileMode.OpenOrCreate)
        {
            options.UnixCreateMode = (UnixFileMode)(unixMode == 0 ? DurableFileWriter.FileMode : unixMode);
        }

        return new FileStream(path, options);
    }

    private int Add(Handle handle)
    {
        var fd = Interlocked.Increment(ref _nextHandle);
        _handles[fd] = handle;
        return fd;
    }

    private Handle? FileOf(int fd) => _handles.TryGetValue(fd, out var handle) && handle.File is not null ? handle : null;

    private int OnFile(int fd, Action<SafeFileHandle> action)
    {
        if (FileOf(fd) is not { } handle)
        {
            return Fail(EBadF);
        }

        try
        {
            action(handle.File!);
            return 0;
        }
        catch (Exception exception) when (ErrorOf(exception) is { } error)
        {
            return Fail(error);
        }
    }

    private static int Fail(int error)
    {
        _lastError = error;
        return -1;
    }

    private static T? Fail<T>(int error)
        where T : class
    {
        _lastError = error;
        return null;
    }

    /// <summary>An open folder (its path) or file (its handle), with a file's read position.</summary>
    private sealed class Handle(string path, FileStream? stream, bool append)
    {
        public string Path { get; } = path;

        public FileStream? Stream { get; } = stream;

        public SafeFileHandle? File { get; } = stream?.SafeFileHandle;

        public bool Append { get; } = append;

        public long Position { get; set; }

        /// <summary>The lock file, while a folder handle holds the writers' lock.</summary>
        public FileStream? Lock;
    }
}
