
namespace Mnemo.Memory.FileSystem;

/// <summary>The idempotency keys of the writes a folder store applied, so a write sent again is answered, not applied again.</summary>
/// <remarks>
/// <para>With history, every process's applied keys are in the log: the part added since the last look is read (only its
/// lines that carry a key are parsed), so a retry that reaches another process on the same folder is caught too. Without
/// history only this store's own writes are known.</para>
/// <para>The last <see cref="Remembered"/> keys are kept. Used under the store's write lock.</para>
/// </remarks>
internal sealed class RequestIndex
{
    /// <summary>How many keys are kept.</summary>
    public const int Remembered = 100_000;

    // A retry comes within minutes of its first attempt, so a first look (or one after the log was replaced) reads only
    // the log's last part, from a line start: a long history is never read whole into memory.
    private const ulong ScanBytes = 64UL * 1024 * 1024;

    private readonly Dictionary<string, long> _applied = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private (ulong Inode, ulong Size) _scanned;

    /// <summary>Tells whether a write's key belongs to a write already applied; after the log's <see cref="HistoryLog.Prepare"/>.</summary>
    /// <param name="context">The write's context.</param>
    /// <param name="log">The store's history, or <see langword="null"/> when it keeps none.</param>
    /// <returns><see langword="true"/> when the key is known: the write must not be applied again.</returns>
    public bool AppliedBefore(MemoryWriteContext? context, HistoryLog? log)
    {
        if (context?.RequestId is not { } id)
        {
            return false;
        }

        if (log is not null && log.Key != _scanned)
        {
            CatchUp(log);
        }

        return _applied.ContainsKey(id);
    }

    /// <summary>Remembers the key of a write that took effect.</summary>
    /// <param name="id">The key.</param>
    /// <param name="sequence">The write's number in the history (0 without history).</param>
    public void Remember(string id, long sequence)
    {
        if (_applied.TryAdd(id, sequence))
        {
            _order.Enqueue(id);
            if (_order.Count > Remembered)
            {
                _applied.Remove(_order.Dequeue());
            }
        }
    }

    /// <summary>Takes note that a change this store settled is all the log gained since it was <paramref name="before"/>.</summary>
    /// <param name="before">The log before the change.</param>
    /// <param name="after">The log after its settle line.</param>
    public void Settled((ulong Inode, ulong Size) before, (ulong Inode, ulong Size) after)
    {
        if (_scanned == before)
        {
            // Nothing but this change was added since the last scan: no need to read it back.
            _scanned = after;
        }
    }

    private void CatchUp(HistoryLog log)
    {
        if (log.Key == (0, 0))
        {
            _scanned = log.Key;
            return;
        }

        var (tail, from, inode) = log.ReadTail(_scanned, ScanBytes);

        // A group's changes come before its settle lines, so keys wait here for their change's "ok".
        var pending = new Dictionary<long, string>();
        foreach (var line in FolderSystem.SplitLines(tail))
        {
            var span = line.Span;
            if (span.StartsWith("{\"ok\":"u8) || span.StartsWith("{\"abort\":"u8))
            {
                var (_, settle, sequence) = HistoryLines.ParseLine(line);
                if (pending.Remove(sequence, out var id) && settle == "ok")
                {
                    Remember(id, sequence);
                }
            }
            else if (span.IndexOf("\"request\":"u8) >= 0 && HistoryLines.ParseLine(line).Change is { RequestId: { } id } change)
            {
                pending[change.Sequence] = id;
            }
        }

        // A tail that ends mid-line is read again next time.
        _scanned = (inode, from + (ulong)(tail.AsSpan().LastIndexOf((byte)'\n') + 1));
    }
}
