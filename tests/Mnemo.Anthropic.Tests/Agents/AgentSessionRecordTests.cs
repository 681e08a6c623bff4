using System.Text;
using System.Text.Json;
using Anthropic.Core;
using Anthropic.Helpers.Beta;
using Anthropic.Models.Beta.Messages;
using Mnemo.Anthropic.Agents;
using Mnemo.Context;
using Mnemo.Sessions;
using Mnemo.Tests;

namespace Mnemo.Anthropic.Tests.Agents;

/// <summary>A session's record for the dashboard: every event as a line, figures that agree with the session's own
/// summary, and no content: neither memory text nor tool results.</summary>
public sealed class AgentSessionRecordTests
{
    private const string Secret = "sk-live-9f8e7d6c5b4a39281706f5e4d3c2b1a0";
    private const string SourceMarker = "SOURCE-LINE-MARKER";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Small reads, one huge one, a warning answered by a save that holds a secret.</summary>
    private const string Script = $$$"""
        conversations:
          - match: "review all"
            turns:
              - tool_use: {name: memory, input: {command: view, path: /memories}}
              - tool_use: {name: read_file, input: {path: a.py}}
              - tool_use: {name: read_file, input: {path: b.py}}
              - tool_use: {name: read_file, input: {path: huge.py}}
              - tool_use: {name: read_file, input: {path: c.py}}
              - All files reviewed.
        rules:
          - match: "older tool results will soon be cleared"
            reply:
              text: Saving my progress before the clearing.
              tool_use: {name: memory, input: {command: create, path: /memories/progress.md, file_text: "a.py and b.py reviewed; deploy key {{{Secret}}}\n"}}
        """;

    private static IBetaRunnableTool Files() => new BetaRunnableTool
    {
        Name = "read_file",
        Definition = AgentHarness.Definition("read_file", "Reads a source file."),
        Run = (call, _) =>
        {
            var path = call.Input["path"].GetString();
            var lines = path == "huge.py" ? 700 : 15;
            return Task.FromResult<BetaToolResultBlockParamContent>(string.Join('\n', Enumerable.Range(0, lines).Select(i => $"def f{i}(x): return x * {i}  # {SourceMarker} {path}")));
        },
    };

