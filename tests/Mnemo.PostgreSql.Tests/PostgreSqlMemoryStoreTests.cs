using Mnemo.Memory;
using Mnemo.Tests.Memory;

namespace Mnemo.PostgreSql.Tests;

/// <summary>The store conformance suite, run against a real PostgreSQL server; each test has a store of its own.</summary>
public sealed class PostgreSqlMemoryStoreTests(PostgresServer server) : MemoryStoreConformanceTests
{
    private readonly string _store = "test-" + Guid.NewGuid().ToString("N");

    protected override IMemoryStore CreateStore() => Open();

    protected override IMemoryStore CreateSecondStore() => Open();

    private PostgreSqlMemoryStore Open() => new(new PostgreSqlMemoryStoreOptions { ConnectionString = server.ConnectionString, Store = _store });
}
