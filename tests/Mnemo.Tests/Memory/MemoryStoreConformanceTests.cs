using System.Text;
using Mnemo.Memory;

namespace Mnemo.Tests.Memory;

/// <summary>The behaviour every <see cref="IMemoryStore"/> must have; each backend's tests subclass this.</summary>
public abstract class MemoryStoreConformanceTests : IDisposable
{
    private IMemoryStore? _store;

    protected IMemoryStore Store => _store ??= CreateStore();

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Creates an empty store; called once per test.</summary>
    protected abstract IMemoryStore CreateStore();

    /// <summary>Creates a second store over the same data, as another process or machine would see it.</summary>
    protected abstract IMemoryStore CreateSecondStore();

    public virtual void Dispose()
    {
        (_store as IDisposable)?.Dispose();
        GC.SuppressFinalize(this);
    }

    protected static MemoryPath P(string path) =>
        MemoryPath.TryParse(path, out var parsed, out var error) ? parsed : throw new ArgumentException(error.ToString());

    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public async Task Read_Missing_ReturnsNull() =>
        (await Store.ReadAsync(P("/memories/none.md"), Ct)).ShouldBeNull();

    [Fact]
    public async Task Read_Root_IsDirectory() =>
        (await Store.ReadAsync(MemoryPath.RootPath, Ct))!.Kind.ShouldBe(MemoryEntryKind.Directory);

    [Fact]
    public async Task Create_ThenRead_ReturnsBytesAndVersion()
    {
        (await Store.CreateFileAsync(P("/memories/a/b/c.md"), B("hi\r\n"), cancellationToken: Ct)).ShouldBeTrue();
        var item = (await Store.ReadAsync(P("/memories/a/b/c.md"), Ct))!;
        item.Kind.ShouldBe(MemoryEntryKind.File);
        item.Content.ToArray().ShouldBe(B("hi\r\n"));
        item.Version.Value.ShouldNotBeNullOrEmpty();
        (await Store.ReadAsync(P("/memories/a/b"), Ct))!.Kind.ShouldBe(MemoryEntryKind.Directory);
    }

    [Fact]
    public async Task Create_Existing_IsRefusedAndKeepsContent()
    {
        await Store.CreateFileAsync(P("/memories/a.md"), B("first"), cancellationToken: Ct);
        (await Store.CreateFileAsync(P("/memories/a.md"), B("second"), cancellationToken: Ct)).ShouldBeFalse();
        (await Store.CreateFileAsync(P("/memories"), B("x"), cancellationToken: Ct)).ShouldBeFalse();
        (await Store.ReadAsync(P("/memories/a.md"), Ct))!.Content.ToArray().ShouldBe(B("first"));
    }

    [Fact]
    public async Task Create_UnderAFile_ThrowsParentNotDirectory()
    {
        await Store.CreateFileAsync(P("/memories/a.md"), B("x"), cancellationToken: Ct);
        await Should.ThrowAsync<MemoryParentNotDirectoryException>(async () =>
            await Store.CreateFileAsync(P("/memories/a.md/b.md"), B("y"), cancellationToken: Ct));
    }

    [Fact]
    public async Task Replace_Unchanged_Writes()
    {
        await Store.CreateFileAsync(P("/memories/a.md"), B("v1"), cancellationToken: Ct);
        var read = (await Store.ReadAsync(P("/memories/a.md"), Ct))!;
        (await Store.ReplaceFileAsync(P("/memories/a.md"), B("v2"), read, cancellationToken: Ct)).ShouldBeTrue();
        var after = (await Store.ReadAsync(P("/memories/a.md"), Ct))!;
        after.Content.ToArray().ShouldBe(B("v2"));
        after.Version.ShouldNotBe(read.Version);
    }

    [Fact]
    public async Task Replace_ChangedSinceRead_IsRefused()
    {
        await Store.CreateFileAsync(P("/memories/a.md"), B("v1"), cancellationToken: Ct);
        var stale = (await Store.ReadAsync(P("/memories/a.md"), Ct))!;
        var fresh = (await Store.ReadAsync(P("/memories/a.md"), Ct))!;
        (await Store.ReplaceFileAsync(P("/memories/a.md"), B("v2"), fresh, cancellationToken: Ct)).ShouldBeTrue();
        (await Store.ReplaceFileAsync(P("/memories/a.md"), B("lost"), stale, cancellationToken: Ct)).ShouldBeFalse();
        (await Store.ReadAsync(P("/memories/a.md"), Ct))!.Content.ToArray().ShouldBe(B("v2"));
    }

