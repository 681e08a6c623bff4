using Mnemo.Memory.FileSystem;
using static Mnemo.Memory.FileSystem.FolderCodes;
using static Mnemo.Memory.FileSystem.LinuxInterop;

namespace Mnemo.Tests.Memory.FileSystem.Parts;

/// <summary>A temp folder with an open handle on it, for the parts of the folder store that work on handles.</summary>
internal sealed class FolderFixture : IDisposable
{
    private readonly TempDirectory _temp = new();

    public FolderFixture()
    {
        Directory.CreateDirectory(Root);
        Fd = Open(Root);
    }

    public string Root => _temp.Combine("root");

    public int Fd { get; }

    public string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    public static int Open(string folder)
    {
        var fd = OpenAt(AtFdCwd, folder, ORdOnly | ODirectory | OCloExec, 0);
        return fd >= 0 ? fd : throw new IOException($"cannot open {folder}");
    }

    public void Dispose()
    {
        _ = Close(Fd);
        _temp.Dispose();
    }
}
