namespace Mnemo.Memory;

/// <summary>Represents what a store holds and how it has grown.</summary>
/// <param name="Files">How many files.</param>
/// <param name="Bytes">How many bytes they hold together.</param>
/// <param name="Changes">How many changes the history records.</param>
/// <param name="GrowthLastDay">Bytes added (less bytes removed) over the last day.</param>
/// <param name="GrowthLastWeek">The same over the last 7 days.</param>
/// <param name="GrowthLastMonth">The same over the last 30 days.</param>
/// <param name="LastAccess">When any file was last read or written.</param>
/// <param name="Largest">The largest files, largest first.</param>
/// <param name="Stalest">The files untouched for longest, stalest first.</param>
public sealed record MemoryStoreStats(
    int Files,
    long Bytes,
    int Changes,
    long GrowthLastDay,
    long GrowthLastWeek,
    long GrowthLastMonth,
    DateTimeOffset? LastAccess,
    IReadOnlyList<MemoryFileActivity> Largest,
    IReadOnlyList<MemoryFileActivity> Stalest)
{
    /// <summary>How much the store grew over the last day, week and month, from its history: bytes added less bytes removed.</summary>
    /// <param name="history">The history, oldest first.</param>
    /// <param name="now">The time the windows end at.</param>
    /// <returns>The growth over each window.</returns>
    internal static (long Day, long Week, long Month) Growth(IReadOnlyList<MemoryChange> history, DateTimeOffset now)
    {
        long growthDay = 0, growthWeek = 0, growthMonth = 0;
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var change in history)
        {
            var before = sizes.Values.Sum();
            if (change.Kind == MemoryChangeKind.Rename && change.From is { } from)
            {
                foreach (var name in sizes.Keys.Where(name => MemoryHistoryQueries.Within(name, from)).ToList())
                {
                    sizes.Remove(name);
                }
            }

            foreach (var file in change.Files)
            {
                if (change.Kind == MemoryChangeKind.Delete)
                {
                    sizes.Remove(file.Path);
                }
                else
                {
                    sizes[file.Path] = file.Size;
                }
            }

            var delta = sizes.Values.Sum() - before;
            var age = now - change.Time;
            growthDay += age <= TimeSpan.FromDays(1) ? delta : 0;
            growthWeek += age <= TimeSpan.FromDays(7) ? delta : 0;
            growthMonth += age <= TimeSpan.FromDays(30) ? delta : 0;
        }

        return (growthDay, growthWeek, growthMonth);
    }
}
