using System.Text.Json;

namespace Mnemo.Memory.Remote;

/// <summary>The JSON shapes of <c>POST /v1/stores/{store}/ops</c>, shared by the server and <see cref="HttpMemoryStore"/>.</summary>
/// <remarks>
/// A request is one object: <c>{"op":"read"|"list"|"create"|"replace"|"delete"|"rename","path","depth","content"
/// (base64),"version","from","to","actor"}</c>, with an <c>Idempotency-Key</c> header on writes. The answers:
/// read <c>{"kind":"none"|"directory"|"file","content","version"}</c>; list <c>{"entries":null|[{"name","kind","size",
/// "children"}]}</c>; create <c>{"created"}</c>; replace <c>{"replaced"}</c>; delete and rename <c>{"outcome"}</c> in
/// snake case. A store's refusal is status 422 with <c>error.reason</c> <c>escape</c>, <c>parent_not_directory</c> or
/// <c>quota</c> (with <c>quota</c>, <c>limit</c> and <c>actual</c>) and the path as the client sent it.
/// </remarks>
internal static class MemoryStoreWire
{
    public const string IdempotencyHeader = "Idempotency-Key";

    public static string Name(MemoryDeleteOutcome outcome) => outcome switch
    {
        MemoryDeleteOutcome.Deleted => "deleted",
        MemoryDeleteOutcome.NotFound => "not_found",
        _ => "root",
    };

    public static string Name(MemoryRenameOutcome outcome) => outcome switch
    {
        MemoryRenameOutcome.Renamed => "renamed",
        MemoryRenameOutcome.Root => "root",
        MemoryRenameOutcome.DestinationExists => "destination_exists",
        MemoryRenameOutcome.SourceNotFound => "source_not_found",
        _ => "destination_inside_source",
    };

    public static string Name(MemoryQuotaKind kind) => kind switch
    {
        MemoryQuotaKind.FileBytes => "file_bytes",
        MemoryQuotaKind.FileLines => "file_lines",
        MemoryQuotaKind.Files => "files",
        MemoryQuotaKind.TotalBytes => "total_bytes",
        _ => "path_bytes",
    };

    public static MemoryDeleteOutcome? DeleteOutcome(string? name) => name switch
    {
        "deleted" => MemoryDeleteOutcome.Deleted,
        "not_found" => MemoryDeleteOutcome.NotFound,
        "root" => MemoryDeleteOutcome.Root,
        _ => null,
    };

    public static MemoryRenameOutcome? RenameOutcome(string? name) => name switch
    {
        "renamed" => MemoryRenameOutcome.Renamed,
        "root" => MemoryRenameOutcome.Root,
        "destination_exists" => MemoryRenameOutcome.DestinationExists,
        "source_not_found" => MemoryRenameOutcome.SourceNotFound,
        "destination_inside_source" => MemoryRenameOutcome.DestinationInsideSource,
        _ => null,
    };

    public static MemoryQuotaKind? QuotaKind(string? name) => name switch
    {
        "file_bytes" => MemoryQuotaKind.FileBytes,
        "file_lines" => MemoryQuotaKind.FileLines,
        "files" => MemoryQuotaKind.Files,
        "total_bytes" => MemoryQuotaKind.TotalBytes,
        "path_bytes" => MemoryQuotaKind.PathBytes,
        _ => null,
    };

    public static void WriteEntries(Utf8JsonWriter writer, IReadOnlyList<MemoryEntry> entries)
    {
        writer.WriteStartArray();
        foreach (var entry in entries)
        {
            writer.WriteStartObject();
            writer.WriteString("name", entry.Name);
            writer.WriteString("kind", entry.Kind == MemoryEntryKind.File ? "file" : "directory");
            writer.WriteNumber("size", entry.Size);
            if (entry.Children is { } children)
            {
                writer.WritePropertyName("children");
                WriteEntries(writer, children);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <exception cref="JsonException">The array is not a listing.</exception>
    public static List<MemoryEntry> ReadEntries(JsonElement array)
    {
        var entries = new List<MemoryEntry>(array.GetArrayLength());
        foreach (var entry in array.EnumerateArray())
        {
            var kind = entry.GetProperty("kind").GetString() switch
            {
                "file" => MemoryEntryKind.File,
                "directory" => MemoryEntryKind.Directory,
                var other => throw new JsonException($"Unknown entry kind: {other}"),
            };
            var children = entry.TryGetProperty("children", out var nested) && nested.ValueKind == JsonValueKind.Array ? ReadEntries(nested) : null;
            entries.Add(new MemoryEntry(entry.GetProperty("name").GetString()!, kind, entry.GetProperty("size").GetInt64(), children));
        }

        return entries;
    }
}
