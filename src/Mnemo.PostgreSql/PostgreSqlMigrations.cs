using Npgsql;

namespace Mnemo.PostgreSql;

/// <summary>The store's schema, as numbered steps applied in order, each once, recorded in <c>migrations</c>.</summary>
/// <remarks>A step is never edited once released; a change to the schema is a new step at the end.</remarks>
internal static class PostgreSqlMigrations
{
    /// <summary>The advisory lock that makes one process at a time migrate, whatever the schema's name.</summary>
    private const long MigrationLock = 0x4D6E656D6F00; // "Mnemo"

    private static readonly string[] Steps =
    [
        // 1: files and folders of every store, keyed by store and byte-ordered path; one sequence for file versions.
        """
        create table {schema}.entries (
            store text not null,
            path text collate "C" not null,
            kind smallint not null,
            content bytea,
            size bigint not null,
            version bigint not null,
            primary key (store, path));
        create sequence {schema}.versions;
        """,

        // 2: history (one row per change, in the JSON form every store shares), reads for expiry, and when each file was written.
        """
        create table {schema}.changes (
            store text not null,
            seq bigint not null,
            record text not null,
            primary key (store, seq));
        create table {schema}.reads (
            store text not null,
            path text collate "C" not null,
            time timestamptz not null,
            primary key (store, path));
        alter table {schema}.entries add column written timestamptz;
        """,

        // 3: the idempotency keys of applied writes, so a write sent again after a lost answer is not applied twice.
        """
        create table {schema}.requests (
            store text not null,
            id text not null,
            time timestamptz not null,
            primary key (store, id));
        """,

        // 4: session records for the dashboard: each append as it came, and one summary per session as the index.
        """
        create table {schema}.session_lines (
            store text not null,
            session text collate "C" not null,
            id bigint generated always as identity,
            lines bytea not null,
            primary key (store, session, id));
        create table {schema}.session_summaries (
            store text not null,
            session text collate "C" not null,
            bytes bigint not null,
            summary text not null,
            primary key (store, session));
        """,
    ];

    /// <summary>Gets the schema version this code expects.</summary>
    public static int Latest => Steps.Length;

    public static async Task ApplyAsync(NpgsqlDataSource dataSource, string schema, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, $"select pg_advisory_xact_lock({MigrationLock})", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, $"create schema if not exists {schema}", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection,
            $"create table if not exists {schema}.migrations (version int primary key, applied timestamptz not null default now())",
            cancellationToken).ConfigureAwait(false);
        await using var read = new NpgsqlCommand($"select coalesce(max(version), 0) from {schema}.migrations", connection);
        var current = (int)(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        if (current > Steps.Length)
        {
            throw new InvalidOperationException(
                $"The database's Mnemo schema is at version {current}, newer than this Mnemo knows ({Steps.Length}); upgrade Mnemo.");
        }

        for (var step = current; step < Steps.Length; step++)
        {
            await ExecuteAsync(connection, Steps[step].Replace("{schema}", schema, StringComparison.Ordinal), cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, $"insert into {schema}.migrations (version) values ({step + 1})", cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
