using Mnemo.Memory;
using Npgsql;
using NpgsqlTypes;
using static Mnemo.PostgreSql.PostgreSqlRows;

namespace Mnemo.PostgreSql;

/// <summary>The store's hot paths, grouped: concurrent reads go as one statement, and concurrent edits as one-statement
/// replaces behind one take of the store's lock, in one round trip and one commit.</summary>
/// <remarks>Each member that the group cannot settle answers "not done", and its caller takes the long way (its own
/// transaction, with retries). Thread-safe.</remarks>
internal sealed class PostgreSqlBatches
{
    private const int MaxGroupWrites = 64;
    private const int MaxGroupReads = 256;
    private const long MaxGroupBytes = 8L * 1024 * 1024;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _store;
    private readonly long _lockKey;
    private readonly MemoryQuotas _quotas;
    private readonly string _entries;
    private readonly string _versions;
    private readonly string _changes;
    private readonly string _requests;
    private readonly GroupCommit<(NpgsqlBatchCommand Command, bool Keyed), bool> _replaceGroups;
    private readonly GroupCommit<string, (bool Done, MemoryItem? Item)> _readGroups;

    /// <summary>Initializes a new instance of the <see cref="PostgreSqlBatches"/> class.</summary>
    /// <param name="dataSource">Where connections come from.</param>
    /// <param name="options">The store's options: its name, schema and quotas.</param>
    /// <param name="lockKey">The store's advisory lock.</param>
    public PostgreSqlBatches(NpgsqlDataSource dataSource, PostgreSqlMemoryStoreOptions options, long lockKey)
    {
        _dataSource = dataSource;
        _store = options.Store;
        _lockKey = lockKey;
        _quotas = options.Quotas;
        _entries = $"{options.Schema}.entries";
        _versions = $"{options.Schema}.versions";
        _changes = $"{options.Schema}.changes";
        _requests = $"{options.Schema}.requests";
        _replaceGroups = new(RunReplacesAsync, MaxGroupWrites, MaxGroupBytes);
        _readGroups = new(RunReadsAsync, MaxGroupReads, MaxGroupBytes);
    }

    /// <summary>Reads a path with the other readers of the moment, in one statement.</summary>
    /// <param name="key">The path's key.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>Whether the group read it, and what it found.</returns>
    public Task<(bool Done, MemoryItem? Item)> ReadAsync(string key, CancellationToken cancellationToken) =>
        _readGroups.RunAsync(key, 1, cancellationToken);

