using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Mnemo.Memory;

/// <summary>The one JSON form of a history change, shared by the file-system log and the export archive.</summary>
/// <remarks>
/// One change is one line: <c>{"seq","time","op","path","from","actor","reason","redacted","request","files":[{"path","sha256",
/// "size","text"|"base64"|"redacted"}]}</c>. Content that is UTF-8 is kept as text, anything else as base64, so the line
/// round-trips every byte. The log also holds settle lines, <c>{"ok":n}</c> and <c>{"abort":n}</c>.
/// </remarks>
internal static class MemoryChangeJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] ToLine(MemoryChange change)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + change.Files.Sum(file => (int)Math.Min(file.Size + (file.Size / 8), int.MaxValue / 4)));
        WriteLine(buffer, change);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes a change's line, newline included, into a buffer the caller may reuse.</summary>
    public static void WriteLine(IBufferWriter<byte> buffer, MemoryChange change)
    {
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            Write(writer, change);
        }

        buffer.Write("\n"u8);
    }

    public static byte[] SettleLine(string kind, long sequence) => Encoding.UTF8.GetBytes($"{{\"{kind}\":{sequence}}}\n");

    public static void Write(Utf8JsonWriter writer, MemoryChange change)
    {
        writer.WriteStartObject();
        writer.WriteNumber("seq", change.Sequence);
        writer.WriteString("time", change.Time.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        writer.WriteString("op", Name(change.Kind));
        WriteIfSet(writer, "path", change.Path);
        WriteIfSet(writer, "from", change.From);
        WriteIfSet(writer, "actor", change.Actor);
        WriteIfSet(writer, "reason", change.Reason);
        WriteIfSet(writer, "redacted", change.RedactedHash);
        WriteIfSet(writer, "request", change.RequestId);
        writer.WriteStartArray("files");
        foreach (var file in change.Files)
        {
            writer.WriteStartObject();
            writer.WriteString("path", file.Path);
            writer.WriteString("sha256", file.Hash);
            writer.WriteNumber("size", file.Size);
            if (file.Content is not { } content)
            {
                writer.WriteBoolean("redacted", true);
            }
            else if (Utf8.IsValid(content.Span))
            {
                writer.WriteString("text", content.Span);
            }
            else
            {
                writer.WriteBase64String("base64", content.Span);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Reads one line: a change, or a settle line's kind and number.</summary>
    /// <exception cref="JsonException">The line is not a change or a settle line.</exception>
    public static (MemoryChange? Change, string? Settle, long Sequence) Parse(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("A history line is not a JSON object.");
        }

        foreach (var settle in (string[])["ok", "abort"])
        {
            if (root.TryGetProperty(settle, out var number))
            {
                return (null, settle, number.GetInt64());
            }
        }

        var change = Read(root);
        return (change, null, change.Sequence);
    }

    public static MemoryChange Read(JsonElement root)
    {
        var files = new List<MemoryFileVersion>();
        foreach (var file in root.GetProperty("files").EnumerateArray())
        {
            // A null array would become an empty memory, not a missing one, so the redacted case is spelled out.
            ReadOnlyMemory<byte>? content = null;
            if (file.TryGetProperty("text", out var text))
            {
                content = Encoding.UTF8.GetBytes(text.GetString()!);
            }
            else if (file.TryGetProperty("base64", out var base64))
            {
                content = base64.GetBytesFromBase64();
            }

            var hash = file.GetProperty("sha256").GetString()!;
            if (!MemoryHash.IsSha256(hash))
            {
                throw new JsonException("A version's sha256 is not 64 lowercase hex digits.");
            }

            if (content is { } bytes && MemoryHash.Sha256(bytes.Span) != hash)
            {
                throw new JsonException($"A version of {file.GetProperty("path").GetString()} does not match its sha256.");
            }

            files.Add(new MemoryFileVersion(file.GetProperty("path").GetString()!, hash, file.GetProperty("size").GetInt64(), content));
        }

        return new MemoryChange(
            root.GetProperty("seq").GetInt64(),
            DateTimeOffset.Parse(root.GetProperty("time").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
            Kind(root.GetProperty("op").GetString()),
            Optional(root, "path"),
            files)
        {
            From = Optional(root, "from"),
            Actor = Optional(root, "actor"),
            Reason = Optional(root, "reason"),
            RedactedHash = Optional(root, "redacted"),
            RequestId = Optional(root, "request"),
        };
    }

    public static string Name(MemoryChangeKind kind) => kind switch
    {
        MemoryChangeKind.Create => "create",
        MemoryChangeKind.Edit => "edit",
        MemoryChangeKind.Delete => "delete",
        MemoryChangeKind.Rename => "rename",
        _ => "redact",
    };

    private static MemoryChangeKind Kind(string? name) => name switch
    {
        "create" => MemoryChangeKind.Create,
        "edit" => MemoryChangeKind.Edit,
        "delete" => MemoryChangeKind.Delete,
        "rename" => MemoryChangeKind.Rename,
        "redact" => MemoryChangeKind.Redact,
        _ => throw new JsonException($"Unknown history operation: {name}"),
    };

    private static string? Optional(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static void WriteIfSet(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }
}
