using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Mnemo.Memory;

/// <summary>What a proposed change of a consolidation is.</summary>
public enum ConsolidationKind
{
    /// <summary>Files with the same text: all but one deleted.</summary>
    ExactDuplicate,

    /// <summary>Files that say nearly the same: merged into one.</summary>
    NearDuplicate,

    /// <summary>A value that a later dated (or versioned) line replaces: the earlier line removed.</summary>
    Superseded,

    /// <summary>A setting given different values with nothing to say which holds: flagged, not changed.</summary>
    Contradiction,

    /// <summary>A file past the size a note should have: split at its headings.</summary>
    Oversized,

    /// <summary>A file nobody read or wrote for a long time: listed for expiry.</summary>
    Stale,
}

/// <summary>One file edit of a change: a new text for the file, or its deletion.</summary>
/// <param name="Path">The file.</param>
/// <param name="OldText">The text it has now; <see langword="null"/> for a file the change creates.</param>
/// <param name="NewText">The text it gets; <see langword="null"/> to delete it.</param>
public sealed record ConsolidationEdit(MemoryPath Path, string? OldText, string? NewText);

/// <summary>One proposed change, with the evidence for it.</summary>
/// <param name="Number">Its number in the proposal, from 1.</param>
/// <param name="Kind">What it is.</param>
/// <param name="Title">What it does, in one line.</param>
/// <param name="Evidence">Why: the files and lines it rests on.</param>
/// <param name="Edits">The edits; none for a change that only flags.</param>
public sealed record ConsolidationChange(int Number, ConsolidationKind Kind, string Title, string Evidence, IReadOnlyList<ConsolidationEdit> Edits)
{
    /// <summary>The change as a unified diff of each file it edits.</summary>
    public string Diff() => string.Concat(Edits.Select(edit =>
        LineDiff.Unified(edit.OldText ?? string.Empty, edit.NewText ?? string.Empty,
            edit.OldText is null ? "(new file)" : edit.Path.Normalized, edit.NewText is null ? "(deleted)" : edit.Path.Normalized)));
}

/// <summary>A consolidation's proposal: changes to make the store smaller and truer, none of them made yet.</summary>
/// <param name="FilesRead">How many files were read.</param>
/// <param name="Changes">The changes, numbered.</param>
public sealed record ConsolidationProposal(int FilesRead, IReadOnlyList<ConsolidationChange> Changes);

/// <summary>Options of a <see cref="MemoryConsolidator"/>.</summary>
public sealed record ConsolidationOptions
{
    /// <summary>Gets the share of lines two files must share to be near duplicates; 0.8 by default.</summary>
    public double NearDuplicateSimilarity { get; init; } = 0.8;

    /// <summary>Gets the size past which a file is split at its headings; 16 KiB by default.</summary>
    public int OversizedBytes { get; init; } = 16 * 1024;

    /// <summary>Gets how long a file may sit unread and unwritten before it is listed for expiry; 90 days by default.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromDays(90);
}

/// <summary>
/// Consolidates a memory store offline and deterministically: exact and near duplicates merged, values that later dated
/// or versioned notes supersede removed, contradictions flagged, oversized files split at their headings, files unread
/// for long listed for expiry. It proposes; nothing changes until the proposal (or part of it) is applied, and every
/// applied edit goes through the store's history with the actor <c>consolidate</c>, so it can be restored.
/// </summary>
public sealed partial class MemoryConsolidator(MemoryAdmin admin, ConsolidationOptions? options = null, TimeProvider? time = null)
{
    /// <summary>The actor applied changes are recorded under.</summary>
    public const string Actor = "consolidate";

