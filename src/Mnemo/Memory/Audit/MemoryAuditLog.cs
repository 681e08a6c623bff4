using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Memory;

/// <summary>Represents a log told of every memory command: who ran it, on what, and how it ended.</summary>
/// <remarks>Implementations are thread-safe; <see cref="Record"/> is called on the command's own thread after it finished.</remarks>
public interface IMemoryAuditLog
{
    /// <summary>Writes one entry down.</summary>
    /// <param name="entry">The entry.</param>
    void Record(MemoryAuditEntry entry);
}

/// <summary>Represents one command in the audit log.</summary>
/// <param name="Time">When the command finished.</param>
/// <param name="Actor">Who ran it; <see langword="null"/> when unknown.</param>
/// <param name="Command">The command's name, or <c>invalid</c> when the input was not a command.</param>
/// <param name="Path">The path it names (the source of a rename).</param>
/// <param name="Destination">The destination of a rename.</param>
/// <param name="IsError">Whether the model was told of an error.</param>
/// <param name="Error">The error's first line, as the model read it.</param>
/// <param name="Duration">How long the command took.</param>
public sealed record MemoryAuditEntry(
    DateTimeOffset Time, string? Actor, string Command, string? Path, string? Destination, bool IsError, string? Error, TimeSpan Duration)
{
    /// <summary>Gets what the write-time scanner found in the command's text; empty when nothing, or when it did not run.</summary>
    public IReadOnlyList<Safety.MemoryFinding> Findings { get; init; } = [];

    /// <summary>Gets what the store's policy did about <see cref="Findings"/>: warn, redact, reject or quarantine.</summary>
    public Safety.MemorySafetyAction? SafetyAction { get; init; }
}

/// <summary>Represents an audit log in a file of JSON lines, one entry a line, rotated when it grows past a size.</summary>
/// <remarks>
/// <para>Each entry is appended with one <c>write</c> to a file opened with <c>O_APPEND</c>, so processes sharing the file
/// never overwrite or interleave each other's lines (a <see cref="FileStream"/> in append mode writes at its own idea of the
/// end, and would). Elsewhere each line is appended under a lock file (<c>NAME.lock</c>), which keeps lines whole the same way. When the file passes <see cref="MaxBytes"/> it becomes <c>NAME.1</c> (the older ones shift
/// to <c>.2</c>, <c>.3</c>, and the oldest beyond <see cref="MaxFiles"/> goes), under a lock file so that two processes
/// never rotate at once.</para>
/// <para>Lines: <c>{"time","actor","command","path","destination","outcome":"ok"|"error","error","ms","safety","findings"}</c>;
/// the last two when the write-time scanner found something.</para>
/// </remarks>
public sealed class JsonLinesMemoryAuditLog : IMemoryAuditLog, IDisposable
{
    private const long ReopenAfterMilliseconds = 1000;

    private readonly Lock _gate = new();
    private int _fd = -1;
    private long _openedAt;

