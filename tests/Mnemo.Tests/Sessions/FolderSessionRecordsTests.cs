using System.Text;
using Mnemo.Sessions;

namespace Mnemo.Tests.Sessions;

/// <summary>Session records in a folder: malformed lines counted and skipped, the index brought up to date, and an
/// overview whose figures are the records' own sums.</summary>
public sealed class FolderSessionRecordsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Record(string store, string day, int inputTokens, long cleared) => $$"""
        {"type":"start","at":"{{day}}T10:00:00.000Z","session":"x","agent":"bot","model":"claude-sonnet-4-5","store":"{{store}}","source":"live","trigger_tokens":6000,"warning_tokens":4800}
        {"type":"request","at":"{{day}}T10:00:01.000Z","request":1,"messages":1,"projected_tokens":100}
        {"type":"response","at":"{{day}}T10:00:02.000Z","request":1,"input_tokens":{{inputTokens}},"cache_write_tokens":0,"cache_read_tokens":0,"output_tokens":10}
        {"type":"request","at":"{{day}}T10:00:03.000Z","request":2,"messages":3,"projected_tokens":7000}
        {"type":"clearing","at":"{{day}}T10:00:03.500Z","request":2,"side":"client","cleared_input_tokens":{{cleared}},"cleared_thinking_turns":0,"cleared_tool_uses":2,"tools":[]}
        {"type":"response","at":"{{day}}T10:00:04.000Z","request":2,"input_tokens":{{inputTokens}},"cache_write_tokens":0,"cache_read_tokens":0,"output_tokens":20}
        {"type":"memory","at":"{{day}}T10:00:04.000Z","request":2,"command":"create","path":"/memories/notes.md","bytes":42}
        {"type":"end","at":"{{day}}T10:00:05.000Z","request":2,"stop":"completed"}

        """;

    [Fact]
    public void AMalformedOrCutOffLine_IsCountedAndSkipped_TheRestIsRead()
    {
        var record = Record("team", "2026-12-01", 1000, 500)
            + "{not json\n"
            + "[1,2,3]\n"
            + "{\"no_type\":true}\n"
            + "{\"type\":\"response\",\"at\":\"2026-12-01T10:00:06.000Z\",\"request\":3,\"input_tok";

        var log = SessionLog.Read("s1", Encoding.UTF8.GetBytes(record));

        log.SkippedLines.ShouldBe(4);
        var summary = log.Summarize();
        summary.Requests.ShouldBe(2);
        summary.InputTokens.ShouldBe(2000);
        summary.SavedTokens.ShouldBe(500);
        // Sonnet 4.5 at $3 per million input tokens and $15 per million output: 2,000 in and 30 out.
        summary.Cost.ShouldBe(((2000 * 3m) + (30 * 15m)) / 1_000_000m);
        // The 500 cleared tokens at the request's own input price.
        summary.SavedCost.ShouldBe(500 * 3m / 1_000_000m);
    }

    [Fact]
    public async Task TheIndex_IsWrittenOnce_ReadAgainWhenARecordGrows_AndSurvivesDamage()
    {
        using var temp = new TempDirectory();
        var records = new FolderSessionRecords(temp.Path);
        await records.AppendAsync("s1", Encoding.UTF8.GetBytes(Record("team", "2026-12-01", 1000, 500)), Ct);
        await records.AppendAsync("s2", Encoding.UTF8.GetBytes(Record("solo", "2026-12-02", 2000, 0)), Ct);

        var fresh = await records.ListAsync(Ct);
        fresh.Select(s => s.Session).ShouldBe(["s2", "s1"], "newest first");
        var index = temp.Combine(FolderSessionRecords.IndexFile);
        File.ReadAllLines(index).Length.ShouldBe(2);
        var indexed = await records.ListAsync(Ct);
        File.ReadAllLines(index).Length.ShouldBe(2, "an index in date is read, not rewritten");
        indexed.Select(s => s with { Files = [] }).ShouldBe(fresh.Select(s => s with { Files = [] }), "the index gives back the summaries it was given");
        indexed.SelectMany(s => s.Files).ShouldBe(fresh.SelectMany(s => s.Files));

        // A record that grew is read again; a damaged index line costs a re-read, nothing else.
        await records.AppendAsync("s1", Encoding.UTF8.GetBytes("""{"type":"warning","at":"2026-12-01T11:00:00.000Z","request":3,"projected_tokens":5000,"trigger_ratio":0.83,"compaction":false}""" + "\n"), Ct);
        File.AppendAllText(index, "{\"session\":\"s2\",\"requests\":tru\n");
        var listed = await records.ListAsync(Ct);
        listed.Single(s => s.Session == "s1").Warnings.ShouldBe(1);
        listed.Single(s => s.Session == "s2").Requests.ShouldBe(2);

        // A record deleted is gone from the list.
        File.Delete(temp.Combine("s2.jsonl"));
        (await records.ListAsync(Ct)).ShouldHaveSingleItem().Session.ShouldBe("s1");
    }

    [Fact]
    public async Task TheOverview_SumsTheSessionsItsFilterLetsThrough()
    {
        using var temp = new TempDirectory();
        var records = new FolderSessionRecords(temp.Path);
        await records.AppendAsync("s1", Encoding.UTF8.GetBytes(Record("team", "2026-12-01", 1000, 500)), Ct);
        await records.AppendAsync("s2", Encoding.UTF8.GetBytes(Record("solo", "2026-12-02", 2000, 0)), Ct);
        await records.AppendAsync("s3", Encoding.UTF8.GetBytes(Record("team", "2026-12-03", 3000, 700)), Ct);
        var sessions = await records.ListAsync(Ct);

        var team = SessionOverview.Create(sessions, new SessionFilter { Store = "team" });
        team.Sessions.Select(s => s.Session).ShouldBe(["s3", "s1"]);
        team.Totals.InputTokens.ShouldBe(8000);
        team.Totals.SavedTokens.ShouldBe(1200);
        team.Totals.Files.ShouldHaveSingleItem().Writes.ShouldBe(2);
        team.Days().Select(d => d.Day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)).ShouldBe(["2026-12-01", "2026-12-03"]);
        team.Choices.Stores.ShouldBe(["solo", "team"]);

        var dated = SessionOverview.Create(sessions, new SessionFilter { From = new DateOnly(2026, 12, 2), To = new DateOnly(2026, 12, 2) });
        dated.Sessions.ShouldHaveSingleItem().Session.ShouldBe("s2");
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData(".index")]
    [InlineData("a/b")]
    [InlineData("")]
    public async Task AnInvalidSessionId_IsRefused_AndNothingIsWritten(string id)
    {
        using var temp = new TempDirectory();
        var records = new FolderSessionRecords(temp.Combine("records"));

        await Should.ThrowAsync<ArgumentException>(async () => await records.AppendAsync(id, "{}\n"u8.ToArray(), Ct));

        (await records.ReadAsync(id, Ct)).ShouldBeNull();
        Directory.Exists(temp.Combine("records")).ShouldBeFalse();
    }

    [Fact]
    public void ASummaryWithNumbersOutOfRange_IsReadWithoutThem_NotThrown()
    {
        using var document = System.Text.Json.JsonDocument.Parse("""{"session":"s1","save_seconds":1e400,"requests":99999999999999999999,"cost_usd":1e400,"started":"yesterday"}""");

        var summary = SessionSummary.Read(document.RootElement).ShouldNotBeNull();

        (summary.SaveSeconds, summary.Requests, summary.Cost, summary.Started).ShouldBe((0d, 0, 0m, (DateTimeOffset?)null));
        SessionSummary.ReadLine("""{"session":"s1","save_seconds":1e400}"""u8).ShouldBeNull("the index's reader drops a line it cannot read whole");
        SessionLog.Read("s1", """{"type":"preservation","request":1,"outcome":"preserved","seconds_to_save":1e400}"""u8).Preservations.ShouldHaveSingleItem().SecondsToSave.ShouldBeNull();

        // Seconds too large to average as a decimal leave the mean out rather than fail the overview.
        var huge = SessionLog.Read("s2", """{"type":"preservation","request":1,"outcome":"preserved","seconds_to_save":1e300}"""u8).Summarize();
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            SessionOverview.Create([huge]).WriteTo(writer);
        }

        System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan).ShouldContain("\"mean_seconds_to_save\":null");

        // Token counts no request comes near (a damaged or forged line) are read as absent, not summed into an overflow.
        var forged = SessionLog.Read("s3", """
            {"type":"start","model":"claude-sonnet-4-5"}
            {"type":"response","request":1,"input_tokens":9223372036854775807,"cache_write_tokens":0,"cache_read_tokens":0,"output_tokens":9223372036854775807}
            {"type":"response","request":2,"input_tokens":9223372036854775807,"cache_write_tokens":0,"cache_read_tokens":0,"output_tokens":5}
            {"type":"clearing","request":2,"cleared_input_tokens":9223372036854775807}
            """u8).Summarize();
        (forged.InputTokens, forged.OutputTokens, forged.SavedTokens).ShouldBe((0L, 5L, 0L));
        SessionSummary.ReadLine("""{"session":"s1","input_tokens":9223372036854775807}"""u8).ShouldBeNull();
    }
}
