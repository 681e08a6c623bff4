using System.Buffers;
using static Mnemo.Memory.FileSystem.FolderCodes;

namespace Mnemo.Memory.FileSystem;

/// <summary>The folder store's history: <c>.mnemo/history.jsonl</c>, one line per change with the content of every file it
/// leaves, and the settle protocol that keeps it true to the files through crashes.</summary>
/// <remarks>
/// <para>Under the store's write lock a change is appended and flushed <i>before</i> the content changes
/// (<see cref="Begin(MemoryChange)"/>), then settled with an <c>{"ok":n}</c> line after (or <c>{"abort":n}</c> when the change failed,
/// <see cref="Settle"/>). A group of changes appends all its lines, then all its settle lines. A crash can leave at most the
/// last group unsettled; the next writer, from this process or another, checks it against the files
/// (<see cref="Prepare"/>) before doing anything else and settles it for what actually happened. So no version is ever
/// listed whose content was not written, and no content is written without its version.</para>
/// <para>Every member runs under the store's write lock.</para>
/// </remarks>
internal sealed class HistoryLog : IDisposable
{
    /// <summary>The most changes one group appends before its settle lines.</summary>
    public const int MaxGroupChanges = 64;

    private const string LogName = "history.jsonl";

    private readonly FolderSystem _fs;
    private readonly int _metaFd;
    private readonly DurableFileWriter _writer;
    private readonly TimeProvider _time;
    private readonly Func<MemoryChange, bool> _applied;
    private readonly ArrayBufferWriter<byte> _lineBuffer = new(4096);

    private bool _known;
    private int _fd = -1;
    private ulong _fdInode;

    /// <summary>Initializes a new instance of the <see cref="HistoryLog"/> class.</summary>
    /// <param name="metaFd">The store's own folder, where the log lives.</param>
    /// <param name="writer">Writes a whole new log in one step (a redaction, an import).</param>
    /// <param name="time">Where the changes' times come from.</param>
    /// <param name="applied">Tells, from what the files show now, whether an unsettled change took effect.</param>
    public HistoryLog(int metaFd, DurableFileWriter writer, TimeProvider time, Func<MemoryChange, bool> applied)
    {
        (_fs, _metaFd, _writer, _time, _applied) = (writer.Files, metaFd, writer, time, applied);
    }

    /// <summary>Gets the log's identity and size as last seen: (0, 0) when there is no log.</summary>
    public (ulong Inode, ulong Size) Key { get; private set; }

    /// <summary>Gets the number the next change will have.</summary>
    public long NextSequence { get; private set; } = 1;

    /// <summary>Settles what a crashed writer left and notices other processes' writes: the first thing under the write lock.</summary>
    /// <returns><see langword="true"/> when the log changed since this store last looked (another process wrote, or this is
    /// the first look), so whatever the store counted from the files may be stale.</returns>
    public bool Prepare()
    {
        var key = _fs.Statx(_metaFd, LogName, AtSymlinkNoFollow, StatxBasicStats, out var stat) == 0 ? (stat.Ino, stat.Size) : (0UL, 0UL);
        if (_known && key == Key)
        {
            return false;
        }

        // Appending: the settle line below must land at the end, whatever the reads before it did.
        var fd = _fs.OpenAt(_metaFd, LogName, ORdWr | OAppend | ONoFollow | OCloExec, 0);
        if (fd < 0)
        {
            if (_fs.LastError != ENoEnt)
            {
                throw _fs.Failure("open the history", _fs.LastError);
            }

            (NextSequence, Key, _known) = (1, (0, 0), true);
            return true;
        }

        try
        {
            var size = _fs.SizeOf(fd);
            if (size > 0 && _fs.ReadAt(fd, size - 1, 1)[0] != (byte)'\n')
            {
                // A line cut short by a power cut: its change was never started, since a change waits for its line to be on disk.
                size = _fs.LastNewline(fd, size) + 1;
                if (_fs.FTruncate(fd, size) != 0 || (_writer.Durable && _fs.FSync(fd) != 0))
                {
                    throw _fs.Failure("repair the history", _fs.LastError);
                }
            }

            NextSequence = 1;
            if (size > 0)
            {
                var (unsettled, last) = HistoryLines.UnsettledTail(_fs, fd, size);
                foreach (var change in unsettled)
                {
                    _fs.WriteAll(fd, MemoryChangeJson.SettleLine(_applied(change) ? "ok" : "abort", change.Sequence));
                }

                if (unsettled.Count > 0 && _writer.Durable && _fs.FSync(fd) != 0)
                {
                    throw _fs.Failure("settle the history", _fs.LastError);
                }

                NextSequence = last + 1;
            }

            Key = _fs.KeyOf(fd);
            _known = true;
            return true;
        }
        finally
        {
            _ = _fs.Close(fd);
        }
    }

