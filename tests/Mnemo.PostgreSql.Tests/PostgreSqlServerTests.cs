using System.Collections.Concurrent;
using System.Text;
using Mnemo.Memory;
using Mnemo.Memory.Remote;
using Mnemo.Server;
using Mnemo.Tests;

namespace Mnemo.PostgreSql.Tests;

/// <summary>The memory server over PostgreSQL, used through <see cref="HttpMemoryStore"/>: faults on both sides of the server.</summary>
public sealed class PostgreSqlServerTests(PostgresServer shared)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(MemoryServer Server, string Key, TempDirectory Temp, string Schema)> StartAsync(string connectionString)
    {
        var temp = new TempDirectory();
        var keys = new MemoryApiKeys(temp.Combine("keys.json"));
        var key = keys.Create(["*"], admin: true, name: "agents").Secret;
        var schema = "s" + Guid.NewGuid().ToString("N")[..12];
        var server = await MemoryServer.StartAsync(new MemoryServerOptions
        {
            Port = 0,
            Keys = keys,
            OpenStore = name => new PostgreSqlMemoryStore(new PostgreSqlMemoryStoreOptions { ConnectionString = connectionString, Store = name, Schema = schema }),
            RequestsPerSecond = 100_000,
            Burst = 100_000,
        }, Ct);
        return (server, key, temp, schema);
    }

    private static HttpMemoryStore Client(MemoryServer server, string key, HttpMessageHandler? handler = null, int retries = 4) => new(new HttpMemoryStoreOptions
    {
        Endpoint = server.BaseAddress,
        Store = "team",
        ApiKey = key,
        Handler = handler,
        MaxRetries = retries,
        RetryDelay = TimeSpan.FromMilliseconds(50),
        Timeout = TimeSpan.FromSeconds(5),
    });

    [Fact]
    public async Task WritesWhoseAnswersAreLost_AreAppliedOnce_OnPostgreSqlToo()
    {
        var (server, key, temp, schema) = await StartAsync(shared.ConnectionString);
        await using var running = server;
        using var folder = temp;
        using var losing = new FaultyHandler(every: 2, FaultyHandler.Fault.LoseAnswer);
        using var store = Client(server, key, losing);
        var tool = new MemoryTool(store);
        await tool.ExecuteAsync(new CreateMemoryCommand("/memories/log.md", ""), Ct);
        for (var i = 0; i < 30; i++)
        {
            (await tool.ExecuteAsync(new InsertMemoryCommand("/memories/log.md", i, $"line {i}"), Ct)).IsError.ShouldBeFalse();
        }

        losing.Faults.ShouldBeGreaterThanOrEqualTo(15);
        var view = await tool.ExecuteAsync(new ViewMemoryCommand("/memories/log.md"), Ct);
        view.Content.Split('\n').Count(line => line.Contains("\tline ", StringComparison.Ordinal)).ShouldBe(30);
        await using var direct = new PostgreSqlMemoryStore(new PostgreSqlMemoryStoreOptions { ConnectionString = shared.ConnectionString, Store = "team", Schema = schema });
        var changes = await direct.ReadHistoryAsync(Ct);
        changes.Count.ShouldBe(31, "one create and 30 inserts, none applied twice");
    }

    [Fact]
    public async Task KillingPostgreSqlMidLoad_LosesNoAcknowledgedWrite_AndAppliesNoneTwice()
    {
        // A database of its own, since this test crashes it; eight agents insert through the server while it is down.
        await using var own = new PostgresServer();
        await own.InitializeAsync();
        var (server, key, temp, _) = await StartAsync(own.ConnectionString);
        await using var running = server;
        using var folder = temp;
        var acknowledged = new ConcurrentBag<(int Agent, string Line)>();
        var failed = 0;
        using var stop = new CancellationTokenSource();
        var agents = Enumerable.Range(0, 8).Select(agent => Task.Run(async () =>
        {
            using var store = Client(server, key, retries: 8);
            var tool = new MemoryTool(store);
            await tool.ExecuteAsync(new CreateMemoryCommand($"/memories/agent{agent}.md", ""), CancellationToken.None);
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var line = $"agent {agent} note {i}";
                var result = await tool.ExecuteAsync(new InsertMemoryCommand($"/memories/agent{agent}.md", 0, line), CancellationToken.None);
                if (result.IsError)
                {
                    Interlocked.Increment(ref failed); // not acknowledged: the agent would hear of it and may try again
                }
                else
                {
                    acknowledged.Add((agent, line));
                }
            }
        }, Ct)).ToList();

        // Crash it once writes are flowing, and stop once they flow again after the restart: events, not times, so a
        // busy machine only makes the test slower.
        await Eventually.WaitUntilAsync(() => acknowledged.Count >= 40, "40 acknowledged writes before the crash", Ct);
        var before = acknowledged.Count;
        await own.CrashAndRestartAsync(TimeSpan.FromMilliseconds(500));
        var restarted = acknowledged.Count;
        await Eventually.WaitUntilAsync(() => acknowledged.Count >= restarted + 40, "40 acknowledged writes after the restart", Ct);
        await stop.CancelAsync();
        await Task.WhenAll(agents);

        acknowledged.Count.ShouldBeGreaterThan(before, "writes resume after the restart");
        using var reader = Client(server, key);
        for (var agent = 0; agent < 8; agent++)
        {
            var item = await reader.ReadAsync(MemoryPath.TryParse($"/memories/agent{agent}.md", out var path, out _) ? path : null!, Ct);
            var lines = Encoding.UTF8.GetString(item!.Content.Span).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            lines.Distinct().Count().ShouldBe(lines.Length, $"agent {agent}: a write was applied twice");
            foreach (var (_, line) in acknowledged.Where(a => a.Agent == agent))
            {
                lines.ShouldContain(line, $"{line} was acknowledged, then lost");
            }
        }

        TestContext.Current.SendDiagnosticMessage($"acknowledged {acknowledged.Count}, failed {failed}, before the crash {before}");
    }
}
