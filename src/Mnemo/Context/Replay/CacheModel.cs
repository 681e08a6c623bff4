namespace Mnemo.Context.Replay;

/// <summary>The prompt cache as the API keeps it, with one breakpoint at the end of each request: an entry is written
/// at each breakpoint; a later request reads the longest entry whose prefix it still has, at a breakpoint no more
/// than the lookback before its own, written or read within the cache's life. <c>firstChanged</c> holds, for each tool use
/// in clearing order, the first block its clearing changes (<see cref="long.MaxValue"/> for none); <see langword="null"/>
/// without editing.</summary>
internal sealed class CacheModel(ReplayOptions options, long[]? firstChanged)
{
    private readonly List<Entry> _entries = [];

    public (long Read, long Write, long Uncached) Send(long end, int reach, long tokens, DateTimeOffset? at)
    {
        _entries.RemoveAll(entry => entry.End < end - options.CacheLookbackBlocks);
        Entry? hit = null;
        foreach (var entry in _entries)
        {
            if (entry.End <= end && Alive(entry, at) && SamePrefix(entry, reach) && (hit is null || entry.End > hit.End))
            {
                hit = entry;
            }
        }

        var read = 0L;
        if (hit is not null)
        {
            read = hit.Tokens;
            hit.Used = at;
        }

        if (tokens < options.MinimumCacheableTokens)
        {
            return (read, 0, tokens - read);
        }

        if (tokens > read || hit is null || hit.End != end)
        {
            _entries.Add(new Entry(end, reach, tokens) { Used = at });
        }

        return (read, tokens - read, 0);
    }

    private bool Alive(Entry entry, DateTimeOffset? at) =>
        at is null || entry.Used is null || at.Value - entry.Used.Value <= options.CacheLife;

    /// <summary>Whether the request still holds the entry's prefix: the tool uses cleared before the entry's end are
    /// the same in both.</summary>
    private bool SamePrefix(Entry entry, int reach)
    {
        if (firstChanged is null || entry.Reach == reach)
        {
            return true;
        }

        var (from, to) = entry.Reach < reach ? (entry.Reach, reach) : (reach, entry.Reach);
        for (var o = from; o < to; o++)
        {
            if (firstChanged[o] < entry.End)
            {
                return false;
            }
        }

        return true;
    }

    private sealed class Entry(long end, int reach, long tokens)
    {
        public long End { get; } = end;

        public int Reach { get; } = reach;

        public long Tokens { get; } = tokens;

        public DateTimeOffset? Used { get; set; }
    }
}
