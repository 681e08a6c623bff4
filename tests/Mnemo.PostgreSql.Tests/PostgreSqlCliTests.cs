using System.Text;
using System.Text.Json;
using Mnemo.Memory;
using Mnemo.Tests;

namespace Mnemo.PostgreSql.Tests;

/// <summary><c>mnemo memory</c> on a PostgreSQL store, as real processes: many writers at once, then the admin verbs.</summary>
public sealed class PostgreSqlCliTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SixProcessesInsertingAtTheTop_LoseNoLine_AndHistoryHoldsEveryEdit()
    {
        const int Processes = 6;
        const int Inserts = 60;
        var store = "cli-" + Guid.NewGuid().ToString("N");
        string[] place = ["--postgres", server.ConnectionString, "--store", store];
        await using (var seed = new PostgreSqlMemoryStore(new PostgreSqlMemoryStoreOptions { ConnectionString = server.ConnectionString, Store = store }))
        {
            (await seed.CreateFileAsync(MemoryPathOf("/memories/log.md"), "bottom\n"u8.ToArray(), cancellationToken: Ct)).ShouldBeTrue();
        }

        var runs = Enumerable.Range(0, Processes).Select(p => Task.Run(async () =>
        {
            using var process = MnemoProcess.Start(["memory", "exec", .. place, "--actor", $"p{p}"]);
            var input = new StringBuilder();
            for (var i = 0; i < Inserts; i++)
            {
                input.AppendLine(JsonSerializer.Serialize(new { command = "insert", path = "/memories/log.md", insert_line = 0, insert_text = $"p{p}-i{i}" }));
            }

            var reading = process.StandardOutput.ReadToEndAsync(Ct);
            await process.StandardInput.WriteAsync(input.ToString().AsMemory(), Ct);
            process.StandardInput.Close();
            var output = await reading;
            await process.WaitForExitAsync(Ct);
            process.ExitCode.ShouldBe(0, await process.StandardError.ReadToEndAsync(Ct));
            output.ShouldNotContain("\"is_error\": true");
        }, Ct));
        await Task.WhenAll(runs);

        var cat = await MnemoProcess.RunAsync(Ct, ["memory", "cat", .. place, "log.md"]);
        var lines = cat.Output.TrimEnd('\n').Split('\n');
        lines.Length.ShouldBe((Processes * Inserts) + 1);
        lines.Distinct().Count().ShouldBe(lines.Length);

        var history = await MnemoProcess.RunAsync(Ct, ["memory", "history", .. place, "log.md", "--json"]);
        using var json = JsonDocument.Parse(history.Output);
        var changes = json.RootElement.EnumerateArray().ToList();
        changes.Count.ShouldBe((Processes * Inserts) + 1);
        changes.Skip(1).GroupBy(c => c.GetProperty("actor").GetString()).Select(g => g.Count()).ShouldAllBe(count => count == Inserts);

        var usage = await MnemoProcess.RunAsync(Ct, ["memory", "ls", "--postgres", server.ConnectionString, "--dir", "somewhere"]);
        (usage.ExitCode, usage.Error).ShouldBe((2, "mnemo: give the memory's place: --dir FOLDER, or --postgres CONNECTION [--store NAME].\n"));
    }

    private static MemoryPath MemoryPathOf(string path) => MemoryPath.TryParse(path, out var parsed, out _) ? parsed : throw new ArgumentException(path);
}
