namespace Mnemo.Memory.FileSystem;

/// <summary>The store's file count and bytes, counted once by a walk and then kept up to date by the store's own writes.</summary>
/// <remarks>
/// With history, another process's write shows as a change of the log, and the store forgets the count. Without it there is
/// nothing to see, so the count is taken again when it is a second old: totals may then miss the last second of other
/// processes' writes. Used under the store's write lock.
/// </remarks>
/// <param name="seesOtherWriters">Whether the store notices other processes' writes (it keeps history), so a count stays good until told otherwise.</param>
internal sealed class UsageCounter(bool seesOtherWriters)
{
    private const long RecountAfterMilliseconds = 1000;

    private bool _known;
    private (long Files, long Bytes) _usage;
    private long _countedAt;

    /// <summary>Gets the count, walking the files when it is not known (or, without history, a second old).</summary>
    /// <param name="walk">Walks every file, telling the callback each one's size.</param>
    /// <returns>How many files the store holds, and their bytes.</returns>
    public (long Files, long Bytes) Get(Action<Action<long>> walk)
    {
        if (_known && (seesOtherWriters || Environment.TickCount64 - _countedAt < RecountAfterMilliseconds))
        {
            return _usage;
        }

        long files = 0, bytes = 0;
        walk(size =>
        {
            files++;
            bytes += size;
        });
        _usage = (files, bytes);
        (_known, _countedAt) = (true, Environment.TickCount64);
        return _usage;
    }

    /// <summary>Forgets the count: something else changed the files.</summary>
    public void Forget() => _known = false;

    /// <summary>Adds what a write of this store's did, when the count is known.</summary>
    /// <param name="files">Files added (negative for removed).</param>
    /// <param name="bytes">Bytes added (negative for removed).</param>
    public void Add(long files, long bytes)
    {
        if (_known)
        {
            _usage = (_usage.Files + files, _usage.Bytes + bytes);
        }
    }
}
