using Mnemo.Memory;
using Mnemo.Tests.Memory;

namespace Mnemo.PostgreSql.Tests;

/// <summary>The versioned-store conformance suite on PostgreSQL: history, quotas, expiry and export as on the folder store.</summary>
public sealed class PostgreSqlVersionedStoreTests(PostgresServer server) : VersionedMemoryStoreConformanceTests
{
    private readonly string _prefix = Guid.NewGuid().ToString("N");

    protected override IVersionedMemoryStore CreateStore(string name, TimeProvider clock, MemoryQuotas quotas, TimeSpan? expireAfter) =>
        new PostgreSqlMemoryStore(new PostgreSqlMemoryStoreOptions
        {
            ConnectionString = server.ConnectionString,
            Store = $"{_prefix}-{name}",
            TimeProvider = clock,
            Quotas = quotas,
            ExpireAfter = expireAfter,
        });
}
