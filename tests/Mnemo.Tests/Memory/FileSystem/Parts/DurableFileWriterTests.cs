using Mnemo.Memory.FileSystem;

namespace Mnemo.Tests.Memory.FileSystem.Parts;

/// <summary>The crash-safe writer: hidden, private temp files put in place in one step, and what a crash left swept away.</summary>
public sealed class DurableFileWriterTests : IDisposable
{
    private readonly FolderFixture _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void WriteTemp_IsAHiddenPrivateFile_WithAFreshName()
    {
        var writer = new DurableFileWriter(LinuxFolderSystem.Instance, durable: true);

        var first = writer.WriteTemp(_folder.Fd, "a"u8);
        var second = writer.WriteTemp(_folder.Fd, "b"u8);

        first.ShouldStartWith(".");
        first.ShouldNotBe(second);
        DurableFileWriter.IsTempName(first).ShouldBeTrue();
        DurableFileWriter.IsTempName(".tmp-notes").ShouldBeFalse();
        File.ReadAllText(_folder.Combine(first)).ShouldBe("a");
        File.GetUnixFileMode(_folder.Combine(first)).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    [Fact]
    public void ReplaceFile_PutsTheWholeNewFileInPlace_AndLeavesNoTempFile()
    {
        File.WriteAllText(_folder.Combine("log.jsonl"), "old\n");

        new DurableFileWriter(LinuxFolderSystem.Instance, durable: false).ReplaceFile(_folder.Fd, "log.jsonl", "new\n"u8, "replace the log");

        File.ReadAllText(_folder.Combine("log.jsonl")).ShouldBe("new\n");
        Directory.GetFiles(_folder.Root).Select(Path.GetFileName).ShouldBe(["log.jsonl"]);
    }

    [Fact]
    public void RemoveStaleTempFiles_RemovesWhatACrashLeft_AtAnyDepth_AndNothingElse()
    {
        var writer = new DurableFileWriter(LinuxFolderSystem.Instance, durable: false);
        Directory.CreateDirectory(_folder.Combine("a", "b"));
        using (var sub = new SubFolder(_folder.Combine("a", "b")))
        {
            writer.WriteTemp(sub.Fd, "torn"u8);
        }

        writer.WriteTemp(_folder.Fd, "torn"u8);
        var hidden = DurableFileWriter.TempName();
        Directory.CreateDirectory(_folder.Combine(hidden, "inside"));
        File.WriteAllText(_folder.Combine(".tmp-notes"), "a user's own file");
        File.WriteAllText(_folder.Combine("a", "b", "kept.md"), "kept");

        new DurableFileWriter(LinuxFolderSystem.Instance, durable: false).RemoveStaleTempFiles(_folder.Fd);

        Directory.EnumerateFileSystemEntries(_folder.Root, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(_folder.Root, path)).Order(StringComparer.Ordinal)
            .ShouldBe([".tmp-notes", "a", "a/b", "a/b/kept.md"]);
    }

    private sealed class SubFolder(string path) : IDisposable
    {
        public int Fd { get; } = FolderFixture.Open(path);

        public void Dispose() => _ = LinuxInterop.Close(Fd);
    }
}
