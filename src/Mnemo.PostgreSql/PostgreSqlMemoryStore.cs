using System.Globalization;
using Mnemo.Memory;
using Npgsql;
using NpgsqlTypes;

namespace Mnemo.PostgreSql;

/// <summary>Represents a memory store in a PostgreSQL database, shared by every process and machine that opens the same store.</summary>
/// <remarks>
/// <para><b>Layout.</b> One row per file and per folder of each store, keyed by the store's name and the path below
/// <c>/memories</c> (byte-ordered, so a folder's descendants are one index range). Every file row carries a version from
/// one database sequence; a compare-and-swap write updates the row only if its version is still the one read.</para>
/// <para><b>Concurrency.</b> Each write is one transaction that first takes a transaction-scoped advisory lock on its
/// store, so writers to one store go one at a time across all processes and machines, as on the folder store; reads take
/// no lock. Nothing a transaction does is seen until it commits, and a crash before the commit leaves nothing behind.</para>
/// <para><b>Failures.</b> A transient failure before the commit (a dropped connection, a deadlock) is retried up to
/// <see cref="PostgreSqlMemoryStoreOptions.MaxRetries"/> times. A failure during the commit is not: the write may have
/// been applied, unless the write carries a <see cref="MemoryWriteContext.RequestId"/>: the keys of applied writes are kept
/// (for a day) in the same transaction as the write, so a write sent again is answered without being applied twice. Errors
/// name the SQLSTATE, never a host or a connection string.</para>
/// <para><b>Schema.</b> The store creates its schema and tables on first use and applies any newer migrations, one
/// process at a time (under an advisory lock), recording each in <c>migrations</c>.</para>
/// <para>The store is thread-safe; dispose it to close its connections.</para>
/// </remarks>
public sealed partial class PostgreSqlMemoryStore : IVersionedMemoryStore, IAsyncDisposable, IDisposable
{
    private const int FileKind = 0;
    private const int DirectoryKind = 1;
    private const int RequestPruneEvery = 1000;
    private const int MaxGroupWrites = 64;
    private const int MaxGroupReads = 256;
    private const long MaxGroupBytes = 8L * 1024 * 1024;
    private static readonly TimeSpan RequestRetention = TimeSpan.FromDays(1);

    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgreSqlMemoryStoreOptions _options;
    private readonly string _entries;
    private readonly string _versions;
    private readonly string _changes;
    private readonly string _reads;
    private readonly string _requests;
    private readonly long _lockKey;
    private readonly SemaphoreSlim _migrateGate = new(1, 1);
    private readonly GroupCommit<(NpgsqlBatchCommand Command, bool Keyed), bool> _replaceGroups;
    private readonly GroupCommit<string, (bool Done, MemoryItem? Item)> _readGroups;
    private volatile bool _migrated;

    /// <summary>Initializes a new instance of the <see cref="PostgreSqlMemoryStore"/> class.</summary>
    /// <param name="options">The options; <see cref="PostgreSqlMemoryStoreOptions.ConnectionString"/> is required.</param>
    public PostgreSqlMemoryStore(PostgreSqlMemoryStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validated();
        // The store sends the same few statements over and over: prepared once per connection, PostgreSQL skips parsing
        // and planning them each time. A connection string that sets Max Auto Prepare itself keeps its own choice.
        var connection = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        if (!options.ConnectionString!.Replace(" ", string.Empty, StringComparison.Ordinal).Contains("AutoPrepare", StringComparison.OrdinalIgnoreCase))
        {
            connection.MaxAutoPrepare = 32;
        }

        _dataSource = NpgsqlDataSource.Create(connection.ConnectionString);
        _entries = $"{options.Schema}.entries";
        _versions = $"{options.Schema}.versions";
        _time = options.TimeProvider;
        _changes = $"{options.Schema}.changes";
        _reads = $"{options.Schema}.reads";
        _requests = $"{options.Schema}.requests";
        _lockKey = StableHash(options.Schema + "\0" + options.Store);
        _replaceGroups = new(RunReplacesAsync, MaxGroupWrites, MaxGroupBytes);
        _readGroups = new(RunReadsAsync, MaxGroupReads, MaxGroupBytes);
    }

    /// <summary>Gets the store's name.</summary>
    public string Name => _options.Store;

    /// <inheritdoc/>
    public async ValueTask<MemoryItem?> ReadAsync(MemoryPath path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.IsRoot)
        {
            return MemoryItem.Directory;
        }

