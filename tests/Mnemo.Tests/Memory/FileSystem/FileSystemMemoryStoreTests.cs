using System.Text;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Tests.Memory.FileSystem;

public sealed class FileSystemMemoryStoreTests : MemoryStoreConformanceTests
{
    private readonly TempDirectory _temp = new();

    private string Root => _temp.Combine("memories");

    protected override IMemoryStore CreateStore() => new FileSystemMemoryStore(Root);

    protected override IMemoryStore CreateSecondStore() => new FileSystemMemoryStore(Root);

    public override void Dispose()
    {
        base.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task Create_SetsPrivateModes_AndLeavesNoTempFiles()
    {
        await Store.CreateFileAsync(P("/memories/a/b/c.md"), "x"u8.ToArray(), Ct);
        var tool = new MemoryTool(Store);
        await tool.ExecuteAsync(new StrReplaceMemoryCommand("/memories/a/b/c.md", "x", "y"), Ct);
        File.GetUnixFileMode(Path.Combine(Root, "a")).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.GetUnixFileMode(Path.Combine(Root, "a", "b")).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.GetUnixFileMode(Path.Combine(Root, "a", "b", "c.md")).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Directory.EnumerateFileSystemEntries(Root, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Root, p)).Order(StringComparer.Ordinal).ShouldBe(["a", "a/b", "a/b/c.md"]);
    }

    [Fact]
    public void Open_RemovesStaleTempFilesAndHalfDeletedFolders_KeepsOtherHiddenNames()
    {
        Directory.CreateDirectory(Path.Combine(Root, "d", ".tmp-mnemo-0123456789abcdef01234567"));
        File.WriteAllText(Path.Combine(Root, "d", ".tmp-mnemo-0123456789abcdef01234567", "x"), "x");
        File.WriteAllText(Path.Combine(Root, ".tmp-mnemo-aaaaaaaaaaaaaaaaaaaaaaaa"), "partial");
        File.WriteAllText(Path.Combine(Root, ".tmp-notes"), "the model's own hidden file");
        using var store = new FileSystemMemoryStore(Root);
        Directory.EnumerateFileSystemEntries(Root, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Root, p)).Order(StringComparer.Ordinal).ShouldBe([".tmp-notes", "d"]);
    }

    [Fact]
    public async Task Read_FileReplacedByWriterWithSameInode_StillDetectsChange()
    {
        // Files are never rewritten in place by the store, but another program may do so: the bytes decide.
        await Store.CreateFileAsync(P("/memories/a.md"), "aaaa"u8.ToArray(), Ct);
        var read = (await Store.ReadAsync(P("/memories/a.md"), Ct))!;
        await using (var stream = new FileStream(Path.Combine(Root, "a.md"), FileMode.Open, FileAccess.Write))
        {
            stream.Write("bbbb"u8);
        }

        File.SetLastWriteTimeUtc(Path.Combine(Root, "a.md"), File.GetLastWriteTimeUtc(Path.Combine(Root, "a.md")));
        (await Store.ReplaceFileAsync(P("/memories/a.md"), "cccc"u8.ToArray(), read, Ct)).ShouldBeFalse();
        Encoding.UTF8.GetString((await Store.ReadAsync(P("/memories/a.md"), Ct))!.Content.Span).ShouldBe("bbbb");
    }

    [Fact]
    public async Task NonDurable_WritesStillAtomicAndVisible()
    {
        using var store = new FileSystemMemoryStore(_temp.Combine("fast"), new FileSystemMemoryStoreOptions { Durable = false });
        var tool = new MemoryTool(store);
        (await tool.ExecuteAsync(new CreateMemoryCommand("/memories/a.md", "one\n"), Ct)).IsError.ShouldBeFalse();
        (await tool.ExecuteAsync(new InsertMemoryCommand("/memories/a.md", 1, "two"), Ct)).IsError.ShouldBeFalse();
        File.ReadAllText(_temp.Combine("fast", "a.md")).ShouldBe("one\ntwo\n");
    }

    [Fact]
    public async Task SpecialFiles_AreNeitherReadNorListed()
    {
        Directory.CreateDirectory(Root);
        using (var store = new FileSystemMemoryStore(Root))
        {
            var fifo = Path.Combine(Root, "pipe");
            System.Diagnostics.Process.Start("mkfifo", fifo)!.WaitForExit();
            File.Exists(fifo).ShouldBeTrue();
            var tool = new MemoryTool(store);
            (await tool.ExecuteAsync(new ViewMemoryCommand("/memories/pipe"), Ct)).Content
                .ShouldBe("The path /memories/pipe does not exist. Please provide a valid path.");
            (await tool.ExecuteAsync(new ViewMemoryCommand("/memories"), Ct)).Content.ShouldNotContain("pipe");
        }
    }

    [Fact]
    public async Task Disposed_ThrowsObjectDisposed()
    {
        var store = new FileSystemMemoryStore(_temp.Combine("gone"));
        store.Dispose();
        await Should.ThrowAsync<ObjectDisposedException>(async () => await store.ReadAsync(MemoryPath.RootPath, Ct));
    }
}