    [Fact]
    public async Task Replace_SameContentWrittenBetween_IsStillRefused()
    {
        // A write in between that happens to leave the same bytes is still a write: the version must tell.
        await Store.CreateFileAsync(P("/memories/a.md"), B("same"), cancellationToken: Ct);
        var stale = (await Store.ReadAsync(P("/memories/a.md"), Ct))!;
        var fresh = (await Store.ReadAsync(P("/memories/a.md"), Ct))!;
        (await Store.ReplaceFileAsync(P("/memories/a.md"), B("same"), fresh, cancellationToken: Ct)).ShouldBeTrue();
        (await Store.ReplaceFileAsync(P("/memories/a.md"), B("other"), stale, cancellationToken: Ct)).ShouldBeFalse();
    }

    [Fact]
    public async Task Replace_DeletedSinceRead_IsRefusedAndDoesNotRecreate()
    {
        await Store.CreateFileAsync(P("/memories/a.md"), B("v1"), cancellationToken: Ct);
        var read = (await Store.ReadAsync(P("/memories/a.md"), Ct))!;
        await Store.DeleteAsync(P("/memories/a.md"), cancellationToken: Ct);
        (await Store.ReplaceFileAsync(P("/memories/a.md"), B("v2"), read, cancellationToken: Ct)).ShouldBeFalse();
        (await Store.ReadAsync(P("/memories/a.md"), Ct)).ShouldBeNull();
    }

    [Fact]
    public async Task Replace_FromAnotherStoreInstance_SeesTheSameVersions()
    {
        using var other = CreateSecondStore() as IDisposable;
        var second = (IMemoryStore)other!;
        await Store.CreateFileAsync(P("/memories/a.md"), B("v1"), cancellationToken: Ct);
        var stale = (await Store.ReadAsync(P("/memories/a.md"), Ct))!;
        var read = (await second.ReadAsync(P("/memories/a.md"), Ct))!;
        (await second.ReplaceFileAsync(P("/memories/a.md"), B("v2"), read, cancellationToken: Ct)).ShouldBeTrue();
        (await Store.ReplaceFileAsync(P("/memories/a.md"), B("lost"), stale, cancellationToken: Ct)).ShouldBeFalse();
    }

    [Fact]
    public async Task Delete_FileFolderMissingRoot_ReportsOutcome()
    {
        await Store.CreateFileAsync(P("/memories/d/e/f.md"), B("x"), cancellationToken: Ct);
        await Store.CreateFileAsync(P("/memories/g.md"), B("x"), cancellationToken: Ct);
        (await Store.DeleteAsync(P("/memories/g.md"), cancellationToken: Ct)).ShouldBe(MemoryDeleteOutcome.Deleted);
        (await Store.DeleteAsync(P("/memories/d"), cancellationToken: Ct)).ShouldBe(MemoryDeleteOutcome.Deleted);
        (await Store.DeleteAsync(P("/memories/d"), cancellationToken: Ct)).ShouldBe(MemoryDeleteOutcome.NotFound);
        (await Store.DeleteAsync(P("/memories/no/such"), cancellationToken: Ct)).ShouldBe(MemoryDeleteOutcome.NotFound);
        (await Store.DeleteAsync(MemoryPath.RootPath, cancellationToken: Ct)).ShouldBe(MemoryDeleteOutcome.Root);
        (await Store.ListAsync(MemoryPath.RootPath, 2, Ct))!.ShouldBeEmpty();
    }

