using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace Mnemo.Memory;

/// <summary>The view command's text, as the reference formats it: a folder's listing, a file's numbered lines, sizes.</summary>
internal static class MemoryView
{
    /// <summary>The width of a line number and its tab, <c>"{n:6d}\t"</c>.</summary>
    internal const int NumberWidth = 7;

    private const int MaxLines = 999_999;
    private const int MaxViewCharacters = 16_000;

    /// <summary>Shows a file's lines, numbered, within the optional range, as the reference does.</summary>
    /// <param name="path">The path as the model gave it.</param>
    /// <param name="bytes">The file's content.</param>
    /// <param name="range">The <c>view_range</c>: first and last line, 1-based, -1 for the end.</param>
    /// <returns>The view, or the error the reference gives for content that is not UTF-8 or has too many lines.</returns>
    public static MemoryToolResult File(MemoryPath path, ReadOnlyMemory<byte> bytes, IReadOnlyList<long>? range)
    {
        // A view works on the bytes and decodes only the lines it shows: a large file costs one validation pass, not a copy.
        var content = bytes.Span;
        if (!Utf8.IsValid(content))
        {
            return MemoryToolResult.Error(MemoryMessages.NotUtf8(path.Original));
        }

        if (content.Contains((byte)'\r'))
        {
            content = NormalizeNewlines(content);
        }

        var lineCount = content.Count((byte)'\n') + 1;
        if (lineCount > MaxLines)
        {
            return MemoryToolResult.Error(MemoryMessages.TooManyLines(path.Original));
        }

        var (start, stop) = (0, lineCount);
        if (range is [var first, var last])
        {
            start = (int)Math.Min(Math.Max(1, first) - 1, lineCount);
            stop = last == -1 ? lineCount : (int)PythonIndex(last, lineCount);
        }

        return MemoryToolResult.Ok(FormatFile(path.Original, content, lineCount, start, stop));
    }

    /// <summary>Lists a folder two levels deep as the reference does: hidden names left out, names in code-point order.</summary>
    internal static string FormatListing(string shownPath, IReadOnlyList<MemoryEntry> entries)
    {
        var builder = new StringBuilder(MemoryMessages.DirectoryHeader(shownPath)).Append('\n').Append("4K\t").Append(shownPath);
        AppendEntries(builder, shownPath, entries);
        return builder.ToString();

        static void AppendEntries(StringBuilder builder, string prefix, IReadOnlyList<MemoryEntry> entries)
        {
            var shown = new List<MemoryEntry>(entries.Count);
            foreach (var entry in entries)
            {
                if (!entry.Name.StartsWith('.'))
                {
                    shown.Add(entry);
                }
            }

            shown.Sort(static (x, y) => CodePointComparer.Instance.Compare(x.Name, y.Name));
            foreach (var entry in shown)
            {
                var path = prefix + "/" + entry.Name;
                if (entry.Kind == MemoryEntryKind.Directory)
                {
                    builder.Append("\n4K\t").Append(path).Append('/');
                    if (entry.Children is not null)
                    {
                        AppendEntries(builder, path, entry.Children);
                    }
                }
                else
                {
                    builder.Append('\n').Append(FormatSize(entry.Size)).Append('\t').Append(path);
                }
            }
        }
    }

    /// <summary>Formats a size as the reference does: <c>0B</c>, <c>1023B</c>, <c>1K</c>, <c>1.5K</c>, <c>1.2M</c>.</summary>
    internal static string FormatSize(long size)
    {
        if (size < 1024)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{size}B");
        }