    /// <summary>Appends a change and flushes it, before its content changes.</summary>
    /// <param name="change">The change, numbered <see cref="NextSequence"/>.</param>
    /// <returns>The pending change, to settle with <see cref="Settle"/>.</returns>
    public PendingChange Begin(MemoryChange change)
    {
        // One buffer for every line this log writes, reused under the write lock: a version of a large file costs its copy
        // into the log, not a fresh buffer each time.
        _lineBuffer.ResetWrittenCount();
        MemoryChangeJson.WriteLine(_lineBuffer, change);
        var before = Key;
        return new PendingChange(NextSequence++, AppendAndFlush(), change.RequestId, before);
    }

    /// <summary>Appends a group's changes in one write and flushes them once, before their content changes.</summary>
    /// <param name="changes">The changes, numbered from <see cref="NextSequence"/> on.</param>
    /// <returns>One pending change per change, in order, to settle with <see cref="Settle"/>.</returns>
    /// <remarks>Only the last settle of a group can bring a scan of the log up to date with the whole group: the others name
    /// a log that never was, so their <see cref="PendingChange.LogBefore"/> matches nothing.</remarks>
    public List<PendingChange> Begin(IReadOnlyList<MemoryChange> changes)
    {
        _lineBuffer.ResetWrittenCount();
        foreach (var change in changes)
        {
            MemoryChangeJson.WriteLine(_lineBuffer, change);
        }

        var before = Key;
        var fd = AppendAndFlush();
        var pending = new List<PendingChange>(changes.Count);
        for (var i = 0; i < changes.Count; i++)
        {
            pending.Add(new PendingChange(NextSequence++, fd, changes[i].RequestId, i == changes.Count - 1 ? before : (ulong.MaxValue, ulong.MaxValue)));
        }

        return pending;
    }

    /// <summary>Settles a change once its content step is done or has failed; never throws, as the step already happened.</summary>
    /// <param name="change">The change.</param>
    /// <param name="applied">Whether its content step took effect.</param>
    public void Settle(PendingChange change, bool applied)
    {
        if (change.LogFd < 0)
        {
            return;
        }

        try
        {
            _fs.WriteAll(change.LogFd, MemoryChangeJson.SettleLine(applied ? "ok" : "abort", change.Sequence));
            Key = _fs.KeyOf(change.LogFd);
        }
        catch (MemoryStoreException)
        {
            Forget();
        }
    }

    /// <summary>Reads the log's changes that took effect: every change but those a later line aborts.</summary>
    /// <returns>The changes, oldest first.</returns>
    public List<MemoryChange> Settled()
    {
        var changes = new List<MemoryChange>();
        var aborted = new HashSet<long>();
        foreach (var line in ReadLines())
        {
            var (change, settle, sequence) = HistoryLines.ParseLine(line);
            if (change is not null)
            {
                changes.Add(change);
            }
            else if (settle == "abort")
            {
                aborted.Add(sequence);
            }
        }

        return changes.FindAll(change => !aborted.Contains(change.Sequence));
    }

    /// <summary>Removes the content of every version with a hash from the log, recording the redaction as a change.</summary>
    /// <param name="hash">The SHA-256 of the content to remove.</param>
    /// <param name="context">Who redacts and why.</param>
    /// <returns>How many versions lost their content.</returns>
    public int Redact(string hash, MemoryWriteContext? context)
    {
        var redacted = 0;
        var rewritten = new ArrayBufferWriter<byte>();
        foreach (var line in ReadLines())
        {
            var (change, _, _) = HistoryLines.ParseLine(line);
            if (change is not null && change.Files.Any(file => file.Hash == hash && file.Content is not null))
            {
                var files = change.Files.Select(file => file.Hash == hash && file.Content is not null ? file with { Content = null } : file).ToList();
                redacted += change.Files.Count(file => file.Hash == hash && file.Content is not null);
                rewritten.Write(MemoryChangeJson.ToLine(change with { Files = files }));
            }
            else
            {
                rewritten.Write(line.Span);
                rewritten.Write("\n"u8);
            }
        }

        if (redacted == 0)
        {
            return 0;
        }

        var record = new MemoryChange(NextSequence, _time.GetUtcNow(), MemoryChangeKind.Redact, null, [])
        {
            Actor = context?.Actor,
            Reason = context?.Reason ?? "redact",
            RedactedHash = hash,
        };
        rewritten.Write(MemoryChangeJson.ToLine(record));
        rewritten.Write(MemoryChangeJson.SettleLine("ok", record.Sequence));
        Replace(rewritten.WrittenSpan);
        NextSequence++;
        return redacted;
    }

    /// <summary>Puts an imported history in place, settled, into a store that has none.</summary>
    /// <param name="history">The changes, their numbers rising.</param>
    public void Import(IReadOnlyList<MemoryChange> history)
    {
        var log = new ArrayBufferWriter<byte>();
        foreach (var change in history)
        {
            log.Write(MemoryChangeJson.ToLine(change));
        }

        log.Write(MemoryChangeJson.SettleLine("ok", history[^1].Sequence));
        Replace(log.WrittenSpan);
        NextSequence = history[^1].Sequence + 1;
    }