        // Concurrent reads go as one statement (see RunReadsAsync); should that fail, this read runs alone, with retries.
        await MigrateAsync(cancellationToken).ConfigureAwait(false);
        var (done, item) = await _readGroups.RunAsync(Key(path), 1, cancellationToken).ConfigureAwait(false);
        if (!done)
        {
            item = await RunAsync("read", async (connection, _) =>
            {
                await using var command = Command(connection, $"select kind, content, version from {_entries} where store = $1 and path = $2", Key(path));
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ItemOf(reader, 0) : null;
            }, write: false, cancellationToken).ConfigureAwait(false);
        }

        if (item is { Kind: MemoryEntryKind.File })
        {
            await NoteReadAsync(path, cancellationToken).ConfigureAwait(false);
        }

        return item;
    }

    /// <summary>Reads every path a group of concurrent readers asks for in one statement and one round trip.</summary>
    /// <remarks>A read that starts after a write was acknowledged sees it: its group's statement starts later still.</remarks>
    private async Task RunReadsAsync(List<Grouped<string, (bool Done, MemoryItem? Item)>> group)
    {
        var found = new Dictionary<string, MemoryItem>(StringComparer.Ordinal);
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
            var keys = group.Select(read => read.Item).Distinct(StringComparer.Ordinal).ToArray();
            await using var command = Command(connection, $"select kind, content, version, path from {_entries} where store = $1 and path = any($2)", (object)keys);
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

    private static MemoryItem ItemOf(NpgsqlDataReader reader, int first) => reader.GetInt16(first) == DirectoryKind
        ? MemoryItem.Directory
        : MemoryItem.File(reader.GetFieldValue<byte[]>(first + 1), Version(reader.GetInt64(first + 2)));

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<MemoryEntry>?> ListAsync(MemoryPath directory, int depth, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        var key = Key(directory);
        return await RunAsync<IReadOnlyList<MemoryEntry>?>("list", async (connection, _) =>
        {
            if (!directory.IsRoot && await KindAsync(connection, key, cancellationToken).ConfigureAwait(false) != DirectoryKind)
            {
                return null;
            }

            var rows = new List<(string[] Segments, short Kind, long Size)>();
            await using (var command = Command(connection, $"select path, kind, size from {_entries} where store = $1 and {Descendants("$2")}", key))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var relative = directory.IsRoot ? reader.GetString(0) : reader.GetString(0)[(key.Length + 1)..];
                    var segments = relative.Split('/');
                    if (segments.Length <= depth)
                    {
                        rows.Add((segments, reader.GetInt16(1), reader.GetInt64(2)));
                    }
                }
            }

            return Tree(rows, [], depth);
        }, write: false, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<bool> CreateFileAsync(
        MemoryPath path, ReadOnlyMemory<byte> content, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.IsRoot)
        {
            return false;
        }

        _options.Quotas.CheckPath(path);
        _options.Quotas.CheckFile(path, content.Span, default);
        var bytes = content.ToArray();
        return await RunAsync("create a file", async (connection, _) =>
        {
            if (await KindAsync(connection, Key(path), cancellationToken).ConfigureAwait(false) is not null)
            {
                return false;
            }

            await CheckTotalsAsync(connection, path, 1, bytes.Length, cancellationToken).ConfigureAwait(false);
            if (!await EnsureParentsAsync(connection, path, cancellationToken).ConfigureAwait(false))
            {
                throw new MemoryParentNotDirectoryException(path);
            }

            await using var command = Command(connection,
                $"insert into {_entries} (store, path, kind, content, size, version, written) values ($1, $2, {FileKind}, $3, $4, nextval('{_versions}'), $5)",
                Key(path), bytes, (long)bytes.Length, _time.GetUtcNow());
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await RecordAsync(connection, MemoryChangeKind.Create, path, null, Versions(path, bytes), context, cancellationToken).ConfigureAwait(false);
            return true;
        }, write: true, cancellationToken, Idempotent(context, true, created => created)).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<bool> ReplaceFileAsync(
        MemoryPath path,
        ReadOnlyMemory<byte> content,
        MemoryItem expected,
        MemoryWriteContext? context = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(expected);
        if (expected.Kind != MemoryEntryKind.File)
        {
            return false;
        }

        // A version that is no row version matches nothing, but still goes through the idempotency check below.
        long? version = long.TryParse(expected.Version.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;

        _options.Quotas.CheckFile(path, content.Span, expected.Content.Span);
        var bytes = content.ToArray();
        var added = bytes.Length - expected.Content.Length;
        if (version is { } current && await TryReplaceInOneTripAsync(path, bytes, current, added, context, cancellationToken).ConfigureAwait(false))
        {
            return true;
        }

        // The one-trip write did nothing: find out why (a lost compare-and-swap, a quota, a write already applied) the long way.
        return await RunAsync("replace a file", async (connection, _) =>
        {
            if (version is null)
            {
                return false;
            }

            if (added > 0)
            {
                await CheckTotalsAsync(connection, path, 0, added, cancellationToken).ConfigureAwait(false);
            }

            await using var command = Command(connection,
                $"update {_entries} set content = $3, size = $4, version = nextval('{_versions}'), written = $6 where store = $1 and path = $2 and kind = {FileKind} and version = $5",
                Key(path), bytes, (long)bytes.Length, version, _time.GetUtcNow());
            if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
            {
                return false;
            }

            await RecordAsync(connection, MemoryChangeKind.Edit, path, null, Versions(path, bytes), context, cancellationToken).ConfigureAwait(false);
            return true;
        }, write: true, cancellationToken, Idempotent(context, true, replaced => replaced)).ConfigureAwait(false);
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
    private async Task<bool> TryReplaceInOneTripAsync(
        MemoryPath path, byte[] bytes, long version, long added, MemoryWriteContext? context, CancellationToken cancellationToken)
    {
        await MigrateAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        string? recordTail = null;
        if (_options.History)
        {
            var record = Serialize(new MemoryChange(0, now, MemoryChangeKind.Edit, path.Normalized, Versions(path, bytes))
            {
                Actor = context?.Actor,
                Reason = context?.Reason,
                RequestId = context?.RequestId,
            });
            const string Head = "{\"seq\":0";
            recordTail = record.StartsWith(Head, StringComparison.Ordinal) ? record[Head.Length..] : throw new InvalidOperationException("A change record must start with its number.");
        }

        const string SequenceOpening = "'{\"seq\":'";
        var totals = added > 0 && _options.Quotas.LimitsTotals;
        var sql = $"""
            with u as (
                update {_entries} set content = $3, size = $4, version = nextval('{_versions}'), written = $6
                where store = $1 and path = $2 and kind = {FileKind} and version = $5
                {(totals ? $"and (select coalesce(sum(size), 0) from {_entries} where store = $1 and kind = {FileKind}) + $7 <= $8" : "")}
                {(context?.RequestId is null ? "" : $"and not exists (select 1 from {_requests} where store = $1 and id = $9)")}
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
        update.Parameters.Add(new NpgsqlParameter { Value = _options.Store, NpgsqlDbType = NpgsqlDbType.Text });
        update.Parameters.Add(new NpgsqlParameter { Value = Key(path), NpgsqlDbType = NpgsqlDbType.Text });
        update.Parameters.Add(new NpgsqlParameter { Value = bytes, NpgsqlDbType = NpgsqlDbType.Bytea });
        update.Parameters.Add(new NpgsqlParameter { Value = (long)bytes.Length, NpgsqlDbType = NpgsqlDbType.Bigint });
        update.Parameters.Add(new NpgsqlParameter { Value = version, NpgsqlDbType = NpgsqlDbType.Bigint });
        update.Parameters.Add(new NpgsqlParameter { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        update.Parameters.Add(new NpgsqlParameter { Value = added, NpgsqlDbType = NpgsqlDbType.Bigint });
        update.Parameters.Add(new NpgsqlParameter { Value = _options.Quotas.MaxTotalBytes, NpgsqlDbType = NpgsqlDbType.Bigint });
        update.Parameters.Add(new NpgsqlParameter { Value = (object?)context?.RequestId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        update.Parameters.Add(new NpgsqlParameter { Value = (object?)recordTail ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        return await _replaceGroups.RunAsync((update, context?.RequestId is not null), bytes.Length, cancellationToken).ConfigureAwait(false);
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
                        write.Done.TrySetException(Failure("replace a file", exception));
                    }
                }
            }
            catch (Exception exception)
            {
                group.ForEach(write => write.Done.TrySetException(exception));
            }
        }
    }

    /// <inheritdoc/>
    public async ValueTask<MemoryDeleteOutcome> DeleteAsync(MemoryPath path, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.IsRoot)
        {
            return MemoryDeleteOutcome.Root;
        }

        return await RunAsync("delete", (connection, _) => DeleteLockedAsync(connection, path, context, cancellationToken), write: true, cancellationToken,
            Idempotent(context, MemoryDeleteOutcome.Deleted, outcome => outcome == MemoryDeleteOutcome.Deleted)).ConfigureAwait(false);
    }

    private async Task<MemoryDeleteOutcome> DeleteLockedAsync(NpgsqlConnection connection, MemoryPath path, MemoryWriteContext? context, CancellationToken cancellationToken)
    {
        var key = Key(path);
        var files = await FilesUnderAsync(connection, path, path, cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, $"delete from {_entries} where store = $1 and (path = $2 or {Descendants("$2")})", key);
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
        {
            return MemoryDeleteOutcome.NotFound;
        }

        await RecordAsync(connection, MemoryChangeKind.Delete, path, null, files, context, cancellationToken).ConfigureAwait(false);
        return MemoryDeleteOutcome.Deleted;
    }

    /// <inheritdoc/>
    public async ValueTask<MemoryRenameOutcome> RenameAsync(
        MemoryPath source, MemoryPath destination, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        if (source.IsRoot || destination.IsRoot)
        {
            return MemoryRenameOutcome.Root;
        }

        if (!destination.IsRoot)
        {
            _options.Quotas.CheckPath(destination);
        }

        var (from, to) = (Key(source), Key(destination));
        return await RunAsync("rename", async (connection, _) =>
        {
            if (await KindAsync(connection, to, cancellationToken).ConfigureAwait(false) is not null)
            {
                return MemoryRenameOutcome.DestinationExists;
            }

            var kind = await KindAsync(connection, from, cancellationToken).ConfigureAwait(false);
            if (kind is null)
            {
                return MemoryRenameOutcome.SourceNotFound;
            }

            if (kind == DirectoryKind && source.IsSameOrAncestorOf(destination))
            {
                return MemoryRenameOutcome.DestinationInsideSource;
            }

            var files = await FilesUnderAsync(connection, source, destination, cancellationToken).ConfigureAwait(false);
            foreach (var file in files)
            {
                _options.Quotas.CheckPath(P(file.Path));
            }

            if (!await EnsureParentsAsync(connection, destination, cancellationToken).ConfigureAwait(false))
            {
                throw new MemoryParentNotDirectoryException(destination);
            }

            await using var command = Command(connection,
                $"update {_entries} set path = $3 || substr(path, char_length($2) + 1), written = case when kind = {FileKind} then $4 else written end where store = $1 and (path = $2 or {Descendants("$2")})",
                from, to, _time.GetUtcNow());
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await RecordAsync(connection, MemoryChangeKind.Rename, destination, source, files, context, cancellationToken).ConfigureAwait(false);
            return MemoryRenameOutcome.Renamed;
        }, write: true, cancellationToken, Idempotent(context, MemoryRenameOutcome.Renamed, outcome => outcome == MemoryRenameOutcome.Renamed)).ConfigureAwait(false);
    }

    /// <summary>Lists the stores that hold anything in a database.</summary>
    /// <param name="connectionString">The database.</param>
    /// <param name="schema">Mnemo's schema in it.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The stores' names, ordered; none when Mnemo's tables are not there yet.</returns>
    public static async Task<IReadOnlyList<string>> ListStoresAsync(string connectionString, string schema = "mnemo", CancellationToken cancellationToken = default)
    {
        await using var source = NpgsqlDataSource.Create(connectionString);
        await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var exists = new NpgsqlCommand("select to_regclass($1) is not null", connection) { Parameters = { new() { Value = $"{schema}.entries" } } };
        if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
        {
            return [];
        }

        var names = new List<string>();
        await using var command = new NpgsqlCommand($"select distinct store from {schema}.entries order by store", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    /// <summary>Tells whether the database answers now.</summary>
    /// <param name="connectionString">The database.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns><see langword="true"/> when a connection opens and answers a query.</returns>
    public static async Task<bool> PingAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var source = NpgsqlDataSource.Create(connectionString);
            await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("select 1", connection);
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    /// <summary>Closes the store's connections.</summary>
    public void Dispose()
    {
        _dataSource.Dispose();
        _migrateGate.Dispose();
    }

    /// <summary>Closes the store's connections.</summary>
    /// <returns>A task that completes when they are closed.</returns>
    public async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        _migrateGate.Dispose();
    }

    /// <summary>The SQL condition for the rows strictly below a folder, as one range of the byte-ordered key.</summary>
    /// <remarks>'0' is the character after '/', so every key that starts with "folder/" sorts in ["folder/", "folder0").</remarks>
    private static string Descendants(string parameter) =>
        $"({parameter} = '' or (path >= {parameter} || '/' and path < {parameter} || '0'))";

    private static string Key(MemoryPath path) => string.Join('/', path.Segments);

    private static MemoryVersion Version(long version) => new(version.ToString(CultureInfo.InvariantCulture));

    private static long StableHash(string text)
    {
        // FNV-1a over UTF-16: the same store maps to the same advisory lock in every process.
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return unchecked((long)hash);
    }

    private static List<MemoryEntry> Tree(List<(string[] Segments, short Kind, long Size)> rows, string[] prefix, int depth)
    {
        var level = prefix.Length;
        var entries = new List<MemoryEntry>();
        foreach (var row in rows)
        {
            if (row.Segments.Length != level + 1 || !row.Segments.AsSpan(0, level).SequenceEqual(prefix))
            {
                continue;
            }

            var name = row.Segments[level];
            if (row.Kind == FileKind)
            {
                entries.Add(new MemoryEntry(name, MemoryEntryKind.File, row.Size));
            }
            else
            {
                var children = depth > 1 ? Tree(rows, row.Segments, depth - 1) : null;
                entries.Add(new MemoryEntry(name, MemoryEntryKind.Directory, 0, children));
            }
        }

        return entries;
    }

    private NpgsqlCommand Command(NpgsqlConnection connection, string sql, params object[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = _options.Store, NpgsqlDbType = NpgsqlDbType.Text });
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter is byte[] bytes
                ? new NpgsqlParameter { Value = bytes, NpgsqlDbType = NpgsqlDbType.Bytea }
                : new NpgsqlParameter { Value = parameter });
        }

        return command;
    }

    private async Task<short?> KindAsync(NpgsqlConnection connection, string key, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, $"select kind from {_entries} where store = $1 and path = $2", key);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is short kind ? kind : null;
    }

    /// <summary>Makes the missing folders above a path; <see langword="false"/> when one of them is a file.</summary>
    private async Task<bool> EnsureParentsAsync(NpgsqlConnection connection, MemoryPath path, CancellationToken cancellationToken)
    {
        var ancestors = Enumerable.Range(1, path.Segments.Count - 1).Select(n => string.Join('/', path.Segments.Take(n))).ToArray();
        if (ancestors.Length == 0)
        {
            return true;
        }

        await using (var check = Command(connection, $"select 1 from {_entries} where store = $1 and path = any($2) and kind = {FileKind}", (object)ancestors))
        {
            if (await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null)
            {
                return false;
            }
        }

        await using var insert = Command(connection,
            $"insert into {_entries} (store, path, kind, size, version) select $1, unnest($2::text[]), {DirectoryKind}, 0, 0 on conflict do nothing",
            (object)ancestors);
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Runs one operation in its own transaction (writes under the store's lock), retrying transient failures before the commit.</summary>
    /// <remarks>Reads run without a transaction: one round trip fewer each way, and a single statement sees one snapshot anyway.</remarks>
    private async Task<T> RunAsync<T>(
        string action,
        Func<NpgsqlConnection, NpgsqlTransaction?, Task<T>> operation,
        bool write,
        CancellationToken cancellationToken,
        Idempotency<T>? idempotency = null)
    {
        await MigrateAsync(cancellationToken).ConfigureAwait(false);
        for (var attempt = 0; ; attempt++)
        {
            NpgsqlTransaction? transaction = null;
            T result;
            await using var connection = await OpenAsync(action, attempt, cancellationToken).ConfigureAwait(false);
            if (connection is null)
            {
                continue;
            }

            try
            {
                if (!write)
                {
                    return await operation(connection, null).ConfigureAwait(false);
                }

                transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                {
                    await using var lockCommand = new NpgsqlCommand("select pg_advisory_xact_lock($1)", connection) { Parameters = { new() { Value = _lockKey } } };
                    await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                if (idempotency is { } known && await AppliedBeforeAsync(connection, known.Id, cancellationToken).ConfigureAwait(false))
                {
                    await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                    await transaction.DisposeAsync().ConfigureAwait(false);
                    return known.Duplicate;
                }

                result = await operation(connection, transaction).ConfigureAwait(false);
                if (idempotency is { } request && request.Applied(result))
                {
                    await RememberRequestAsync(connection, request.Id, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (NpgsqlException exception) when (IsTransient(exception) && attempt < _options.MaxRetries && !cancellationToken.IsCancellationRequested)
            {
                await DisposeQuietlyAsync(transaction).ConfigureAwait(false);
                await PauseAsync(attempt, cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (NpgsqlException exception)
            {
                await DisposeQuietlyAsync(transaction).ConfigureAwait(false);
                throw Failure(action, exception);
            }
            catch
            {
                await DisposeQuietlyAsync(transaction).ConfigureAwait(false);
                throw;
            }

            try
            {
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (NpgsqlException exception) when (
                idempotency is not null && IsTransient(exception) && attempt < _options.MaxRetries && !cancellationToken.IsCancellationRequested)
            {
                // The commit may or may not have reached the server; the write's key settles which, on the next attempt.
                await PauseAsync(attempt, cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (NpgsqlException exception)
            {
                // The commit may have reached the server: trying again without a key could apply the write twice, so the caller hears of it.
                throw Failure(action, exception);
            }
            finally
            {
                await transaction.DisposeAsync().ConfigureAwait(false);
            }

            return result;
        }
    }

    private static Idempotency<T>? Idempotent<T>(MemoryWriteContext? context, T duplicate, Func<T, bool> applied) =>
        context?.RequestId is { } id ? new Idempotency<T>(id, duplicate, applied) : null;

    private async Task<bool> AppliedBeforeAsync(NpgsqlConnection connection, string id, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, $"select 1 from {_requests} where store = $1 and id = $2", id);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
    }

    private async Task RememberRequestAsync(NpgsqlConnection connection, string id, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        await using var command = Command(connection, $"insert into {_requests} (store, id, time) values ($1, $2, $3)", id, now);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (Random.Shared.Next(RequestPruneEvery) == 0)
        {
            // Now and then, under the store's lock, the keys older than the retention go: retries come within minutes.
            await using var prune = Command(connection, $"delete from {_requests} where store = $1 and time < $2", now - RequestRetention);
            await prune.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<NpgsqlConnection?> OpenAsync(string action, int attempt, CancellationToken cancellationToken)
    {
        try
        {
            return await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException exception) when (IsTransient(exception) && attempt < _options.MaxRetries && !cancellationToken.IsCancellationRequested)
        {
            await PauseAsync(attempt, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (NpgsqlException exception)
        {
            throw Failure(action, exception);
        }
    }

    private static async Task DisposeQuietlyAsync(NpgsqlTransaction? transaction)
    {
        if (transaction is null)
        {
            return;
        }

        try
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
        }
        catch (NpgsqlException)
        {
            // The connection is already broken; the server rolls the transaction back when it notices.
        }
    }

    private static Task PauseAsync(int attempt, CancellationToken cancellationToken) =>
        Task.Delay(TimeSpan.FromMilliseconds((50 << Math.Min(attempt, 6)) + Random.Shared.Next(0, 50)), cancellationToken);

    private static bool IsTransient(NpgsqlException exception) =>
        exception.IsTransient || exception is PostgresException { SqlState: "40001" or "40P01" };

    private static MemoryStoreException Failure(string action, NpgsqlException exception) => exception is PostgresException postgres
        ? new MemoryStoreException($"the database refused to {action} (SQLSTATE {postgres.SqlState})", IsTransient(exception), exception)
        : new MemoryStoreException($"the database could not be reached to {action}", isTransient: true, exception);

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        if (_migrated)
        {
            return;
        }

        await _migrateGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_migrated)
            {
                await PostgreSqlMigrations.ApplyAsync(_dataSource, _options.Schema, cancellationToken).ConfigureAwait(false);
                _migrated = true;
            }
        }
        catch (NpgsqlException exception)
        {
            throw Failure("set up its tables", exception);
        }
        finally
        {
            _migrateGate.Release();
        }
    }

    private sealed record Idempotency<T>(string Id, T Duplicate, Func<T, bool> Applied);
}
