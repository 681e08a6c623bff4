namespace Mnemo.Memory;

/// <summary>Questions asked of a store's history: the changes that touched a path (followed back through renames), the
/// version of a file in a change, and the files deleted and not written since.</summary>
internal static class MemoryHistoryQueries
{
    /// <summary>The changes that touched a file or folder, oldest first, following renames back to the names it had before.</summary>
    /// <param name="history">The whole history, oldest first.</param>
    /// <param name="path">The file or folder as it is named now.</param>
    /// <returns>The changes.</returns>
    public static List<MemoryChange> Touching(IReadOnlyList<MemoryChange> history, MemoryPath path)
    {
        // Walk back from the newest change, widening the names followed whenever a rename brought the file here.
        var names = new HashSet<string>(StringComparer.Ordinal) { path.Normalized };
        var touched = new List<MemoryChange>();
        for (var i = history.Count - 1; i >= 0; i--)
        {
            var change = history[i];
            if (Touches(change, names))
            {
                touched.Add(change);
                if (change.Kind == MemoryChangeKind.Rename && change.From is { } from && change.Path is { } to)
                {
                    foreach (var name in names.ToList())
                    {
                        if (Within(name, to))
                        {
                            names.Add(from + name[to.Length..]);
                        }
                    }
                }
            }
        }

        touched.Reverse();
        return touched;
    }

    /// <summary>The files deleted and not written again since, with their last version and the change that deleted them.</summary>
    /// <param name="history">The whole history, oldest first.</param>
    /// <returns>Each file's last version and change, and the names of those deleted.</returns>
    public static (Dictionary<string, (MemoryFileVersion, MemoryChange)> Last, HashSet<string> Deleted) Deleted(IReadOnlyList<MemoryChange> history)
    {
        var last = new Dictionary<string, (MemoryFileVersion, MemoryChange)>(StringComparer.Ordinal);
        var deleted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var change in history)
        {
            if (change.Kind == MemoryChangeKind.Rename && change.From is { } from)
            {
                deleted.RemoveWhere(name => Within(name, from));
            }

            foreach (var file in change.Files)
            {
                last[file.Path] = (file, change);
                if (change.Kind == MemoryChangeKind.Delete)
                {
                    deleted.Add(file.Path);
                }
                else
                {
                    deleted.Remove(file.Path);
                }
            }
        }

        return (last, deleted);
    }

    /// <summary>The version of a file in a change: by its name, or, for a change of one file under an earlier name, that file.</summary>
    /// <param name="change">The change.</param>
    /// <param name="path">The file.</param>
    /// <returns>The version, or <see langword="null"/> when the change recorded none of that file.</returns>
    public static MemoryFileVersion? VersionIn(MemoryChange change, MemoryPath path) =>
        change.Files.FirstOrDefault(file => file.Path == path.Normalized)
        ?? (change.Files is [var only] && only.Path == change.Path ? only : null);

    /// <summary>Tells whether <paramref name="path"/> is <paramref name="folder"/> or lies under it.</summary>
    /// <param name="path">A normalised memory path.</param>
    /// <param name="folder">A normalised memory path.</param>
    /// <returns><see langword="true"/> when it is the folder or under it.</returns>
    public static bool Within(string path, string folder) =>
        path.Length >= folder.Length && path.StartsWith(folder, StringComparison.Ordinal) && (path.Length == folder.Length || path[folder.Length] == '/');

    private static bool Touches(MemoryChange change, HashSet<string> names) =>
        names.Any(name => change.Path is { } path && (Within(name, path) || Within(path, name))) ||
        names.Any(name => change.From is { } from && Within(name, from)) ||
        change.Files.Any(file => names.Contains(file.Path));
}