    [Fact]
    public async Task Rename_ChecksInOrderAndNeverOverwrites()
    {
        await Store.CreateFileAsync(P("/memories/a.md"), B("a"), cancellationToken: Ct);
        await Store.CreateFileAsync(P("/memories/b.md"), B("b"), cancellationToken: Ct);
        await Store.CreateFileAsync(P("/memories/d/x.md"), B("x"), cancellationToken: Ct);
        (await Store.RenameAsync(P("/memories/a.md"), P("/memories/b.md"), cancellationToken: Ct)).ShouldBe(MemoryRenameOutcome.DestinationExists);
        (await Store.RenameAsync(P("/memories/zz.md"), P("/memories/b.md"), cancellationToken: Ct)).ShouldBe(MemoryRenameOutcome.DestinationExists);
        (await Store.RenameAsync(P("/memories/zz.md"), P("/memories/yy.md"), cancellationToken: Ct)).ShouldBe(MemoryRenameOutcome.SourceNotFound);
        (await Store.RenameAsync(P("/memories/d"), P("/memories/d/inner"), cancellationToken: Ct)).ShouldBe(MemoryRenameOutcome.DestinationInsideSource);
        (await Store.RenameAsync(MemoryPath.RootPath, P("/memories/r"), cancellationToken: Ct)).ShouldBe(MemoryRenameOutcome.Root);
        (await Store.RenameAsync(P("/memories/a.md"), P("/memories/new/deep/a.md"), cancellationToken: Ct)).ShouldBe(MemoryRenameOutcome.Renamed);
        (await Store.ReadAsync(P("/memories/new/deep/a.md"), Ct))!.Content.ToArray().ShouldBe(B("a"));
        (await Store.ReadAsync(P("/memories/b.md"), Ct))!.Content.ToArray().ShouldBe(B("b"));
        (await Store.RenameAsync(P("/memories/d"), P("/memories/e"), cancellationToken: Ct)).ShouldBe(MemoryRenameOutcome.Renamed);
        (await Store.ReadAsync(P("/memories/e/x.md"), Ct))!.Content.ToArray().ShouldBe(B("x"));
    }

    [Fact]
    public async Task Rename_UnderAFile_ThrowsParentNotDirectory()
    {
        await Store.CreateFileAsync(P("/memories/a.md"), B("a"), cancellationToken: Ct);
        await Store.CreateFileAsync(P("/memories/f.md"), B("f"), cancellationToken: Ct);
        await Should.ThrowAsync<MemoryParentNotDirectoryException>(async () =>
            await Store.RenameAsync(P("/memories/a.md"), P("/memories/f.md/a.md"), cancellationToken: Ct));
        (await Store.ReadAsync(P("/memories/a.md"), Ct)).ShouldNotBeNull();
    }

    [Fact]
    public async Task List_TwoLevels_GivesKindsSizesAndChildren()
    {
        await Store.CreateFileAsync(P("/memories/a.md"), B("12345"), cancellationToken: Ct);
        await Store.CreateFileAsync(P("/memories/d/x.md"), B("x"), cancellationToken: Ct);
        await Store.CreateFileAsync(P("/memories/d/sub/deep.md"), B("deep"), cancellationToken: Ct);
        var entries = (await Store.ListAsync(MemoryPath.RootPath, 2, Ct))!;
        entries.Single(e => e.Name == "a.md").ShouldBe(new MemoryEntry("a.md", MemoryEntryKind.File, 5));
        var folder = entries.Single(e => e.Name == "d");
        folder.Kind.ShouldBe(MemoryEntryKind.Directory);
        folder.Children!.Select(c => c.Name).Order(StringComparer.Ordinal).ShouldBe(["sub", "x.md"]);
        folder.Children!.Single(c => c.Name == "sub").Children.ShouldBeNull();
        (await Store.ListAsync(P("/memories/a.md"), 2, Ct)).ShouldBeNull();
        (await Store.ListAsync(P("/memories/none"), 2, Ct)).ShouldBeNull();
    }

    [Fact]
    public async Task ConcurrentToolInserts_FromManyThreads_LoseNothing()
    {
        var tool = new MemoryTool(Store);
        await tool.ExecuteAsync(new CreateMemoryCommand("/memories/log.md", "end\n"), Ct);
        await Parallel.ForEachAsync(Enumerable.Range(0, 8), Ct, async (thread, ct) =>
        {
            for (var i = 0; i < 50; i++)
            {
                var result = await tool.ExecuteAsync(new InsertMemoryCommand("/memories/log.md", 0, $"t{thread}-{i}"), ct);
                result.IsError.ShouldBeFalse(result.Content);
            }
        });
        var lines = Encoding.UTF8.GetString((await Store.ReadAsync(P("/memories/log.md"), Ct))!.Content.Span).Split('\n');
        lines.Count(l => l.StartsWith('t')).ShouldBe(400);
        lines.Distinct().Count().ShouldBe(402); // 400 inserts, "end" and the empty string after the final newline
    }
}
