using Mnemo.Memory;
using Npgsql;
using Polly;
using Polly.Retry;

namespace Mnemo.PostgreSql;

/// <summary>Runs one store's operations on PostgreSQL: each in its own transaction (a write under the store's advisory lock),
/// the schema migrated first, transient failures tried again, and a write's idempotency key kept with the write.</summary>
/// <remarks>
/// <para>Retries run on Polly's retry strategy. What is tried again is decided by one predicate,
/// <see cref="ShouldRetry"/>: a transient failure before the commit, never a commit whose outcome is unknown unless the
/// write carries a key that settles it.</para>
/// <para>Thread-safe.</para>
/// </remarks>
internal sealed class PostgreSqlTransactions : IDisposable
{
    private const int RequestPruneEvery = 1000;
    private static readonly TimeSpan RequestRetention = TimeSpan.FromDays(1);

    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgreSqlMemoryStoreOptions _options;
    private readonly long _lockKey;
    private readonly string _requests;
    private readonly ResiliencePipeline _retry;
    private readonly SemaphoreSlim _migrateGate = new(1, 1);
    private volatile bool _migrated;

    /// <summary>Initializes a new instance of the <see cref="PostgreSqlTransactions"/> class.</summary>
    /// <param name="dataSource">Where connections come from.</param>
    /// <param name="options">The store's options: its name, schema, retries and time.</param>
    /// <param name="lockKey">The store's advisory lock.</param>
    public PostgreSqlTransactions(NpgsqlDataSource dataSource, PostgreSqlMemoryStoreOptions options, long lockKey)
    {
        _dataSource = dataSource;
        _options = options;
        _lockKey = lockKey;
        _requests = $"{options.Schema}.requests";
        _retry = options.MaxRetries == 0
            ? ResiliencePipeline.Empty
            : new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                ShouldHandle = static args => ValueTask.FromResult(ShouldRetry(args.Outcome.Exception)),
                DelayGenerator = static args => ValueTask.FromResult<TimeSpan?>(
                    TimeSpan.FromMilliseconds((50 << Math.Min(args.AttemptNumber, 6)) + Random.Shared.Next(0, 50))),
            }).Build();
    }

    /// <summary>Tells whether a failed attempt may be tried again: a transient failure that happened before the attempt could
    /// have taken effect, or a commit whose outcome the write's key settles on the next attempt.</summary>
    /// <param name="exception">What the attempt threw.</param>
    /// <returns><see langword="false"/> for a commit that may have been applied and has no key: trying it again could apply it twice.</returns>
    public static bool ShouldRetry(Exception? exception) => exception switch
    {
        CommitOutcomeUnknownException => false,
        NpgsqlException npgsql => IsTransient(npgsql),
        _ => false,
    };

    /// <summary>Tells whether a failure is worth another attempt: a dropped connection, a serialisation failure, a deadlock.</summary>
    /// <param name="exception">The failure.</param>
    /// <returns><see langword="true"/> when it is transient.</returns>
    public static bool IsTransient(NpgsqlException exception) =>
        exception.IsTransient || exception is PostgresException { SqlState: "40001" or "40P01" };

    /// <summary>Turns a driver failure into the store's one-line failure, naming the SQLSTATE, never a host or a connection string.</summary>
    /// <param name="action">What the store was doing, such as <c>replace a file</c>.</param>
    /// <param name="exception">The driver's failure.</param>
    /// <returns>The store's failure.</returns>
    public static MemoryStoreException Failure(string action, NpgsqlException exception) => exception is PostgresException postgres
        ? new MemoryStoreException($"the database refused to {action} (SQLSTATE {postgres.SqlState})", IsTransient(exception), exception)
        : new MemoryStoreException($"the database could not be reached to {action}", isTransient: true, exception);

    /// <summary>Makes what a keyed write needs to be applied once: its key, what a repeat answers, and which results applied it.</summary>
    /// <typeparam name="T">What the write answers.</typeparam>
    /// <param name="context">The write's context; no key, no idempotency.</param>
    /// <param name="duplicate">What a repeat of an applied write answers.</param>
    /// <param name="applied">Which answers mean the write took effect.</param>
    /// <returns>The idempotency, or <see langword="null"/> without a key.</returns>
    public static Idempotency<T>? Idempotent<T>(MemoryWriteContext? context, T duplicate, Func<T, bool> applied) =>
        context?.RequestId is { } id ? new Idempotency<T>(id, duplicate, applied) : null;

    /// <summary>Runs one operation in its own transaction (a write under the store's lock), retrying transient failures.</summary>
    /// <typeparam name="T">What the operation answers.</typeparam>
    /// <param name="action">What it does, for its failure's message.</param>
    /// <param name="operation">The operation, on an open connection and (for a write) its transaction.</param>
    /// <param name="write">Whether it writes: then it runs in a transaction, under the store's lock.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <param name="idempotency">A write's key, kept in its transaction so a repeat is answered without being applied.</param>
    /// <returns>The operation's answer.</returns>
    /// <remarks>Reads run without a transaction: one round trip fewer each way, and a single statement sees one snapshot anyway.</remarks>
    public async Task<T> RunAsync<T>(
        string action,
        Func<NpgsqlConnection, NpgsqlTransaction?, Task<T>> operation,
        bool write,
        CancellationToken cancellationToken,
        Idempotency<T>? idempotency = null)
    {
        await MigrateAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await _retry.ExecuteAsync(
                static (state, token) => state.Transactions.AttemptAsync(state.Operation, state.Write, state.Idempotency, token),
                (Transactions: this, Operation: operation, Write: write, Idempotency: idempotency),
                cancellationToken).ConfigureAwait(false);
        }
        catch (CommitOutcomeUnknownException exception)
        {
            // The commit may have reached the server: trying again without a key could apply the write twice, so the caller hears of it.
            throw Failure(action, exception.Inner);
        }
        catch (NpgsqlException exception)
        {
            throw Failure(action, exception);
        }
    }

    /// <summary>Creates the store's schema and applies newer migrations, once per store.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the schema is current.</returns>
    public async Task MigrateAsync(CancellationToken cancellationToken)
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

    /// <inheritdoc/>
    public void Dispose() => _migrateGate.Dispose();

    /// <summary>One attempt: a connection, the transaction and its lock, the key's check, the operation, the commit.</summary>
    private async ValueTask<T> AttemptAsync<T>(
        Func<NpgsqlConnection, NpgsqlTransaction?, Task<T>> operation, bool write, Idempotency<T>? idempotency, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (!write)
        {
            return await operation(connection, null).ConfigureAwait(false);
        }

        NpgsqlTransaction? transaction = null;
        T result;
        try
        {
            transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var lockCommand = new NpgsqlCommand("select pg_advisory_xact_lock($1)", connection) { Parameters = { new() { Value = _lockKey } } })
            {
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
        catch
        {
            await DisposeQuietlyAsync(transaction).ConfigureAwait(false);
            throw;
        }

        try
        {
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException exception) when (idempotency is null)
        {
            // With a key the driver's failure goes on as it is, and the next attempt's check of the key settles what happened.
            throw new CommitOutcomeUnknownException(exception);
        }
        finally
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
        }

        return result;
    }

    private async Task<bool> AppliedBeforeAsync(NpgsqlConnection connection, string id, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"select 1 from {_requests} where store = $1 and id = $2", connection)
        {
            Parameters = { new() { Value = _options.Store }, new() { Value = id } },
        };
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
    }

    private async Task RememberRequestAsync(NpgsqlConnection connection, string id, CancellationToken cancellationToken)
    {
        var now = _options.TimeProvider.GetUtcNow();
        await using var command = new NpgsqlCommand($"insert into {_requests} (store, id, time) values ($1, $2, $3)", connection)
        {
            Parameters = { new() { Value = _options.Store }, new() { Value = id }, new() { Value = now } },
        };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (Random.Shared.Next(RequestPruneEvery) == 0)
        {
            // Now and then, under the store's lock, the keys older than the retention go: retries come within minutes.
            await using var prune = new NpgsqlCommand($"delete from {_requests} where store = $1 and time < $2", connection)
            {
                Parameters = { new() { Value = _options.Store }, new() { Value = now - RequestRetention } },
            };
            await prune.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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
}

/// <summary>A commit that failed in a way that leaves unknown whether it was applied, for a write without a key: never tried again.</summary>
/// <param name="inner">The driver's failure.</param>
#pragma warning disable CA1032, CA1064 // Internal: thrown and caught inside the store, never seen by a caller.
internal sealed class CommitOutcomeUnknownException(NpgsqlException inner) : Exception(inner.Message, inner)
#pragma warning restore CA1032, CA1064
{
    /// <summary>Gets the driver's failure.</summary>
    public NpgsqlException Inner { get; } = inner;
}

/// <summary>What a keyed write needs to be applied once.</summary>
/// <typeparam name="T">What the write answers.</typeparam>
/// <param name="Id">The key.</param>
/// <param name="Duplicate">What a repeat of an applied write answers.</param>
/// <param name="Applied">Which answers mean the write took effect.</param>
internal sealed record Idempotency<T>(string Id, T Duplicate, Func<T, bool> Applied);