    /// <summary>Reads the log from where a scan stopped, for the request index; only its last <paramref name="maxBytes"/> on a first look.</summary>
    /// <param name="scanned">Where the last scan stopped: the log's identity and the offset read up to.</param>
    /// <param name="maxBytes">How much of a log not scanned before to read at most, from a line start.</param>
    /// <returns>The bytes read, the offset they start at, and the log's identity.</returns>
    public (byte[] Tail, ulong From, ulong Inode) ReadTail((ulong Inode, ulong Size) scanned, ulong maxBytes)
    {
        var from = Key.Inode == scanned.Inode && Key.Size >= scanned.Size ? scanned.Size : 0UL;
        var fd = _fs.OpenAt(_metaFd, LogName, ORdOnly | ONoFollow | OCloExec, 0);
        if (fd < 0)
        {
            throw _fs.Failure("open the history", _fs.LastError);
        }

        try
        {
            var key = _fs.KeyOf(fd);
            if (key.Inode != Key.Inode)
            {
                from = 0;
            }

            if (key.Size - from > maxBytes)
            {
                from = (ulong)(_fs.LastNewline(fd, (long)(key.Size - maxBytes)) + 1);
            }

            return (_fs.ReadAt(fd, (long)from, (long)(key.Size - from)), from, key.Inode);
        }
        finally
        {
            _ = _fs.Close(fd);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => CloseAppend();

    /// <summary>Appends the line buffer to the log and flushes it; on failure, forgets what is known of the log.</summary>
    private int AppendAndFlush()
    {
        try
        {
            var fd = ForAppend();
            _fs.WriteAll(fd, _lineBuffer.WrittenSpan);
            if (_writer.Durable && _fs.FSync(fd) != 0)
            {
                throw _fs.Failure("flush the history", _fs.LastError);
            }

            return fd;
        }
        catch
        {
            // The lines may be in the log, partly or whole: let the next writer settle them before trusting what it knows.
            Forget();
            throw;
        }
    }

    /// <summary>Forgets what is known of the log, so the next writer looks at it before trusting anything.</summary>
    private void Forget()
    {
        CloseAppend();
        _known = false;
    }

    /// <summary>The log opened for appending, kept open between writes while the log at its name is the same file.</summary>
    /// <remarks>Runs after <see cref="Prepare"/>, whose look at the name is in <see cref="Key"/>; a redaction or an import
    /// elsewhere replaces the file, which that look notices, and the handle is opened again.</remarks>
    private int ForAppend()
    {
        if (_fd >= 0 && Key != (0, 0) && Key.Inode == _fdInode)
        {
            return _fd;
        }

        CloseAppend();
        var created = Key == (0, 0);
        var fd = _fs.OpenAt(_metaFd, LogName, OWrOnly | OAppend | OCreat | ONoFollow | OCloExec, DurableFileWriter.FileMode);
        if (fd < 0)
        {
            throw _fs.Failure("open the history", _fs.LastError);
        }

        if (created && _writer.Durable && _fs.FSync(_metaFd) != 0)
        {
            _ = _fs.Close(fd);
            throw _fs.Failure("flush the history", _fs.LastError);
        }

        (_fd, _fdInode) = (fd, _fs.KeyOf(fd).Inode);
        return fd;
    }

    private void CloseAppend()
    {
        if (_fd >= 0)
        {
            _ = _fs.Close(_fd);
            _fd = -1;
        }
    }

    private List<ReadOnlyMemory<byte>> ReadLines()
    {
        var fd = _fs.OpenAt(_metaFd, LogName, ORdOnly | ONoFollow | OCloExec, 0);
        if (fd < 0)
        {
            return _fs.LastError == ENoEnt ? [] : throw _fs.Failure("open the history", _fs.LastError);
        }

        try
        {
            return FolderSystem.SplitLines(_fs.ReadAll(fd, _fs.SizeOf(fd)));
        }
        finally
        {
            _ = _fs.Close(fd);
        }
    }

    /// <summary>Puts a new log in place in one step (a temp file flushed and renamed over the old).</summary>
    private void Replace(ReadOnlySpan<byte> content)
    {
        _writer.ReplaceFile(_metaFd, LogName, content, "replace the history");
        Key = _fs.Statx(_metaFd, LogName, AtSymlinkNoFollow, StatxBasicStats, out var stat) == 0 ? (stat.Ino, stat.Size) : (0, 0);
        _known = true;
    }
}

/// <summary>A change appended to the history and not yet settled.</summary>
/// <param name="Sequence">Its number; 0 when the store keeps no history.</param>
/// <param name="LogFd">The log's handle to settle it through; -1 when the store keeps no history.</param>
/// <param name="RequestId">The write's idempotency key, remembered once the change is applied.</param>
/// <param name="LogBefore">The log as it was before this change, when nothing else was added since the request index's scan.</param>
internal readonly record struct PendingChange(long Sequence, int LogFd, string? RequestId, (ulong Inode, ulong Size) LogBefore);
