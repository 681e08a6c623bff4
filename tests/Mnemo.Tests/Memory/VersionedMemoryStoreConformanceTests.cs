using System.Text;
using Mnemo.Memory;

namespace Mnemo.Tests.Memory;

/// <summary>
/// What every store with history must do, through the interfaces only: record each change, restore, redact, compare and
/// swap, enforce quotas, expire, export and import. Each backend's tests subclass this.
/// </summary>
public abstract class VersionedMemoryStoreConformanceTests : IAsyncDisposable
{
    private readonly List<IVersionedMemoryStore> _opened = [];
    private IVersionedMemoryStore? _store;

    protected ManualTimeProvider Clock { get; } = new();

    protected IVersionedMemoryStore Store => _store ??= Open("main");

    protected MemoryAdmin Admin => new(Store, Clock);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Gets what this backend's history cannot hold; the suite checks the rest, and skips by name what it cannot.</summary>
    protected virtual VersionedStoreGaps Gaps => VersionedStoreGaps.None;

    private bool Has(VersionedStoreGaps gap) => (Gaps & gap) != 0;

    /// <summary>Opens a store by name: the same name gives the same data, as another process or machine would see it.</summary>
    protected abstract IVersionedMemoryStore CreateStore(string name, TimeProvider clock, MemoryQuotas quotas, TimeSpan? expireAfter);

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _opened)
        {
            switch (store)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }

        GC.SuppressFinalize(this);
    }

    protected IVersionedMemoryStore Open(string name, MemoryQuotas? quotas = null, TimeSpan? expireAfter = null)
    {
        var store = CreateStore(name, Clock, quotas ?? MemoryQuotas.Unlimited, expireAfter);
        _opened.Add(store);
        return store;
    }

    protected static MemoryPath P(string path) => MemoryPath.TryParse(path, out var parsed, out _) ? parsed : throw new ArgumentException(path);

    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(MemoryFileVersion version) => Encoding.UTF8.GetString(version.Content!.Value.Span);

    private static async Task<string?> ReadAsync(IMemoryStore store, string path) =>
        await store.ReadAsync(P(path), Ct) is { Kind: MemoryEntryKind.File } file ? Encoding.UTF8.GetString(file.Content.Span) : null;

    private async Task<MemoryToolResult> Run(IMemoryTool tool, MemoryCommand command)
    {
        var result = await tool.ExecuteAsync(command, Ct);
        Clock.Advance(TimeSpan.FromMinutes(1));
        return result;
    }

    private static MemoryWriteContext Keyed(string id) => new("agent", "test") { RequestId = id };

    [Fact]
    public async Task AWriteSentAgainWithItsKey_IsAnsweredAsBefore_AndAppliedOnce()
    {
        Assert.SkipWhen(Has(VersionedStoreGaps.NoWriteContext), "this backend keeps no request ids, so a key cannot answer a retry");
        var a = P("/memories/a.md");
        (await Store.CreateFileAsync(a, B("one"), Keyed("create-1"), Ct)).ShouldBeTrue();
        (await Store.CreateFileAsync(a, B("other"), Keyed("create-1"), Ct)).ShouldBeTrue("the answer to the first attempt");
        (await ReadAsync(Store, "/memories/a.md")).ShouldBe("one");

        var read = (await Store.ReadAsync(a, Ct))!;
        (await Store.ReplaceFileAsync(a, B("two"), read, Keyed("edit-1"), Ct)).ShouldBeTrue();
        (await Store.ReplaceFileAsync(a, B("two"), read, Keyed("edit-1"), Ct)).ShouldBeTrue("a stale version, but this write was applied");
        (await ReadAsync(Store, "/memories/a.md")).ShouldBe("two");

        (await Store.RenameAsync(a, P("/memories/b.md"), Keyed("move-1"), Ct)).ShouldBe(MemoryRenameOutcome.Renamed);
        (await Store.CreateFileAsync(a, B("new a"), cancellationToken: Ct)).ShouldBeTrue();
        (await Store.RenameAsync(a, P("/memories/b.md"), Keyed("move-1"), Ct)).ShouldBe(MemoryRenameOutcome.Renamed);
        (await ReadAsync(Store, "/memories/a.md")).ShouldBe("new a", "the second move must not have happened");

        (await Store.DeleteAsync(P("/memories/b.md"), Keyed("delete-1"), Ct)).ShouldBe(MemoryDeleteOutcome.Deleted);
        (await Store.CreateFileAsync(P("/memories/b.md"), B("new b"), cancellationToken: Ct)).ShouldBeTrue();
        (await Store.DeleteAsync(P("/memories/b.md"), Keyed("delete-1"), Ct)).ShouldBe(MemoryDeleteOutcome.Deleted);
        (await ReadAsync(Store, "/memories/b.md")).ShouldBe("new b", "the second delete must not have happened");

        var history = await Store.ReadHistoryAsync(Ct);
        history.Select(c => (c.Kind, c.RequestId)).ShouldBe(
        [
            (MemoryChangeKind.Create, "create-1"),
            (MemoryChangeKind.Edit, "edit-1"),
            (MemoryChangeKind.Rename, "move-1"),
            (MemoryChangeKind.Create, null),
            (MemoryChangeKind.Delete, "delete-1"),
            (MemoryChangeKind.Create, null),
        ]);
    }

    [Fact]
    public async Task AWriteThatChangedNothing_IsNotRemembered_SoItsRetryRunsAgain()
    {
        var a = P("/memories/a.md");
        await Store.CreateFileAsync(a, B("taken"), cancellationToken: Ct);
        (await Store.CreateFileAsync(a, B("mine"), Keyed("create-2"), Ct)).ShouldBeFalse();
        (await Store.DeleteAsync(a, cancellationToken: Ct)).ShouldBe(MemoryDeleteOutcome.Deleted);
        (await Store.CreateFileAsync(a, B("mine"), Keyed("create-2"), Ct)).ShouldBeTrue();
        (await ReadAsync(Store, "/memories/a.md")).ShouldBe("mine");
    }

    [Fact]
    public async Task AKeyAppliedThroughOneStore_IsKnownToAnotherOnTheSameData()
    {
        Assert.SkipWhen(Has(VersionedStoreGaps.NoWriteContext), "this backend keeps no request ids, so a key cannot answer a retry");
        var second = Open("main");
        (await Store.CreateFileAsync(P("/memories/a.md"), B("one"), Keyed("shared-1"), Ct)).ShouldBeTrue();
        (await Store.DeleteAsync(P("/memories/a.md"), cancellationToken: Ct)).ShouldBe(MemoryDeleteOutcome.Deleted);
        (await second.CreateFileAsync(P("/memories/a.md"), B("one"), Keyed("shared-1"), Ct)).ShouldBeTrue();
        (await ReadAsync(second, "/memories/a.md")).ShouldBeNull("the retry reached another process, which knew the write was done");
    }

    [Fact]
    public async Task EveryCommand_IsRecordedWithTimeActorOperationPathAndHash()
    {
        var tool = new MemoryTool(Store).AsBuilder().UseActor("session-7").Build();
        await Run(tool, new CreateMemoryCommand("/memories/notes/a.md", "one\n"));
        await Run(tool, new StrReplaceMemoryCommand("/memories/notes/a.md", "one", "two"));
        await Run(tool, new InsertMemoryCommand("/memories/notes/a.md", 1, "three"));
        await Run(tool, new RenameMemoryCommand("/memories/notes", "/memories/kept"));
        await Run(tool, new DeleteMemoryCommand("/memories/kept/a.md"));
        await Run(tool, new ViewMemoryCommand("/memories"));

        var history = await Store.ReadHistoryAsync(Ct);
        var (renamedTo, renamedFrom) = Has(VersionedStoreGaps.FileByFileFolders) ? ("/memories/kept/a.md", "/memories/notes/a.md") : ("/memories/kept", "/memories/notes");
        history.Select(c => (c.Sequence, c.Kind, c.Path)).ShouldBe(
        [
            (1, MemoryChangeKind.Create, "/memories/notes/a.md"),
            (2, MemoryChangeKind.Edit, "/memories/notes/a.md"),
            (3, MemoryChangeKind.Edit, "/memories/notes/a.md"),
            (4, MemoryChangeKind.Rename, renamedTo),
            (5, MemoryChangeKind.Delete, "/memories/kept/a.md"),
        ]);
        if (!Has(VersionedStoreGaps.NoWriteContext))
        {
            history.Select(c => (c.Reason, c.Actor)).ShouldBe(
                [("create", "session-7"), ("str_replace", "session-7"), ("insert", "session-7"), ("rename", "session-7"), ("delete", "session-7")]);
        }
        else
        {
            history.Select(c => c.Actor).Distinct().ShouldHaveSingleItem().ShouldNotBeNullOrEmpty("the backend's own name for who wrote");
        }

        history.Select(c => c.Time).ShouldBe(Enumerable.Range(0, 5).Select(i => new DateTimeOffset(2026, 11, 1, 9, i, 0, TimeSpan.Zero)));
        history[3].From.ShouldBe(renamedFrom);
        history.Select(c => Text(c.Files.Single())).ShouldBe(["one\n", "two\n", "two\nthree\n", "two\nthree\n", "two\nthree\n"]);
        foreach (var change in history)
        {
            change.Files.Single().Hash.ShouldBe(MemoryHash.Sha256(change.Files.Single().Content!.Value.Span));
        }

        history[4].Files.Single().Path.ShouldBe("/memories/kept/a.md");
    }

    [Fact]
    public async Task Restore_BringsBackAnyVersion_AndADeletedFolder()
    {
        var tool = new MemoryTool(Store);
        await Run(tool, new CreateMemoryCommand("/memories/p/a.md", "v1\n"));
        await Run(tool, new StrReplaceMemoryCommand("/memories/p/a.md", "v1", "v2"));
        await Run(tool, new CreateMemoryCommand("/memories/p/b.md", "b\n"));
        await Run(tool, new DeleteMemoryCommand("/memories/p"));
        (await ReadAsync(Store, "/memories/p/a.md")).ShouldBeNull();

        (await Admin.DeletedFilesAsync(Ct)).Select(d => d.File.Path).ShouldBe(["/memories/p/a.md", "/memories/p/b.md"]);
        var (change, outcome) = await Admin.RestoreAsync(P("/memories/p/a.md"), null, new MemoryWriteContext("admin"), Ct);
        (change.Kind, outcome).ShouldBe((MemoryChangeKind.Delete, MemoryWriteOutcome.Created));
        (await ReadAsync(Store, "/memories/p/a.md")).ShouldBe("v2\n");

        await Admin.RestoreAsync(P("/memories/p/a.md"), 1, cancellationToken: Ct);
        (await ReadAsync(Store, "/memories/p/a.md")).ShouldBe("v1\n");
        var last = (await Store.ReadHistoryAsync(Ct))[^1];
        (last.Kind, last.Reason).ShouldBe((MemoryChangeKind.Edit, Has(VersionedStoreGaps.NoWriteContext) ? null : "restore"));
        await Admin.RestoreAsync(P("/memories/p/b.md"), cancellationToken: Ct);
        (await Admin.DeletedFilesAsync(Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task History_FollowsAFileThroughRenames()
    {
        var tool = new MemoryTool(Store);
        await Run(tool, new CreateMemoryCommand("/memories/draft.md", "d1\n"));
        await Run(tool, new StrReplaceMemoryCommand("/memories/draft.md", "d1", "d2"));
        await Run(tool, new RenameMemoryCommand("/memories/draft.md", "/memories/final.md"));
        await Run(tool, new CreateMemoryCommand("/memories/other.md", "o\n"));

        (await Admin.HistoryAsync(P("/memories/final.md"), Ct)).Select(c => c.Sequence).ShouldBe([1, 2, 3]);
        (await Admin.DiffAsync(P("/memories/final.md"), 1, 2, Ct))
            .ShouldBe("--- /memories/final.md (version 1)\n+++ /memories/final.md (version 2)\n@@ -1 +1 @@\n-d1\n+d2\n");
    }

    [Fact]
    public async Task Redact_RemovesTheContentEverywhere_AndKeepsTheRecord()
    {
        var tool = new MemoryTool(Store);
        await Run(tool, new CreateMemoryCommand("/memories/keys.md", "token=sk-ant-SECRET\n"));
        await Run(tool, new StrReplaceMemoryCommand("/memories/keys.md", "token=sk-ant-SECRET", "token=(removed)"));
        var hash = (await Store.ReadHistoryAsync(Ct))[0].Files[0].Hash;

        (await Store.RedactAsync(hash, new MemoryWriteContext("admin"), Ct)).ShouldBe(1);

        var history = await Store.ReadHistoryAsync(Ct);
        history.Count.ShouldBe(3);
        history[0].Files[0].Content.ShouldBeNull();
        history[2].Kind.ShouldBe(MemoryChangeKind.Redact);
        if (!Has(VersionedStoreGaps.RedactionClearsHash))
        {
            (history[0].Files[0].Hash, history[2].RedactedHash).ShouldBe((hash, hash));
        }

        if (!Has(VersionedStoreGaps.NoWriteContext))
        {
            history[2].Actor.ShouldBe("admin");
        }

        using (var archive = new MemoryStream())
        {
            await Admin.ExportAsync(archive, Ct);
            Encoding.UTF8.GetString(archive.ToArray()).ShouldNotContain("SECRET");
        }

        await Run(tool, new InsertMemoryCommand("/memories/keys.md", 0, "more"));
        (await Open("main").ReadHistoryAsync(Ct)).Select(c => c.Sequence).ShouldBe([1, 2, 3, 4]);
        (await Store.RedactAsync(hash, cancellationToken: Ct)).ShouldBe(0);
    }

    [Fact]
    public async Task ConcurrentWriters_ThroughTwoInstances_RecordEveryEditInOrder()
    {
        var tools = new[] { new MemoryTool(Store), new MemoryTool(Open("main")) };
        await tools[0].ExecuteAsync(new CreateMemoryCommand("/memories/log.md", "bottom\n"), Ct);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
            {
                (await tools[w % 2].ExecuteAsync(new InsertMemoryCommand("/memories/log.md", 0, $"w{w}-{i}"), Ct)).IsError.ShouldBeFalse();
            }
        }, Ct)));

        var versions = (await Store.ReadHistoryAsync(Ct)).Select(c => Text(c.Files[0])).ToList();
        versions.Count.ShouldBe(1 + (8 * 25));
        for (var i = 1; i < versions.Count; i++)
        {
            versions[i][(versions[i].IndexOf('\n', StringComparison.Ordinal) + 1)..].ShouldBe(versions[i - 1]);
        }

        versions[^1].ShouldBe(await ReadAsync(Store, "/memories/log.md"));
    }

    [Fact]
    public async Task Write_WithTheExpectedHash_Succeeds_AndWithAStaleOne_ConflictsAndWritesNothing()
    {
        (await Admin.WriteAsync(P("/memories/a.md"), B("v1"), MemoryAdmin.NoFile, cancellationToken: Ct)).ShouldBe(MemoryWriteOutcome.Created);
        var v1 = MemoryHash.Sha256(B("v1"));
        (await Admin.WriteAsync(P("/memories/a.md"), B("v2"), v1, cancellationToken: Ct)).ShouldBe(MemoryWriteOutcome.Updated);
        var stale = await Should.ThrowAsync<MemoryConflictException>(async () => await Admin.WriteAsync(P("/memories/a.md"), B("v3"), v1, cancellationToken: Ct));
        stale.ActualHash.ShouldBe(MemoryHash.Sha256(B("v2")));
        (await ReadAsync(Store, "/memories/a.md")).ShouldBe("v2");

        var before = (await Store.ReadHistoryAsync(Ct)).Count;
        (await Admin.WriteAsync(P("/memories/a.md"), B("v2"), v1, cancellationToken: Ct)).ShouldBe(MemoryWriteOutcome.Unchanged);
        (await Store.ReadHistoryAsync(Ct)).Count.ShouldBe(before);
    }

    [Fact]
    public async Task Quotas_RefuseWhatPassesThem_WithTheLimitAndTheWayOut_AndWriteNothing()
    {
        var store = Open("quota", new MemoryQuotas { MaxFileBytes = 100, MaxFileLines = 5, MaxFiles = 2, MaxTotalBytes = 150, MaxPathBytes = 40 });
        var tool = new MemoryTool(store);
        var big = await tool.ExecuteAsync(new CreateMemoryCommand("/memories/big.md", new string('x', 101)), Ct);
        big.ShouldBe(new MemoryToolResult(
            "File /memories/big.md would be 101 bytes, more than this store's limit of 100 bytes per file; nothing was written. Split it into smaller files or summarise it.",
            true));
        (await tool.ExecuteAsync(new CreateMemoryCommand("/memories/a-rather-much-longer-folder/x.md", "x"), Ct)).Content
            .ShouldBe("Path /memories/a-rather-much-longer-folder/x.md would be 42 bytes long, more than this store's limit of 40 bytes; nothing was written. Use shorter names or fewer folders.");
        (await store.ListAsync(MemoryPath.RootPath, 2, Ct))!.ShouldBeEmpty("a refused write leaves no folder behind");

        (await tool.ExecuteAsync(new CreateMemoryCommand("/memories/a.md", new string('a', 80) + "\n"), Ct)).IsError.ShouldBeFalse();
        (await tool.ExecuteAsync(new InsertMemoryCommand("/memories/a.md", 1, new string('b', 30)), Ct)).Content
            .ShouldStartWith("File /memories/a.md would be 112 bytes, more than this store's limit of 100 bytes per file; nothing was written.");
        (await tool.ExecuteAsync(new CreateMemoryCommand("/memories/lines.md", "1\n2\n3\n4\n5\n6\n"), Ct)).Content
            .ShouldBe("File /memories/lines.md would have 6 lines, more than this store's limit of 5 lines per file; nothing was written. Split it into smaller files or summarise it.");

        // Another instance of the store writes; this one must count that file too.
        (await new MemoryTool(Open("quota", new MemoryQuotas { MaxFiles = 2, MaxTotalBytes = 150 })).ExecuteAsync(new CreateMemoryCommand("/memories/b.md", new string('b', 60)), Ct)).IsError.ShouldBeFalse();
        (await tool.ExecuteAsync(new CreateMemoryCommand("/memories/c.md", "c"), Ct)).Content
            .ShouldBe("Writing /memories/c.md would make 3 files, more than this store's limit of 2 files; nothing was written. Delete files that are no longer needed, or merge small ones.");
        (await tool.ExecuteAsync(new InsertMemoryCommand("/memories/a.md", 1, "0123456789"), Ct)).Content
            .ShouldBe("Writing /memories/a.md would bring the memory store to 152 bytes, more than its limit of 150 bytes; nothing was written. Delete or summarise files that are no longer needed.");
        (await tool.ExecuteAsync(new StrReplaceMemoryCommand("/memories/a.md", "a\n", "\n"), Ct)).IsError.ShouldBeFalse();

        // A file written before the limit was lowered may still shrink, never grow.
        await new MemoryTool(Open("lowered")).ExecuteAsync(new CreateMemoryCommand("/memories/huge.md", "start " + new string('h', 300) + " end\n"), Ct);
        var lowered = new MemoryTool(Open("lowered", new MemoryQuotas { MaxFileBytes = 100 }));
        (await lowered.ExecuteAsync(new StrReplaceMemoryCommand("/memories/huge.md", "start hhhh", "start "), Ct)).IsError.ShouldBeFalse("shrinking is always allowed");
        (await lowered.ExecuteAsync(new StrReplaceMemoryCommand("/memories/huge.md", " end", " the end"), Ct)).IsError.ShouldBeTrue();
        (await tool.ExecuteAsync(new RenameMemoryCommand("/memories/a.md", "/memories/a-much-much-longer-folder/aa.md"), Ct)).Content
            .ShouldBe("Path /memories/a-much-much-longer-folder/aa.md would be 41 bytes long, more than this store's limit of 40 bytes; nothing was written. Use shorter names or fewer folders.");
        (await ReadAsync(store, "/memories/a.md")).ShouldNotBeNull();
    }

    [Fact]
    public async Task Sweep_DeletesFilesIdleLongerThanTheTimeToLive_CountingReadsFromOtherInstances()
    {
        Assert.SkipWhen(Has(VersionedStoreGaps.NoReadTracking), "this backend records no reads, so a read cannot keep a file");
        var store = Open("ttl", expireAfter: TimeSpan.FromDays(7));
        var admin = new MemoryAdmin(store, Clock);
        await admin.WriteAsync(P("/memories/read.md"), B("kept because read"), cancellationToken: Ct);
        await admin.WriteAsync(P("/memories/idle.md"), B("nobody looks"), cancellationToken: Ct);
        Clock.Advance(TimeSpan.FromDays(5));
        await admin.WriteAsync(P("/memories/fresh.md"), B("new"), cancellationToken: Ct);
        (await Open("ttl").ReadAsync(P("/memories/read.md"), Ct)).ShouldNotBeNull();
        Clock.Advance(TimeSpan.FromDays(3));

        var swept = await admin.SweepAsync(context: new MemoryWriteContext("janitor"), cancellationToken: Ct);

        swept.Select(p => p.Normalized).ShouldBe(["/memories/idle.md"]);
        (await ReadAsync(store, "/memories/idle.md")).ShouldBeNull();
        var delete = (await store.ReadHistoryAsync(Ct))[^1];
        (delete.Kind, delete.Reason, delete.Actor).ShouldBe((MemoryChangeKind.Delete, "expire", "janitor"));
        await admin.RestoreAsync(P("/memories/idle.md"), cancellationToken: Ct);
        (await ReadAsync(store, "/memories/idle.md")).ShouldBe("nobody looks");
    }

    [Fact]
    public async Task Stats_CountFilesAndGrowth_AndNameTheLargestAndStalest()
    {
        await Admin.WriteAsync(P("/memories/old.md"), B(new string('o', 100)), cancellationToken: Ct);
        Clock.Advance(TimeSpan.FromDays(10));
        await Admin.WriteAsync(P("/memories/big.md"), B(new string('b', 300)), cancellationToken: Ct);
        await Admin.WriteAsync(P("/memories/d/small.md"), B("s"), cancellationToken: Ct);
        Clock.Advance(TimeSpan.FromDays(2));
        await Admin.WriteAsync(P("/memories/d/small.md"), B("ss"), cancellationToken: Ct);

        var stats = await Admin.StatsAsync(2, Ct);

        (stats.Files, stats.Bytes, stats.Changes).ShouldBe((3, 402L, 4));
        (stats.GrowthLastDay, stats.GrowthLastWeek, stats.GrowthLastMonth).ShouldBe((1L, 302L, 402L));
        stats.Largest.Select(f => f.Path.Normalized).ShouldBe(["/memories/big.md", "/memories/old.md"]);
        stats.Stalest.Select(f => f.Path.Normalized).ShouldBe(["/memories/old.md", "/memories/big.md"]);
    }

    [Fact]
    public async Task ExportThenImport_IntoAnEmptyStore_RoundTripsFilesAndHistoryExactly()
    {
        Assert.SkipWhen(Has(VersionedStoreGaps.NoImport), "this backend writes its own history, so an archive's cannot be loaded into it");
        var tool = new MemoryTool(Store).AsBuilder().UseActor("agent").Build();
        await tool.ExecuteAsync(new CreateMemoryCommand("/memories/notes/a.md", "line one\nüñí €\n"), Ct);
        await tool.ExecuteAsync(new StrReplaceMemoryCommand("/memories/notes/a.md", "one", "two"), Ct);
        await tool.ExecuteAsync(new CreateMemoryCommand("/memories/secret.md", "sk-ant-api03-XYZ\n"), Ct);
        await tool.ExecuteAsync(new DeleteMemoryCommand("/memories/secret.md"), Ct);
        await tool.ExecuteAsync(new RenameMemoryCommand("/memories/notes", "/memories/kept"), Ct);
        await Admin.WriteAsync(P("/memories/raw.bin"), new byte[] { 0xff, 0x00, 0xfe, (byte)'\n' }, cancellationToken: Ct);
        await Store.RedactAsync(MemoryHash.Sha256(B("sk-ant-api03-XYZ\n")), cancellationToken: Ct);
        await Store.CreateFileAsync(P("/memories/empty/inner/.placeholder"), Array.Empty<byte>(), cancellationToken: Ct);
        await Store.DeleteAsync(P("/memories/empty/inner/.placeholder"), cancellationToken: Ct);

        using var exported = new MemoryStream();
        var (files, changes) = await Admin.ExportAsync(exported, Ct);
        (files, changes).ShouldBe((2, 9));

        var copy = Open("copy");
        exported.Position = 0;
        await new MemoryAdmin(copy, Clock).ImportAsync(exported, Ct);

        (await copy.ReadAsync(P("/memories/raw.bin"), Ct))!.Content.ToArray().ShouldBe(new byte[] { 0xff, 0x00, 0xfe, (byte)'\n' });
        (await ReadAsync(copy, "/memories/kept/a.md")).ShouldBe("line two\nüñí €\n");
        (await copy.ReadAsync(P("/memories/empty/inner"), Ct))!.Kind.ShouldBe(MemoryEntryKind.Directory);
        using var again = new MemoryStream();
        await new MemoryAdmin(copy, Clock).ExportAsync(again, Ct);
        Encoding.UTF8.GetString(again.ToArray()).ShouldBe(Encoding.UTF8.GetString(exported.ToArray()));

        await new MemoryTool(copy).ExecuteAsync(new InsertMemoryCommand("/memories/kept/a.md", 0, "top"), Ct);
        (await copy.ReadHistoryAsync(Ct))[^1].Sequence.ShouldBe(10);

        exported.Position = 0;
        var error = await Should.ThrowAsync<MemoryStoreException>(async () => await new MemoryAdmin(copy, Clock).ImportAsync(exported, Ct));
        error.Message.ShouldBe("the store is not empty: an import needs a store with no files and no history");
    }

    [Fact]
    public async Task Clear_DeletesEverything_Recoverably()
    {
        await Admin.WriteAsync(P("/memories/a.md"), B("a"), cancellationToken: Ct);
        await Admin.WriteAsync(P("/memories/d/b.md"), B("b"), cancellationToken: Ct);

        (await Admin.ClearAsync(cancellationToken: Ct)).ShouldBe(2);

        (await Admin.ListAllAsync(Ct)).Files.ShouldBeEmpty();
        var reason = Has(VersionedStoreGaps.NoWriteContext) ? null : "clear";
        (await Admin.DeletedFilesAsync(Ct)).Select(d => (d.File.Path, d.DeletedBy.Reason)).ShouldBe([("/memories/a.md", reason), ("/memories/d/b.md", reason)]);
    }
}