    /// <summary>Reads every path a group of concurrent readers asks for in one statement and one round trip.</summary>
    /// <remarks>A read that starts after a write was acknowledged sees it: its group's statement starts later still.</remarks>
    private async Task RunReadsAsync(List<Grouped<string, (bool Done, MemoryItem? Item)>> group)
    {
        var found = new Dictionary<string, MemoryItem>(StringComparer.Ordinal);
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
            var keys = group.Select(read => read.Item).Distinct(StringComparer.Ordinal).ToArray();
            await using var command = Command(connection, _store, $"select kind, content, version, path from {_entries} where store = $1 and path = any($2)", (object)keys);
            await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                found[reader.GetString(3)] = ItemOf(reader, 0);
            }
        }
        catch (Exception exception) when (exception is NpgsqlException or ObjectDisposedException)
        {
            group.ForEach(read => read.Done.TrySetResult((false, null)));
            return;
        }

        group.ForEach(read => read.Done.TrySetResult((true, found.GetValueOrDefault(read.Item))));
    }

    /// <summary>Replaces a file in one statement, batched with the other writers' when nothing stands in the way; <see langword="false"/> when it did nothing.</summary>
    /// <remarks>
    /// <para>The hot path of an agent's edits. One statement updates the row if its version is current (and the store's
    /// total stays within its quota, and the write's key is new), records the change with the next sequence number and
    /// keeps the key. It joins the statements of other writers waiting at the same moment, behind one take of the store's
    /// lock, in one round trip and one commit (see <see cref="RunReplacesAsync"/>).</para>
    /// <para>Anything else (the version moved on, the quota, a key already applied, a dropped connection when the write has
    /// a key) returns <see langword="false"/>, and the caller's ordinary transaction settles what happened.</para>
    /// </remarks>
    /// <param name="key">The file's key.</param>
    /// <param name="bytes">The new content.</param>
    /// <param name="version">The row version the caller read.</param>
    /// <param name="added">How many bytes the write adds to the store.</param>
    /// <param name="requestId">The write's idempotency key, if it has one.</param>
    /// <param name="recordTail">The history record after its number, or <see langword="null"/> when the store keeps no history.</param>
    /// <param name="now">The write's time.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    public Task<bool> TryReplaceAsync(
        string key, byte[] bytes, long version, long added, string? requestId, string? recordTail, DateTimeOffset now, CancellationToken cancellationToken)
    {
        const string SequenceOpening = "'{\"seq\":'";
        var totals = added > 0 && _quotas.LimitsTotals;
        var sql = $"""
            with u as (
                update {_entries} set content = $3, size = $4, version = nextval('{_versions}'), written = $6
                where store = $1 and path = $2 and kind = {FileKind} and version = $5
                {(totals ? $"and (select coalesce(sum(size), 0) from {_entries} where store = $1 and kind = {FileKind}) + $7 <= $8" : "")}
                {(requestId is null ? "" : $"and not exists (select 1 from {_requests} where store = $1 and id = $9)")}
                returning 1),
            c as (
                insert into {_changes} (store, seq, record)
                select $1, n, {SequenceOpening} || n || $10 from (select coalesce(max(seq), 0) + 1 as n from {_changes} where store = $1) next
                where $10 is not null and exists (select 1 from u)),
            r as (
                insert into {_requests} (store, id, time) select $1, $9, $6 where $9 is not null and exists (select 1 from u))
            select count(*) from u
            """;
        var update = new NpgsqlBatchCommand(sql);
        update.Parameters.Add(new NpgsqlParameter { Value = _store, NpgsqlDbType = NpgsqlDbType.Text });
        update.Parameters.Add(new NpgsqlParameter { Value = key, NpgsqlDbType = NpgsqlDbType.Text });
        update.Parameters.Add(new NpgsqlParameter { Value = bytes, NpgsqlDbType = NpgsqlDbType.Bytea });
        update.Parameters.Add(new NpgsqlParameter { Value = (long)bytes.Length, NpgsqlDbType = NpgsqlDbType.Bigint });
        update.Parameters.Add(new NpgsqlParameter { Value = version, NpgsqlDbType = NpgsqlDbType.Bigint });
        update.Parameters.Add(new NpgsqlParameter { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        update.Parameters.Add(new NpgsqlParameter { Value = added, NpgsqlDbType = NpgsqlDbType.Bigint });
        update.Parameters.Add(new NpgsqlParameter { Value = _quotas.MaxTotalBytes, NpgsqlDbType = NpgsqlDbType.Bigint });
        update.Parameters.Add(new NpgsqlParameter { Value = (object?)requestId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        update.Parameters.Add(new NpgsqlParameter { Value = (object?)recordTail ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        return _replaceGroups.RunAsync((update, requestId is not null), bytes.Length, cancellationToken);
    }

    /// <summary>Runs a group of one-statement replaces behind one take of the store's lock, in one round trip and one commit.</summary>
    /// <remarks>
    /// Each statement sees the ones before it in its group, so two edits of one file in one group behave as one after the
    /// other (the second finds the version moved on and takes the long way). If any statement fails, PostgreSQL rolls the
    /// whole group back and every write in it takes the long way on its own.
    /// </remarks>
    private async Task RunReplacesAsync(List<Grouped<(NpgsqlBatchCommand Command, bool Keyed), bool>> group)
    {
        NpgsqlConnection connection;
        try
        {
            connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is NpgsqlException or ObjectDisposedException)
        {
            group.ForEach(write => write.Done.TrySetResult(false)); // nothing was sent; each takes the long way, with its retries
            return;
        }

        await using (connection.ConfigureAwait(false))
        {
            await using var batch = new NpgsqlBatch(connection);
            var lockCommand = new NpgsqlBatchCommand("select pg_advisory_xact_lock($1)");
            lockCommand.Parameters.Add(new NpgsqlParameter { Value = _lockKey });
            batch.BatchCommands.Add(lockCommand);
            group.ForEach(write => batch.BatchCommands.Add(write.Item.Command));
            var results = new bool[group.Count];
            try
            {
                // Every statement and the commit in one round trip: without an explicit transaction, a batch is one implicit
                // transaction, committed (and flushed, with synchronous commit) before the answer comes back.
                await using (var reader = await batch.ExecuteReaderAsync().ConfigureAwait(false))
                {
                    for (var i = 0; i < group.Count; i++)
                    {
                        await reader.NextResultAsync().ConfigureAwait(false);
                        await reader.ReadAsync().ConfigureAwait(false);
                        results[i] = reader.GetInt64(0) == 1;
                    }
                }

                for (var i = 0; i < group.Count; i++)
                {
                    group[i].Done.TrySetResult(results[i]);
                }
            }
            catch (PostgresException)
            {
                // The server refused a statement and rolled all of them back; each write tries again the long way.
                group.ForEach(write => write.Done.TrySetResult(false));
            }
            catch (NpgsqlException exception)
            {
                // Lost on the way: the batch may have been committed. A keyed write finds out the long way, by its key;
                // without a key nothing can tell, so its caller hears of it.
                foreach (var write in group)
                {
                    if (write.Item.Keyed)
                    {
                        write.Done.TrySetResult(false);
                    }
                    else
                    {
                        write.Done.TrySetException(PostgreSqlTransactions.Failure("replace a file", exception));
                    }
                }
            }
            catch (Exception exception)
            {
                group.ForEach(write => write.Done.TrySetException(exception));
            }
        }
    }
}
