using System.Buffers;
using System.Text;
using System.Text.Json;
using static Mnemo.Memory.FileSystem.LinuxInterop;

namespace Mnemo.Memory.FileSystem;

/// <summary>The store's history, quotas, read tracking and expiry, kept in the root's <c>.mnemo</c> folder.</summary>
/// <remarks>
/// <para><b>History.</b> <c>.mnemo/history.jsonl</c> holds one line per change with the content of every file it leaves
/// (see <see cref="MemoryChangeJson"/>). Under the write lock a change is appended and flushed <i>before</i> the content
/// changes, then settled with an <c>{"ok":n}</c> line after (or <c>{"abort":n}</c> when the change failed). A crash can
/// leave at most the last change unsettled; the next writer, from this process or another, checks it against the files
/// before doing anything else and settles it for what actually happened. So no version is ever listed whose content was
/// not written, and no content is written without its version.</para>
/// <para><b>Reads</b> take no lock; at most once per <see cref="VersionedMemoryStoreOptions.ReadTrackingResolution"/> per
/// file a read is appended to <c>.mnemo/reads.jsonl</c>, for expiry and statistics.</para>
/// </remarks>
public sealed partial class FileSystemMemoryStore
{
    /// <summary>The name of the folder in the root that holds the store's own records; no memory path can reach it.</summary>
    public const string MetaDirectoryName = ".mnemo";

    private const string LogName = "history.jsonl";
    private const string ReadsName = "reads.jsonl";
    private const int RememberedRequests = 100_000;
    private const ulong RequestScanBytes = 64UL * 1024 * 1024;

    private readonly bool _history;
    private readonly MemoryQuotas _quotas;
    private readonly TimeProvider _time;
    private readonly TimeSpan _readResolution;
    private readonly Dictionary<string, DateTimeOffset> _notedReads = new(StringComparer.Ordinal);
    private readonly ArrayBufferWriter<byte> _lineBuffer = new(4096);

    // Guarded by the write lock.
    private bool _logKnown;
    private (ulong Inode, ulong Size) _logKey;
    private int _logFd = -1;
    private ulong _logFdInode;
    private long _nextSequence = 1;
    private bool _usageKnown;
    private (long Files, long Bytes) _usage;
    private long _usageCountedAt;
    private readonly Dictionary<string, long> _appliedRequests = new(StringComparer.Ordinal);
    private readonly Queue<string> _requestOrder = new();
    private (ulong Inode, ulong Size) _requestsScanned;

    /// <inheritdoc/>
    public TimeSpan? ExpireAfter { get; }

    /// <summary>Gets the full path of the folder that holds the store's history and read log.</summary>
    public string MetaDirectory => Path.Combine(RootDirectory, MetaDirectoryName);

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<MemoryChange>> ReadHistoryAsync(CancellationToken cancellationToken = default)
    {
        if (!_history)
        {
            return [];
        }

        using var gate = await LockAsync(cancellationToken).ConfigureAwait(false);
        PrepareLocked();
        return SettledChangesLocked();
    }

