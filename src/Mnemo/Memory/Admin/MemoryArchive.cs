using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Mnemo.Memory;

/// <summary>The portable archive of a store: one file of JSON lines with every file, empty folder and change.</summary>
/// <remarks>
/// Lines: a header <c>{"format":"mnemo-memory-archive","version":1,...}</c>, then <c>{"dir":path}</c> for each empty
/// folder, <c>{"file":{"path","sha256","size","text"|"base64"}}</c> for each file, and <c>{"change":{...}}</c> for each
/// change in the history's own form. Content that is not UTF-8 is kept as base64, so every byte round-trips.
/// </remarks>
internal static class MemoryArchive
{
    private const string ArchiveFormat = "mnemo-memory-archive";
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Writes the store's files, empty folders and history to an archive.</summary>
    /// <param name="store">The store, to read each file from.</param>
    /// <param name="files">Every file, by path.</param>
    /// <param name="empty">The folders that hold no file.</param>
    /// <param name="history">The history, oldest first.</param>
    /// <param name="now">When the archive is made, for its header.</param>
    /// <param name="destination">Where to write.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>How many files and changes were written.</returns>
    public static async ValueTask<(int Files, int Changes)> WriteAsync(
        IMemoryStore store,
        IReadOnlyList<(MemoryPath Path, long Size)> files,
        IReadOnlyList<MemoryPath> empty,
        IReadOnlyList<MemoryChange> history,
        DateTimeOffset now,
        Stream destination,
        CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>();
        await using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

        async ValueTask FlushLineAsync()
        {
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            buffer.Write("\n"u8);
            await destination.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            buffer.ResetWrittenCount();
            writer.Reset();
        }

        writer.WriteStartObject();
        writer.WriteString("format", ArchiveFormat);
        writer.WriteNumber("version", 1);
        writer.WriteString("exported", now.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        writer.WriteNumber("files", files.Count);
        writer.WriteNumber("changes", history.Count);
        writer.WriteEndObject();
        await FlushLineAsync().ConfigureAwait(false);

        foreach (var directory in empty)
        {
            writer.WriteStartObject();
            writer.WriteString("dir", directory.Normalized);
            writer.WriteEndObject();
            await FlushLineAsync().ConfigureAwait(false);
        }

        var written = 0;
        foreach (var (path, _) in files)
        {
            if (await store.ReadAsync(path, cancellationToken).ConfigureAwait(false) is not { Kind: MemoryEntryKind.File } item)
            {
                continue; // deleted while exporting
            }

            writer.WriteStartObject();
            writer.WriteStartObject("file");
            writer.WriteString("path", path.Normalized);
            writer.WriteString("sha256", MemoryHash.Sha256(item.Content.Span));
            writer.WriteNumber("size", item.Content.Length);
            if (Utf8.IsValid(item.Content.Span))
            {
                writer.WriteString("text", item.Content.Span);
            }
            else
            {
                writer.WriteBase64String("base64", item.Content.Span);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
            await FlushLineAsync().ConfigureAwait(false);
            written++;
        }

        foreach (var change in history)
        {
            writer.WriteStartObject();
            writer.WritePropertyName("change");
            MemoryChangeJson.Write(writer, change);
            writer.WriteEndObject();
            await FlushLineAsync().ConfigureAwait(false);
        }

        await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
        return (written, history.Count);
    }

    /// <summary>Loads an archive into a store that holds nothing yet.</summary>
    /// <param name="store">The store.</param>
    /// <param name="source">The archive.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>How many files and changes were loaded.</returns>
    /// <exception cref="MemoryException">The archive is damaged, or the store is not empty; the message says which, in words.</exception>
    public static async ValueTask<(int Files, int Changes)> LoadAsync(IMemoryStore store, Stream source, CancellationToken cancellationToken)
    {
        var files = new List<MemorySnapshotFile>();
        var directories = new List<MemoryPath>();
        var history = new List<MemoryChange>();
        using var reader = new StreamReader(source, StrictUtf8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        var number = 0;
        while (await ReadLineAsync(reader, number + 1, cancellationToken).ConfigureAwait(false) is { } line)
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                if (number == 1)
                {
                    if (!root.TryGetProperty("format", out var format) || format.GetString() != ArchiveFormat ||
                        root.GetProperty("version").GetInt32() != 1)
                    {
                        throw new MemoryException("This is not a Mnemo memory archive (version 1): its first line is not the archive's header.");
                    }
                }
                else if (root.TryGetProperty("dir", out var dir))
                {
                    directories.Add(ParsePath(dir.GetString()));
                }
                else if (root.TryGetProperty("file", out var file))
                {
                    var content = file.TryGetProperty("text", out var text) ? Encoding.UTF8.GetBytes(text.GetString()!) : file.GetProperty("base64").GetBytesFromBase64();
                    if (MemoryHash.Sha256(content) != file.GetProperty("sha256").GetString())
                    {
                        throw new MemoryException($"The archive's copy of {file.GetProperty("path").GetString()} does not match its sha256.");
                    }

                    files.Add(new MemorySnapshotFile(ParsePath(file.GetProperty("path").GetString()), content));
                }
                else if (root.TryGetProperty("change", out var change))
                {
                    history.Add(MemoryChangeJson.Read(change));
                }
                else
                {
                    throw new MemoryException("The line is not a folder, a file or a change.");
                }
            }
            catch (Exception exception) when (exception is JsonException or InvalidOperationException or KeyNotFoundException or FormatException or MemoryException)
            {
                // In words: the parser's and the accessors' own messages speak of .NET types and zero-based positions.
                var why = exception switch
                {
                    MemoryException => exception.Message,
                    JsonException { BytePositionInLine: { } at } => string.Create(CultureInfo.InvariantCulture, $"it is not JSON (at character {at + 1})."),
                    JsonException => "it is not JSON.",
                    _ => "a field is missing or has the wrong type.",
                };
                throw new MemoryException(number == 1 && exception is not MemoryException
                    ? "This is not a Mnemo memory archive: its first line is not JSON with the archive's header."
                    : $"The archive is damaged at line {number}: {why}", exception);
            }
        }

        if (number == 0)
        {
            throw new MemoryException("The archive is empty.");
        }

        if (store is IVersionedMemoryStore versioned)
        {
            await versioned.ImportAsync(new MemorySnapshot(files, directories, history), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            foreach (var file in files)
            {
                if (!await store.CreateFileAsync(file.Path, file.Content, new MemoryWriteContext(null, "import"), cancellationToken).ConfigureAwait(false))
                {
                    throw new MemoryException($"The store is not empty: {file.Path.Normalized} already exists.");
                }
            }
        }

        return (files.Count, history.Count);
    }

    private static async ValueTask<string?> ReadLineAsync(StreamReader reader, int number, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DecoderFallbackException exception)
        {
            throw new MemoryException($"The archive is damaged at line {number}: it is not UTF-8 text.", exception);
        }
    }

    private static MemoryPath ParsePath(string? text) =>
        MemoryPath.TryParse(text, out var path, out _) && !path.IsRoot ? path : throw new MemoryException($"{text} is not a memory path.");
}
