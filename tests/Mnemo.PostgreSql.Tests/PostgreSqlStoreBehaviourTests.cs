using System.Collections.Concurrent;
using System.Text;
using Mnemo.Memory;
using Mnemo.Tests;
using Npgsql;

namespace Mnemo.PostgreSql.Tests;

/// <summary>What the PostgreSQL store adds to the conformance suite: many writers, migrations, failures and a crash of the server.</summary>
public sealed class PostgreSqlStoreBehaviourTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static MemoryPath P(string path) => MemoryPath.TryParse(path, out var parsed, out _) ? parsed : throw new ArgumentException(path);

    private static PostgreSqlMemoryStore Open(string connectionString, string store, string schema = "mnemo") =>
        new(new PostgreSqlMemoryStoreOptions { ConnectionString = connectionString, Store = store, Schema = schema });

    [Fact]
    public async Task ManyStoresOnOneDatabase_InsertingAtOnce_LoseNothing()
    {
        // Eight store objects, each with its own connection pool, stand for eight processes or machines.
        var name = "many-" + Guid.NewGuid().ToString("N");
        var stores = Enumerable.Range(0, 8).Select(_ => Open(server.ConnectionString, name)).ToList();
        try
        {
            await new MemoryTool(stores[0]).ExecuteAsync(new CreateMemoryCommand("/memories/log.md", "end\n"), Ct);
            await Task.WhenAll(stores.Select((store, w) => Task.Run(async () =>
            {
                var tool = new MemoryTool(store);
                for (var i = 0; i < 40; i++)
                {
                    (await tool.ExecuteAsync(new InsertMemoryCommand("/memories/log.md", 0, $"w{w}-{i}"), Ct)).IsError.ShouldBeFalse();
                }
            }, Ct)));

            var lines = Encoding.UTF8.GetString((await stores[0].ReadAsync(P("/memories/log.md"), Ct))!.Content.Span).TrimEnd('\n').Split('\n');
            lines.Length.ShouldBe((8 * 40) + 1);
            lines.Distinct().Count().ShouldBe(lines.Length);
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Stores_WithTheSameDatabase_NeverSeeEachOther()
    {
        await using var a = Open(server.ConnectionString, "tenant-a-" + Guid.NewGuid().ToString("N"));
        await using var b = Open(server.ConnectionString, "tenant-b-" + Guid.NewGuid().ToString("N"));
        await a.CreateFileAsync(P("/memories/secret.md"), "a's"u8.ToArray(), cancellationToken: Ct);
        (await b.ReadAsync(P("/memories/secret.md"), Ct)).ShouldBeNull();
        (await b.ListAsync(MemoryPath.RootPath, 2, Ct))!.ShouldBeEmpty();
        (await b.DeleteAsync(P("/memories/secret.md"), cancellationToken: Ct)).ShouldBe(MemoryDeleteOutcome.NotFound);
        (await a.ReadAsync(P("/memories/secret.md"), Ct)).ShouldNotBeNull();
    }

    [Fact]
    public async Task ConcurrentEditsThroughOneStore_GoInGroups_AndLoseNothing_WithOneNumberEach()
    {
        // 32 writers in one process: their edits share batches, some of the same file (which must then go one after the
        // other), and every change still gets its own number, in order, with none lost or doubled.
        await using var store = Open(server.ConnectionString, "groups-" + Guid.NewGuid().ToString("N"));
        var tool = new MemoryTool(store);
        await tool.ExecuteAsync(new CreateMemoryCommand("/memories/shared.md", ""), Ct);
        for (var w = 0; w < 32; w++)
        {
            await tool.ExecuteAsync(new CreateMemoryCommand($"/memories/own/{w}.md", ""), Ct);
        }

        await Parallel.ForAsync(0, 32, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = Ct }, async (w, ct) =>
        {
            for (var i = 0; i < 10; i++)
            {
                (await tool.ExecuteAsync(new InsertMemoryCommand("/memories/shared.md", 0, $"w{w} i{i}"), ct)).IsError.ShouldBeFalse();
                (await tool.ExecuteAsync(new InsertMemoryCommand($"/memories/own/{w}.md", 0, $"i{i}"), ct)).IsError.ShouldBeFalse();
            }
        });

        var shared = Encoding.UTF8.GetString((await store.ReadAsync(P("/memories/shared.md"), Ct))!.Content.Span).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        shared.Order().ShouldBe(Enumerable.Range(0, 32).SelectMany(w => Enumerable.Range(0, 10).Select(i => $"w{w} i{i}")).Order());
        for (var w = 0; w < 32; w++)
        {
            Encoding.UTF8.GetString((await store.ReadAsync(P($"/memories/own/{w}.md"), Ct))!.Content.Span).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(10);
        }

        var history = await store.ReadHistoryAsync(Ct);
        history.Select(change => change.Sequence).ShouldBe(Enumerable.Range(1, 33 + 640).Select(n => (long)n));
        history.Count(change => change.Kind == MemoryChangeKind.Edit && change.Path == "/memories/shared.md").ShouldBe(320);
    }

    [Fact]
    public async Task FirstUse_CreatesAndVersionsTheSchema_OnceEvenWhenManyStartAtOnce()
    {
        var schema = "m" + Guid.NewGuid().ToString("N")[..12];
        var stores = Enumerable.Range(0, 6).Select(i => Open(server.ConnectionString, $"s{i}", schema)).ToList();
        await Task.WhenAll(stores.Select(store => store.ReadAsync(P("/memories/a.md"), Ct).AsTask()));
        foreach (var store in stores)
        {
            await store.DisposeAsync();
        }

        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var versions = new NpgsqlCommand($"select array_agg(version order by version) from {schema}.migrations", connection);
        ((int[])(await versions.ExecuteScalarAsync(Ct))!).ShouldBe([1, 2, 3, 4]);

        // A database migrated by a newer Mnemo is refused in one line rather than written with the wrong layout.
        await using (var newer = new NpgsqlCommand($"insert into {schema}.migrations (version) values (99)", connection))
        {
            await newer.ExecuteNonQueryAsync(Ct);
        }

        await using var old = Open(server.ConnectionString, "s0", schema);
        var error = await Should.ThrowAsync<InvalidOperationException>(async () => await old.ReadAsync(P("/memories/a.md"), Ct));
        error.Message.ShouldBe($"The database's Mnemo schema is at version 99, newer than this Mnemo knows (4); upgrade Mnemo.");
    }

    [Fact]
    public async Task DroppedConnections_AreRetried_AndUnreachableServersGiveAOneLineError()
    {
        var name = "drop-" + Guid.NewGuid().ToString("N");
        var connectionString = new NpgsqlConnectionStringBuilder(server.ConnectionString) { ApplicationName = name }.ConnectionString;
        await using var store = Open(connectionString, name);
        await store.CreateFileAsync(P("/memories/a.md"), "a"u8.ToArray(), cancellationToken: Ct);

        // The server ends every connection the store's pool holds, as a restart or a network cut would.
        await using (var admin = new NpgsqlConnection(server.ConnectionString))
        {
            await admin.OpenAsync(Ct);
            await using var kill = new NpgsqlCommand("select count(pg_terminate_backend(pid)) from pg_stat_activity where application_name = $1", admin)
            {
                Parameters = { new() { Value = name } },
            };
            ((long)(await kill.ExecuteScalarAsync(Ct))!).ShouldBeGreaterThan(0);
        }

        (await store.ReadAsync(P("/memories/a.md"), Ct))!.Content.ToArray().ShouldBe("a"u8.ToArray());
        (await store.CreateFileAsync(P("/memories/b.md"), "b"u8.ToArray(), cancellationToken: Ct)).ShouldBeTrue();

        await using var nowhere = new PostgreSqlMemoryStore(new PostgreSqlMemoryStoreOptions
        {
            ConnectionString = "Host=127.0.0.1;Port=1;Username=mnemo;Timeout=2",
            MaxRetries = 1,
        });
        var failure = await Should.ThrowAsync<MemoryException>(async () => await nowhere.ReadAsync(P("/memories/a.md"), Ct));
        failure.Message.ShouldBe("the database could not be reached to set up its tables");
        var result = await new MemoryTool(nowhere).ExecuteAsync(new ViewMemoryCommand("/memories"), Ct);
        result.IsError.ShouldBeTrue();
        result.Content.ShouldNotContain("127.0.0.1");
    }

    [Fact]
    public async Task ServerCrashMidLoad_LosesNoAcknowledgedWrite()
    {
        // A server of its own: this test crashes it, and the other tests share theirs.
        await using var own = new PostgresServer();
        await own.InitializeAsync();
        await using var store = Open(own.ConnectionString, "crash");
        var acknowledged = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var path = $"/memories/w{w}/{i}.md";
                try
                {
                    if (await store.CreateFileAsync(P(path), Encoding.UTF8.GetBytes(path), cancellationToken: CancellationToken.None))
                    {
                        acknowledged.Add(path);
                    }
                }
                catch (MemoryStoreException)
                {
                    // Down for the moment: this write was not acknowledged, and the writer tries the next.
                }
            }
        }, Ct)).ToList();

        await Eventually.WaitUntilAsync(() => acknowledged.Count >= 40, "40 acknowledged writes before the crash", Ct);
        var before = acknowledged.Count;
        await own.CrashAndRestartAsync(TimeSpan.FromMilliseconds(300));
        var restarted = acknowledged.Count;
        await Eventually.WaitUntilAsync(() => acknowledged.Count >= restarted + 40, "40 acknowledged writes after the restart", Ct);
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        acknowledged.Count.ShouldBeGreaterThan(before, "writes must resume after the restart");
        foreach (var path in acknowledged)
        {
            (await store.ReadAsync(P(path), Ct))!.Content.ToArray().ShouldBe(Encoding.UTF8.GetBytes(path), $"{path} was acknowledged, then lost");
        }
    }
}