    [Theory]
    [InlineData(ContextEditingSide.Server)]
    [InlineData(ContextEditingSide.Client)]
    public async Task ASessionWithRecords_WritesALinePerEvent_WhoseFiguresAgreeWithItsSummary_AndNoContent(ContextEditingSide side)
    {
        await using var harness = await AgentHarness.StartAsync(Script);
        using var temp = new TempDirectory();
        var records = new FolderSessionRecords(temp.Combine("sessions"));
        var session = harness.Session(o =>
        {
            o.Tools.Add(Files());
            o.ContextManagement = ContextManagementConfig.Parse(
                """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"input_tokens","value":6000},"keep":{"type":"tool_uses","value":1}}]}""");
            o.ContextEditing = side;
            o.LookAheadShare = 1;
            o.Records = records;
            o.RecordInfo = new SessionInfo { Agent = "reviewer", Store = "team" };
            o.SessionId = "review-1";
        });

        var result = await session.RunAsync("Review all files.", Ct);

        result.Completed.ShouldBeTrue(result.Message);
        session.SessionId.ShouldBe("review-1");
        var bytes = await File.ReadAllBytesAsync(temp.Combine("sessions", "review-1.jsonl"), Ct);
        var text = Encoding.UTF8.GetString(bytes);
        text.ShouldNotContain(Secret);
        text.ShouldNotContain("deploy key");
        text.ShouldNotContain(SourceMarker);
        text.ShouldNotContain("Saving my progress");

        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        var types = lines.Select(line => line.GetProperty("type").GetString()).ToList();
        types[0].ShouldBe("start");
        types[^1].ShouldBe("end");
        var totals = lines[^1].GetProperty("totals");
        totals.GetProperty("requests").GetInt32().ShouldBe(result.Summary.Requests);
        totals.GetProperty("input_tokens").GetInt64().ShouldBe(result.Summary.InputTokens);
        totals.GetProperty("cleared_input_tokens").GetInt64().ShouldBe(result.Summary.ClearedInputTokens);
        totals.GetProperty("memory_writes").GetInt32().ShouldBe(result.Summary.MemoryWrites);
        types.ShouldContain("warning");
        types.ShouldContain("clearing");
        types.ShouldContain("preservation");
        lines[0].GetProperty("agent").GetString().ShouldBe("reviewer");
        lines[0].GetProperty("store").GetString().ShouldBe("team");
        lines[0].GetProperty("model").GetString().ShouldBe(AgentHarness.Model);
        lines[0].GetProperty("trigger_tokens").GetInt64().ShouldBe(6000);
        lines[0].GetProperty("warning_tokens").GetInt64().ShouldBe(4800);
        var save = lines.Single(line => line.GetProperty("type").GetString() == "memory" && line.GetProperty("command").GetString() == "create");
        save.GetProperty("path").GetString().ShouldBe("/memories/progress.md");
        save.GetProperty("bytes").GetInt64().ShouldBe(Encoding.UTF8.GetByteCount($"a.py and b.py reviewed; deploy key {Secret}\n"));

        // The record, read back, says what the session's own summary says.
        var log = SessionLog.Read("review-1", bytes);
        log.SkippedLines.ShouldBe(0);
        var summary = log.Summarize();
        var expected = result.Summary;
        summary.Requests.ShouldBe(expected.Requests);
        summary.InputTokens.ShouldBe(expected.InputTokens);
        summary.OutputTokens.ShouldBe(expected.OutputTokens);
        summary.Clearings.ShouldBe(expected.Clearings);
        summary.ClearedToolUses.ShouldBe(expected.ClearedToolUses);
        summary.Warnings.ShouldBe(expected.Warnings);
        summary.Preserved.ShouldBe(expected.Preservations.Count(p => p.Preserved));
        summary.NotWarned.ShouldBe(expected.Preservations.Count(p => !p.Warned));
        summary.MemoryWrites.ShouldBe(expected.MemoryWrites);
        summary.MemoryReads.ShouldBe(1);
        summary.ToolCalls.ShouldBe(expected.ToolCalls);
        summary.SavedTokens.ShouldBe(expected.ClearedInputTokens);
        summary.Stop.ShouldBe("completed");
        summary.Files.ShouldContain(file => file.Path == "/memories/progress.md" && file.Writes == 1);
        summary.Files.ShouldNotContain(file => file.Path == "/memories", "a folder's listing is no file's read");
        log.Requests.Count(request => request.Warned).ShouldBe(1);
        log.Requests.Sum(request => request.ClearedInputTokens).ShouldBe(expected.ClearedInputTokens);

        // Listed from the folder, with the index written beside the records.
        var listed = (await records.ListAsync(Ct)).ShouldHaveSingleItem();
        (listed with { Files = [] }).ShouldBe(summary with { Files = [] }, "the index keeps the summary the record gives");
        listed.Files.ShouldBe(summary.Files);
        File.Exists(temp.Combine("sessions", FolderSessionRecords.IndexFile)).ShouldBeTrue();
    }

    [Fact]
    public async Task ARecordStoreThatFails_NeverFailsTheRun_AndItsLinesWaitForTheNextFlush()
    {
        await using var harness = await AgentHarness.StartAsync("""
            conversations:
              - match: "first"
                turns:
                  - tool_use: {name: memory, input: {command: view, path: /memories}}
                  - Done.
            rules:
              - match: "second"
                reply: Done again.
            """);
        var records = new FlakyRecords { Failing = true };
        var session = harness.Session(o => o.Records = records);

        var result = await session.RunAsync("The first task.", Ct);
        result.Completed.ShouldBeTrue(result.Message);
        records.Appended.Length.ShouldBe(0);

        records.Failing = false;
        session.AddUserMessage("The second task.");
        await session.RunAsync(Ct);
        var log = SessionLog.Read(session.SessionId!, Encoding.UTF8.GetBytes(records.Appended.ToString()));
        log.SkippedLines.ShouldBe(0);
        log.Requests.Count.ShouldBe(session.Requests, "nothing written while the store failed was lost");
    }

    /// <summary>A record store whose appends fail while <see cref="Failing"/> is set, as a full disk would.</summary>
    private sealed class FlakyRecords : ISessionRecordStore
    {
        public bool Failing { get; set; }

        public StringBuilder Appended { get; } = new();

        public ValueTask AppendAsync(string session, ReadOnlyMemory<byte> lines, CancellationToken cancellationToken = default)
        {
            if (Failing)
            {
                throw new IOException("No space left on device.");
            }

            Appended.Append(Encoding.UTF8.GetString(lines.Span));
            return ValueTask.CompletedTask;
        }

        public ValueTask<IReadOnlyList<SessionSummary>> ListAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<ReadOnlyMemory<byte>?> ReadAsync(string session, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
