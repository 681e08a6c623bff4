using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Mnemo.Sessions;

/// <summary>Represents session records in a folder: a file <c>{session}.jsonl</c> per session, and <c>.index.jsonl</c>,
/// one summary per session, so the overview of many sessions reads one small file rather than every record.</summary>
/// <remarks>
/// <para>The index is a cache: a record whose size differs from what its summary says (it grew, or is new) is read
/// again and its summary appended; a summary whose record is gone is dropped. A damaged index line is ignored and the
/// record read instead, so deleting the index loses nothing.</para>
/// <para>Appends go to the end of the record's file in one write each. The class is thread-safe.</para>
/// </remarks>
public sealed class FolderSessionRecords : ISessionRecordStore
{
    /// <summary>The index's file name in the folder.</summary>
    public const string IndexFile = ".index.jsonl";

    private static readonly JsonWriterOptions IndexOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly SemaphoreSlim _index = new(1, 1);

    /// <summary>Initializes a new instance of the <see cref="FolderSessionRecords"/> class.</summary>
    /// <param name="root">The folder; made at the first append.</param>
    public FolderSessionRecords(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
    }

    /// <summary>Gets the folder.</summary>
    public string Root { get; }

    /// <inheritdoc/>
    public async ValueTask AppendAsync(string session, ReadOnlyMemory<byte> lines, CancellationToken cancellationToken = default)
    {
        SessionRecords.ThrowIfInvalidId(session, nameof(session));
        Directory.CreateDirectory(Root);
        var stream = new FileStream(RecordPath(session), FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0, useAsync: false);
        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(lines, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadAsync(string session, CancellationToken cancellationToken = default)
    {
        if (!SessionRecords.IsValidId(session))
        {
            return null;
        }

        try
        {
            return await File.ReadAllBytesAsync(RecordPath(session), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<SessionSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(Root))
        {
            return [];
        }

        await _index.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var (indexed, indexLines) = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
            var records = new DirectoryInfo(Root).EnumerateFiles("*.jsonl")
                .Where(file => file.Name[0] != '.')
                .Select(file => (Session: file.Name[..^".jsonl".Length], file.Length))
                .Where(record => SessionRecords.IsValidId(record.Session))
                .ToList();
            var fresh = new ConcurrentBag<SessionSummary>();
            var stale = records.Where(record => !indexed.TryGetValue(record.Session, out var summary) || summary.Bytes != record.Length).ToList();
            await Parallel.ForEachAsync(stale, cancellationToken, async (record, token) =>
            {
                if (await ReadAsync(record.Session, token).ConfigureAwait(false) is { } bytes)
                {
                    fresh.Add(SessionLog.Read(record.Session, bytes.Span).Summarize());
                }
            }).ConfigureAwait(false);

            foreach (var summary in fresh)
            {
                indexed[summary.Session] = summary;
            }

            var present = records.Select(record => record.Session).ToHashSet(StringComparer.Ordinal);
            var list = indexed.Values.Where(summary => present.Contains(summary.Session))
                .OrderByDescending(summary => summary.Started ?? DateTimeOffset.MinValue).ThenBy(summary => summary.Session, StringComparer.Ordinal).ToList();
            if (indexLines + fresh.Count > 2 * (list.Count + 16))
            {
                await RewriteIndexAsync(list, cancellationToken).ConfigureAwait(false);
            }
            else if (!fresh.IsEmpty)
            {
                await AppendIndexAsync([.. fresh], cancellationToken).ConfigureAwait(false);
            }

            return list;
        }
        finally
        {
            _index.Release();
        }
    }

    private string RecordPath(string session) => Path.Combine(Root, session + ".jsonl");

    private async Task<(Dictionary<string, SessionSummary> Summaries, int Lines)> ReadIndexAsync(CancellationToken cancellationToken)
    {
        var summaries = new Dictionary<string, SessionSummary>(StringComparer.Ordinal);
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(Path.Combine(Root, IndexFile), cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            return (summaries, 0);
        }

        var lines = 0;
        var rest = bytes.AsMemory();
        while (!rest.IsEmpty)
        {
            var end = rest.Span.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? default : rest[(end + 1)..];
            lines++;
            if (SessionSummary.ReadLine(line.Span) is { } summary)
            {
                summaries[summary.Session] = summary;
            }

            // A damaged line names no summary: its session is read from its record instead.
        }

        return (summaries, lines);
    }

    private async Task AppendIndexAsync(IReadOnlyList<SessionSummary> summaries, CancellationToken cancellationToken)
    {
        var stream = new FileStream(Path.Combine(Root, IndexFile), FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0, useAsync: false);
        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(Lines(summaries), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RewriteIndexAsync(IReadOnlyList<SessionSummary> summaries, CancellationToken cancellationToken)
    {
        var temporary = Path.Combine(Root, $".index.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        await File.WriteAllBytesAsync(temporary, Lines(summaries), cancellationToken).ConfigureAwait(false);
        File.Move(temporary, Path.Combine(Root, IndexFile), overwrite: true);
    }

    private static ReadOnlyMemory<byte> Lines(IReadOnlyList<SessionSummary> summaries)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using var writer = new Utf8JsonWriter(buffer, IndexOptions);
        foreach (var summary in summaries)
        {
            writer.Reset(buffer);
            summary.WriteTo(writer);
            writer.Flush();
            buffer.Write("\n"u8);
        }

        return buffer.WrittenMemory;
    }
}
