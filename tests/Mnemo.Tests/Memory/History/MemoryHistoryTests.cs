using System.Text;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Tests.Memory.History;

/// <summary>The file-system store's history: what it records, what it keeps out of the model's reach, and crash recovery.</summary>
public sealed class MemoryHistoryTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly ManualTimeProvider _clock = new();
    private readonly FileSystemMemoryStore _store;
    private readonly IMemoryTool _tool;
    private readonly MemoryAdmin _admin;

    public MemoryHistoryTests()
    {
        _store = Open();
        _tool = new MemoryTool(_store).AsBuilder().UseActor("session-7").Build();
        _admin = new MemoryAdmin(_store, _clock);
    }

    private string Root => _temp.Combine("memories");

    private string Log => Path.Combine(Root, ".mnemo", "history.jsonl");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _store.Dispose();
        _temp.Dispose();
    }

    private FileSystemMemoryStore Open() => new(Root, new FileSystemMemoryStoreOptions { TimeProvider = _clock });

    private static MemoryPath P(string path) => MemoryPath.TryParse(path, out var parsed, out _) ? parsed : throw new ArgumentException(path);

    private static string Text(MemoryFileVersion version) => Encoding.UTF8.GetString(version.Content!.Value.Span);

    private async Task<MemoryToolResult> Run(MemoryCommand command)
    {
        var result = await _tool.ExecuteAsync(command, Ct);
        _clock.Advance(TimeSpan.FromMinutes(1));
        return result;
    }

    [Fact]
    public async Task History_IsOutOfTheModelsReach()
    {
        await Run(new CreateMemoryCommand("/memories/a.md", "secret plan\n"));
        var before = File.ReadAllBytes(Log);

        (await Run(new ViewMemoryCommand("/memories"))).Content.ShouldNotContain(".mnemo");
        (await Run(new ViewMemoryCommand("/memories/.mnemo"))).Content.ShouldBe("The path /memories/.mnemo does not exist. Please provide a valid path.");
        (await Run(new ViewMemoryCommand("/memories/.mnemo/history.jsonl"))).IsError.ShouldBeTrue();
        (await Run(new StrReplaceMemoryCommand("/memories/.mnemo/history.jsonl", "secret", "x"))).IsError.ShouldBeTrue();
        (await Run(new InsertMemoryCommand("/memories/.mnemo/history.jsonl", 0, "x"))).IsError.ShouldBeTrue();
        (await Run(new CreateMemoryCommand("/memories/.mnemo/new.md", "x"))).Content.ShouldBe("Path /memories/.mnemo/new.md would escape /memories directory");
        (await Run(new DeleteMemoryCommand("/memories/.mnemo"))).IsError.ShouldBeTrue();
        (await Run(new RenameMemoryCommand("/memories/.mnemo", "/memories/h"))).IsError.ShouldBeTrue();
        (await Run(new RenameMemoryCommand("/memories/a.md", "/memories/.mnemo/a.md"))).IsError.ShouldBeTrue();
        (await Run(new ViewMemoryCommand("/memories/x/../.mnemo/history.jsonl"))).IsError.ShouldBeTrue();

        // A link that leads into the store's folder is as much an escape as one that leads out of the root.
        File.CreateSymbolicLink(Path.Combine(Root, "h"), ".mnemo");
        (await Run(new ViewMemoryCommand("/memories/h/history.jsonl"))).Content.ShouldBe("Path /memories/h/history.jsonl would escape /memories directory");
        (await Run(new DeleteMemoryCommand("/memories/h/history.jsonl"))).IsError.ShouldBeTrue();

        File.ReadAllBytes(Log).AsSpan(0, before.Length).SequenceEqual(before).ShouldBeTrue("the model's commands must leave the history as it was");
        (await _store.ReadHistoryAsync(Ct)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task Redact_RemovesTheContentEverywhere_AndKeepsTheRecord()
    {
        await Run(new CreateMemoryCommand("/memories/keys.md", "token=sk-ant-SECRET\n"));
        await Run(new StrReplaceMemoryCommand("/memories/keys.md", "token=sk-ant-SECRET", "token=(removed)"));
        var hash = (await _store.ReadHistoryAsync(Ct))[0].Files[0].Hash;

        (await _store.RedactAsync(hash, new MemoryWriteContext("admin"), Ct)).ShouldBe(1);

        File.ReadAllText(Log).ShouldNotContain("SECRET");
        var history = await _store.ReadHistoryAsync(Ct);
        history.Count.ShouldBe(3);
        (history[0].Files[0].Hash, history[0].Files[0].Content).ShouldBe((hash, (ReadOnlyMemory<byte>?)null));
        (history[2].Kind, history[2].RedactedHash, history[2].Actor).ShouldBe((MemoryChangeKind.Redact, hash, "admin"));
        var error = await Should.ThrowAsync<MemoryException>(async () => await _admin.RestoreAsync(P("/memories/keys.md"), 1, cancellationToken: Ct));
        error.Message.ShouldBe("Version 1 of /memories/keys.md was redacted; its content is gone.");

        // The store keeps working after the history was rewritten, from this process and a fresh one.
        await Run(new InsertMemoryCommand("/memories/keys.md", 0, "more"));
        using var other = Open();
        (await other.ReadHistoryAsync(Ct)).Select(c => c.Sequence).ShouldBe([1, 2, 3, 4]);
        (await _store.RedactAsync(hash, cancellationToken: Ct)).ShouldBe(0);
    }

    [Fact]
    public async Task Crash_BeforeTheContentWasWritten_LeavesNoVersion()
    {
        await Run(new CreateMemoryCommand("/memories/a.md", "a\n"));
        _store.Dispose();

        // What a writer killed between flushing its record and renaming its file leaves: a record with no settle line.
        var ghost = """{"seq":2,"time":"2026-11-01T09:01:00.0000000Z","op":"edit","path":"/memories/a.md","files":[{"path":"/memories/a.md","sha256":"HASH","size":6,"text":"ghost\n"}]}""";
        File.AppendAllText(Log, ghost.Replace("HASH", MemoryHash.Sha256("ghost\n"u8), StringComparison.Ordinal) + "\n");

        using var store = Open();
        var history = await store.ReadHistoryAsync(Ct);
        history.Select(c => c.Sequence).ShouldBe([1]);
        File.ReadAllText(Log).ShouldEndWith("{\"abort\":2}\n");
        (await new MemoryTool(store).ExecuteAsync(new InsertMemoryCommand("/memories/a.md", 1, "b"), Ct)).IsError.ShouldBeFalse();
        (await store.ReadHistoryAsync(Ct)).Select(c => c.Sequence).ShouldBe([1, 3]);
    }

    [Fact]
    public async Task Crash_AfterTheContentWasWritten_KeepsTheVersion()
    {
        await Run(new CreateMemoryCommand("/memories/a.md", "a\n"));
        _store.Dispose();

        // Killed after the rename but before the settle line: the file holds the new content, so the version stands.
        var line = """{"seq":2,"time":"2026-11-01T09:01:00.0000000Z","op":"edit","path":"/memories/a.md","files":[{"path":"/memories/a.md","sha256":"HASH","size":4,"text":"new\n"}]}""";
        File.AppendAllText(Log, line.Replace("HASH", MemoryHash.Sha256("new\n"u8), StringComparison.Ordinal) + "\n");
        File.WriteAllText(Path.Combine(Root, "a.md"), "new\n");
        // And a torn line after it, as a power cut mid-append leaves.
        File.AppendAllText(Log, "{\"seq\":3,\"time\":\"2026-11-01T09:0");

        using var store = Open();
        var history = await store.ReadHistoryAsync(Ct);
        history.Select(c => (c.Sequence, Text(c.Files[0]))).ShouldBe([(1, "a\n"), (2, "new\n")]);
        File.ReadAllText(Log).ShouldEndWith("{\"ok\":2}\n");
    }

    [Fact]
    public async Task Crash_InAGroupOfEdits_SettlesEachChangeByWhatItsFileShows()
    {
        await Run(new CreateMemoryCommand("/memories/a.md", "a\n"));
        await Run(new CreateMemoryCommand("/memories/b.md", "b\n"));
        await Run(new CreateMemoryCommand("/memories/c.md", "c\n"));
        _store.Dispose();

        // A group of three edits killed after its renames but before its settle lines, one rename (a.md's) having failed:
        // each change must be settled by its own file, not only the last one.
        string Edit(long sequence, string name, string text) =>
            $$"""{"seq":{{sequence}},"time":"2026-11-01T09:05:00.0000000Z","op":"edit","path":"/memories/{{name}}","files":[{"path":"/memories/{{name}}","sha256":"{{MemoryHash.Sha256(Encoding.UTF8.GetBytes(text))}}","size":{{text.Length}},"text":"{{text.Replace("\n", "\\n", StringComparison.Ordinal)}}"}]}""" + "\n";
        File.AppendAllText(Log, Edit(4, "a.md", "A\n") + Edit(5, "b.md", "B\n") + Edit(6, "c.md", "C\n"));
        File.WriteAllText(Path.Combine(Root, "b.md"), "B\n");
        File.WriteAllText(Path.Combine(Root, "c.md"), "C\n");

        using var store = Open();
        var history = await store.ReadHistoryAsync(Ct);
        history.Select(c => (c.Sequence, Text(c.Files[0]))).ShouldBe([(1, "a\n"), (2, "b\n"), (3, "c\n"), (5, "B\n"), (6, "C\n")]);
        File.ReadAllText(Log).ShouldEndWith("{\"abort\":4}\n{\"ok\":5}\n{\"ok\":6}\n");
        (await new MemoryTool(store).ExecuteAsync(new InsertMemoryCommand("/memories/a.md", 1, "d"), Ct)).IsError.ShouldBeFalse();
        (await store.ReadHistoryAsync(Ct)).Last().Sequence.ShouldBe(7);
    }

    [Fact]
    public async Task ConcurrentDurableEdits_ShareFlushes_AndKeepEveryVersionInOrder()
    {
        // 24 writers at once: their edits go in groups (one flush of the history for many), some to the same file.
        for (var w = 0; w < 24; w++)
        {
            await Run(new CreateMemoryCommand($"/memories/own/{w}.md", ""));
        }

        await Run(new CreateMemoryCommand("/memories/shared.md", ""));
        await Parallel.ForAsync(0, 24, new ParallelOptions { MaxDegreeOfParallelism = 24, CancellationToken = Ct }, async (w, ct) =>
        {
            for (var i = 0; i < 8; i++)
            {
                (await _tool.ExecuteAsync(new InsertMemoryCommand($"/memories/own/{w}.md", i, $"line {i}"), ct)).IsError.ShouldBeFalse();
                (await _tool.ExecuteAsync(new InsertMemoryCommand("/memories/shared.md", 0, $"w{w} i{i}"), ct)).IsError.ShouldBeFalse();
            }
        });

        var history = await _store.ReadHistoryAsync(Ct);
        history.Select(c => c.Sequence).ShouldBe(Enumerable.Range(1, 25 + 384).Select(n => (long)n));
        for (var w = 0; w < 24; w++)
        {
            var versions = history.Where(c => c.Path == $"/memories/own/{w}.md").Select(c => Text(c.Files[0])).ToList();
            versions.ShouldBe(Enumerable.Range(0, 9).Select(n => string.Concat(Enumerable.Range(0, n).Select(i => $"line {i}\n"))).ToList());
        }

        File.ReadAllLines(_temp.Combine("memories", "shared.md")).Order().ShouldBe(
            Enumerable.Range(0, 24).SelectMany(w => Enumerable.Range(0, 8).Select(i => $"w{w} i{i}")).Order());
    }

    [Fact]
    public async Task History_CanBeTurnedOff()
    {
        using var plain = new FileSystemMemoryStore(_temp.Combine("plain"), new FileSystemMemoryStoreOptions { History = false });
        (await new MemoryTool(plain).ExecuteAsync(new CreateMemoryCommand("/memories/a.md", "a"), Ct)).IsError.ShouldBeFalse();
        (await plain.ReadHistoryAsync(Ct)).ShouldBeEmpty();
        File.Exists(_temp.Combine("plain", ".mnemo", "history.jsonl")).ShouldBeFalse();
    }
}
