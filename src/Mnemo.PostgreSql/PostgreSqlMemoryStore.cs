using System.Globalization;
using Mnemo.Memory;
using Npgsql;
using static Mnemo.PostgreSql.PostgreSqlRows;

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
public sealed partial class PostgreSqlMemoryStore : IVersionedMemoryStore, IUntrackedMemoryReader, IAsyncDisposable, IDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly PostgreSqlMemoryStoreOptions _options;
    private readonly string _entries;
    private readonly string _versions;
    private readonly string _changes;
    private readonly string _reads;
    private readonly PostgreSqlTransactions _transactions;
    private readonly PostgreSqlBatches _batches;

    /// <summary>Initializes a new instance of the <see cref="PostgreSqlMemoryStore"/> class.</summary>
    /// <param name="options">The options; <see cref="PostgreSqlMemoryStoreOptions.ConnectionString"/> is required.</param>
    public PostgreSqlMemoryStore(PostgreSqlMemoryStoreOptions options)
        : this(Validate(options), OwnDataSource(options), ownsDataSource: true)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PostgreSqlMemoryStore"/> class on the application's own data
    /// source (its pooling, logging, authentication and tracing). The store does not dispose it.</summary>
    /// <param name="dataSource">The data source of the database that holds the stores.</param>
    /// <param name="options">The store's name, schema and limits; <see cref="PostgreSqlMemoryStoreOptions.ConnectionString"/>
    /// is not used. The defaults when <see langword="null"/>.</param>
    public PostgreSqlMemoryStore(NpgsqlDataSource dataSource, PostgreSqlMemoryStoreOptions? options = null)
        : this(Validate(options ?? new PostgreSqlMemoryStoreOptions(), needsConnectionString: false), dataSource ?? throw new ArgumentNullException(nameof(dataSource)), ownsDataSource: false)
    {
    }

    private PostgreSqlMemoryStore(PostgreSqlMemoryStoreOptions options, NpgsqlDataSource dataSource, bool ownsDataSource)
    {
        _options = options;
        _ownsDataSource = ownsDataSource;
        _dataSource = dataSource;
        _entries = $"{options.Schema}.entries";
        _versions = $"{options.Schema}.versions";
        _time = options.TimeProvider;
        _changes = $"{options.Schema}.changes";
        _reads = $"{options.Schema}.reads";
        var lockKey = StableHash(options.Schema + "\0" + options.Store);
        _transactions = new PostgreSqlTransactions(_dataSource, _options, lockKey);
        _batches = new PostgreSqlBatches(_dataSource, _options, lockKey);
    }

    /// <summary>Gets the store's name.</summary>
    public string Name => _options.Store;

    /// <inheritdoc/>
    public ValueTask<MemoryItem?> ReadAsync(MemoryPath path, CancellationToken cancellationToken = default) => ReadAsync(path, track: true, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<MemoryItem?> ReadUntrackedAsync(MemoryPath path, CancellationToken cancellationToken = default) => ReadAsync(path, track: false, cancellationToken);

    private async ValueTask<MemoryItem?> ReadAsync(MemoryPath path, bool track, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.IsRoot)
        {
            return MemoryItem.Directory;
        }

        // Concurrent reads go as one statement (see PostgreSqlBatches); should that fail, this read runs alone, with retries.
        await _transactions.MigrateAsync(cancellationToken).ConfigureAwait(false);
        var (done, item) = await _batches.ReadAsync(Key(path), cancellationToken).ConfigureAwait(false);
        if (!done)
        {
            item = await _transactions.RunAsync("read", async (connection, _) =>
            {
                await using var command = Command(connection, $"select kind, content, version from {_entries} where store = $1 and path = $2", Key(path));
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ItemOf(reader, 0) : null;
            }, write: false, cancellationToken).ConfigureAwait(false);
        }

        if (track && item is { Kind: MemoryEntryKind.File })
        {
            await NoteReadAsync(path, cancellationToken).ConfigureAwait(false);
        }

        return item;
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<MemoryEntry>?> ListAsync(MemoryPath directory, int depth, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        var key = Key(directory);
        return await _transactions.RunAsync<IReadOnlyList<MemoryEntry>?>("list", async (connection, _) =>
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
        return await _transactions.RunAsync("create a file", async (connection, _) =>
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
        }, write: true, cancellationToken, PostgreSqlTransactions.Idempotent(context, true, created => created)).ConfigureAwait(false);
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
        return await _transactions.RunAsync("replace a file", async (connection, _) =>
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
        }, write: true, cancellationToken, PostgreSqlTransactions.Idempotent(context, true, replaced => replaced)).ConfigureAwait(false);
    }

    /// <summary>Tries the write as one statement batched with other writers' (see <see cref="PostgreSqlBatches"/>); <see langword="false"/> when it did nothing.</summary>
    private async Task<bool> TryReplaceInOneTripAsync(
        MemoryPath path, byte[] bytes, long version, long added, MemoryWriteContext? context, CancellationToken cancellationToken)
    {
        await _transactions.MigrateAsync(cancellationToken).ConfigureAwait(false);
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

        return await _batches.TryReplaceAsync(Key(path), bytes, version, added, context?.RequestId, recordTail, now, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<MemoryDeleteOutcome> DeleteAsync(MemoryPath path, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.IsRoot)
        {
            return MemoryDeleteOutcome.Root;
        }

        return await _transactions.RunAsync("delete", (connection, _) => DeleteLockedAsync(connection, path, context, cancellationToken), write: true, cancellationToken,
            PostgreSqlTransactions.Idempotent(context, MemoryDeleteOutcome.Deleted, outcome => outcome == MemoryDeleteOutcome.Deleted)).ConfigureAwait(false);
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
        return await _transactions.RunAsync("rename", async (connection, _) =>
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
        }, write: true, cancellationToken, PostgreSqlTransactions.Idempotent(context, MemoryRenameOutcome.Renamed, outcome => outcome == MemoryRenameOutcome.Renamed)).ConfigureAwait(false);
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

    /// <summary>Closes the store's connections (not those of a data source the application gave it).</summary>
    public void Dispose()
    {
        if (_ownsDataSource)
        {
            _dataSource.Dispose();
        }

        _transactions.Dispose();
    }

    /// <summary>Closes the store's connections.</summary>
    /// <returns>A task that completes when they are closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_ownsDataSource)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }

        _transactions.Dispose();
    }

    private NpgsqlCommand Command(NpgsqlConnection connection, string sql, params object[] parameters) =>
        PostgreSqlRows.Command(connection, _options.Store, sql, parameters);

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

}
