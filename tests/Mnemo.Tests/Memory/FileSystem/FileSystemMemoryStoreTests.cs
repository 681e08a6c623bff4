using System.Text;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Tests.Memory.FileSystem;

/// <summary>The store conformance suite and the folder's own guarantees, on each engine.</summary>
/// <param name="engine">The engine under test.</param>
public abstract class FileSystemMemoryStoreTests(FolderEngine engine) : MemoryStoreConformanceTests
{
    private readonly TempDirectory _temp = new();

    protected string Temp(string name) => _temp.Combine(name);

    protected FileSystemMemoryStoreOptions Options() => new() { Engine = engine };

    protected string Root => _temp.Combine("memories");


    protected override IMemoryStore CreateStore() => new FileSystemMemoryStore(Root, Options());

    protected override IMemoryStore CreateSecondStore() => new FileSystemMemoryStore(Root, Options());

    public override void Dispose()
    {
        base.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task Create_SetsPrivateModes_AndLeavesNoTempFiles()
    {
        await Store.CreateFileAsync(P("/memories/a/b/c.md"), "x"u8.ToArray(), cancellationToken: Ct);
        var tool = new MemoryTool(Store);
        await tool.ExecuteAsync(new StrReplaceMemoryCommand("/memories/a/b/c.md", "x", "y"), Ct);
        File.GetUnixFileMode(Path.Combine(Root, "a")).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.GetUnixFileMode(Path.Combine(Root, "a", "b")).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.GetUnixFileMode(Path.Combine(Root, "a", "b", "c.md")).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Directory.EnumerateFileSystemEntries(Root, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Root, p)).Where(p => !p.StartsWith(FileSystemMemoryStore.MetaDirectoryName, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ShouldBe(["a", "a/b", "a/b/c.md"]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(40_000)]
    [InlineData(39_999)]
    public async Task Replace_ExpectingTheVersionButOtherBytes_IsRefused(int differingByte)
    {
        // The version is the file's identity, size and times; the bytes are compared too, whatever the file's size.
        var content = new byte[40_000];
        new Random(7).NextBytes(content);
        await Store.CreateFileAsync(P("/memories/big.bin"), content, cancellationToken: Ct);
        var read = (await Store.ReadAsync(P("/memories/big.bin"), Ct))!;
        var forged = read.Content.ToArray();
        forged[Math.Min(differingByte, forged.Length - 1)] ^= 0xFF;

        (await Store.ReplaceFileAsync(P("/memories/big.bin"), "lost"u8.ToArray(), MemoryItem.File(forged, read.Version), cancellationToken: Ct)).ShouldBeFalse();
        (await Store.ReplaceFileAsync(P("/memories/big.bin"), "kept"u8.ToArray(), MemoryItem.File(content, read.Version), cancellationToken: Ct)).ShouldBeTrue();
        File.ReadAllText(Path.Combine(Root, "big.bin")).ShouldBe("kept");
    }

    [Fact]
    public void Open_RemovesStaleTempFilesAndHalfDeletedFolders_KeepsOtherHiddenNames()
    {
        Directory.CreateDirectory(Path.Combine(Root, "d", ".tmp-mnemo-0123456789abcdef01234567"));
        File.WriteAllText(Path.Combine(Root, "d", ".tmp-mnemo-0123456789abcdef01234567", "x"), "x");
        File.WriteAllText(Path.Combine(Root, ".tmp-mnemo-aaaaaaaaaaaaaaaaaaaaaaaa"), "partial");
        File.WriteAllText(Path.Combine(Root, ".tmp-notes"), "the model's own hidden file");
        using var store = new FileSystemMemoryStore(Root, Options());
        Directory.EnumerateFileSystemEntries(Root, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Root, p)).Where(p => !p.StartsWith(FileSystemMemoryStore.MetaDirectoryName, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ShouldBe([".tmp-notes", "d"]);
    }

    [Fact]
    public async Task Read_FileReplacedByWriterWithSameInode_StillDetectsChange()
    {
        // Files are never rewritten in place by the store, but another program may do so: the bytes decide.
        await Store.CreateFileAsync(P("/memories/a.md"), "aaaa"u8.ToArray(), cancellationToken: Ct);
        var read = (await Store.ReadAsync(P("/memories/a.md"), Ct))!;
        await using (var stream = new FileStream(Path.Combine(Root, "a.md"), FileMode.Open, FileAccess.Write))
        {
            stream.Write("bbbb"u8);
        }

        File.SetLastWriteTimeUtc(Path.Combine(Root, "a.md"), File.GetLastWriteTimeUtc(Path.Combine(Root, "a.md")));
        (await Store.ReplaceFileAsync(P("/memories/a.md"), "cccc"u8.ToArray(), read, cancellationToken: Ct)).ShouldBeFalse();
        Encoding.UTF8.GetString((await Store.ReadAsync(P("/memories/a.md"), Ct))!.Content.Span).ShouldBe("bbbb");
    }

    [Fact]
    public async Task ConcurrentReader_SeesOnlyWholeVersions_WhileAWriterRewrites()
    {
        // Two large versions that differ everywhere: a torn read would mix them or cut one short.
        var a = string.Concat(Enumerable.Repeat("A marker line that fills the file\n", 3000));
        var b = string.Concat(Enumerable.Repeat("b other line, of another length entirely\n", 3000));
        using var roomy = new FileSystemMemoryStore(Root, new FileSystemMemoryStoreOptions { Engine = engine, Quotas = new MemoryQuotas { MaxFileBytes = 1 << 20 } });
        var tool = new MemoryTool(roomy, new MemoryToolOptions { MaxFileBytes = 1 << 20 });
        await tool.ExecuteAsync(new CreateMemoryCommand("/memories/v.md", "state a\n" + a), Ct);
        using var stop = new CancellationTokenSource();
        var writes = 0;
        var writer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                // Rewrites the whole file each time: state a with body a <-> state b with body b.
                var toB = writes % 2 == 0;
                var old = toB ? "state a\n" + a : "state b\n" + b;
                var replacement = toB ? "state b\n" + b : "state a\n" + a;
                (await tool.ExecuteAsync(new StrReplaceMemoryCommand("/memories/v.md", old, replacement), Ct)).IsError.ShouldBeFalse();
                Interlocked.Increment(ref writes);
            }
        }, Ct);

        // At least 3,000 reads, and on for as long as it takes the writer to get going on a busy machine.
        var (reads, torn) = (0, 0);
        var path = Path.Combine(Root, "v.md");
        var started = TimeProvider.System.GetTimestamp();
        while (reads < 3000 || (Volatile.Read(ref writes) <= 10 && TimeProvider.System.GetElapsedTime(started) < Eventually.Limit))
        {
            var item = (await Store.ReadAsync(P("/memories/v.md"), Ct))!;
            var text = Encoding.UTF8.GetString(item.Content.Span);
            var direct = await File.ReadAllTextAsync(path, Ct);
            foreach (var seen in new[] { text, direct })
            {
                torn += seen == "state a\n" + a || seen == "state b\n" + b ? 0 : 1;
            }

            reads++;
        }

        await stop.CancelAsync();
        await writer;
        writes.ShouldBeGreaterThan(10);
        torn.ShouldBe(0);
    }

    [Fact]
    public async Task NonDurable_WritesStillAtomicAndVisible()
    {
        using var store = new FileSystemMemoryStore(_temp.Combine("fast"), new FileSystemMemoryStoreOptions { Engine = engine, Durable = false });
        var tool = new MemoryTool(store);
        (await tool.ExecuteAsync(new CreateMemoryCommand("/memories/a.md", "one\n"), Ct)).IsError.ShouldBeFalse();
        (await tool.ExecuteAsync(new InsertMemoryCommand("/memories/a.md", 1, "two"), Ct)).IsError.ShouldBeFalse();
        File.ReadAllText(_temp.Combine("fast", "a.md")).ShouldBe("one\ntwo\n");
    }

    [Fact]
    public async Task FileWhereAFolderShouldBe_IsReportedMissing()
    {
        using var store = new FileSystemMemoryStore(Root, Options());
        var tool = new MemoryTool(store);
        (await tool.ExecuteAsync(new CreateMemoryCommand("/memories/a.md", "one\n"), Ct)).IsError.ShouldBeFalse();
        (await tool.ExecuteAsync(new ViewMemoryCommand("/memories/a.md/b.md"), Ct)).Content
            .ShouldBe("The path /memories/a.md/b.md does not exist. Please provide a valid path.");
        (await tool.ExecuteAsync(new StrReplaceMemoryCommand("/memories/a.md/b.md", "x", "y"), Ct)).IsError.ShouldBeTrue();
        File.ReadAllText(Path.Combine(Root, "a.md")).ShouldBe("one\n");
    }

    [Fact]
    public async Task Disposed_ThrowsObjectDisposed()
    {
        var store = new FileSystemMemoryStore(_temp.Combine("gone"), Options());
        store.Dispose();
        await Should.ThrowAsync<ObjectDisposedException>(async () => await store.ReadAsync(MemoryPath.RootPath, Ct));
    }
}

/// <summary>The folder store on the Linux engine, with what only it guarantees: special files are never opened.</summary>
public sealed class LinuxEngineStoreTests() : FileSystemMemoryStoreTests(FolderEngine.Linux)
{
    [Fact]
    public async Task SpecialFiles_AreNeitherReadNorListed()
    {
        Directory.CreateDirectory(Root);
        using (var store = new FileSystemMemoryStore(Root, Options()))
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
    public async Task Socket_IsNeitherReadNorListed()
    {
        Directory.CreateDirectory(Root);
        using var store = new FileSystemMemoryStore(Root, Options());
        using var socket = new System.Net.Sockets.Socket(
            System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(Path.Combine(Root, "sock")));
        var tool = new MemoryTool(store);
        (await tool.ExecuteAsync(new ViewMemoryCommand("/memories/sock"), Ct)).Content
            .ShouldBe("The path /memories/sock does not exist. Please provide a valid path.");
        (await tool.ExecuteAsync(new ViewMemoryCommand("/memories"), Ct)).Content.ShouldNotContain("sock");
        (await tool.ExecuteAsync(new CreateMemoryCommand("/memories/sock", "x"), Ct)).IsError.ShouldBeTrue();
    }
}

/// <summary>The folder store on the portable engine, forced on Linux as CI runs it.</summary>
public sealed class PortableEngineStoreTests() : FileSystemMemoryStoreTests(FolderEngine.Portable)
{
    [Fact]
    public void Engine_IsThePortableOne() => ((FileSystemMemoryStore)Store).Engine.ShouldBe(FolderEngine.Portable);
}
