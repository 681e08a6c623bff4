using System.Text;
using System.Text.Json;
using Mnemo.Memory;
using Npgsql;
using static Mnemo.PostgreSql.PostgreSqlRows;

namespace Mnemo.PostgreSql;

/// <summary>The store's history, quotas, read tracking and expiry, in the same transactions as the changes they record.</summary>
/// <remarks>
/// A change's record is written in the transaction that makes the change, so the two commit together or not at all: no
/// crash can leave a version without its content or content without its version. Records use the JSON form every store
/// shares, so an export from here and one from a folder store are alike, line for line.
/// </remarks>
public sealed partial class PostgreSqlMemoryStore
{
    private readonly TimeProvider _time;
    private readonly Dictionary<string, DateTimeOffset> _notedReads = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public TimeSpan? ExpireAfter => _options.ExpireAfter;

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<MemoryChange>> ReadHistoryAsync(CancellationToken cancellationToken = default) =>
        await _transactions.RunAsync("read the history", (connection, _) => HistoryAsync(connection, cancellationToken), write: false, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    public async ValueTask<int> RedactAsync(string hash, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(hash);
        if (!_options.History || !MemoryHash.IsSha256(hash))
        {
            return 0;
        }

        return await _transactions.RunAsync("redact", async (connection, _) =>
        {
            var redacted = 0;
            var rows = new List<(long Sequence, string Record)>();
            await using (var select = Command(connection, $"select seq, record from {_changes} where store = $1 and strpos(record, $2) > 0 order by seq", hash))
            await using (var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows.Add((reader.GetInt64(0), reader.GetString(1)));
                }
            }

            foreach (var (sequence, record) in rows)
            {
                var change = Parse(record);
                var matching = change.Files.Count(file => file.Hash == hash && file.Content is not null);
                if (matching == 0)
                {
                    continue;
                }

                redacted += matching;
                var files = change.Files.Select(file => file.Hash == hash ? file with { Content = null } : file).ToList();
                await using var update = Command(connection, $"update {_changes} set record = $3 where store = $1 and seq = $2", sequence, Serialize(change with { Files = files }));
                await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            if (redacted > 0)
            {
                await AppendAsync(connection, sequence => new MemoryChange(sequence, _time.GetUtcNow(), MemoryChangeKind.Redact, null, [])
                {
                    Actor = context?.Actor,
                    Reason = context?.Reason ?? "redact",
                    RedactedHash = hash,
                }, cancellationToken).ConfigureAwait(false);
            }

            return redacted;
        }, write: true, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<MemoryFileActivity>> ReadActivityAsync(CancellationToken cancellationToken = default) =>
        await _transactions.RunAsync("read activity", (connection, _) => ActivityAsync(connection, cancellationToken), write: false, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<MemoryPath>> SweepAsync(TimeSpan maxIdle, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxIdle, TimeSpan.Zero);
        context = (context ?? new MemoryWriteContext()) with { Reason = context?.Reason ?? "expire" };
        return await _transactions.RunAsync<IReadOnlyList<MemoryPath>>("sweep", async (connection, _) =>
        {
            var now = _time.GetUtcNow();
            var swept = new List<MemoryPath>();
            foreach (var file in await ActivityAsync(connection, cancellationToken).ConfigureAwait(false))
            {
                if (now - file.LastAccess > maxIdle && await DeleteLockedAsync(connection, file.Path, context, cancellationToken).ConfigureAwait(false) == MemoryDeleteOutcome.Deleted)
                {
                    swept.Add(file.Path);
                }
            }

            await using var tidy = Command(connection,
                $"delete from {_reads} r where r.store = $1 and not exists (select 1 from {_entries} e where e.store = r.store and e.path = r.path)");
            await tidy.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return swept;
        }, write: true, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask ImportAsync(MemorySnapshot snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        for (var i = 1; i < snapshot.History.Count; i++)
        {
            if (snapshot.History[i].Sequence <= snapshot.History[i - 1].Sequence)
            {
                throw new MemoryStoreException("the history to import is out of order: sequence numbers must rise");
            }
        }

        // Each file counts as written when its history last wrote it, so expiry goes on where the exported store left off.
        var written = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var change in snapshot.History.Where(c => c.Kind is MemoryChangeKind.Create or MemoryChangeKind.Edit or MemoryChangeKind.Rename))
        {
            foreach (var file in change.Files)
            {
                written[file.Path] = change.Time;
            }
        }

        await _transactions.RunAsync("import", async (connection, _) =>
        {
            await using (var check = Command(connection,
                $"select exists (select 1 from {_entries} where store = $1) or exists (select 1 from {_changes} where store = $1)"))
            {
                if ((bool)(await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                {
                    throw new MemoryStoreException("the store is not empty: an import needs a store with no files and no history");
                }
            }

            foreach (var directory in snapshot.Directories)
            {
                await EnsureParentsAsync(connection, directory.Child("_"), cancellationToken).ConfigureAwait(false);
            }

            var now = _time.GetUtcNow();
            foreach (var file in snapshot.Files)
            {
                if (!await EnsureParentsAsync(connection, file.Path, cancellationToken).ConfigureAwait(false))
                {
                    throw new MemoryParentNotDirectoryException(file.Path);
                }

                await using var insert = Command(connection,
                    $"insert into {_entries} (store, path, kind, content, size, version, written) values ($1, $2, {FileKind}, $3, $4, nextval('{_versions}'), $5)",
                    Key(file.Path), file.Content.ToArray(), (long)file.Content.Length, written.GetValueOrDefault(file.Path.Normalized, now));
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            if (_options.History)
            {
                foreach (var change in snapshot.History)
                {
                    await using var insert = Command(connection, $"insert into {_changes} (store, seq, record) values ($1, $2, $3)", change.Sequence, Serialize(change));
                    await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            return true;
        }, write: true, cancellationToken).ConfigureAwait(false);
    }

    private static MemoryPath P(string path) =>
        MemoryPath.TryParse(path, out var parsed, out _) ? parsed : throw new MemoryStoreException("the store holds a path that is not a memory path");

    private static string Serialize(MemoryChange change)
    {
        var line = MemoryChangeJson.ToLine(change);
        return Encoding.UTF8.GetString(line, 0, line.Length - 1);
    }

    private static MemoryChange Parse(string record)
    {
        try
        {
            return MemoryChangeJson.Parse(Encoding.UTF8.GetBytes(record)).Change ?? throw new JsonException("not a change");
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new MemoryStoreException($"the history has a damaged record: {exception.Message}", innerException: exception);
        }
    }

    private IReadOnlyList<MemoryFileVersion> Versions(MemoryPath path, byte[] content) =>
        _options.History ? [new MemoryFileVersion(path.Normalized, MemoryHash.Sha256(content), content.Length, content)] : [];

    private async Task<List<MemoryChange>> HistoryAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var changes = new List<MemoryChange>();
        await using var command = Command(connection, $"select record from {_changes} where store = $1 order by seq");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            changes.Add(Parse(reader.GetString(0)));
        }

        return changes;
    }

    /// <summary>Records a change in the transaction that makes it; nothing when the store keeps no history.</summary>
    private Task RecordAsync(
        NpgsqlConnection connection, MemoryChangeKind kind, MemoryPath path, MemoryPath? from, IReadOnlyList<MemoryFileVersion> files,
        MemoryWriteContext? context, CancellationToken cancellationToken) =>
        !_options.History ? Task.CompletedTask : AppendAsync(connection, sequence => new MemoryChange(sequence, _time.GetUtcNow(), kind, path.Normalized, files)
        {
            From = from?.Normalized,
            Actor = context?.Actor,
            Reason = context?.Reason,
            RequestId = context?.RequestId,
        }, cancellationToken);

    private async Task AppendAsync(NpgsqlConnection connection, Func<long, MemoryChange> change, CancellationToken cancellationToken)
    {
        // The store's lock is held, so the next number cannot be taken by anyone else before this transaction commits.
        await using var next = Command(connection, $"select coalesce(max(seq), 0) + 1 from {_changes} where store = $1");
        var sequence = (long)(await next.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        await using var insert = Command(connection, $"insert into {_changes} (store, seq, record) values ($1, $2, $3)", sequence, Serialize(change(sequence)));
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every file at or under a path with its content, named as it will be under <paramref name="target"/>.</summary>
    private async Task<List<MemoryFileVersion>> FilesUnderAsync(NpgsqlConnection connection, MemoryPath source, MemoryPath target, CancellationToken cancellationToken)
    {
        var files = new List<MemoryFileVersion>();
        if (!_options.History)
        {
            return files;
        }

        var key = Key(source);
        await using var command = Command(connection,
            $"select path, content from {_entries} where store = $1 and kind = {FileKind} and (path = $2 or {Descendants("$2")}) order by path", key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var path = reader.GetString(0);
            var renamed = target.IsRoot ? path : Key(target) + path[key.Length..];
            var content = reader.GetFieldValue<byte[]>(1);
            files.Add(new MemoryFileVersion(MemoryPath.Root + "/" + renamed, MemoryHash.Sha256(content), content.Length, content));
        }

        return files;
    }

    private async Task CheckTotalsAsync(NpgsqlConnection connection, MemoryPath path, long addedFiles, long addedBytes, CancellationToken cancellationToken)
    {
        if (!_options.Quotas.LimitsTotals)
        {
            return;
        }

        await using var command = Command(connection, $"select count(*), coalesce(sum(size), 0)::bigint from {_entries} where store = $1 and kind = {FileKind}");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var (files, bytes) = (reader.GetInt64(0), reader.GetInt64(1));
        await reader.DisposeAsync().ConfigureAwait(false);
        _options.Quotas.CheckTotals(path, files + addedFiles, addedFiles, bytes + addedBytes, addedBytes);
    }

    private async Task<List<MemoryFileActivity>> ActivityAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var reads = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await using (var command = Command(connection, $"select path, time from {_reads} where store = $1"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                reads[reader.GetString(0)] = reader.GetFieldValue<DateTimeOffset>(1);
            }
        }

        var activity = new List<MemoryFileActivity>();
        await using (var command = Command(connection, $"select path, size, written from {_entries} where store = $1 and kind = {FileKind} order by path"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var key = reader.GetString(0);
                var written = reader.IsDBNull(2) ? DateTimeOffset.UnixEpoch : reader.GetFieldValue<DateTimeOffset>(2);
                activity.Add(new MemoryFileActivity(P(MemoryPath.Root + "/" + key), reader.GetInt64(1), written, reads.TryGetValue(key, out var read) ? read : null));
            }
        }

        return activity;
    }

    /// <summary>Writes a read down, at most once per resolution per file from this process; a read never fails for this.</summary>
    private async Task NoteReadAsync(MemoryPath path, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var key = Key(path);
        lock (_notedReads)
        {
            if (_notedReads.TryGetValue(key, out var last) && now - last < _options.ReadTrackingResolution && now >= last)
            {
                return;
            }

            _notedReads[key] = now;
        }

        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var command = Command(connection,
                $"insert into {_reads} (store, path, time) values ($1, $2, $3) on conflict (store, path) do update set time = greatest({_reads}.time, excluded.time)",
                key, now);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException)
        {
            // Read tracking is a hint for expiry; a lost line costs at most an early expiry, never the read.
        }
    }
}