    /// <summary>The log's changes that took effect: every change but those a later line aborts.</summary>
    private List<MemoryChange> SettledChangesLocked()
    {
        var changes = new List<MemoryChange>();
        var aborted = new HashSet<long>();
        foreach (var line in ReadLogLines())
        {
            var (change, settle, sequence) = ParseLogLine(line);
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

    /// <inheritdoc/>
    public async ValueTask<int> RedactAsync(string hash, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(hash);
        if (!_history || !MemoryHash.IsSha256(hash))
        {
            return 0;
        }

        using var gate = await LockAsync(cancellationToken).ConfigureAwait(false);
        PrepareLocked();
        var redacted = 0;
        var rewritten = new ArrayBufferWriter<byte>();
        foreach (var line in ReadLogLines())
        {
            var (change, _, _) = ParseLogLine(line);
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

        var record = new MemoryChange(_nextSequence, _time.GetUtcNow(), MemoryChangeKind.Redact, null, [])
        {
            Actor = context?.Actor,
            Reason = context?.Reason ?? "redact",
            RedactedHash = hash,
        };
        rewritten.Write(MemoryChangeJson.ToLine(record));
        rewritten.Write(MemoryChangeJson.SettleLine("ok", record.Sequence));
        ReplaceLog(rewritten.WrittenSpan);
        _nextSequence++;
        return redacted;
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<MemoryFileActivity>> ReadActivityAsync(CancellationToken cancellationToken = default)
    {
        using var gate = await LockAsync(cancellationToken).ConfigureAwait(false);
        PrepareLocked();
        return ActivityLocked();
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<MemoryPath>> SweepAsync(
        TimeSpan maxIdle, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxIdle, TimeSpan.Zero);
        using var gate = await LockAsync(cancellationToken).ConfigureAwait(false);
        PrepareLocked();
        var now = _time.GetUtcNow();
        context = (context ?? new MemoryWriteContext()) with { Reason = context?.Reason ?? "expire" };
        var swept = new List<MemoryPath>();
        var kept = new List<MemoryFileActivity>();
        foreach (var file in ActivityLocked())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (now - file.LastAccess > maxIdle && DeleteLocked(file.Path, context) == MemoryDeleteOutcome.Deleted)
            {
                swept.Add(file.Path);
            }
            else
            {
                kept.Add(file);
            }
        }

        CompactReadsLocked(kept);
        return swept;
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

        using var gate = await LockAsync(cancellationToken).ConfigureAwait(false);
        PrepareLocked();
        _usageKnown = false;
        if (UsageLocked().Files > 0 || (_history && _nextSequence > 1))
        {
            throw new MemoryStoreException("the store is not empty: an import needs a store with no files and no history");
        }

        foreach (var directory in snapshot.Directories)
        {
            ThrowIfReserved(directory);
            using var resolved = Resolve(directory.Child("_"), createParents: true);
            resolved.SyncDirectories(_durable);
        }

        foreach (var file in snapshot.Files)
        {
            ThrowIfReserved(file.Path);
            Retry(() =>
            {
                using var resolved = Resolve(file.Path, createParents: true);
                if (resolved.Status == ResolveStatus.Raced)
                {
                    return Attempt<bool>.Raced;
                }

                if (resolved.Status != ResolveStatus.Missing)
                {
                    throw resolved.Status == ResolveStatus.ParentMissing
                        ? new MemoryParentNotDirectoryException(file.Path)
                        : new MemoryStoreException($"the import names {file.Path.Normalized} twice");
                }

                var temp = WriteTemp(resolved.ParentFd, file.Content.Span);
                if (RenameAt2(resolved.ParentFd, temp, resolved.ParentFd, resolved.Name!, RenameNoReplace) != 0)
                {
                    var error = LastError;
                    _ = UnlinkAt(resolved.ParentFd, temp, 0);
                    throw Failure("create a file", error);
                }

                resolved.SyncDirectories(_durable);
                return new Attempt<bool>(true);
            });
        }

        if (_history && snapshot.History.Count > 0)
        {
            var log = new ArrayBufferWriter<byte>();
            foreach (var change in snapshot.History)
            {
                log.Write(MemoryChangeJson.ToLine(change));
            }

            log.Write(MemoryChangeJson.SettleLine("ok", snapshot.History[^1].Sequence));
            ReplaceLog(log.WrittenSpan);
            _nextSequence = snapshot.History[^1].Sequence + 1;
        }

        _usageKnown = false;
    }

    private static bool IsReserved(MemoryPath path) => path.Segments.Count > 0 && path.Segments[0] == MetaDirectoryName;

    private static void ThrowIfReserved(MemoryPath path)
    {
        if (IsReserved(path))
        {
            throw new MemoryPathEscapeException(path);
        }
    }

    private bool IsRootFolder(int dirFd) =>
        Statx(dirFd, string.Empty, AtEmptyPath, StatxBasicStats, out var folder) == 0 &&
        Statx(_rootFd, string.Empty, AtEmptyPath, StatxBasicStats, out var root) == 0 &&
        folder.Identity == root.Identity;

    private int OpenMetaDirectory()
    {
        var created = MkdirAt(_rootFd, MetaDirectoryName, DirectoryMode) == 0;
        if (!created && LastError != EExist)
        {
            throw Failure("create the store's .mnemo folder", LastError);
        }

        var fd = OpenAt(_rootFd, MetaDirectoryName, ORdOnly | ODirectory | ONoFollow | OCloExec, 0);
        if (fd < 0)
        {
            throw Failure("open the store's .mnemo folder", LastError);
        }

        if (created && _durable)
        {
            _ = FSync(_rootFd);
        }

        return fd;
    }

    private IReadOnlyList<MemoryFileVersion> Versions(MemoryPath path, ReadOnlyMemory<byte> content) =>
        _history ? [new MemoryFileVersion(path.Normalized, MemoryHash.Sha256(content.Span), content.Length, content)] : [];

    /// <summary>Settles what a crashed writer left and notices other processes' writes; the first thing under the write lock.</summary>
    private void PrepareLocked()
    {
        if (!_history)
        {
            return;
        }

        var key = Statx(_metaFd, LogName, AtSymlinkNoFollow, StatxBasicStats, out var stat) == 0 ? (stat.Ino, stat.Size) : (0UL, 0UL);
        if (_logKnown && key == _logKey)
        {
            return;
        }

        _usageKnown = false;
        // Appending: the settle line below must land at the end, whatever the reads before it did.
        var fd = OpenAt(_metaFd, LogName, ORdWr | OAppend | ONoFollow | OCloExec, 0);
        if (fd < 0)
        {
            if (LastError != ENoEnt)
            {
                throw Failure("open the history", LastError);
            }

            (_nextSequence, _logKey, _logKnown) = (1, (0, 0), true);
            return;
        }

        try
        {
            var size = SizeOf(fd);
            if (size > 0 && ReadAt(fd, size - 1, 1)[0] != (byte)'\n')
            {
                // A line cut short by a power cut: its change was never started, since a change waits for its line to be on disk.
                size = LastNewline(fd, size) + 1;
                if (FTruncate(fd, size) != 0 || (_durable && FSync(fd) != 0))
                {
                    throw Failure("repair the history", LastError);
                }
            }

            _nextSequence = 1;
            if (size > 0)
            {
                var (unsettled, last) = UnsettledTail(fd, size);
                foreach (var change in unsettled)
                {
                    WriteAll(fd, MemoryChangeJson.SettleLine(Applied(change) ? "ok" : "abort", change.Sequence));
                }

                if (unsettled.Count > 0 && _durable && FSync(fd) != 0)
                {
                    throw Failure("settle the history", LastError);
                }

                _nextSequence = last + 1;
            }

            _logKey = KeyOf(fd);
            _logKnown = true;
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>The changes of the log's last group that no settle line follows, oldest first, and the highest number in it.</summary>
    /// <remarks>
    /// Writers append a group's changes, then (once the files are in place) its settle lines, under the lock; one write is
    /// a group of one. So only the last group can be unsettled, and walking back from the end, the group ends at the first
    /// settle line met after a change. A settled change's content is not parsed: its number, at the start of its line, is enough.
    /// </remarks>
    private static (List<MemoryChange> Unsettled, long Last) UnsettledTail(int fd, long size)
    {
        var settled = new HashSet<long>();
        var unsettled = new List<MemoryChange>();
        var seenChange = false;
        long last = 0;
        for (var (end, lines) = (size - 1, 0); end > 0 && lines < (2 * MaxGroupWrites) + 2; lines++)
        {
            var start = LastNewline(fd, end) + 1;
            var line = ReadAt(fd, start, end - start);
            end = start - 1;
            var number = SequenceAtStart(line);
            if (!line.AsSpan().StartsWith("{\"seq\":"u8))
            {
                // A settle line: the end of the previous group once this group's changes have been met.
                if (seenChange)
                {
                    break;
                }

                var sequence = number ?? ParseLogLine(line).Sequence;
                settled.Add(sequence);
                last = Math.Max(last, sequence);
                continue;
            }

            seenChange = true;
            if (number is { } known && settled.Contains(known))
            {
                last = Math.Max(last, known);
                continue;
            }

            var change = ParseLogLine(line).Change ?? throw new MemoryStoreException("the history has a damaged line");
            last = Math.Max(last, change.Sequence);
            unsettled.Insert(0, change);
        }

        return (unsettled, last);
    }

    /// <summary>The number a log line starts with: a change's <c>seq</c> or a settle line's; <see langword="null"/> for any other shape.</summary>
    private static long? SequenceAtStart(ReadOnlySpan<byte> line)
    {
        ReadOnlySpan<byte> digits;
        if (line.StartsWith("{\"seq\":"u8))
        {
            digits = line[7..];
        }
        else if (line.StartsWith("{\"ok\":"u8))
        {
            digits = line[6..];
        }
        else if (line.StartsWith("{\"abort\":"u8))
        {
            digits = line[9..];
        }
        else
        {
            return null;
        }

        var length = digits.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
        return length > 0 && System.Buffers.Text.Utf8Parser.TryParse(digits[..length], out long number, out _) ? number : null;
    }

    /// <summary>Tells whether an unsettled change took effect, from what the files show now.</summary>
    private bool Applied(MemoryChange change)
    {
        MemoryItem? Read(string? path) =>
            MemoryPath.TryParse(path, out var parsed, out _) ? ReadItem(parsed) : null;

        return change.Kind switch
        {
            MemoryChangeKind.Create or MemoryChangeKind.Edit => Read(change.Path) is { Kind: MemoryEntryKind.File } file &&
                change.Files.Count == 1 && MemoryHash.Sha256(file.Content.Span) == change.Files[0].Hash,
            MemoryChangeKind.Delete => Read(change.Path) is null,
            MemoryChangeKind.Rename => Read(change.From) is null && Read(change.Path) is not null,
            _ => true,
        };
    }

    /// <summary>Appends a change and flushes it, before the content changes; nothing when the store keeps no history.</summary>
    private PendingChange BeginChange(
        MemoryChangeKind kind, MemoryPath path, MemoryPath? from, IReadOnlyList<MemoryFileVersion> files, MemoryWriteContext? context,
        (int DirFd, string Name)? discardOnFailure = null)
    {
        if (!_history)
        {
            return new PendingChange(0, -1, context?.RequestId, default);
        }

        int fd;
        try
        {
            var change = new MemoryChange(_nextSequence, _time.GetUtcNow(), kind, path.Normalized, files)
            {
                From = from?.Normalized,
                Actor = context?.Actor,
                Reason = context?.Reason,
                RequestId = context?.RequestId,
            };
            // One buffer for every line this store writes, reused under the write lock: a version of a large file costs
            // its copy into the log, not a fresh buffer each time.
            _lineBuffer.ResetWrittenCount();
            MemoryChangeJson.WriteLine(_lineBuffer, change);
            fd = LogForAppend();
            WriteAll(fd, _lineBuffer.WrittenSpan);
            if (_durable && FSync(fd) != 0)
            {
                throw Failure("flush the history", LastError);
            }

            return new PendingChange(_nextSequence++, fd, context?.RequestId, _logKey);
        }
        catch
        {
            CloseLog();

            // The line may be in the log, partly or whole: let the next writer look before trusting what it knows.
            _logKnown = false;
            if (discardOnFailure is var (dirFd, name))
            {
                _ = UnlinkAt(dirFd, name, 0);
            }

            throw;
        }
    }

    /// <summary>Settles a change once its content step is done or has failed; never throws, as the step already happened.</summary>
    private void EndChange(PendingChange change, bool applied, long filesAdded = 0, long bytesAdded = 0)
    {
        if (change.LogFd >= 0)
        {
            var settle = MemoryChangeJson.SettleLine(applied ? "ok" : "abort", change.Sequence);
            try
            {
                WriteAll(change.LogFd, settle);
                _logKey = KeyOf(change.LogFd);
                if (_requestsScanned == change.LogBefore)
                {
                    // Nothing but this change was added since the last scan: no need to read it back.
                    _requestsScanned = _logKey;
                }
            }
            catch (MemoryStoreException)
            {
                CloseLog();
                _logKnown = false;
            }
        }

        if (applied && _usageKnown)
        {
            _usage = (_usage.Files + filesAdded, _usage.Bytes + bytesAdded);
        }

        if (applied && change.RequestId is { } id)
        {
            RememberRequest(id, change.Sequence);
        }
    }

    /// <summary>Tells whether a write's idempotency key belongs to a write already applied; under the write lock, after <see cref="PrepareLocked"/>.</summary>
    /// <remarks>
    /// With history, every process's applied keys are in the log: the part added since the last look is read (only its
    /// lines that carry a key are parsed), so a retry that reaches another process on the same folder is caught too.
    /// Without history only this store's own writes are known.
    /// </remarks>
    private bool AppliedBefore(MemoryWriteContext? context)
    {
        if (context?.RequestId is not { } id)
        {
            return false;
        }

        if (_history && _logKey != _requestsScanned)
        {
            ScanRequestsLocked();
        }

        return _appliedRequests.ContainsKey(id);
    }

    private void ScanRequestsLocked()
    {
        var from = _logKey.Inode == _requestsScanned.Inode && _logKey.Size >= _requestsScanned.Size ? _requestsScanned.Size : 0UL;
        if (_logKey == (0, 0))
        {
            _requestsScanned = _logKey;
            return;
        }

        var fd = OpenAt(_metaFd, LogName, ORdOnly | ONoFollow | OCloExec, 0);
        if (fd < 0)
        {
            throw Failure("open the history", LastError);
        }

        try
        {
            var key = KeyOf(fd);
            if (key.Inode != _logKey.Inode)
            {
                from = 0;
            }

            // A retry comes within minutes of its first attempt, so a first look (or one after the log was replaced) reads
            // only the log's last RequestScanBytes, from a line start: a long history is never read whole into memory.
            if (key.Size - from > RequestScanBytes)
            {
                from = (ulong)(LastNewline(fd, (long)(key.Size - RequestScanBytes)) + 1);
            }

            // A group's changes come before its settle lines, so keys wait here for their change's "ok".
            var pending = new Dictionary<long, string>();
            var tail = ReadAt(fd, (long)from, (long)(key.Size - from));
            foreach (var line in SplitLines(tail))
            {
                var span = line.Span;
                if (span.StartsWith("{\"ok\":"u8) || span.StartsWith("{\"abort\":"u8))
                {
                    var (_, settle, sequence) = ParseLogLine(line);
                    if (pending.Remove(sequence, out var id) && settle == "ok")
                    {
                        RememberRequest(id, sequence);
                    }
                }
                else if (span.IndexOf("\"request\":"u8) >= 0 && ParseLogLine(line).Change is { RequestId: { } id } change)
                {
                    pending[change.Sequence] = id;
                }
            }

            // A tail that ends mid-line is read again next time.
            _requestsScanned = (key.Inode, from + (ulong)(tail.AsSpan().LastIndexOf((byte)'\n') + 1));
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private void RememberRequest(string id, long sequence)
    {
        if (_appliedRequests.TryAdd(id, sequence))
        {
            _requestOrder.Enqueue(id);
            if (_requestOrder.Count > RememberedRequests)
            {
                _appliedRequests.Remove(_requestOrder.Dequeue());
            }
        }
    }

    /// <summary>The history opened for appending, kept open between writes while the log at its name is the same file.</summary>
    /// <remarks>Runs after <see cref="PrepareLocked"/>, whose look at the name is in <see cref="_logKey"/>; a redaction or an
    /// import elsewhere replaces the file, which that look notices, and the handle is opened again.</remarks>
    private int LogForAppend()
    {
        if (_logFd >= 0 && _logKey != (0, 0) && _logKey.Inode == _logFdInode)
        {
            return _logFd;
        }

        CloseLog();
        var created = _logKey == (0, 0);
        var fd = OpenAt(_metaFd, LogName, OWrOnly | OAppend | OCreat | ONoFollow | OCloExec, FileMode);
        if (fd < 0)
        {
            throw Failure("open the history", LastError);
        }

        if (created && _durable && FSync(_metaFd) != 0)
        {
            _ = Close(fd);
            throw Failure("flush the history", LastError);
        }

        (_logFd, _logFdInode) = (fd, KeyOf(fd).Inode);
        return fd;
    }

    private void CloseLog()
    {
        if (_logFd >= 0)
        {
            _ = Close(_logFd);
            _logFd = -1;
        }
    }

    /// <summary>The store's file count and bytes, counted once and then kept up to date while no other process writes.</summary>
    /// <remarks>
    /// With history, another process's write shows as a change of the log, and the count starts over. Without it there is
    /// nothing to see, so the count is taken again when it is a second old: totals may then miss the last second of other
    /// processes' writes.
    /// </remarks>
    private (long Files, long Bytes) UsageLocked()
    {
        if (_usageKnown && (_history || Environment.TickCount64 - _usageCountedAt < 1000))
        {
            return _usage;
        }

        long files = 0, bytes = 0;
        WalkFiles((_, stat) =>
        {
            files++;
            bytes += (long)stat.Size;
        });
        _usage = (files, bytes);
        (_usageKnown, _usageCountedAt) = (true, Environment.TickCount64);
        return _usage;
    }

    /// <summary>Reads every file a delete or a rename moves, at the paths the change leaves them; <see langword="null"/> on a race.</summary>
    private List<MemoryFileVersion>? CollectFiles(int parentFd, string name, in StatxBuffer stat, MemoryPath source, MemoryPath target)
    {
        var files = new List<MemoryFileVersion>();
        if (!_history)
        {
            return files;
        }

        if (stat.IsRegular)
        {
            var content = ReadAt(parentFd, name);
            if (content is null)
            {
                return null;
            }

            files.Add(new MemoryFileVersion(target.Normalized, MemoryHash.Sha256(content), content.Length, content));
            return files;
        }

        if (!stat.IsDirectory)
        {
            return files;
        }

        var fd = OpenAt(parentFd, name, ORdOnly | ODirectory | ONoFollow | OCloExec, 0);
        if (fd < 0)
        {
            return IsRace(LastError) ? null : throw Failure("open a folder", LastError);
        }

        try
        {
            Collect(fd, target, 0);
            return files;
        }
        finally
        {
            _ = Close(fd);
        }

        void Collect(int dirFd, MemoryPath path, int level)
        {
            foreach (var (child, _) in ReadNames(dirFd))
            {
                if (IsTempName(child) || Statx(dirFd, child, AtSymlinkNoFollow, StatxBasicStats, out var entry) != 0)
                {
                    continue;
                }

                if (entry.IsRegular && ReadAt(dirFd, child) is { } content)
                {
                    var file = path.Child(child);
                    files.Add(new MemoryFileVersion(file.Normalized, MemoryHash.Sha256(content), content.Length, content));
                }
                else if (entry.IsDirectory && level < 64)
                {
                    var childFd = OpenAt(dirFd, child, ORdOnly | ODirectory | ONoFollow | OCloExec, 0);
                    if (childFd >= 0)
                    {
                        try
                        {
                            Collect(childFd, path.Child(child), level + 1);
                        }
                        finally
                        {
                            _ = Close(childFd);
                        }
                    }
                }
            }
        }
    }

    /// <summary>Visits every regular file under the root (links are not followed, the store's own folder is skipped).</summary>
    private void WalkFiles(Action<MemoryPath, StatxBuffer> visit)
    {
        // A fresh handle: reading a folder moves its handle's position, and the root's own handle is shared.
        var rootFd = OpenAt(_rootFd, ".", ORdOnly | ODirectory | OCloExec, 0);
        if (rootFd < 0)
        {
            throw Failure("open the memory folder", LastError);
        }

        try
        {
            Walk(rootFd, MemoryPath.RootPath, 0);
        }
        finally
        {
            _ = Close(rootFd);
        }

        void Walk(int dirFd, MemoryPath path, int level)
        {
            foreach (var (name, _) in ReadNames(dirFd))
            {
                if (IsTempName(name) || (level == 0 && name == MetaDirectoryName) ||
                    Statx(dirFd, name, AtSymlinkNoFollow, StatxBasicStats, out var stat) != 0)
                {
                    continue;
                }

                if (stat.IsRegular)
                {
                    visit(path.Child(name), stat);
                }
                else if (stat.IsDirectory && level < 64)
                {
                    var fd = OpenAt(dirFd, name, ORdOnly | ODirectory | ONoFollow | OCloExec, 0);
                    if (fd >= 0)
                    {
                        try
                        {
                            Walk(fd, path.Child(name), level + 1);
                        }
                        finally
                        {
                            _ = Close(fd);
                        }
                    }
                }
            }
        }
    }

    private List<MemoryFileActivity> ActivityLocked()
    {
        var writes = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        if (_history)
        {
            foreach (var change in SettledChangesLocked())
            {
                if (change.Kind is MemoryChangeKind.Create or MemoryChangeKind.Edit or MemoryChangeKind.Rename)
                {
                    foreach (var file in change.Files)
                    {
                        writes[file.Path] = change.Time;
                    }
                }
            }
        }

        var reads = ReadNotedReads();
        var activity = new List<MemoryFileActivity>();
        WalkFiles((path, stat) =>
        {
            var key = path.Normalized;
            var written = writes.TryGetValue(key, out var time)
                ? time
                : DateTimeOffset.FromUnixTimeSeconds(stat.MTimeSeconds).AddTicks(stat.MTimeNanoseconds / 100);
            activity.Add(new MemoryFileActivity(path, (long)stat.Size, written, reads.TryGetValue(key, out var read) ? read : null));
        });
        return activity;
    }

    /// <summary>Writes a read down, at most once per resolution per file; a read never fails for this.</summary>
    private void NoteRead(MemoryPath path)
    {
        var now = _time.GetUtcNow();
        var key = path.Normalized;
        lock (_notedReads)
        {
            if (_notedReads.TryGetValue(key, out var last) && now - last < _readResolution && now >= last)
            {
                return;
            }

            _notedReads[key] = now;
        }

        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("path", key);
            writer.WriteString("time", now.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);
        var fd = OpenAt(_metaFd, ReadsName, OWrOnly | OAppend | OCreat | ONoFollow | OCloExec, FileMode);
        if (fd >= 0)
        {
            try
            {
                WriteAll(fd, buffer.WrittenSpan);
            }
            catch (MemoryStoreException)
            {
                // Read tracking is a hint for expiry; losing one line costs nothing a user would notice.
            }
            finally
            {
                _ = Close(fd);
            }
        }
    }

    /// <summary>Rewrites the read log with one line per file still here, so it does not grow without end.</summary>
    /// <remarks>A read written down by another process while this runs may be lost; it is a hint, and costs at most an early expiry.</remarks>
    private void CompactReadsLocked(List<MemoryFileActivity> files)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var file in files.Where(file => file.LastRead is not null))
        {
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteString("path", file.Path.Normalized);
                writer.WriteString("time", file.LastRead!.Value.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                writer.WriteEndObject();
            }

            buffer.Write("\n"u8);
        }

        var temp = WriteTemp(_metaFd, buffer.WrittenSpan);
        if (RenameAt2(_metaFd, temp, _metaFd, ReadsName, 0) != 0)
        {
            _ = UnlinkAt(_metaFd, temp, 0);
        }
    }

    private Dictionary<string, DateTimeOffset> ReadNotedReads()
    {
        var reads = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var fd = OpenAt(_metaFd, ReadsName, ORdOnly | ONoFollow | OCloExec, 0);
        if (fd < 0)
        {
            return reads;
        }

        byte[] bytes;
        try
        {
            bytes = ReadAll(fd, SizeOf(fd));
        }
        finally
        {
            _ = Close(fd);
        }

        foreach (var line in SplitLines(bytes))
        {
            try
            {
                using var document = JsonDocument.Parse(line);
                var path = document.RootElement.GetProperty("path").GetString()!;
                var time = document.RootElement.GetProperty("time").GetDateTimeOffset();
                if (!reads.TryGetValue(path, out var known) || time > known)
                {
                    reads[path] = time;
                }
            }
            catch (Exception exception) when (exception is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
            {
                // A damaged hint line is skipped; the history still says when each file was written.
            }
        }

        return reads;
    }

    private List<ReadOnlyMemory<byte>> ReadLogLines()
    {
        var fd = OpenAt(_metaFd, LogName, ORdOnly | ONoFollow | OCloExec, 0);
        if (fd < 0)
        {
            return LastError == ENoEnt ? [] : throw Failure("open the history", LastError);
        }

        try
        {
            return SplitLines(ReadAll(fd, SizeOf(fd)));
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private static List<ReadOnlyMemory<byte>> SplitLines(byte[] bytes)
    {
        var lines = new List<ReadOnlyMemory<byte>>();
        var memory = bytes.AsMemory();
        while (memory.Length > 0)
        {
            var end = memory.Span.IndexOf((byte)'\n');
            if (end < 0)
            {
                break; // a line still being written, or cut short; the next writer repairs it
            }

            if (end > 0)
            {
                lines.Add(memory[..end]);
            }

            memory = memory[(end + 1)..];
        }

        return lines;
    }

    private static (MemoryChange? Change, string? Settle, long Sequence) ParseLogLine(ReadOnlyMemory<byte> line)
    {
        try
        {
            return MemoryChangeJson.Parse(line.Span);
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new MemoryStoreException($"the history has a damaged line: {exception.Message}", innerException: exception);
        }
    }

    /// <summary>Puts a new history in place in one step (a temp file flushed and renamed over the old).</summary>
    private void ReplaceLog(ReadOnlySpan<byte> content)
    {
        var temp = WriteTemp(_metaFd, content);
        if (RenameAt2(_metaFd, temp, _metaFd, LogName, 0) != 0)
        {
            var error = LastError;
            _ = UnlinkAt(_metaFd, temp, 0);
            throw Failure("replace the history", error);
        }

        if (_durable)
        {
            _ = FSync(_metaFd);
        }

        _logKey = Statx(_metaFd, LogName, AtSymlinkNoFollow, StatxBasicStats, out var stat) == 0 ? (stat.Ino, stat.Size) : (0, 0);
        _logKnown = true;
    }

    private static long SizeOf(int fd) =>
        Statx(fd, string.Empty, AtEmptyPath, StatxBasicStats, out var stat) == 0 ? (long)stat.Size : throw Failure("inspect the history", LastError);

    private static (ulong Inode, ulong Size) KeyOf(int fd) =>
        Statx(fd, string.Empty, AtEmptyPath, StatxBasicStats, out var stat) == 0 ? (stat.Ino, stat.Size) : throw Failure("inspect the history", LastError);

    /// <summary>Reads a regular file by name without following a link; <see langword="null"/> when it went away.</summary>
    private static byte[]? ReadAt(int dirFd, string name)
    {
        var fd = OpenAt(dirFd, name, ORdOnly | ONoFollow | ONonBlock | OCloExec, 0);
        if (fd < 0)
        {
            return IsRace(LastError) ? null : throw Failure("open a file", LastError);
        }

        try
        {
            return ReadAll(fd, SizeOf(fd));
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private static unsafe byte[] ReadAt(int fd, long offset, long count)
    {
        var buffer = new byte[count];
        for (var total = 0; total < buffer.Length;)
        {
            nint read;
            fixed (byte* pointer = &buffer[total])
            {
                read = PRead(fd, pointer, (nuint)(buffer.Length - total), offset + total);
            }

            if (read < 0 && LastError == EIntr)
            {
                continue;
            }

            if (read <= 0)
            {
                throw Failure("read the history", read < 0 ? LastError : 5 /* EIO: the file shrank under the lock */);
            }

            total += (int)read;
        }

        return buffer;
    }

    /// <summary>Finds the last newline before <paramref name="end"/>, reading backwards in chunks; -1 when there is none.</summary>
    private static long LastNewline(int fd, long end)
    {
        const int Chunk = 64 * 1024;
        for (var stop = end; stop > 0;)
        {
            var start = Math.Max(0, stop - Chunk);
            var index = ReadAt(fd, start, stop - start).AsSpan().LastIndexOf((byte)'\n');
            if (index >= 0)
            {
                return start + index;
            }

            stop = start;
        }

        return -1;
    }

    private readonly record struct PendingChange(long Sequence, int LogFd, string? RequestId, (ulong Inode, ulong Size) LogBefore);
}
