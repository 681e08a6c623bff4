using System.Text.Json;

namespace Mnemo.Emulator;

/// <summary>The memory API's objects as JSON: stores, memories, prefixes, versions and pages.</summary>
internal static class MemoryStoresJson
{
    public static JsonElement Store(EmulatedMemoryStore store) => MessagesEmulator.ToElement(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "memory_store"u8);
        writer.WriteString("id"u8, store.Id);
        writer.WriteString("name"u8, store.Name);
        Nullable(writer, "description", store.Description);
        writer.WriteStartObject("metadata"u8);
        writer.WriteEndObject();
        Time(writer, "created_at", store.CreatedAt);
        Time(writer, "updated_at", store.UpdatedAt);
        Time(writer, "archived_at", store.ArchivedAt);
        writer.WriteEndObject();
    });

    /// <summary>A memory; with the <c>basic</c> view, without its content.</summary>
    public static JsonElement Memory(EmulatedMemory memory, string view) => MessagesEmulator.ToElement(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "memory"u8);
        writer.WriteString("id"u8, memory.Id);
        writer.WriteString("memory_store_id"u8, memory.StoreId);
        writer.WriteString("path"u8, memory.Path);
        writer.WriteString("content_sha256"u8, memory.Sha256);
        writer.WriteNumber("content_size_bytes"u8, memory.Size);
        writer.WriteString("memory_version_id"u8, memory.VersionId);
        Time(writer, "created_at", memory.CreatedAt);
        Time(writer, "updated_at", memory.UpdatedAt);
        if (view == "full")
        {
            writer.WriteString("content"u8, memory.Content);
        }

        writer.WriteEndObject();
    });

    public static JsonElement Prefix(string path) => MessagesEmulator.ToElement(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "memory_prefix"u8);
        writer.WriteString("path"u8, path);
        writer.WriteEndObject();
    });

    /// <summary>A version; a redacted one keeps its actor and times and loses its content, hash, size and path.</summary>
    public static JsonElement Version(EmulatedMemoryVersion version, string view) => MessagesEmulator.ToElement(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "memory_version"u8);
        writer.WriteString("id"u8, version.Id);
        writer.WriteString("memory_id"u8, version.MemoryId);
        writer.WriteString("memory_store_id"u8, version.StoreId);
        writer.WriteString("operation"u8, version.Operation);
        Nullable(writer, "path", version.Path);
        Nullable(writer, "content_sha256", version.Content is null ? null : MemoryStoresText.Sha256(version.Content));
        if (version.Content is null)
        {
            writer.WriteNull("content_size_bytes"u8);
        }
        else
        {
            writer.WriteNumber("content_size_bytes"u8, System.Text.Encoding.UTF8.GetByteCount(version.Content));
        }

        if (view == "full")
        {
            Nullable(writer, "content", version.Content);
        }

        writer.WriteStartObject("created_by"u8);
        writer.WriteString("type"u8, "api_actor"u8);
        writer.WriteString("api_key_id"u8, version.ApiKeyId);
        writer.WriteEndObject();
        Time(writer, "created_at", version.CreatedAt);
        Time(writer, "redacted_at", version.RedactedAt);
        if (version.RedactedAt is null)
        {
            writer.WriteNull("redacted_by"u8);
        }
        else
        {
            writer.WriteStartObject("redacted_by"u8);
            writer.WriteString("type"u8, "api_actor"u8);
            writer.WriteString("api_key_id"u8, version.RedactedBy ?? version.ApiKeyId);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    });

    public static JsonElement Dream(EmulatedDream dream) => MessagesEmulator.ToElement(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "dream"u8);
        writer.WriteString("id"u8, dream.Id);
        writer.WriteString("status"u8, dream.Status);
        writer.WriteStartArray("inputs"u8);
        writer.WriteStartObject();
        writer.WriteString("type"u8, "memory_store"u8);
        writer.WriteString("memory_store_id"u8, dream.InputStoreId);
        writer.WriteEndObject();
        if (dream.Sessions.Count > 0)
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "sessions"u8);
            writer.WriteStartArray("session_ids"u8);
            foreach (var session in dream.Sessions)
            {
                writer.WriteStringValue(session);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("outputs"u8);
        writer.WriteStartObject();
        writer.WriteString("type"u8, "memory_store"u8);
        writer.WriteString("memory_store_id"u8, dream.OutputStoreId);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteStartObject("output_behavior"u8);
        writer.WriteString("type"u8, dream.UpdateExisting ? "update_existing" : "create_new");
        if (dream.UpdateExisting)
        {
            writer.WriteString("memory_store_id"u8, dream.InputStoreId);
        }

        writer.WriteEndObject();
        writer.WriteStartObject("model"u8);
        writer.WriteString("id"u8, dream.Model);
        writer.WriteString("speed"u8, "standard"u8);
        writer.WriteEndObject();
        Nullable(writer, "instructions", dream.Instructions);
        writer.WriteNull("session_id"u8);
        if (dream.Error is { } error)
        {
            writer.WriteStartObject("error"u8);
            writer.WriteString("type"u8, "dream_failed_error"u8);
            writer.WriteString("message"u8, error);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("error"u8);
        }

        writer.WriteStartObject("usage"u8);
        writer.WriteNumber("input_tokens"u8, dream.InputTokens);
        writer.WriteNumber("output_tokens"u8, dream.OutputTokens);
        writer.WriteNumber("cache_creation_input_tokens"u8, 0);
        writer.WriteNumber("cache_read_input_tokens"u8, 0);
        writer.WriteEndObject();
        Time(writer, "created_at", dream.CreatedAt);
        Time(writer, "ended_at", dream.EndedAt);
        Time(writer, "archived_at", dream.ArchivedAt);
        writer.WriteEndObject();
    });

    public static JsonElement Deleted(string id, string type) => MessagesEmulator.ToElement(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, type);
        writer.WriteString("id"u8, id);
        writer.WriteEndObject();
    });

    public static JsonElement Page(IEnumerable<JsonElement> items, string? next) => MessagesEmulator.ToElement(writer =>
    {
        writer.WriteStartObject();
        writer.WriteStartArray("data"u8);
        foreach (var item in items)
        {
            item.WriteTo(writer);
        }

        writer.WriteEndArray();
        Nullable(writer, "next_page", next);
        writer.WriteEndObject();
    });

    private static void Nullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    private static void Time(Utf8JsonWriter writer, string name, DateTimeOffset? value)
    {
        if (value is { } time)
        {
            writer.WriteString(name, time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture));
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
