using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mnemo.Memory;
using Npgsql;

namespace Mnemo.PostgreSql.Tests;

/// <summary><c>AddMnemoMemory().WithPostgreSqlStore()</c> on a real PostgreSQL server: on the application's own data
/// source (left open when the container closes), or on the configured connection string.</summary>
public sealed class PostgreSqlHostingTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OnTheApplicationsDataSource_TheMemoryWrites_AndTheDataSourceOutlivesTheContainer()
    {
        var store = "di-" + Guid.NewGuid().ToString("N");
        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString);
        var services = new ServiceCollection();
        services.AddSingleton(dataSource);
        services.AddMnemoMemory(o => o.StoreName = store).WithPostgreSqlStore();
        await using (var provider = services.BuildServiceProvider())
        {
            await provider.GetRequiredService<IAsyncStartupValidator>().ValidateAsync(Ct);
            var result = await provider.GetRequiredService<IMemoryTool>().ExecuteAsync("""{"command":"create","path":"/memories/a.md","file_text":"on postgres\n"}""", Ct);
            result.IsError.ShouldBeFalse(result.Content);
        }

        await using var direct = new PostgreSqlMemoryStore(new PostgreSqlMemoryStoreOptions { ConnectionString = server.ConnectionString, Store = store });
        (await direct.ReadAsync(MemoryPath.TryParse("/memories/a.md", out var path, out _) ? path : null!, Ct))!.Content.Length.ShouldBe(12);
        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        connection.State.ShouldBe(System.Data.ConnectionState.Open, "the store closed only what it opened");

        // The caller's options are read, not changed.
        var given = new PostgreSqlMemoryStoreOptions { Store = store };
        await using (new PostgreSqlMemoryStore(dataSource, given))
        {
        }

        given.ConnectionString.ShouldBeEmpty();
    }

    [Fact]
    public async Task FromConfiguration_TheConnectionStringIsRead_AndWithoutOneTheKeyIsNamed()
    {
        var store = "di-" + Guid.NewGuid().ToString("N");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mnemo:Store"] = "postgresql",
            ["Mnemo:ConnectionString"] = server.ConnectionString,
            ["Mnemo:StoreName"] = store,
            ["Mnemo:Stores:bare:Store"] = "postgresql",
        }).Build();
        var services = new ServiceCollection();
        services.AddMnemoMemory(configuration).WithPostgreSqlStore();
        services.AddKeyedMnemoMemory("bare", configuration).WithPostgreSqlStore();
        await using var provider = services.BuildServiceProvider();

        await provider.GetRequiredService<IAsyncStartupValidator>().ValidateAsync(Ct);
        (await provider.GetRequiredService<IMemoryTool>().ExecuteAsync("""{"command":"create","path":"/memories/b.md","file_text":"x\n"}""", Ct)).IsError.ShouldBeFalse();
        Should.Throw<InvalidOperationException>(() => provider.GetRequiredKeyedService<IMemoryStore>("bare")).Message
            .ShouldBe("Mnemo:Stores:bare:ConnectionString is required for a postgresql store, unless the application registers an NpgsqlDataSource.");
    }

    [Fact]
    public async Task PerScope_EachScopeIsAStoreOfItsOwnInTheDatabase_NamedAfterIt()
    {
        var user = "u" + Guid.NewGuid().ToString("N")[..12];
        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString);
        var services = new ServiceCollection();
        services.AddMnemoMemory().WithPostgreSqlStore(dataSource).WithScopes();
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<IAsyncStartupValidator>().ValidateAsync(Ct);
        var scopes = provider.GetRequiredService<Mnemo.Hosting.IMemoryScopes>();
        var billing = MemoryScope.Create(user, "billing");
        var search = MemoryScope.Create(user, "search");

        (await scopes.Tool(billing).ExecuteAsync("""{"command":"create","path":"/memories/a.md","file_text":"billing\n"}""", Ct)).IsError.ShouldBeFalse();
        (await scopes.Tool(search).ExecuteAsync("""{"command":"view","path":"/memories/a.md"}""", Ct)).IsError.ShouldBeTrue("another scope is another store");

        (await PostgreSqlMemoryStore.ListStoresAsync(server.ConnectionString, cancellationToken: Ct)).ShouldContain(billing.Name);
        await using var direct = new PostgreSqlMemoryStore(new PostgreSqlMemoryStoreOptions { ConnectionString = server.ConnectionString, Store = billing.Name });
        (await direct.ReadAsync(MemoryPath.TryParse("/memories/a.md", out var path, out _) ? path : null!, Ct))!.Content.Length.ShouldBe(8);
    }
}