        var unit = Math.Min((63 - long.LeadingZeroCount(size)) / 10, 3);
        var divisor = 1L << (int)(10 * unit);
        var suffix = "BKMG"[(int)unit];
        return size % divisor == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{size / divisor}{suffix}")
            : string.Create(CultureInfo.InvariantCulture, $"{((double)size / divisor).ToString("F1", CultureInfo.InvariantCulture)}{suffix}");
    }

    /// <summary>Formats lines [<paramref name="start"/>, <paramref name="stop"/>) of UTF-8 content as the reference does.</summary>
    /// <remarks>
    /// The body is built in one buffer of at most <see cref="MaxViewCharacters"/> characters: each line is decoded straight
    /// into it behind its number. UTF-8 never decodes to more characters than it has bytes, so a line whose byte count
    /// fits the space left needs no counting first; only a line near the limit is counted exactly.
    /// </remarks>
    private static string FormatFile(string shownPath, ReadOnlySpan<byte> content, int lineCount, int start, int stop)
    {
        var offset = 0;
        for (var i = 0; i < start && offset < content.Length; i++)
        {
            var next = content[offset..].IndexOf((byte)'\n');
            offset = next < 0 ? content.Length : offset + next + 1;
        }

        var buffer = ArrayPool<char>.Shared.Rent(MaxViewCharacters);
        try
        {
            var length = 0;
            string? tail = null;
            for (var i = start; i < stop; i++)
            {
                var rest = content[offset..];
                var end = rest.IndexOf((byte)'\n');
                var lineBytes = end < 0 ? rest : rest[..end];
                offset += lineBytes.Length + 1;
                var separator = i > start ? 1 : 0;
                var room = MaxViewCharacters - length - separator - NumberWidth;
                if (lineBytes.Length > room && Encoding.UTF8.GetCharCount(lineBytes) > room)
                {
                    if (i == start)
                    {
                        length = WriteNumber(buffer, 0, i);
                        length = WriteCutLine(buffer, length, lineBytes);
                        tail = "\n" + MemoryMessages.TruncatedLongLine(i + 1, lineCount);
                    }
                    else
                    {
                        tail = "\n" + MemoryMessages.Truncated(start + 1, i, lineCount);
                    }

                    break;
                }

                if (separator != 0)
                {
                    buffer[length++] = '\n';
                }

                length = WriteNumber(buffer, length, i);
                length += Encoding.UTF8.GetChars(lineBytes, buffer.AsSpan(length));
            }

            return string.Concat(MemoryMessages.FileHeader(shownPath), "\n", buffer.AsSpan(0, length), tail);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    /// <summary>Writes a 1-based line number right-aligned in six places and a tab, as <c>f"{n:6d}\t"</c> does.</summary>
    internal static int WriteNumber(Span<char> buffer, int at, int index)
    {
        var number = buffer.Slice(at, NumberWidth - 1);
        number.Fill(' ');
        var value = index + 1;
        Span<char> digits = stackalloc char[10];
        _ = value.TryFormat(digits, out var written, provider: CultureInfo.InvariantCulture);
        digits[..written].CopyTo(number[Math.Max(0, number.Length - written)..]);
        buffer[at + NumberWidth - 1] = '\t';
        return at + NumberWidth;
    }

    /// <summary>Writes as much of a line as fits the view, never ending on half of a surrogate pair.</summary>
    private static int WriteCutLine(char[] buffer, int at, ReadOnlySpan<byte> line)
    {
        // A character takes at most four bytes, so this many bytes hold more than the characters that fit; the decoder
        // may end the slice on a broken sequence, but that lies past the cut.
        var room = MaxViewCharacters - at;
        var slice = line[..Math.Min(line.Length, (room + 1) * 4)];
        var decoded = ArrayPool<char>.Shared.Rent(Encoding.UTF8.GetMaxCharCount(slice.Length));
        try
        {
            var count = Encoding.UTF8.GetChars(slice, decoded);
            var take = Math.Min(count, room);
            if (take == room && take < count && char.IsHighSurrogate(decoded[take - 1]))
            {
                take--;
            }

            decoded.AsSpan(0, take).CopyTo(buffer.AsSpan(at));
            return at + take;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(decoded);
        }
    }

    /// <summary>Turns CRLF and lone CR into LF; safe on UTF-8 bytes, where CR and LF never occur inside a longer sequence.</summary>
    internal static byte[] NormalizeNewlines(ReadOnlySpan<byte> content)
    {
        var result = new byte[content.Length];
        var length = 0;
        for (var i = 0; i < content.Length; i++)
        {
            if (content[i] == (byte)'\r')
            {
                result[length++] = (byte)'\n';
                if (i + 1 < content.Length && content[i + 1] == (byte)'\n')
                {
                    i++;
                }
            }
            else
            {
                result[length++] = content[i];
            }
        }

        return result[..length];
    }

    /// <summary>Normalises a Python slice bound: negative counts from the end, and the result is clamped to the list.</summary>
    private static long PythonIndex(long index, int length) =>
        index < 0 ? Math.Max(0, index + length) : Math.Min(index, length);


    /// <summary>Orders names by Unicode code point, as Python sorts strings.</summary>
    private sealed class CodePointComparer : IComparer<string>
    {
        public static CodePointComparer Instance { get; } = new();

        public int Compare(string? x, string? y)
        {
            var a = (x ?? string.Empty).EnumerateRunes();
            var b = (y ?? string.Empty).EnumerateRunes();
            while (true)
            {
                var hasA = a.MoveNext();
                var hasB = b.MoveNext();
                if (!hasA || !hasB)
                {
                    return hasA.CompareTo(hasB);
                }

                var order = a.Current.Value.CompareTo(b.Current.Value);
                if (order != 0)
                {
                    return order;
                }
            }
        }
    }
}
