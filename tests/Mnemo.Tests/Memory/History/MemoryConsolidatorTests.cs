using System.Text;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Tests.Memory.History;

/// <summary>Consolidation on a real folder store: it proposes with evidence, changes nothing until told, and what it
/// applies is recorded under its own actor and can be restored.</summary>
public sealed class MemoryConsolidatorTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly ManualTimeProvider _clock = new();
    private readonly FileSystemMemoryStore _store;
    private readonly MemoryAdmin _admin;

    public MemoryConsolidatorTests()
    {
        _store = new FileSystemMemoryStore(_temp.Combine("memories"), new FileSystemMemoryStoreOptions { TimeProvider = _clock, ReadTrackingResolution = TimeSpan.FromHours(1) });
        _admin = new MemoryAdmin(_store, _clock);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _store.Dispose();
        _temp.Dispose();
    }

    private static MemoryPath P(string path) => MemoryPath.TryParse(path, out var parsed, out _) ? parsed : throw new ArgumentException(path);

    private ValueTask<MemoryWriteOutcome> Write(string path, string text) => _admin.WriteAsync(P(path), Encoding.UTF8.GetBytes(text), cancellationToken: Ct);

    private string? Read(string name) => File.Exists(_temp.Combine("memories", name)) ? File.ReadAllText(_temp.Combine("memories", name)) : null;

    private MemoryConsolidator Consolidator(ConsolidationOptions? options = null) => new(_admin, options, _clock);

    [Fact]
    public async Task Propose_FindsDuplicatesSupersessionsAndContradictions_WithEvidence_AndChangesNothing()
    {
        const string Notes = "# Deploy\n- staging host: stage-1\n- window: Tuesday\n- rollback: make rollback\n";
        await Write("/memories/a.md", Notes);
        await Write("/memories/copy.md", Notes.Replace("- window", "-   window", StringComparison.Ordinal) + "\n");
        await Write("/memories/c.md", Notes + "- canary: 5 percent\n");
        await Write("/memories/settings.md", "api version: 2.1 (2026-03-01)\nowner: ana\n");
        await Write("/memories/later.md", "api version: 2.4 (2026-09-12)\nowner: bo\n");

        var proposal = await Consolidator().ProposeAsync(Ct);

        proposal.FilesRead.ShouldBe(5);
        proposal.Changes.Select(c => (c.Kind, c.Title)).ShouldBe(
        [
            (ConsolidationKind.ExactDuplicate, "delete /memories/copy.md, the same text as /memories/a.md"),
            (ConsolidationKind.NearDuplicate, "merge /memories/c.md into /memories/a.md"),
            (ConsolidationKind.Contradiction, "check owner: 2 notes give it different values"),
            (ConsolidationKind.Superseded, "remove 1 superseded line(s) from /memories/settings.md"),
        ]);
        proposal.Changes[3].Evidence.ShouldBe("line 1 gives api version as of 2026-03-01; /memories/later.md line 1 gives it as of 2026-09-12");
        proposal.Changes[2].Edits.ShouldBeEmpty("a contradiction is flagged, never decided");
        proposal.Changes[1].Diff().ShouldContain("+- canary: 5 percent\n");
        Read("copy.md").ShouldNotBeNull("proposing changes nothing");
    }

    [Fact]
    public async Task Apply_MakesTheChosenChanges_UnderTheConsolidateActor_AndEachCanBeRestored()
    {
        await Write("/memories/a.md", "one\ntwo\nthree\n");
        await Write("/memories/b.md", "one\ntwo\nthree\n");
        await Write("/memories/settings.md", "model: v1.2\n");
        await Write("/memories/later.md", "model: v1.10\n");
        var consolidator = Consolidator();
        var proposal = await consolidator.ProposeAsync(Ct);

        var results = await consolidator.ApplyAsync(proposal, [1, 2], Ct);

        results.ShouldAllBe(r => r.NotApplied == null);
        Read("b.md").ShouldBeNull();
        Read("settings.md").ShouldBe(string.Empty, "v1.10 is later than v1.2: versions compare by number");
        var history = await _admin.HistoryAsync(cancellationToken: Ct);
        history.Where(change => change.Actor == MemoryConsolidator.Actor).Select(change => (change.Path, change.Reason))
            .ShouldBe([("/memories/b.md", "consolidate: exact duplicate"), ("/memories/settings.md", "consolidate: superseded")]);

        await _admin.RestoreAsync(P("/memories/b.md"), null, cancellationToken: Ct);
        Read("b.md").ShouldBe("one\ntwo\nthree\n");
    }

    [Fact]
    public async Task Apply_LeavesAFileThatChangedSinceTheProposal_AndSaysSo()
    {
        await Write("/memories/a.md", "one\ntwo\nthree\n");
        await Write("/memories/b.md", "one\ntwo\nthree\n");
        var consolidator = Consolidator();
        var proposal = await consolidator.ProposeAsync(Ct);
        await Write("/memories/b.md", "one\ntwo\nthree\nfour, written meanwhile\n");

        var result = (await consolidator.ApplyAsync(proposal, [1], Ct)).Single();

        result.NotApplied.ShouldBe("/memories/b.md changed since the proposal was made; propose again");
        Read("b.md")!.ShouldContain("written meanwhile");
    }

    [Fact]
    public async Task AnOversizedFile_IsSplitAtItsHeadings_IntoAnIndexAndParts_AndAStaleOneListed()
    {
        var big = "# Notes\nintro\n\n## Build\n" + new string('b', 700) + "\n\n## Deploy steps\n" + new string('d', 700) + "\n";
        await Write("/memories/big.md", big);
        await Write("/memories/old.md", "forgotten\n");
        _clock.Advance(TimeSpan.FromDays(100));
        await Write("/memories/big.md", big + "\n");

        var proposal = await Consolidator(new ConsolidationOptions { OversizedBytes = 1024, StaleAfter = TimeSpan.FromDays(90) }).ProposeAsync(Ct);

        var split = proposal.Changes.Single(c => c.Kind == ConsolidationKind.Oversized);
        split.Edits.Select(e => (e.Path.Normalized, e.NewText?.Split('\n')[0])).ShouldBe(
        [
            ("/memories/big.md", "# Notes"),
            ("/memories/big/build.md", "## Build"),
            ("/memories/big/deploy-steps.md", "## Deploy steps"),
        ]);
        split.Edits[0].NewText!.ShouldContain("- Deploy steps: /memories/big/deploy-steps.md\n");
        var stale = proposal.Changes.Single(c => c.Kind == ConsolidationKind.Stale);
        stale.Title.ShouldBe("expire /memories/old.md");
        stale.Evidence.ShouldContain("(100 days; the limit is 90)");
    }

    /// <summary>A session record, as Mnemo's agent writes it, of one memory call made by the request sent at <paramref name="at"/>.</summary>
    private static (string, Mnemo.Context.Replay.ReplaySession) Session(string name, DateTimeOffset at, string input) => (name,
        Mnemo.Context.Replay.SessionTranscripts.Read(Encoding.UTF8.GetBytes(
            "{\"model\":\"claude-sonnet-4-5\",\"messages\":[{\"role\":\"user\",\"content\":\"Remember.\"}," +
            "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"memory\",\"input\":" + input + "}]}," +
            "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\",\"content\":\"ok\"}]}]," +
            "\"mnemo_requests\":[{\"messages\":1,\"at\":\"" + at.ToString("O", System.Globalization.CultureInfo.InvariantCulture) + "\"}]}")));

    [Fact]
    public async Task Sessions_DateWhatTheNotesLeaveUndated_AndKeepAFileInUseOffTheExpiryList_CitingTheirMessages()
    {
        await Write("/memories/a.md", "db host: db-1\n");
        await Write("/memories/b.md", "db host: db-2\n");
        await Write("/memories/used.md", "runbook: make deploy\n");
        await Write("/memories/old.md", "forgotten\n");
        var start = _clock.GetUtcNow();
        _clock.Advance(TimeSpan.FromDays(100));
        var sessions = Mnemo.Memory.ConsolidationEvidence.FromSessions(
        [
            Session("s1.json", start.AddDays(-30), """{"command":"create","path":"/memories/a.md","file_text":"db host: db-1\n"}"""),
            Session("s2.json", start.AddDays(19), """{"command":"str_replace","path":"/memories/b.md","old_str":"db host: db-0","new_str":"db host: db-2"}"""),
            Session("s3.json", start.AddDays(92), """{"command":"view","path":"/memories/used.md"}"""),
        ]);

        var alone = await Consolidator().ProposeAsync(Ct);
        var proposal = await Consolidator().ProposeAsync(sessions, Ct);

        alone.Changes.ShouldContain(c => c.Kind == ConsolidationKind.Contradiction && c.Title == "check db host: 2 notes give it different values");
        var superseded = proposal.Changes.Single(c => c.Kind == ConsolidationKind.Superseded);
        superseded.Title.ShouldBe("remove 1 superseded line(s) from /memories/a.md");
        superseded.Evidence.ShouldBe("line 1 gives db host as written in s1.json message 1 (2026-10-02 09:00Z); /memories/b.md line 1 gives it as written in s2.json message 1 (2026-11-20 09:00Z)");
        proposal.Changes.ShouldNotContain(c => c.Kind == ConsolidationKind.Contradiction);

        var stale = proposal.Changes.Where(c => c.Kind == ConsolidationKind.Stale).ToDictionary(c => c.Title, c => c.Evidence);
        stale.Keys.ShouldBe(["expire /memories/a.md", "expire /memories/old.md"], ignoreOrder: true);
        stale["expire /memories/old.md"].ShouldEndWith("; none of the 3 session(s) given reads or writes it");
        stale["expire /memories/a.md"].ShouldEndWith("; a session last touched it in s1.json message 1 (2026-10-02 09:00Z)");
        alone.Changes.ShouldContain(c => c.Title == "expire /memories/used.md", "without the sessions, the store's own reads are all there is");
    }

    [Fact]
    public void AClaudeCodeTranscript_IsCitedByItsLine()
    {
        const string Jsonl = """
            {"type":"user","uuid":"u1","parentUuid":null,"timestamp":"2026-10-02T08:59:00Z","message":{"role":"user","content":"Remember the host."}}
            {"type":"summary","summary":"a note between lines"}
            {"type":"assistant","uuid":"a1","parentUuid":"u1","timestamp":"2026-10-02T09:00:00Z","message":{"role":"assistant","id":"msg_1","model":"claude-sonnet-4-5","content":[{"type":"tool_use","id":"toolu_1","name":"memory","input":{"command":"create","path":"/memories/a.md","file_text":"db host: db-1\n"}}]}}
            {"type":"user","uuid":"u2","parentUuid":"a1","timestamp":"2026-10-02T09:00:01Z","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"File created successfully at: /memories/a.md"}]}}
            """;

        var evidence = Mnemo.Memory.ConsolidationEvidence.FromSessions([("cc.jsonl", Mnemo.Context.Replay.SessionTranscripts.Read(Encoding.UTF8.GetBytes(Jsonl)))]);

        var call = evidence.Calls.ShouldHaveSingleItem();
        (call.Command, call.Path, call.Written).ShouldBe(("create", "/memories/a.md", "db host: db-1\n"));
        call.Cite().ShouldBe("cc.jsonl line 3 (2026-10-02 09:00Z)");
    }
}