    /// <summary>Initializes a new instance of the <see cref="JsonLinesMemoryAuditLog"/> class.</summary>
    /// <param name="path">The log file; its folder is created if missing.</param>
    /// <param name="maxBytes">The size past which the file is rotated; 10 MiB by default.</param>
    /// <param name="maxFiles">How many rotated files to keep besides the current one; 5 by default.</param>
    public JsonLinesMemoryAuditLog(string path, long maxBytes = 10 * 1024 * 1024, int maxFiles = 5)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFiles, 1);
        FilePath = System.IO.Path.GetFullPath(path);
        MaxBytes = maxBytes;
        MaxFiles = maxFiles;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(FilePath)!);
    }

    /// <summary>Gets the log file's full path.</summary>
    public string FilePath { get; }

    /// <summary>Gets the size past which the file is rotated.</summary>
    public long MaxBytes { get; }

    /// <summary>Gets how many rotated files are kept.</summary>
    public int MaxFiles { get; }

    /// <inheritdoc/>
    public void Record(MemoryAuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var line = Format(entry);
        if (!OperatingSystem.IsLinux() || !LinuxInterop.IsSupported)
        {
            lock (_gate)
            {
                LockedLineAppender.Append(FilePath, line, flush: false);
                if (new FileInfo(FilePath).Length > MaxBytes)
                {
                    Rotate();
                }
            }

            return;
        }

        lock (_gate)
        {
            // The file stays open between entries. Another process may rotate it meanwhile, so it is opened again at
            // least once a second: until then this process's lines land in the file just rotated, kept, not lost.
            var now = Environment.TickCount64;
            if (_fd < 0 || now - _openedAt > ReopenAfterMilliseconds)
            {
                Close();
                _fd = LinuxInterop.OpenAt(FolderCodes.AtFdCwd, FilePath, FolderCodes.OWrOnly | FolderCodes.OAppend | FolderCodes.OCreat | FolderCodes.OCloExec, 0x180);
                if (_fd < 0)
                {
                    throw new IOException($"The audit log cannot be opened: {LinuxInterop.Describe(LinuxInterop.LastError)}");
                }

                _openedAt = now;
            }

            // One write per line on a file opened for appending: the kernel puts each at the end, whole, whoever else writes.
            if (!AppendLine(_fd, line))
            {
                var error = LinuxInterop.LastError;
                Close();
                throw new IOException($"The audit log cannot be written: {LinuxInterop.Describe(error)}");
            }

            if (LinuxInterop.Statx(_fd, string.Empty, FolderCodes.AtEmptyPath, FolderCodes.StatxBasicStats, out var stat) == 0 && (long)stat.Size > MaxBytes)
            {
                Close();
                Rotate();
            }
        }
    }

    /// <summary>Closes the log file; the next entry opens it again.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            Close();
        }
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    internal static unsafe bool AppendLine(int fd, byte[] line)
    {
        fixed (byte* start = line)
        {
            while (true)
            {
                var written = LinuxInterop.Write(fd, start, (nuint)line.Length);
                if (written == line.Length)
                {
                    return true;
                }

                if (written >= 0 || LinuxInterop.LastError != FolderCodes.EIntr)
                {
                    return false; // a short write: a full disk
                }
            }
        }
    }

    private void Close()
    {
        if (_fd >= 0 && OperatingSystem.IsLinux())
        {
            _ = LinuxInterop.Close(_fd);
            _fd = -1;
        }
    }

    /// <summary>Formats an entry as its JSON line, newline included.</summary>
    /// <param name="entry">The entry.</param>
    /// <returns>The UTF-8 bytes of the line.</returns>
    public static byte[] Format(MemoryAuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("time", entry.Time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            writer.WriteString("actor", entry.Actor);
            writer.WriteString("command", entry.Command);
            writer.WriteString("path", entry.Path);
            if (entry.Destination is not null)
            {
                writer.WriteString("destination", entry.Destination);
            }

            writer.WriteString("outcome", entry.IsError ? "error" : "ok");
            if (entry.Error is not null)
            {
                writer.WriteString("error", entry.Error);
            }

            writer.WriteNumber("ms", Math.Round(entry.Duration.TotalMilliseconds, 3));
            if (entry.SafetyAction is { } action)
            {
                writer.WriteString("safety", action.ToString().ToLowerInvariant());
                writer.WriteStartArray("findings");
                foreach (var finding in entry.Findings)
                {
                    Safety.MemoryFindingJson.Write(writer, finding);
                }

                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private void Rotate()
    {
        // The lock file makes rotation one process at a time; the size is checked again under it, as another may have just rotated.
        FileStream rotation;
        try
        {
            rotation = new FileStream(FilePath + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return; // another process holds the lock and is rotating now
        }

        using var held = rotation;
        if (new FileInfo(FilePath) is not { Exists: true } current || current.Length <= MaxBytes)
        {
            return;
        }

        File.Delete($"{FilePath}.{MaxFiles}");
        for (var i = MaxFiles - 1; i >= 1; i--)
        {
            if (File.Exists($"{FilePath}.{i}"))
            {
                File.Move($"{FilePath}.{i}", $"{FilePath}.{i + 1}");
            }
        }

        File.Move(FilePath, $"{FilePath}.1");
    }
}
