using System.Globalization;
using System.Text;
using Mnemo.Memory;

namespace Mnemo.Anthropic.Agents;

/// <summary>The digest file of cleared results: a header, a line of folded entries (the oldest, one line each), and an
/// entry per result, newest last. Kept within its size by folding the oldest entries first.</summary>
internal static class ClearedResultDigest
{
    public const string Header =
        "# Tool results cleared from context\n" +
        "Written by the session each time it clears old tool results, so what they held is not lost: the id, the call, and a " +
        "summary. While the session lasts, `recall` brings a result back whole by its id.\n";

    private const string FoldedPrefix = "Folded, oldest first: ";

    /// <summary>The file with <paramref name="entries"/> appended, folded to fit <paramref name="limit"/> bytes.</summary>
    /// <returns>The new text, and how many entries were folded.</returns>
    public static (string Text, int Folded) Append(string? existing, IReadOnlyList<string> entries, int limit)
    {
        var (preamble, folded, kept) = Parse(existing ?? Header);
        kept.AddRange(entries);
        var foldedNow = 0;
        string text;
        while (true)
        {
            text = Compose(preamble, folded, kept);
            var over = Encoding.UTF8.GetByteCount(text) - limit;
            if (over <= 0)
            {
                break;
            }

            if (kept.Count == 1)
            {
                // One entry larger than the room left: its summary is cut to fit, its first lines kept.
                kept[0] = Shorten(kept[0], Encoding.UTF8.GetByteCount(kept[0]) - over);
                text = Compose(preamble, folded, kept);
                break;
            }

            folded.Add(kept[0].Split('\n', 2)[0]["## ".Length..]);
            kept.RemoveAt(0);
            foldedNow++;
            while (folded.Count > 1 && Encoding.UTF8.GetByteCount(string.Join("; ", folded)) > limit / 4)
            {
                // The folded line itself is kept short: its oldest items go, and are counted.
                folded.RemoveAt(0);
                folded[0] = folded[0].StartsWith('(') ? folded[0] : "(earlier ones dropped) " + folded[0];
            }
        }

        return (text, foldedNow);
    }

    /// <summary>An entry cut to at most <paramref name="bytes"/>: its four heading lines, then as many summary lines as fit.</summary>
    private static string Shorten(string entry, int bytes)
    {
        var lines = entry.TrimEnd('\n').Split('\n');
        var text = new StringBuilder();
        for (var i = 0; i < lines.Length; i++)
        {
            var next = lines[i] + "\n";
            if (i >= 4 && Encoding.UTF8.GetByteCount(text.ToString()) + Encoding.UTF8.GetByteCount(next) + "    …\n".Length > bytes)
            {
                text.Append("    …\n");
                break;
            }

            text.Append(next);
        }

        return text.ToString();
    }

    private static (string Preamble, List<string> Folded, List<string> Entries) Parse(string text)
    {
        var first = text.StartsWith("## ", StringComparison.Ordinal) ? 0 : text.IndexOf("\n## ", StringComparison.Ordinal) + 1;
        var head = first <= 0 ? text : text[..first];
        var body = first <= 0 ? string.Empty : text[first..];
        var folded = new List<string>();
        var preamble = new StringBuilder();
        foreach (var line in head.Split('\n'))
        {
            if (line.StartsWith(FoldedPrefix, StringComparison.Ordinal))
            {
                folded.AddRange(line[FoldedPrefix.Length..].Split("; ", StringSplitOptions.RemoveEmptyEntries));
            }
            else
            {
                preamble.Append(line).Append('\n');
            }
        }

        var entries = body.Length == 0 ? [] : body.Split("\n## ").Select((entry, i) => (i == 0 ? entry : "## " + entry).TrimEnd('\n') + "\n").ToList();
        return (preamble.ToString().TrimEnd('\n') + "\n", folded, entries);
    }

    private static string Compose(string preamble, List<string> folded, List<string> entries)
    {
        var text = new StringBuilder(preamble);
        if (folded.Count > 0)
        {
            text.Append('\n').Append(FoldedPrefix).AppendJoin("; ", folded).Append('\n');
        }

        foreach (var entry in entries)
        {
            text.Append('\n').Append(entry);
        }

        return text.ToString();
    }

    /// <summary>One result's entry. A tool result is outside text, and the digest goes into the model's memory, where the
    /// next session reads it: secrets in it are masked, and lines that read as instructions to a model, role or tool-call
    /// markers, or hidden characters are left out, counted.</summary>
    public static string Entry(ArchivedResult result, string why, string summary)
    {
        var kept = new List<string>();
        var left = 0;
        foreach (var line in summary.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            var findings = Mnemo.Memory.Safety.MemoryScanner.Default.Scan(line);
            if (findings.Any(finding => finding.Kind != Mnemo.Memory.Safety.MemoryFindingKind.Secret))
            {
                left++;
                continue;
            }

            kept.Add(Mnemo.Memory.Safety.MemoryScanner.Redact(line, findings));
        }

        if (left > 0)
        {
            kept.Add(string.Create(CultureInfo.InvariantCulture, $"({left} line(s) left out: they read as instructions or markers meant for a model)"));
        }

        summary = string.Join('\n', kept);
        var text = result.Text;
        var lines = text.Length == 0 ? 0 : text.Count(ch => ch == '\n') + 1;
        var entry = new StringBuilder();
        var call = ToolUseText.Describe(result.Tool, result.Input);
        entry.Append("## id=").Append(result.Id.ToString(CultureInfo.InvariantCulture)).Append(' ')
            .Append(Mnemo.Memory.Safety.MemoryScanner.Redact(call, Mnemo.Memory.Safety.MemoryScanner.Default.Scan(call)).ReplaceLineEndings(" ")).Append('\n');
        entry.Append(CultureInfo.InvariantCulture, $"cleared at request {result.ClearedAtRequest} ({result.ClearedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z): {why}\n");
        entry.Append(CultureInfo.InvariantCulture, $"size: {text.Length:N0} characters, {lines:N0} line(s){(result.IsError ? ", an error" : string.Empty)}\n");
        entry.Append("summary:\n");
        foreach (var line in summary.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            entry.Append("    ").Append(line).Append('\n');
        }

        return entry.ToString();
    }

    /// <summary>Appends entries to the file in the store: read, append, compare-and-swap; again when another writer got
    /// there first.</summary>
    public static async Task<int> WriteAsync(IMemoryStore store, MemoryPath path, IReadOnlyList<string> entries, int limit, CancellationToken cancellationToken)
    {
        var context = new MemoryWriteContext("mnemo-digest", "digest of cleared tool results");
        for (var attempt = 0; ; attempt++)
        {
            var item = await store.ReadAsync(path, cancellationToken).ConfigureAwait(false);
            if (item is { Kind: not MemoryEntryKind.File })
            {
                throw new MemoryException($"{path} is a folder, not a file; the digest cannot be written there");
            }

            var (text, folded) = Append(item is null ? null : Encoding.UTF8.GetString(item.Content.Span), entries, limit);
            var bytes = Encoding.UTF8.GetBytes(text);
            var written = item is null
                ? await store.CreateFileAsync(path, bytes, context, cancellationToken).ConfigureAwait(false)
                : await store.ReplaceFileAsync(path, bytes, item, context, cancellationToken).ConfigureAwait(false);
            if (written)
            {
                return folded;
            }

            if (attempt == 4)
            {
                throw new MemoryException($"{path} kept changing while the digest was written; it was not written");
            }
        }
    }
}
