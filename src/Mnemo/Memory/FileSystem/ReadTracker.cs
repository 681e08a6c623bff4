using System.Buffers;
using System.Text.Json;
using static Mnemo.Memory.FileSystem.FolderCodes;

namespace Mnemo.Memory.FileSystem;

/// <summary>Writes reads down in <c>.mnemo/reads.jsonl</c>, at most once per file per resolution, for expiry and statistics.</summary>
/// <remarks>Reads take no lock, so a read's line is appended with one write to a file opened for appending; a line that
/// cannot be written is lost, which costs at most an early expiry. Thread-safe.</remarks>
/// <param name="metaFd">The store's own folder.</param>
/// <param name="writer">Writes the compacted log.</param>
/// <param name="time">Where the reads' times come from.</param>
/// <param name="resolution">How often, at most, a read of one file is written down.</param>
internal sealed class ReadTracker(int metaFd, DurableFileWriter writer, TimeProvider time, TimeSpan resolution)
{
    private readonly FolderSystem _fs = writer.Files;

    private const string ReadsName = "reads.jsonl";

    private readonly Dictionary<string, DateTimeOffset> _noted = new(StringComparer.Ordinal);

    /// <summary>Writes a read down, at most once per resolution per file; a read never fails for this.</summary>
    public void NoteRead(MemoryPath path)
    {
        var now = time.GetUtcNow();
        var key = path.Normalized;
        lock (_noted)
        {
            if (_noted.TryGetValue(key, out var last) && now - last < resolution && now >= last)
            {
                return;
            }

            _noted[key] = now;
        }

        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("path", key);
            writer.WriteString("time", now.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);
        var fd = _fs.OpenAt(metaFd, ReadsName, OWrOnly | OAppend | OCreat | ONoFollow | OCloExec, DurableFileWriter.FileMode);
        if (fd >= 0)
        {
            try
            {
                _fs.WriteAll(fd, buffer.WrittenSpan);
            }
            catch (MemoryStoreException)
            {
                // Read tracking is a hint for expiry; losing one line costs nothing a user would notice.
            }
            finally
            {
                _ = _fs.Close(fd);
            }
        }
    }

    /// <summary>Rewrites the read log with one line per file still here, so it does not grow without end.</summary>
    /// <remarks>A read written down by another process while this runs may be lost; it is a hint, and costs at most an early expiry.</remarks>
    public void Compact(IEnumerable<MemoryFileActivity> files)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var file in files.Where(file => file.LastRead is not null))
        {
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteString("path", file.Path.Normalized);
                writer.WriteString("time", file.LastRead!.Value.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                writer.WriteEndObject();
            }

            buffer.Write("\n"u8);
        }

        try
        {
            writer.ReplaceFile(metaFd, ReadsName, buffer.WrittenSpan, "compact the read log");
        }
        catch (MemoryStoreException)
        {
            // A hint: the longer log stays, and the next sweep compacts it.
        }
    }

    public Dictionary<string, DateTimeOffset> ReadAll()
    {
        var reads = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var fd = _fs.OpenAt(metaFd, ReadsName, ORdOnly | ONoFollow | OCloExec, 0);
        if (fd < 0)
        {
            return reads;
        }

        byte[] bytes;
        try
        {
            bytes = _fs.ReadAll(fd, _fs.SizeOf(fd));
        }
        finally
        {
            _ = _fs.Close(fd);
        }

        foreach (var line in FolderSystem.SplitLines(bytes))
        {
            try
            {
                using var document = JsonDocument.Parse(line);
                var path = document.RootElement.GetProperty("path").GetString()!;
                var time = document.RootElement.GetProperty("time").GetDateTimeOffset();
                if (!reads.TryGetValue(path, out var known) || time > known)
                {
                    reads[path] = time;
                }
            }
            catch (Exception exception) when (exception is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
            {
                // A damaged hint line is skipped; the history still says when each file was written.
            }
        }

        return reads;
    }
}
