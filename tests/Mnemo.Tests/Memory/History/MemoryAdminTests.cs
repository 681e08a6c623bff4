using System.Text;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Tests.Memory.History;

/// <summary>What a host does with a store: compare-and-swap writes, expiry, statistics, export and import, clearing and seeding.</summary>
public sealed class MemoryAdminTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly ManualTimeProvider _clock = new();
    private readonly FileSystemMemoryStore _store;
    private readonly MemoryAdmin _admin;

    public MemoryAdminTests()
    {
        _store = Open("memories", TimeSpan.FromDays(7));
        _admin = new MemoryAdmin(_store, _clock);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _store.Dispose();
        _temp.Dispose();
    }

    private FileSystemMemoryStore Open(string folder, TimeSpan? expireAfter = null) =>
        new(_temp.Combine(folder), new FileSystemMemoryStoreOptions { TimeProvider = _clock, ExpireAfter = expireAfter, ReadTrackingResolution = TimeSpan.FromHours(1) });

    private static MemoryPath P(string path) => MemoryPath.TryParse(path, out var parsed, out _) ? parsed : throw new ArgumentException(path);

    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    private string Read(string name) => File.ReadAllText(_temp.Combine("memories", name));

    [Fact]
    public async Task Sweep_DeletesFilesIdleLongerThanTheTimeToLive_AndTheyCanBeRestored()
    {
        await _admin.WriteAsync(P("/memories/read.md"), B("kept because read"), cancellationToken: Ct);
        await _admin.WriteAsync(P("/memories/idle.md"), B("nobody looks"), cancellationToken: Ct);
        _clock.Advance(TimeSpan.FromDays(5));
        await _admin.WriteAsync(P("/memories/fresh.md"), B("new"), cancellationToken: Ct);
        (await _store.ReadAsync(P("/memories/read.md"), Ct)).ShouldNotBeNull();
        _clock.Advance(TimeSpan.FromDays(3));

        var swept = await _admin.SweepAsync(context: new MemoryWriteContext("janitor"), cancellationToken: Ct);

        swept.Select(p => p.Normalized).ShouldBe(["/memories/idle.md"]);
        File.Exists(_temp.Combine("memories", "idle.md")).ShouldBeFalse();
        var delete = (await _store.ReadHistoryAsync(Ct))[^1];
        (delete.Kind, delete.Reason, delete.Actor).ShouldBe((MemoryChangeKind.Delete, "expire", "janitor"));
        await _admin.RestoreAsync(P("/memories/idle.md"), cancellationToken: Ct);
        Read("idle.md").ShouldBe("nobody looks");

        // A reader in another process counts too: its reads are written down where this store finds them.
        using (var other = Open("memories"))
        {
            _clock.Advance(TimeSpan.FromDays(6));
            (await other.ReadAsync(P("/memories/fresh.md"), Ct)).ShouldNotBeNull();
        }

        _clock.Advance(TimeSpan.FromDays(2));
        (await _admin.SweepAsync(cancellationToken: Ct)).Select(p => p.Normalized).Order(StringComparer.Ordinal)
            .ShouldBe(["/memories/idle.md", "/memories/read.md"]);

        // The sweep also compacts the read log to one line per file still here.
        File.ReadAllLines(_temp.Combine("memories", ".mnemo", "reads.jsonl")).ShouldHaveSingleItem().ShouldContain("/memories/fresh.md");
    }

    [Fact]
    public async Task Sweep_WithoutATimeToLive_SaysHowToSetOne()
    {
        using var store = Open("plain");
        var error = await Should.ThrowAsync<InvalidOperationException>(async () => await new MemoryAdmin(store).SweepAsync(cancellationToken: Ct));
        error.Message.ShouldBe("No time-to-live is set: give one, or set the store's ExpireAfter.");
    }

    [Fact]
    public async Task ExportThenImport_IntoAnEmptyStore_RoundTripsFilesAndHistoryExactly()
    {
        var tool = new MemoryTool(_store).AsBuilder().UseActor("agent").Build();
        await tool.ExecuteAsync(new CreateMemoryCommand("/memories/notes/a.md", "line one\nüñí €\n"), Ct);
        await tool.ExecuteAsync(new StrReplaceMemoryCommand("/memories/notes/a.md", "one", "two"), Ct);
        await tool.ExecuteAsync(new CreateMemoryCommand("/memories/secret.md", "sk-ant-api03-XYZ\n"), Ct);
        await tool.ExecuteAsync(new DeleteMemoryCommand("/memories/secret.md"), Ct);
        await tool.ExecuteAsync(new RenameMemoryCommand("/memories/notes", "/memories/kept"), Ct);
        await _admin.WriteAsync(P("/memories/raw.bin"), new byte[] { 0xff, 0x00, 0xfe, (byte)'\n' }, cancellationToken: Ct);
        await _store.RedactAsync(MemoryHash.Sha256(B("sk-ant-api03-XYZ\n")), cancellationToken: Ct);
        Directory.CreateDirectory(_temp.Combine("memories", "empty", "inner"));

        using var exported = new MemoryStream();
        var (files, changes) = await _admin.ExportAsync(exported, Ct);
        (files, changes).ShouldBe((2, 7));
        Encoding.UTF8.GetString(exported.ToArray()).ShouldNotContain("XYZ");

        using var copy = Open("copy");
        exported.Position = 0;
        await new MemoryAdmin(copy, _clock).ImportAsync(exported, Ct);

        File.ReadAllBytes(_temp.Combine("copy", "raw.bin")).ShouldBe(new byte[] { 0xff, 0x00, 0xfe, (byte)'\n' });
        File.ReadAllText(_temp.Combine("copy", "kept", "a.md")).ShouldBe("line two\nüñí €\n");
        Directory.Exists(_temp.Combine("copy", "empty", "inner")).ShouldBeTrue();
        using var again = new MemoryStream();
        await new MemoryAdmin(copy, _clock).ExportAsync(again, Ct);
        Encoding.UTF8.GetString(again.ToArray()).ShouldBe(Encoding.UTF8.GetString(exported.ToArray()));

        // The copy is a working store: its next change follows on from the imported history.
        await new MemoryTool(copy).ExecuteAsync(new InsertMemoryCommand("/memories/kept/a.md", 0, "top"), Ct);
        (await copy.ReadHistoryAsync(Ct))[^1].Sequence.ShouldBe(8);
    }

    [Fact]
    public async Task Import_IntoAStoreThatIsNotEmpty_OrFromADamagedArchive_FailsAndWritesNothing()
    {
        await _admin.WriteAsync(P("/memories/a.md"), B("a"), cancellationToken: Ct);
        using var archive = new MemoryStream();
        await _admin.ExportAsync(archive, Ct);

        archive.Position = 0;
        var error = await Should.ThrowAsync<MemoryStoreException>(async () => await _admin.ImportAsync(archive, Ct));
        error.Message.ShouldBe("the store is not empty: an import needs a store with no files and no history");

        using var target = Open("target");
        var damaged = new MemoryStream(B(Encoding.UTF8.GetString(archive.ToArray()).Replace("\"text\":\"a\"", "\"text\":\"b\"", StringComparison.Ordinal)));
        var bad = await Should.ThrowAsync<MemoryException>(async () => await new MemoryAdmin(target).ImportAsync(damaged, Ct));
        bad.Message.ShouldStartWith("The archive is damaged at line 2:");
        var notAnArchive = await Should.ThrowAsync<MemoryException>(async () => await new MemoryAdmin(target).ImportAsync(new MemoryStream(B("{\"hello\":1}\n")), Ct));
        notAnArchive.Message.ShouldContain("not a Mnemo memory archive");
        var binary = await Should.ThrowAsync<MemoryException>(async () => await new MemoryAdmin(target).ImportAsync(new MemoryStream([0xff, 0xfe, 0x00, 0x0a]), Ct));
        binary.Message.ShouldBe("The archive is damaged at line 1: it is not UTF-8 text.");
        Directory.EnumerateFileSystemEntries(_temp.Combine("target")).Select(Path.GetFileName).ShouldBe([".mnemo"]);
    }

    [Fact]
    public async Task Init_SeedsTheDevelopmentLayout_AndLeavesExistingFilesAlone()
    {
        await _admin.WriteAsync(P("/memories/session-context/current-task.md"), B("mine"), cancellationToken: Ct);

        var created = await _admin.InitAsync(MemoryTemplate.Development, cancellationToken: Ct);

        created.Select(p => p.Segments[0]).Distinct().ShouldBe(["session-context", "protocol-compliance", "client-context", "agent-coordination", "development-patterns", "project-knowledge"]);
        created.Count.ShouldBe(MemoryTemplate.Development.Files.Count - 1, "every file but the one already there");
        Read("session-context/current-task.md").ShouldBe("mine");
        Read("protocol-compliance/memory-protocol.md").ShouldContain("view /memories");
        (await _admin.InitAsync(MemoryTemplate.Development, cancellationToken: Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Diff_ShowsWhatChangedBetweenVersions()
    {
        var tool = new MemoryTool(_store);
        await tool.ExecuteAsync(new CreateMemoryCommand("/memories/plan.md", "a\nb\nc\nd\ne\nf\ng\nh\n"), Ct);
        await tool.ExecuteAsync(new StrReplaceMemoryCommand("/memories/plan.md", "b\n", "B\n"), Ct);
        await tool.ExecuteAsync(new InsertMemoryCommand("/memories/plan.md", 8, "i"), Ct);

        (await _admin.DiffAsync(P("/memories/plan.md"), cancellationToken: Ct)).ShouldBe(
            "--- /memories/plan.md (version 2)\n+++ /memories/plan.md (now)\n@@ -6,3 +6,4 @@\n f\n g\n h\n+i\n");
        (await _admin.DiffAsync(P("/memories/plan.md"), 1, cancellationToken: Ct)).ShouldBe(
            "--- /memories/plan.md (version 1)\n+++ /memories/plan.md (now)\n@@ -1,8 +1,9 @@\n a\n-b\n+B\n c\n d\n e\n f\n g\n h\n+i\n");
        (await _admin.DiffAsync(P("/memories/plan.md"), 3, 3, Ct)).ShouldBeEmpty();
    }
}