    private readonly MemoryAdmin _admin = admin ?? throw new ArgumentNullException(nameof(admin));
    private readonly ConsolidationOptions _options = options ?? new ConsolidationOptions();
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Reads the store and proposes the changes.</summary>
    public async ValueTask<ConsolidationProposal> ProposeAsync(CancellationToken cancellationToken = default)
    {
        // Activity first: reading the files for the proposal is itself a read, and must not make them look fresh.
        var activities = _admin.Store is IVersionedMemoryStore versioned
            ? await versioned.ReadActivityAsync(cancellationToken).ConfigureAwait(false)
            : [];
        var (listed, _) = await _admin.ListAllAsync(cancellationToken).ConfigureAwait(false);
        var strict = new UTF8Encoding(false, true);
        var files = new List<(MemoryPath Path, string Text)>();
        foreach (var (path, _) in listed)
        {
            if (await _admin.Store.ReadAsync(path, cancellationToken).ConfigureAwait(false) is { Kind: MemoryEntryKind.File } item)
            {
                try
                {
                    files.Add((path, strict.GetString(item.Content.Span)));
                }
                catch (DecoderFallbackException)
                {
                    // Not text: nothing to consolidate in it.
                }
            }
        }

        var changes = new List<(ConsolidationKind, string, string, IReadOnlyList<ConsolidationEdit>)>();
        var gone = new HashSet<string>(StringComparer.Ordinal);
        Duplicates(files, changes, gone);
        Supersessions(files.Where(file => !gone.Contains(file.Path.Normalized)).ToList(), changes);
        Oversized(files.Where(file => !gone.Contains(file.Path.Normalized)).ToList(), changes, gone);
        var now = _time.GetUtcNow();
        foreach (var activity in activities.OrderBy(a => a.Path.Normalized, StringComparer.Ordinal))
        {
            if (now - activity.LastAccess > _options.StaleAfter && !gone.Contains(activity.Path.Normalized) &&
                files.FirstOrDefault(file => file.Path.Normalized == activity.Path.Normalized) is { Text: { } text })
            {
                changes.Add((ConsolidationKind.Stale, $"expire {activity.Path.Normalized}",
                    string.Create(CultureInfo.InvariantCulture, $"not read or written since {activity.LastAccess.UtcDateTime:yyyy-MM-dd} ({(now - activity.LastAccess).TotalDays:0} days; the limit is {_options.StaleAfter.TotalDays:0})"),
                    [new ConsolidationEdit(activity.Path, text, null)]));
            }
        }

        return new ConsolidationProposal(files.Count, [.. changes.Select((change, i) => new ConsolidationChange(i + 1, change.Item1, change.Item2, change.Item3, change.Item4))]);
    }

