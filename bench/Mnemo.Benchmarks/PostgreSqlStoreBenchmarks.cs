using System.Text;
using BenchmarkDotNet.Attributes;
using Mnemo.Memory;
using Mnemo.PostgreSql;
using Npgsql;
using NpgsqlTypes;

namespace Mnemo.Benchmarks;

/// <summary>
/// The PostgreSQL store's read and compare-and-swap edit, one caller at a time, against the bare Npgsql statements beneath
/// them on a table of the same shape. Needs <c>MNEMO_BENCH_POSTGRES</c>, a connection string: bench/postgres-bench.sh
/// starts a throwaway server and sets it.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 15)]
public class PostgreSqlStoreBenchmarks
{
    private NpgsqlDataSource _bare = null!;
    private PostgreSqlMemoryStore _store = null!;
    private MemoryPath _path = null!;
    private byte[] _a = null!;
    private byte[] _b = null!;
    private bool _flip;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var connection = Environment.GetEnvironmentVariable("MNEMO_BENCH_POSTGRES")
            ?? throw new InvalidOperationException("Set MNEMO_BENCH_POSTGRES to a connection string (bench/postgres-bench.sh does).");
        var body = string.Concat(Enumerable.Repeat("- the service retries 3 times before giving up\n", 40));
        (_a, _b) = (Encoding.UTF8.GetBytes("token-A\n" + body), Encoding.UTF8.GetBytes("token-B\n" + body));
        _bare = NpgsqlDataSource.Create(connection + ";Max Auto Prepare=32");
        await using (var drop = _bare.CreateCommand("drop table if exists bare"))
        {
            await drop.ExecuteNonQueryAsync();
        }

        await using (var table = _bare.CreateCommand("create table bare (store text, path text collate \"C\", content bytea, version bigint, primary key (store, path))"))
        {
            await table.ExecuteNonQueryAsync();
        }

        await using (var create = _bare.CreateCommand("insert into bare values ('b', 'note.md', $1, 1)"))
        {
            create.Parameters.Add(new NpgsqlParameter { Value = _a, NpgsqlDbType = NpgsqlDbType.Bytea });
            await create.ExecuteNonQueryAsync();
        }

        _store = new PostgreSqlMemoryStore(new PostgreSqlMemoryStoreOptions { ConnectionString = connection, Store = "bench-" + Guid.NewGuid().ToString("N") });
        _path = MemoryPath.FromSegments(["note.md"]);
        await _store.CreateFileAsync(_path, _a);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _store.DisposeAsync();
        await _bare.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "bare: select by key")]
    public async Task<byte[]> BareSelect()
    {
        await using var command = _bare.CreateCommand("select content, version from bare where store = 'b' and path = 'note.md'");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return reader.GetFieldValue<byte[]>(0);
    }

    [Benchmark(Description = "store: ReadAsync")]
    public async Task<MemoryItem?> StoreRead() => await _store.ReadAsync(_path);

    [Benchmark(Description = "bare: select, then update if the version holds")]
    public async Task<int> BareReadThenUpdate()
    {
        long version;
        await using (var read = _bare.CreateCommand("select version from bare where store = 'b' and path = 'note.md'"))
        {
            version = (long)(await read.ExecuteScalarAsync())!;
        }

        _flip = !_flip;
        await using var update = _bare.CreateCommand("update bare set content = $1, version = version + 1 where store = 'b' and path = 'note.md' and version = $2");
        update.Parameters.Add(new NpgsqlParameter { Value = _flip ? _b : _a, NpgsqlDbType = NpgsqlDbType.Bytea });
        update.Parameters.Add(new NpgsqlParameter { Value = version });
        return await update.ExecuteNonQueryAsync();
    }

    [Benchmark(Description = "store: ReadAsync, then ReplaceFileAsync (history recorded)")]
    public async Task<bool> StoreReadThenReplace()
    {
        var item = (await _store.ReadAsync(_path))!;
        _flip = !_flip;
        return await _store.ReplaceFileAsync(_path, _flip ? _b : _a, item);
    }
}
