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

    [Fact]
    public async Task ReviewDiff_TwoPullRequestsAtOnceOnOneStore_LoseNoPatternUpdate()
    {
        var store = "review-" + Guid.NewGuid().ToString("N");
        string[] place = ["--postgres", server.ConnectionString, "--store", store];
        using var temp = new TempDirectory();
        var repository = temp.Combine("repo");
        await SamplePullRequests.MakeRepositoryAsync(repository, Ct);
        var first = await MnemoProcess.RunAsync(null, repository, Ct, ["review", "--no-records", "--diff", SamplePullRequests.ScrapeStats, .. place]);
        first.ExitCode.ShouldBe(0, first.Error);

        var reviews = await Task.WhenAll(
            MnemoProcess.RunAsync(null, repository, Ct, ["review", "--no-records", "--diff", SamplePullRequests.AsyncHostBudget, "--json", .. place]),
            MnemoProcess.RunAsync(null, repository, Ct, ["review", "--no-records", "--diff", SamplePullRequests.StockReservations, "--json", .. place]));

        foreach (var review in reviews)
        {
            review.ExitCode.ShouldBe(0, review.Error);
            JsonDocument.Parse(review.Output).RootElement.GetProperty("findings")[0].GetProperty("pattern").GetString().ShouldBe("lost-update-race");
        }

        var note = (await MnemoProcess.RunAsync(Ct, ["memory", "cat", .. place, "patterns/lost-update-race.md"])).Output.TrimEnd('\n').Split('\n');
        note.Skip(6).Select(line => line.Split(' ')[1]).Order(StringComparer.Ordinal).ShouldBe(["async_fetcher.py", "inventory.py", "scraper.py"]);
        var history = await MnemoProcess.RunAsync(Ct, ["memory", "history", .. place, "patterns/lost-update-race.md", "--json"]);
        JsonDocument.Parse(history.Output).RootElement.GetArrayLength().ShouldBe(3);
    }

    private static MemoryPath MemoryPathOf(string path) => MemoryPath.TryParse(path, out var parsed, out _) ? parsed : throw new ArgumentException(path);
}
