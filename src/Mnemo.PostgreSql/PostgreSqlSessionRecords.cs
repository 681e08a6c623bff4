using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Mnemo.Sessions;
using Npgsql;

namespace Mnemo.PostgreSql;

/// <summary>Represents a store's session records in PostgreSQL, beside its memory: each append a row of
/// <c>session_lines</c>, and <c>session_summaries</c>, one summary per session, as the index of the overview.</summary>
/// <remarks>The index is a cache, as in <see cref="FolderSessionRecords"/>: a session whose lines have grown since its
/// summary was made is read and summed again when listed. Thread-safe; dispose it to close its connections.</remarks>
public sealed class PostgreSqlSessionRecords : ISessionRecordStore, IAsyncDisposable
{
    private static readonly JsonWriterOptions IndexOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _schema;
    private readonly string _store;
    private readonly Lazy<Task> _migrated;

    /// <summary>Initializes a new instance of the <see cref="PostgreSqlSessionRecords"/> class.</summary>
    /// <param name="options">The database, schema and store, as for the store's memory.</param>
    public PostgreSqlSessionRecords(PostgreSqlMemoryStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validated();
        _dataSource = NpgsqlDataSource.Create(options.ConnectionString);
        _schema = options.Schema;
        _store = options.Store;
        _migrated = new Lazy<Task>(() => PostgreSqlMigrations.ApplyAsync(_dataSource, _schema, CancellationToken.None));
    }

    /// <inheritdoc/>
    public async ValueTask AppendAsync(string session, ReadOnlyMemory<byte> lines, CancellationToken cancellationToken = default)
    {
        if (!SessionRecords.IsValidId(session))
        {
            throw new ArgumentException("A session id is 1 to 100 letters, digits, '.', '_' or '-', not starting with '.'.", nameof(session));
        }

        await _migrated.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        await using var command = _dataSource.CreateCommand($"insert into {_schema}.session_lines (store, session, lines) values ($1, $2, $3)");
        command.Parameters.Add(new NpgsqlParameter { Value = _store });
        command.Parameters.Add(new NpgsqlParameter { Value = session });
        command.Parameters.Add(new NpgsqlParameter { Value = lines.ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadAsync(string session, CancellationToken cancellationToken = default)
    {
        if (!SessionRecords.IsValidId(session))
        {
            return null;
        }

        await _migrated.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        await using var command = _dataSource.CreateCommand($"select lines from {_schema}.session_lines where store = $1 and session = $2 order by id");
        command.Parameters.Add(new NpgsqlParameter { Value = _store });
        command.Parameters.Add(new NpgsqlParameter { Value = session });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new ArrayBufferWriter<byte>();
        var any = false;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            any = true;
            buffer.Write(reader.GetFieldValue<byte[]>(0));
        }

        return any ? buffer.WrittenMemory : (ReadOnlyMemory<byte>?)null;
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<SessionSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        await _migrated.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<SessionSummary>();
        var stale = new List<string>();
        await using (var command = _dataSource.CreateCommand(
            $"""
            select l.session, l.bytes, s.bytes, s.summary
            from (select session, sum(length(lines)) as bytes from {_schema}.session_lines where store = $1 group by session) l
            left join {_schema}.session_summaries s on s.store = $1 and s.session = l.session
            """))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = _store });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var session = reader.GetString(0);
                SessionSummary? summary = null;
                if (!reader.IsDBNull(2) && reader.GetInt64(2) == reader.GetInt64(1))
                {
                    try
                    {
                        using var document = JsonDocument.Parse(reader.GetString(3));
                        summary = SessionSummary.Read(document.RootElement);
                    }
                    catch (JsonException)
                    {
                        // A damaged summary: the session is read again.
                    }
                }

                if (summary is null)
                {
                    stale.Add(session);
                }
                else
                {
                    list.Add(summary);
                }
            }
        }

        foreach (var session in stale)
        {
            if (await ReadAsync(session, cancellationToken).ConfigureAwait(false) is { } bytes)
            {
                var summary = SessionLog.Read(session, bytes.Span).Summarize();
                list.Add(summary);
                await SaveSummaryAsync(summary, cancellationToken).ConfigureAwait(false);
            }
        }

        return [.. list.OrderByDescending(summary => summary.Started ?? DateTimeOffset.MinValue).ThenBy(summary => summary.Session, StringComparer.Ordinal)];
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private async Task SaveSummaryAsync(SessionSummary summary, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, IndexOptions))
        {
            summary.WriteTo(writer);
        }

        await using var command = _dataSource.CreateCommand(
            $"""
            insert into {_schema}.session_summaries (store, session, bytes, summary) values ($1, $2, $3, $4)
            on conflict (store, session) do update set bytes = excluded.bytes, summary = excluded.summary
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = _store });
        command.Parameters.Add(new NpgsqlParameter { Value = summary.Session });
        command.Parameters.Add(new NpgsqlParameter { Value = summary.Bytes });
        command.Parameters.Add(new NpgsqlParameter { Value = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan) });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
