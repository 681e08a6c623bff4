using System.Buffers;
using System.Text;

namespace Mnemo.Memory;

/// <summary>The edits of <c>str_replace</c> and <c>insert</c> on a file's UTF-8 bytes, with the reference's messages.</summary>
/// <remarks>
/// Edits work on the bytes and build the new file in a pooled buffer: an edit of a large file costs the read and the
/// write, not a decoded copy, an edited copy and an encoded copy of it.
/// </remarks>
internal static class MemoryEdits
{
    private const int SnippetLines = 2;

    /// <summary>Replaces the one occurrence of <paramref name="oldBytes"/>, as <c>str_replace</c> does.</summary>
    /// <param name="command">The command, for its messages.</param>
    /// <param name="oldBytes">The text to find, as UTF-8; <see langword="null"/> when no file can hold it (an unpaired surrogate).</param>
    /// <param name="newBytes">The text to put in its place, as UTF-8.</param>
    /// <param name="content">The file's content, newlines folded to LF.</param>
    /// <returns>The new content and its message, or the reference's error.</returns>
    public static MemoryEdit StrReplace(StrReplaceMemoryCommand command, byte[]? oldBytes, byte[] newBytes, ReadOnlySpan<byte> content)
    {
        // Matching UTF-8 bytes finds what matching the decoded text would: in valid UTF-8 a match of a whole encoded
        // string can only start and end on character boundaries. A string no encoder can write never occurs in a file.
        if (command.OldStr.Length == 0)
        {
            return MemoryEdit.Fail(MemoryMessages.EmptyOldStr);
        }

        var index = oldBytes is null ? -1 : content.IndexOf(oldBytes);
        if (index < 0)
        {
            return MemoryEdit.Fail(MemoryMessages.NotFound(command.OldStr, command.Path));
        }

        if (content[(index + oldBytes!.Length)..].IndexOf(oldBytes) >= 0)
        {
            return MemoryEdit.Fail(MemoryMessages.Multiple(command.OldStr, OccurrenceLines(content, oldBytes)));
        }

        var line = content[..index].Count((byte)'\n');
        var updated = new EditBuffer(content.Length - oldBytes.Length + newBytes.Length);
        updated.Append(content[..index]).Append(newBytes).Append(content[(index + oldBytes.Length)..]);
        return MemoryEdit.Write(updated, result => MemoryMessages.Edited + Snippet(result, line));
    }

    /// <summary>Inserts text as a line before line <see cref="InsertMemoryCommand.InsertLine"/>, as <c>insert</c> does.</summary>
    /// <param name="command">The command, for its line and messages.</param>
    /// <param name="inserted">The text to insert, as UTF-8, without its trailing newlines.</param>
    /// <param name="content">The file's content, newlines folded to LF.</param>
    /// <returns>The new content and its message, or the reference's error.</returns>
    public static MemoryEdit Insert(InsertMemoryCommand command, byte[] inserted, ReadOnlySpan<byte> content)
    {
        // Lines as the reference counts them: split on newlines, less one empty last element after a final newline.
        var endsWithNewline = content.Length > 0 && content[^1] == (byte)'\n';
        var count = content.Length == 0 ? 0 : content.Count((byte)'\n') + (endsWithNewline ? 0 : 1);
        if (command.InsertLine < 0 || command.InsertLine > count)
        {
            return MemoryEdit.Fail(MemoryMessages.InsertRange(command.InsertLine, count));
        }

        var updated = new EditBuffer(content.Length + inserted.Length + 2);
        if (command.InsertLine == count)
        {
            updated.Append(content);
            if (content.Length > 0 && !endsWithNewline)
            {
                updated.Append("\n"u8);
            }

            updated.Append(inserted).Append("\n"u8);
        }
        else
        {
            // A line that exists starts before the end, so the text after the insertion is never empty.
            var at = LineStart(content, (int)command.InsertLine);
            updated.Append(content[..at]).Append(inserted).Append("\n"u8).Append(content[at..]);
            if (!endsWithNewline)
            {
                updated.Append("\n"u8);
            }
        }

        return MemoryEdit.Write(updated, _ => MemoryMessages.Inserted(command.Path));
    }

    /// <summary>Returns the offset where 0-based line <paramref name="line"/> starts; the content's length when it has fewer lines.</summary>
    internal static int LineStart(ReadOnlySpan<byte> content, int line)
    {
        var offset = 0;
        for (var i = 0; i < line; i++)
        {
            var next = content[offset..].IndexOf((byte)'\n');
            if (next < 0)
            {
                return content.Length;
            }

            offset += next + 1;
        }

        return offset;
    }

    /// <summary>Shows the lines around an edited line, numbered, as the reference's success message does.</summary>
    private static string Snippet(ReadOnlySpan<byte> content, int line)
    {
        var first = Math.Max(0, line - SnippetLines);
        var offset = LineStart(content, first);
        var builder = new StringBuilder();
        Span<char> number = stackalloc char[MemoryView.NumberWidth];
        for (var i = first; i <= line + SnippetLines; i++)
        {
            var rest = content[offset..];
            var end = rest.IndexOf((byte)'\n');
            if (i > first)
            {
                builder.Append('\n');
            }

            MemoryView.WriteNumber(number, 0, i);
            builder.Append(number).Append(Encoding.UTF8.GetString(end < 0 ? rest : rest[..end]));
            if (end < 0)
            {
                break;
            }

            offset += end + 1;
        }

        return builder.ToString();
    }

    /// <summary>Lists the line of every occurrence, overlapping ones included, as the reference does.</summary>
    private static List<int> OccurrenceLines(ReadOnlySpan<byte> content, ReadOnlySpan<byte> value)
    {
        var lines = new List<int>();
        var (line, counted) = (1, 0);
        for (var index = content.IndexOf(value); index >= 0;)
        {
            line += content[counted..index].Count((byte)'\n');
            counted = index;
            lines.Add(line);
            var next = index + 1 < content.Length ? content[(index + 1)..].IndexOf(value) : -1;
            index = next < 0 ? -1 : index + 1 + next;
        }

        return lines;
    }
}

/// <summary>Makes the message of a successful edit from the file it leaves.</summary>
/// <param name="updated">The new content.</param>
internal delegate string DescribeEdit(ReadOnlySpan<byte> updated);

/// <summary>What an edit comes to: the new content and its message, or the reason it fails.</summary>
/// <param name="Updated">The new content; <see langword="null"/> on failure.</param>
/// <param name="Success">The message of success.</param>
/// <param name="Failure">The error for the model; <see langword="null"/> on success.</param>
internal readonly record struct MemoryEdit(EditBuffer? Updated, DescribeEdit? Success, string? Failure)
{
    public static MemoryEdit Write(EditBuffer updated, DescribeEdit success) => new(updated, success, null);

    public static MemoryEdit Fail(string failure) => new(null, null, failure);
}

/// <summary>The new content of an edited file, in a buffer rented from the shared pool.</summary>
internal sealed class EditBuffer(int capacity) : IDisposable
{
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(capacity);

    public int Length { get; private set; }

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    public EditBuffer Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer.AsSpan(Length));
        Length += bytes.Length;
        return this;
    }

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}
