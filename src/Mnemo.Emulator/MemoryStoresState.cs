using System.Security.Cryptography;
using System.Text;

namespace Mnemo.Emulator;

/// <summary>The memory stores of one workspace (an API key), as the Managed Agents memory API keeps them: stores, the
/// memories in each addressed by path, and every change to a memory as an immutable version.</summary>
internal sealed class MemoryStoresState
{
    /// <summary>The largest content of one memory, in bytes of UTF-8.</summary>
    public const int MaxContentBytes = 100_000;

    /// <summary>The longest path, in bytes of UTF-8.</summary>
    public const int MaxPathBytes = 1_024;

    public Dictionary<string, EmulatedMemoryStore> Stores { get; } = new(StringComparer.Ordinal);
}

/// <summary>One memory store.</summary>
internal sealed class EmulatedMemoryStore(string id, string name, string? description, DateTimeOffset created)
{
    public string Id { get; } = id;

    public string Name { get; set; } = name;

    public string? Description { get; set; } = description;

    public DateTimeOffset CreatedAt { get; } = created;

    public DateTimeOffset UpdatedAt { get; set; } = created;

    public DateTimeOffset? ArchivedAt { get; set; }

    /// <summary>The memories, by id.</summary>
    public Dictionary<string, EmulatedMemory> Memories { get; } = new(StringComparer.Ordinal);

    /// <summary>The memories' ids, by path (case-sensitive).</summary>
    public SortedDictionary<string, string> Paths { get; } = new(StringComparer.Ordinal);

    /// <summary>Every version, oldest first.</summary>
    public List<EmulatedMemoryVersion> Versions { get; } = [];
}

/// <summary>One memory: its path and current content.</summary>
internal sealed class EmulatedMemory(string storeId, string id, string path, string content, string versionId, DateTimeOffset created)
{
    public string StoreId { get; } = storeId;

    public string Id { get; } = id;

    public string Path { get; set; } = path;

    public string Content { get; set; } = content;

    public string VersionId { get; set; } = versionId;

    public DateTimeOffset CreatedAt { get; } = created;

    public DateTimeOffset UpdatedAt { get; set; } = created;

    public string Sha256 => MemoryStoresText.Sha256(Content);

    public int Size => Encoding.UTF8.GetByteCount(Content);
}

/// <summary>One version of a memory: what a create, a change or a delete left.</summary>
internal sealed class EmulatedMemoryVersion(string storeId, string id, string memoryId, string operation, string? path, string? content, string apiKeyId, DateTimeOffset created)
{
    public string StoreId { get; } = storeId;

    public string Id { get; } = id;

    public string MemoryId { get; } = memoryId;

    public string Operation { get; } = operation;

    public string? Path { get; set; } = path;

    public string? Content { get; set; } = content;

    public string ApiKeyId { get; } = apiKeyId;

    public DateTimeOffset CreatedAt { get; } = created;

    public DateTimeOffset? RedactedAt { get; set; }

    /// <summary>Gets or sets the key that redacted the version.</summary>
    public string? RedactedBy { get; set; }
}

/// <summary>The text rules of the memory API.</summary>
internal static class MemoryStoresText
{
    public static string Sha256(string content) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));

    /// <summary>Checks a memory's path as the API does: absolute, in NFC, no empty, <c>.</c> or <c>..</c> segment, at most
    /// 1,024 bytes. Returns why not, or <see langword="null"/> when valid.</summary>
    public static string? PathError(string field, string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return $"{field}: must be a non-empty path";
        }

        if (path[0] != '/')
        {
            return $"{field}: must start with '/'";
        }

        if (Encoding.UTF8.GetByteCount(path) > MemoryStoresState.MaxPathBytes)
        {
            return $"{field}: must be at most {MemoryStoresState.MaxPathBytes} bytes";
        }

        if (!Mnemo.Memory.Nfc.IsNormalized(path))
        {
            return $"{field}: must be in Unicode normalization form C (NFC)";
        }

        foreach (var segment in path[1..].Split('/'))
        {
            if (segment.Length == 0 || segment is "." or "..")
            {
                return $"{field}: must not contain empty, '.' or '..' segments";
            }

            if (segment.Any(char.IsControl))
            {
                return $"{field}: must not contain control characters";
            }
        }

        return null;
    }
}
