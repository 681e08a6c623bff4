using Mnemo.Memory;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Tests.Memory.FileSystem.Parts;

/// <summary>The settle protocol at the log's own level: begun changes are settled by the writer, or by the next one from
/// what the files show; groups append all their lines before their settle lines.</summary>
public sealed class HistoryLogTests : IDisposable
{
    private readonly FolderFixture _folder = new();
    private readonly DurableFileWriter _writer = new(LinuxFolderSystem.Instance, durable: true);

    public void Dispose() => _folder.Dispose();

    private string Log => File.ReadAllText(_folder.Combine("history.jsonl"));

    private HistoryLog Open(Func<MemoryChange, bool>? applied = null) =>
        new(_folder.Fd, _writer, TimeProvider.System, applied ?? (_ => throw new InvalidOperationException("nothing should need settling")));

    private static MemoryChange Edit(long sequence, string path, string? requestId = null) =>
        new(sequence, DateTimeOffset.UnixEpoch, MemoryChangeKind.Edit, path, [new MemoryFileVersion(path, MemoryHash.Sha256("x"u8), 1, "x"u8.ToArray())])
        {
            RequestId = requestId,
        };

    [Fact]
    public void BeginThenSettle_NumbersChangesInOrder_AndWritesEachLineBeforeItsSettle()
    {
        using var log = Open();
        log.Prepare().ShouldBeTrue("a first look always counts as a change");

        var first = log.Begin(Edit(log.NextSequence, "/memories/a.md"));
        Log.ShouldEndWith("\"}]}\n", Case.Sensitive, "the change is on disk before its content changes");
        log.Settle(first, applied: true);
        var second = log.Begin(Edit(log.NextSequence, "/memories/b.md"));
        log.Settle(second, applied: false);

        (first.Sequence, second.Sequence, log.NextSequence).ShouldBe((1, 2, 3));
        Log.ShouldEndWith("{\"ok\":1}\n" + Log.Split('\n')[2] + "\n{\"abort\":2}\n");
        log.Settled().Select(change => change.Path).ShouldBe(["/memories/a.md"]);
        log.Prepare().ShouldBeFalse("nothing changed since this log's own last write");
    }

    [Fact]
    public void Prepare_AfterACrash_SettlesEachUnsettledChangeByWhatTheFilesShow_AndRepairsATornLine()
    {
        using (var crashed = Open())
        {
            crashed.Prepare();
            crashed.Begin([Edit(1, "/memories/a.md"), Edit(2, "/memories/b.md")]);
        }

        File.AppendAllText(_folder.Combine("history.jsonl"), "{\"seq\":3,\"time\":\"2026-");

        using var next = Open(change => change.Path == "/memories/b.md");
        next.Prepare().ShouldBeTrue();

        Log.ShouldEndWith("{\"abort\":1}\n{\"ok\":2}\n");
        next.Settled().Select(change => change.Sequence).ShouldBe([2]);
        next.NextSequence.ShouldBe(3);
    }

    [Fact]
    public void Group_AppendsEveryChangeBeforeAnySettle_AndOnlyItsLastKnowsTheLogBefore()
    {
        using var log = Open();
        log.Prepare();
        var before = log.Key;

        var pending = log.Begin([Edit(1, "/memories/a.md", "k1"), Edit(2, "/memories/b.md", "k2")]);

        pending.Select(change => (change.Sequence, change.RequestId)).ShouldBe([(1L, "k1"), (2L, "k2")]);
        pending[^1].LogBefore.ShouldBe(before);
        pending[0].LogBefore.ShouldNotBe(before);
        Log.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(2);
    }

    [Fact]
    public void Redact_RemovesTheContentOfOneHash_AndRecordsTheRedaction()
    {
        using var log = Open();
        log.Prepare();
        log.Settle(log.Begin(Edit(1, "/memories/a.md")), applied: true);

        log.Redact(MemoryHash.Sha256("x"u8), new MemoryWriteContext("admin")).ShouldBe(1);

        var changes = log.Settled();
        changes[0].Files[0].Content.ShouldBeNull();
        (changes[1].Kind, changes[1].Actor, changes[1].Reason).ShouldBe((MemoryChangeKind.Redact, "admin", "redact"));
        log.Redact(MemoryHash.Sha256("x"u8), null).ShouldBe(0);
    }
}