    /// <summary>Applies some of a proposal's changes. A file that changed since the proposal was made is left alone, and the
    /// change that needed it is reported not applied; the others go ahead.</summary>
    /// <param name="proposal">The proposal.</param>
    /// <param name="numbers">The changes to apply.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>Each change asked for, and why it was not applied (<see langword="null"/> when it was).</returns>
    public async ValueTask<IReadOnlyList<(ConsolidationChange Change, string? NotApplied)>> ApplyAsync(
        ConsolidationProposal proposal, IEnumerable<int> numbers, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        ArgumentNullException.ThrowIfNull(numbers);
        var results = new List<(ConsolidationChange, string?)>();
        foreach (var number in numbers.Distinct().Order())
        {
            var change = proposal.Changes.FirstOrDefault(c => c.Number == number)
                ?? throw new ArgumentException($"The proposal has no change {number}.", nameof(numbers));
            var context = new MemoryWriteContext(Actor, "consolidate: " + Words(change.Kind));
            string? failure = null;
            foreach (var edit in change.Edits)
            {
                var expected = edit.OldText is null ? MemoryAdmin.NoFile : MemoryHash.Sha256(Encoding.UTF8.GetBytes(edit.OldText));
                try
                {
                    if (edit.NewText is null)
                    {
                        await _admin.DeleteFileAsync(edit.Path, expected, context, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await _admin.WriteAsync(edit.Path, Encoding.UTF8.GetBytes(edit.NewText), expected, context, cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (MemoryConflictException)
                {
                    failure = $"{edit.Path.Normalized} changed since the proposal was made; propose again";
                    break;
                }
            }

            results.Add((change, failure));
        }

        return results;
    }

    /// <summary>The kind in words.</summary>
    public static string Words(ConsolidationKind kind) => kind switch
    {
        ConsolidationKind.ExactDuplicate => "exact duplicate",
        ConsolidationKind.NearDuplicate => "near duplicate",
        ConsolidationKind.Superseded => "superseded",
        ConsolidationKind.Contradiction => "contradiction",
        ConsolidationKind.Oversized => "oversized",
        _ => "stale",
    };

    /// <summary>Exact duplicates (the same lines, spacing aside) and near duplicates (most of their lines the same), found
    /// through an index of lines, so only files that share a line are compared.</summary>
    private void Duplicates(List<(MemoryPath Path, string Text)> files, List<(ConsolidationKind, string, string, IReadOnlyList<ConsolidationEdit>)> changes, HashSet<string> gone)
    {
        var lines = files.Select(file => Lines(file.Text).ToHashSet(StringComparer.Ordinal)).ToList();
        var byContent = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < files.Count; i++)
        {
            var key = string.Join('\n', Lines(files[i].Text));
            if (key.Length == 0)
            {
                continue;
            }

            if (byContent.TryGetValue(key, out var kept))
            {
                gone.Add(files[i].Path.Normalized);
                changes.Add((ConsolidationKind.ExactDuplicate, $"delete {files[i].Path.Normalized}, the same text as {files[kept].Path.Normalized}",
                    string.Create(CultureInfo.InvariantCulture, $"{files[kept].Path.Normalized} and {files[i].Path.Normalized} hold the same {lines[i].Count} line(s), spacing aside"),
                    [new ConsolidationEdit(files[i].Path, files[i].Text, null)]));
            }
            else
            {
                byContent[key] = i;
            }
        }

        var index = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < files.Count; i++)
        {
            if (gone.Contains(files[i].Path.Normalized))
            {
                continue;
            }

            foreach (var line in lines[i])
            {
                (index.TryGetValue(line, out var list) ? list : index[line] = []).Add(i);
            }
        }

        for (var i = 0; i < files.Count; i++)
        {
            if (gone.Contains(files[i].Path.Normalized) || lines[i].Count < 3)
            {
                continue;
            }

            var shared = new Dictionary<int, int>();
            foreach (var line in lines[i])
            {
                foreach (var j in index[line])
                {
                    if (j > i)
                    {
                        shared[j] = shared.GetValueOrDefault(j) + 1;
                    }
                }
            }

            foreach (var (j, count) in shared.OrderBy(pair => pair.Key))
            {
                if (gone.Contains(files[j].Path.Normalized) || lines[j].Count < 3)
                {
                    continue;
                }

                var similarity = count / (double)(lines[i].Count + lines[j].Count - count);
                if (similarity < _options.NearDuplicateSimilarity)
                {
                    continue;
                }

                // Merged into the first: the lines only the second has are added at its end.
                var extra = Lines(files[j].Text).Where(line => !lines[i].Contains(line)).ToList();
                var merged = extra.Count == 0 ? files[i].Text : files[i].Text.TrimEnd('\n') + "\n" + string.Join('\n', extra) + "\n";
                gone.Add(files[j].Path.Normalized);
                changes.Add((ConsolidationKind.NearDuplicate, $"merge {files[j].Path.Normalized} into {files[i].Path.Normalized}",
                    string.Create(CultureInfo.InvariantCulture, $"{count} of their {lines[i].Count + lines[j].Count - count} distinct lines are the same ({similarity:P0}); the {extra.Count} line(s) only {files[j].Path.Normalized} has are kept"),
                    [new ConsolidationEdit(files[i].Path, files[i].Text, merged), new ConsolidationEdit(files[j].Path, files[j].Text, null)]));
                lines[i].UnionWith(extra);
                files[i] = (files[i].Path, merged);
            }
        }
    }

    /// <summary>Settings written as <c>key: value</c> lines: where a later line (by the date or version it carries) gives the
    /// same key, the earlier lines are removed; where lines give a key different values and none is dated, they are flagged.</summary>
    private static void Supersessions(List<(MemoryPath Path, string Text)> files, List<(ConsolidationKind, string, string, IReadOnlyList<ConsolidationEdit>)> changes)
    {
        var settings = new Dictionary<string, List<(int File, int Line, string Value, string? Stamp)>>(StringComparer.OrdinalIgnoreCase);
        for (var f = 0; f < files.Count; f++)
        {
            var lines = files[f].Text.Split('\n');
            for (var l = 0; l < lines.Length; l++)
            {
                if (Setting().Match(lines[l]) is { Success: true } match && match.Groups["key"].Value.Trim().Split(' ').Length <= 4)
                {
                    // A date says when; a version, which: a date is preferred when a line has both.
                    var stamp = Date().Match(lines[l]) is { Success: true } d ? d.Value : Version().Match(lines[l]) is { Success: true } v ? v.Value : null;
                    var key = match.Groups["key"].Value.Trim();
                    (settings.TryGetValue(key, out var list) ? list : settings[key] = []).Add((f, l, match.Groups["value"].Value.Trim(), stamp));
                }
            }
        }

        var removals = new Dictionary<int, SortedSet<int>>();
        var evidence = new Dictionary<int, List<string>>();
        foreach (var (key, entries) in settings.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            if (entries.Select(e => e.Value).Distinct(StringComparer.Ordinal).Count() < 2)
            {
                continue;
            }

            var dated = entries.Where(e => e.Stamp is not null).ToList();
            if (dated.Count >= 2 && dated.Count == entries.Count)
            {
                var latest = dated.MaxBy(e => Order(e.Stamp!));
                foreach (var older in dated.Where(e => e != latest))
                {
                    (removals.TryGetValue(older.File, out var set) ? set : removals[older.File] = []).Add(older.Line);
                    (evidence.TryGetValue(older.File, out var why) ? why : evidence[older.File] = []).Add(string.Create(CultureInfo.InvariantCulture,
                        $"line {older.Line + 1} gives {key} as of {older.Stamp}; {files[latest.File].Path.Normalized} line {latest.Line + 1} gives it as of {latest.Stamp}"));
                }
            }
            else if (dated.Count == 0)
            {
                changes.Add((ConsolidationKind.Contradiction, $"check {key}: {entries.Count} notes give it different values",
                    string.Join("; ", entries.Select(e => $"{files[e.File].Path.Normalized} line {e.Line + 1}: {e.Value}")) + "; nothing dates them, so which holds is for you to say",
                    []));
            }
        }

        foreach (var (file, lineNumbers) in removals.OrderBy(pair => files[pair.Key].Path.Normalized, StringComparer.Ordinal))
        {
            var kept = files[file].Text.Split('\n').Where((_, i) => !lineNumbers.Contains(i));
            changes.Add((ConsolidationKind.Superseded, $"remove {lineNumbers.Count} superseded line(s) from {files[file].Path.Normalized}",
                string.Join("; ", evidence[file]), [new ConsolidationEdit(files[file].Path, files[file].Text, string.Join('\n', kept))]));
        }
    }

    /// <summary>A date or version as something that sorts: dates as they are, versions with each number padded.</summary>
    private static string Order(string stamp) =>
        stamp.Contains('-', StringComparison.Ordinal) ? "1" + stamp : "0" + string.Join('.', stamp.TrimStart('v', 'V').Split('.').Select(part => part.PadLeft(8, '0')));

    /// <summary>Files past the size a note should have, split at their <c>## </c> headings into a folder of their own, the
    /// file left as an index of the parts.</summary>
    private void Oversized(List<(MemoryPath Path, string Text)> files, List<(ConsolidationKind, string, string, IReadOnlyList<ConsolidationEdit>)> changes, HashSet<string> gone)
    {
        foreach (var (path, text) in files)
        {
            var size = Encoding.UTF8.GetByteCount(text);
            if (size <= _options.OversizedBytes)
            {
                continue;
            }

            var sections = Regex.Split(text, "(?m)^(?=## )").Where(part => part.Length > 0).ToList();
            if (sections.Count(section => section.StartsWith("## ", StringComparison.Ordinal)) < 2)
            {
                changes.Add((ConsolidationKind.Oversized, $"summarise {path.Normalized}", string.Create(CultureInfo.InvariantCulture,
                    $"{size:N0} bytes, past {_options.OversizedBytes:N0}, with no ## headings to split it at"), []));
                continue;
            }

            var stem = path.Segments[^1].EndsWith(".md", StringComparison.Ordinal) ? path.Segments[^1][..^3] : path.Segments[^1];
            var edits = new List<ConsolidationEdit>();
            var index = new StringBuilder(sections[0].StartsWith("## ", StringComparison.Ordinal) ? string.Empty : sections[0].TrimEnd('\n') + "\n\n");
            index.Append("Split into parts:\n");
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (var section in sections.Where(s => s.StartsWith("## ", StringComparison.Ordinal)))
            {
                var heading = section.Split('\n', 2)[0][3..].Trim();
                var slug = Slug(heading);
                for (var n = 2; !used.Add(slug); n++)
                {
                    slug = Slug(heading) + "-" + n.ToString(CultureInfo.InvariantCulture);
                }

                var part = MemoryPath.FromSegments([.. path.Segments.Take(path.Segments.Count - 1), stem, slug + ".md"]);
                edits.Add(new ConsolidationEdit(part, null, section.TrimEnd('\n') + "\n"));
                index.Append("- ").Append(heading).Append(": ").Append(part.Normalized).Append('\n');
            }

            edits.Insert(0, new ConsolidationEdit(path, text, index.ToString()));
            gone.Add(path.Normalized);
            changes.Add((ConsolidationKind.Oversized, $"split {path.Normalized} into {edits.Count - 1} parts at its headings",
                string.Create(CultureInfo.InvariantCulture, $"{size:N0} bytes, past {_options.OversizedBytes:N0}; the file becomes an index of its parts"), edits));
        }
    }

    private static string Slug(string heading)
    {
        var slug = new string([.. heading.ToLowerInvariant().Select(ch => char.IsAsciiLetterOrDigit(ch) ? ch : '-')]).Trim('-');
        while (slug.Contains("--", StringComparison.Ordinal))
        {
            slug = slug.Replace("--", "-", StringComparison.Ordinal);
        }

        return slug.Length == 0 ? "part" : slug[..Math.Min(slug.Length, 60)];
    }

    /// <summary>A text's non-empty lines, trailing spaces and list marks' spacing aside.</summary>
    private static IEnumerable<string> Lines(string text) =>
        text.Split('\n').Select(line => Spaces().Replace(line.Trim(), " ")).Where(line => line.Length > 0);

    [GeneratedRegex(@"^\s*(?:[-*]\s+)?(?<key>[A-Za-z][\w .\-/]{0,60}?)\s*[:=]\s*(?<value>\S.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex Setting();

    [GeneratedRegex(@"\b\d{4}-\d{2}-\d{2}\b", RegexOptions.CultureInvariant)]
    private static partial Regex Date();

    [GeneratedRegex(@"\bv?\d+\.\d+(?:\.\d+)?\b", RegexOptions.CultureInvariant)]
    private static partial Regex Version();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Spaces();
}
