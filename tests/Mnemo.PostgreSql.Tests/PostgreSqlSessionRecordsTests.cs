using System.Text;
using Mnemo.Sessions;

namespace Mnemo.PostgreSql.Tests;

/// <summary>Session records in PostgreSQL: the same lines, summaries and index behaviour as in a folder.</summary>
public sealed class PostgreSqlSessionRecordsTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string Record = """
        {"type":"start","at":"2026-12-01T10:00:00.000Z","session":"s1","agent":"bot","model":"claude-sonnet-4-5","store":"team","source":"live","trigger_tokens":6000}
        {"type":"request","at":"2026-12-01T10:00:01.000Z","request":1,"messages":1,"projected_tokens":7000}
        {"type":"clearing","at":"2026-12-01T10:00:01.500Z","request":1,"side":"client","cleared_input_tokens":800,"cleared_thinking_turns":0,"cleared_tool_uses":2,"tools":[]}
        {"type":"response","at":"2026-12-01T10:00:02.000Z","request":1,"input_tokens":1000,"cache_write_tokens":200,"cache_read_tokens":3000,"output_tokens":10}
        {"type":"memory","at":"2026-12-01T10:00:02.000Z","request":1,"command":"create","path":"/memories/notes.md","bytes":42}

        """.ReplaceLineEndings("\n");

    [Fact]
    public async Task Records_AreKeptPerStore_SummedAsInAFolder_AndSummedAgainWhenTheyGrow()
    {
        var store = "records-" + Guid.NewGuid().ToString("N");
        await using var records = new PostgreSqlSessionRecords(new PostgreSqlMemoryStoreOptions { ConnectionString = server.ConnectionString, Store = store });
        await using var elsewhere = new PostgreSqlSessionRecords(new PostgreSqlMemoryStoreOptions { ConnectionString = server.ConnectionString, Store = store + "-other" });
        var half = Record.IndexOf("{\"type\":\"response\"", StringComparison.Ordinal);
        await records.AppendAsync("s1", Encoding.UTF8.GetBytes(Record[..half]), Ct);
        await records.AppendAsync("s1", Encoding.UTF8.GetBytes(Record[half..]), Ct);

        Encoding.UTF8.GetString((await records.ReadAsync("s1", Ct))!.Value.Span).ShouldBe(Record);
        (await records.ReadAsync("missing", Ct)).ShouldBeNull();
        (await elsewhere.ListAsync(Ct)).ShouldBeEmpty("another store's records are its own");
        var listed = (await records.ListAsync(Ct)).ShouldHaveSingleItem();
        var expected = SessionLog.Read("s1", Encoding.UTF8.GetBytes(Record)).Summarize();
        (listed with { Files = [] }).ShouldBe(expected with { Files = [] });
        listed.Files.ShouldBe(expected.Files);
        listed.SavedTokens.ShouldBe(800);

        await records.AppendAsync("s1", """{"type":"end","at":"2026-12-01T10:00:03.000Z","request":1,"stop":"completed"}"""u8.ToArray().Append((byte)'\n').ToArray(), Ct);
        (await records.ListAsync(Ct)).ShouldHaveSingleItem().Stop.ShouldBe("completed", "a record that grew is summed again");
        await Should.ThrowAsync<ArgumentException>(async () => await records.AppendAsync("../x", "{}\n"u8.ToArray(), Ct));
    }
}
