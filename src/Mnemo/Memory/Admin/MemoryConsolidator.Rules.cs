using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Mnemo.Memory;

/// <summary>The consolidation's rules: duplicates, supersession and contradiction, oversized files.</summary>
public sealed partial class MemoryConsolidator
{
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
    /// <remarks>A line with no date or version of its own is dated by the latest session (of <paramref name="sessions"/>)
    /// that wrote it, when the transcript gives the time.</remarks>
    private static void Supersessions(List<(MemoryPath Path, string Text)> files, List<(ConsolidationKind, string, string, IReadOnlyList<ConsolidationEdit>)> changes, ConsolidationEvidence? sessions)
    {
        var settings = new Dictionary<string, List<(int File, int Line, string Value, string? Stamp, string? Cite)>>(StringComparer.OrdinalIgnoreCase);
        for (var f = 0; f < files.Count; f++)
        {
            var lines = files[f].Text.Split('\n');
            for (var l = 0; l < lines.Length; l++)
            {
                if (Setting().Match(lines[l]) is { Success: true } match && match.Groups["key"].Value.Trim().Split(' ').Length <= 4)
                {
                    // A date says when; a version, which: a date is preferred when a line has both.
                    var stamp = Date().Match(lines[l]) is { Success: true } d ? d.Value : Version().Match(lines[l]) is { Success: true } v ? v.Value : null;
                    string? cite = null;
                    if (stamp is null && sessions?.LastWrote(files[f].Path, lines[l]) is { At: { } at } wrote)
                    {
                        // Dated by the session that wrote it: to the second, so it sorts with the notes' own dates.
                        (stamp, cite) = (at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), wrote.Cite());
                    }

                    var key = match.Groups["key"].Value.Trim();
                    (settings.TryGetValue(key, out var list) ? list : settings[key] = []).Add((f, l, match.Groups["value"].Value.Trim(), stamp, cite));
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
                        $"line {older.Line + 1} gives {key} {When(older.Stamp, older.Cite)}; {files[latest.File].Path.Normalized} line {latest.Line + 1} gives it {When(latest.Stamp, latest.Cite)}"));
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

    /// <summary>When a line gives its value: by its own date or version, or by the session that wrote it.</summary>
    private static string When(string? stamp, string? cite) => cite is null ? $"as of {stamp}" : $"as written in {cite}";

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
