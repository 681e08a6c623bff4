using System.Text.Json;

namespace Mnemo.Memory.FileSystem;

/// <summary>Reads the history log's lines: changes and settle lines, and the unsettled tail a crash may leave.</summary>
internal static class HistoryLines
{
    /// <summary>Reads one log line: a change, or a settle line's word and number.</summary>
    /// <param name="line">The line, without its newline.</param>
    /// <returns>The change, or the settle (<c>ok</c>, <c>abort</c>) and the number it settles.</returns>
    /// <exception cref="MemoryStoreException">The line is damaged.</exception>
    public static (MemoryChange? Change, string? Settle, long Sequence) ParseLine(ReadOnlyMemory<byte> line)
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

    /// <summary>The changes of the log's last group that no settle line follows, oldest first, and the highest number in it.</summary>
    /// <remarks>
    /// Writers append a group's changes, then (once the files are in place) its settle lines, under the lock; one write is
    /// a group of one. So only the last group can be unsettled, and walking back from the end, the group ends at the first
    /// settle line met after a change. A settled change's content is not parsed: its number, at the start of its line, is enough.
    /// </remarks>
    public static (List<MemoryChange> Unsettled, long Last) UnsettledTail(FolderSystem fs, int fd, long size)
    {
        var settled = new HashSet<long>();
        var unsettled = new List<MemoryChange>();
        var seenChange = false;
        long last = 0;
        for (var (end, lines) = (size - 1, 0); end > 0 && lines < (2 * HistoryLog.MaxGroupChanges) + 2; lines++)
        {
            var start = fs.LastNewline(fd, end) + 1;
            var line = fs.ReadAt(fd, start, end - start);
            end = start - 1;
            var number = SequenceAtStart(line);
            if (!line.AsSpan().StartsWith("{\"seq\":"u8))
            {
                // A settle line: the end of the previous group once this group's changes have been met.
                if (seenChange)
                {
                    break;
                }

                var sequence = number ?? ParseLine(line).Sequence;
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

            var change = ParseLine(line).Change ?? throw new MemoryStoreException("the history has a damaged line");
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
}
