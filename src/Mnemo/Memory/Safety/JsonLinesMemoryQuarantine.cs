using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Memory.Safety;

/// <summary>Represents a quarantine in a file of JSON lines, one held write a line; the folder store keeps it in <c>.mnemo/quarantine.jsonl</c>.</summary>
/// <remarks>Each line is appended with one write to a file opened with <c>O_APPEND</c>, so processes sharing it never
/// interleave; elsewhere each line is appended under a lock file (<c>NAME.lock</c>). Lines: <c>{"time","actor","command","path","text","findings":[{"kind","rule","start","length","confidence"}]}</c>.</remarks>
public sealed class JsonLinesMemoryQuarantine : IMemoryQuarantine
{
    /// <summary>Initializes a new instance of the <see cref="JsonLinesMemoryQuarantine"/> class.</summary>
    /// <param name="path">The file; its folder is created when missing.</param>
    public JsonLinesMemoryQuarantine(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FilePath = Path.GetFullPath(path);
    }

    /// <summary>Gets the file's full path.</summary>
    public string FilePath { get; }

    /// <inheritdoc/>
    public ValueTask HoldAsync(QuarantinedWrite write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        var buffer = new ArrayBufferWriter<byte>(256 + (write.Text.Length * 2));
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("time", write.Time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            writer.WriteString("actor", write.Actor);
            writer.WriteString("command", write.Command);
            writer.WriteString("path", write.Path);
            writer.WriteString("text", write.Text);
            writer.WriteStartArray("findings");
            foreach (var finding in write.Findings)
            {
                MemoryFindingJson.Write(writer, finding);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        if (!OperatingSystem.IsLinux() || !LinuxInterop.IsSupported)
        {
            LockedLineAppender.Append(FilePath, buffer.WrittenSpan, flush: true);
            return ValueTask.CompletedTask;
        }

        var fd = LinuxInterop.OpenAt(FolderCodes.AtFdCwd, FilePath, FolderCodes.OWrOnly | FolderCodes.OAppend | FolderCodes.OCreat | FolderCodes.OCloExec, 0x180);
        if (fd < 0)
        {
            throw new IOException($"The quarantine cannot be opened: {LinuxInterop.Describe(LinuxInterop.LastError)}");
        }

        try
        {
            if (!JsonLinesMemoryAuditLog.AppendLine(fd, buffer.WrittenSpan.ToArray()) || LinuxInterop.FSync(fd) != 0)
            {
                throw new IOException($"The quarantine cannot be written: {LinuxInterop.Describe(LinuxInterop.LastError)}");
            }
        }
        finally
        {
            _ = LinuxInterop.Close(fd);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<QuarantinedWrite>> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (!File.Exists(FilePath))
        {
            return [];
        }

        var writes = new List<QuarantinedWrite>();
        foreach (var line in await File.ReadAllLinesAsync(FilePath, cancellationToken).ConfigureAwait(false))
        {
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                writes.Add(new QuarantinedWrite(
                    DateTimeOffset.Parse(root.GetProperty("time").GetString()!, CultureInfo.InvariantCulture),
                    root.GetProperty("actor").GetString(),
                    root.GetProperty("command").GetString()!,
                    root.GetProperty("path").GetString(),
                    root.GetProperty("text").GetString()!,
                    root.GetProperty("findings").EnumerateArray().Select(MemoryFindingJson.Read).ToList()));
            }
            catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                // A line cut short by a crash: the others still count.
            }
        }

        return writes;
    }
}

/// <summary>The JSON form of a finding, shared by the audit log, the quarantine and <c>mnemo memory scan --json</c>.</summary>
internal static class MemoryFindingJson
{
    public static void Write(Utf8JsonWriter writer, MemoryFinding finding)
    {
        writer.WriteStartObject();
        writer.WriteString("kind", finding.KindName);
        writer.WriteString("rule", finding.Rule);
        writer.WriteNumber("start", finding.Start);
        writer.WriteNumber("length", finding.Length);
        writer.WriteString("confidence", finding.Confidence.ToString().ToLowerInvariant());
        writer.WriteEndObject();
    }

    public static MemoryFinding Read(JsonElement element) => new(
        element.GetProperty("kind").GetString() switch
        {
            "instruction" => MemoryFindingKind.Instruction,
            "role-marker" => MemoryFindingKind.RoleMarker,
            "tool-call-mimicry" => MemoryFindingKind.ToolCallMimicry,
            "hidden-character" => MemoryFindingKind.HiddenCharacter,
            "personal-data" => MemoryFindingKind.PersonalData,
            _ => MemoryFindingKind.Secret,
        },
        element.GetProperty("rule").GetString()!,
        element.GetProperty("start").GetInt32(),
        element.GetProperty("length").GetInt32(),
        Enum.Parse<MemoryFindingConfidence>(element.GetProperty("confidence").GetString()!, ignoreCase: true));
}
