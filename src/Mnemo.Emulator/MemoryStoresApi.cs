using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Mnemo.Emulator;

/// <summary>
/// The Managed Agents memory API (<c>/v1/memory_stores</c>, its <c>memories</c> and <c>memory_versions</c>) as the API
/// reference documents it: stores per workspace (here, per API key), memories addressed by path, every change an
/// immutable version, <c>content_sha256</c> preconditions, pagination by cursor, and the documented error types.
/// </summary>
internal sealed partial class MemoryStoresApi(TimeProvider time)
{
    /// <summary>The beta the memory endpoints need.</summary>
    public const string Beta = "agent-memory-2026-07-22";

    /// <summary>The Managed Agents beta, which the memory endpoints refuse beside their own.</summary>
    public const string ManagedAgentsBeta = "managed-agents-2026-04-01";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, MemoryStoresState> _workspaces = new(StringComparer.Ordinal);

    /// <summary>Answers a request under <c>/v1/memory_stores</c>.</summary>
    /// <returns>The status and the JSON body.</returns>
    public async Task<(int Status, JsonElement Body)> HandleAsync(HttpRequest request, string path, string apiKey, IReadOnlyList<string> betas, CancellationToken cancellationToken)
    {
        if (!betas.Contains(Beta))
        {
            throw ApiErrorException.InvalidRequest($"The memory stores API is in beta: send the header anthropic-beta: {Beta}.");
        }

        if (betas.Contains(ManagedAgentsBeta))
        {
            throw ApiErrorException.InvalidRequest($"anthropic-beta: {ManagedAgentsBeta} cannot be sent with {Beta} on a memory store request.");
        }

        var segments = path.TrimEnd('/').Split('/')[3..];
        var method = request.Method;
        // Archive and redact are posts without a body; every other post carries one.
        var takesBody = (HttpMethods.IsPost(method) || HttpMethods.IsPatch(method)) && segments is not [_, "archive"] and not [_, "memory_versions", _, "redact"];
        JsonElement? body = takesBody ? await EmulatorRequests.ReadBodyAsync(request, cancellationToken).ConfigureAwait(false) : null;
        var query = request.Query;
        lock (_gate)
        {
            var workspace = Workspace(apiKey);
            return (segments, method.ToUpperInvariant()) switch
            {
                ([], "POST") => (200, CreateStore(workspace, Object(body))),
                ([], "GET") => (200, ListStores(workspace, query)),
                ([var id], "GET") => (200, MemoryStoresJson.Store(Store(workspace, id))),
                ([var id], "POST") => (200, UpdateStore(Store(workspace, id), Object(body))),
                ([var id], "DELETE") => (200, DeleteStore(workspace, id)),
                ([var id, "archive"], "POST") => (200, ArchiveStore(Store(workspace, id))),
                ([var id, "memories"], "POST") => (200, CreateMemory(Writable(workspace, id), Object(body), apiKey, query)),
                ([var id, "memories"], "GET") => (200, ListMemories(Store(workspace, id), query)),
                ([var id, "memories", var memory], "GET") => (200, MemoryStoresJson.Memory(Memory(Store(workspace, id), memory), View(query, "full"))),
                ([var id, "memories", var memory], "POST" or "PATCH") => (200, UpdateMemory(Writable(workspace, id), memory, Object(body), apiKey, query)),
                ([var id, "memories", var memory], "DELETE") => (200, DeleteMemory(Writable(workspace, id), memory, apiKey, query)),
                ([var id, "memory_versions"], "GET") => (200, ListVersions(Store(workspace, id), query)),
                ([var id, "memory_versions", var version], "GET") => (200, MemoryStoresJson.Version(Version(Store(workspace, id), version), View(query, "full"))),
                ([var id, "memory_versions", var version, "redact"], "POST") => (200, Redact(Store(workspace, id), version, apiKey)),
                _ when Known(segments) => throw new ApiErrorException(405, "invalid_request_error", $"Method Not Allowed: {method} {path}"),
                _ => throw new ApiErrorException(404, "not_found_error", "Not Found"),
            };
        }
    }

    private static bool Known(string[] segments) => segments switch
    {
        [] or [_] or [_, "archive"] or [_, "memories"] or [_, "memories", _] or [_, "memory_versions"] or [_, "memory_versions", _] or [_, "memory_versions", _, "redact"] => true,
        _ => false,
    };

    private MemoryStoresState Workspace(string apiKey)
    {
        if (!_workspaces.TryGetValue(apiKey, out var workspace))
        {
            _workspaces[apiKey] = workspace = new MemoryStoresState();
        }

        return workspace;
    }

    private static JsonElement Object(JsonElement? body) =>
        body is { ValueKind: JsonValueKind.Object } value ? value : throw ApiErrorException.InvalidRequest("Input should be a valid dictionary or object to extract fields from");

    private static string View(IQueryCollection query, string fallback) => query["view"].ToString() switch
    {
        "" => fallback,
        "basic" => "basic",
        "full" => "full",
        var other => throw ApiErrorException.InvalidRequest($"view: Input should be 'basic' or 'full', not '{other}'"),
    };

    private static EmulatedMemoryStore Store(MemoryStoresState workspace, string id) =>
        workspace.Stores.TryGetValue(id, out var store) ? store : throw new ApiErrorException(404, "not_found_error", $"Memory store not found: {id}");

    private static EmulatedMemoryStore Writable(MemoryStoresState workspace, string id)
    {
        var store = Store(workspace, id);
        return store.ArchivedAt is null ? store : throw ApiErrorException.InvalidRequest($"Memory store {id} is archived and cannot be changed.");
    }

    private static EmulatedMemory Memory(EmulatedMemoryStore store, string id) =>
        store.Memories.TryGetValue(id, out var memory) ? memory : throw new ApiErrorException(404, "not_found_error", $"Memory not found: {id}");

    private static EmulatedMemoryVersion Version(EmulatedMemoryStore store, string id) =>
        store.Versions.FirstOrDefault(version => version.Id == id) ?? throw new ApiErrorException(404, "not_found_error", $"Memory version not found: {id}");

    private JsonElement CreateStore(MemoryStoresState workspace, JsonElement body)
    {
        var name = Text(body, "name", required: true, max: 256)!;
        var store = new EmulatedMemoryStore(EmulatorIds.Random("memstore_01"), name, Text(body, "description", required: false, max: 4096), time.GetUtcNow());
        workspace.Stores[store.Id] = store;
        return MemoryStoresJson.Store(store);
    }

    private JsonElement UpdateStore(EmulatedMemoryStore store, JsonElement body)
    {
        store.Name = Text(body, "name", required: false, max: 256) ?? store.Name;
        store.Description = Text(body, "description", required: false, max: 4096) ?? store.Description;
        store.UpdatedAt = time.GetUtcNow();
        return MemoryStoresJson.Store(store);
    }

    private JsonElement ArchiveStore(EmulatedMemoryStore store)
    {
        store.ArchivedAt ??= time.GetUtcNow();
        return MemoryStoresJson.Store(store);
    }

    private static JsonElement DeleteStore(MemoryStoresState workspace, string id)
    {
        Store(workspace, id);
        workspace.Stores.Remove(id);
        return MemoryStoresJson.Deleted(id, "memory_store_deleted");
    }

    private static JsonElement ListStores(MemoryStoresState workspace, IQueryCollection query)
    {
        var archived = query["include_archived"].ToString() == "true";
        var stores = workspace.Stores.Values.Where(store => archived || store.ArchivedAt is null).OrderBy(store => store.CreatedAt).ToList();
        var (page, next) = Page(stores, query);
        return MemoryStoresJson.Page(page.Select(MemoryStoresJson.Store), next);
    }

    private JsonElement CreateMemory(EmulatedMemoryStore store, JsonElement body, string apiKey, IQueryCollection query)
    {
        var path = ValidPath(Text(body, "path", required: true, max: null));
        var content = Content(Text(body, "content", required: true, max: null, allowEmpty: true)!);
        if (store.Paths.TryGetValue(path, out var existing))
        {
            throw PathConflict(existing, path);
        }

        var now = time.GetUtcNow();
        var memory = new EmulatedMemory(store.Id, EmulatorIds.Random("mem_01"), path, content, EmulatorIds.Random("memver_01"), now);
        store.Memories[memory.Id] = memory;
        store.Paths[path] = memory.Id;
        store.Versions.Add(new EmulatedMemoryVersion(store.Id, memory.VersionId, memory.Id, "created", path, content, KeyId(apiKey), now));
        return MemoryStoresJson.Memory(memory, View(query, "full"));
    }

    private JsonElement UpdateMemory(EmulatedMemoryStore store, string id, JsonElement body, string apiKey, IQueryCollection query)
    {
        var memory = Memory(store, id);
        var path = body.TryGetProperty("path", out var pathValue) && pathValue.ValueKind != JsonValueKind.Null ? ValidPath(Text(body, "path", required: true, max: null)) : null;
        var content = body.TryGetProperty("content", out var contentValue) && contentValue.ValueKind != JsonValueKind.Null
            ? Content(Text(body, "content", required: true, max: null, allowEmpty: true)!)
            : null;
        if (path is null && content is null)
        {
            throw ApiErrorException.InvalidRequest("At least one of content or path must be provided.");
        }

        if (body.TryGetProperty("precondition", out var precondition) && precondition.ValueKind != JsonValueKind.Null)
        {
            if (precondition.ValueKind != JsonValueKind.Object || !precondition.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String ||
                type.GetString() != "content_sha256" || !precondition.TryGetProperty("content_sha256", out var expected) || expected.ValueKind != JsonValueKind.String)
            {
                throw ApiErrorException.InvalidRequest("precondition: Input should be {\"type\": \"content_sha256\", \"content_sha256\": <hex>}");
            }

            if (!string.Equals(expected.GetString(), memory.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new ApiErrorException(409, "memory_precondition_failed_error", "The memory's content_sha256 does not match the precondition.");
            }
        }

        if (path is not null && path != memory.Path && store.Paths.TryGetValue(path, out var occupant))
        {
            throw PathConflict(occupant, path);
        }

        var now = time.GetUtcNow();
        if (path is not null && path != memory.Path)
        {
            store.Paths.Remove(memory.Path);
            store.Paths[path] = memory.Id;
            memory.Path = path;
        }

        memory.Content = content ?? memory.Content;
        memory.VersionId = EmulatorIds.Random("memver_01");
        memory.UpdatedAt = now;
        store.Versions.Add(new EmulatedMemoryVersion(store.Id, memory.VersionId, memory.Id, "modified", memory.Path, memory.Content, KeyId(apiKey), now));
        return MemoryStoresJson.Memory(memory, View(query, "full"));
    }

    private JsonElement DeleteMemory(EmulatedMemoryStore store, string id, string apiKey, IQueryCollection query)
    {
        var memory = Memory(store, id);
        if (query["expected_content_sha256"].ToString() is { Length: > 0 } expected && !string.Equals(expected, memory.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ApiErrorException(409, "memory_precondition_failed_error", "The memory's content_sha256 does not match expected_content_sha256.");
        }

        store.Memories.Remove(id);
        store.Paths.Remove(memory.Path);
        store.Versions.Add(new EmulatedMemoryVersion(store.Id, EmulatorIds.Random("memver_01"), memory.Id, "deleted", memory.Path, null, KeyId(apiKey), time.GetUtcNow()));
        return MemoryStoresJson.Deleted(id, "memory_deleted");
    }

    /// <summary>Lists memories under a prefix, by path; with <c>depth</c>, a deeper path is one <c>memory_prefix</c> for its
    /// folder at that depth below the prefix's folder.</summary>
    private static JsonElement ListMemories(EmulatedMemoryStore store, IQueryCollection query)
    {
        var prefix = query["path_prefix"].ToString();
        if (prefix.Length > 0 && prefix[0] != '/')
        {
            throw ApiErrorException.InvalidRequest("path_prefix: must start with '/'");
        }

        int? depth = null;
        if (query["depth"].ToString() is { Length: > 0 } rawDepth)
        {
            depth = int.TryParse(rawDepth, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed >= 1
                ? parsed
                : throw ApiErrorException.InvalidRequest("depth: Input should be greater than or equal to 1");
        }

        var view = View(query, "basic");
        var folder = prefix.Length == 0 ? "/" : prefix[..(prefix.LastIndexOf('/') + 1)];
        var items = new List<(string Path, EmulatedMemory? Memory)>();
        var prefixes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, id) in store.Paths)
        {
            if (!path.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var below = path[folder.Length..].Split('/');
            if (depth is { } levels && below.Length > levels)
            {
                var node = folder + string.Join('/', below.Take(levels)) + "/";
                if (prefixes.Add(node))
                {
                    items.Add((node, null));
                }

                continue;
            }

            items.Add((path, store.Memories[id]));
        }

        var (page, next) = Page(items.OrderBy(item => item.Path, StringComparer.Ordinal).ToList(), query);
        return MemoryStoresJson.Page(page.Select(item => item.Memory is { } memory ? MemoryStoresJson.Memory(memory, view) : MemoryStoresJson.Prefix(item.Path)), next);
    }

    private static JsonElement ListVersions(EmulatedMemoryStore store, IQueryCollection query)
    {
        var memoryId = query["memory_id"].ToString();
        var operation = query["operation"].ToString();
        if (operation.Length > 0 && operation is not ("created" or "modified" or "deleted"))
        {
            throw ApiErrorException.InvalidRequest($"operation: Input should be 'created', 'modified' or 'deleted', not '{operation}'");
        }

        var view = View(query, "basic");
        var versions = Enumerable.Reverse(store.Versions)
            .Where(version => (memoryId.Length == 0 || version.MemoryId == memoryId) && (operation.Length == 0 || version.Operation == operation))
            .ToList();
        var (page, next) = Page(versions, query);
        return MemoryStoresJson.Page(page.Select(version => MemoryStoresJson.Version(version, view)), next);
    }

    private JsonElement Redact(EmulatedMemoryStore store, string id, string apiKey)
    {
        var version = Version(store, id);
        if (store.Memories.TryGetValue(version.MemoryId, out var memory) && memory.VersionId == version.Id)
        {
            throw ApiErrorException.InvalidRequest("The current version of a memory cannot be redacted; change or delete the memory first.");
        }

        if (version.RedactedAt is null)
        {
            (version.Content, version.Path, version.RedactedAt, version.RedactedBy) = (null, null, time.GetUtcNow(), KeyId(apiKey));
        }

        return MemoryStoresJson.Version(version, "full");
    }

    /// <summary>A page of a list: <c>limit</c> items (20 by default, 1 to 100) from the cursor <c>page</c>.</summary>
    private static (List<T> Page, string? Next) Page<T>(List<T> all, IQueryCollection query)
    {
        var limit = 20;
        if (query["limit"].ToString() is { Length: > 0 } rawLimit &&
            (!int.TryParse(rawLimit, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 100))
        {
            throw ApiErrorException.InvalidRequest("limit: Input should be greater than or equal to 1 and less than or equal to 100");
        }

        var start = 0;
        if (query["page"].ToString() is { Length: > 0 } cursor)
        {
            start = Cursor(cursor) ?? throw ApiErrorException.InvalidRequest("page: Invalid page cursor");
        }

        var page = all.Skip(start).Take(limit).ToList();
        return (page, start + page.Count < all.Count ? "page_" + Convert.ToBase64String(Encoding.UTF8.GetBytes((start + page.Count).ToString(CultureInfo.InvariantCulture))) : null);
    }

    private static int? Cursor(string cursor)
    {
        try
        {
            return cursor.StartsWith("page_", StringComparison.Ordinal) &&
                int.TryParse(Encoding.UTF8.GetString(Convert.FromBase64String(cursor[5..])), NumberStyles.None, CultureInfo.InvariantCulture, out var start)
                ? start
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement body, string name, bool required, int? max, bool allowEmpty = false)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return required ? throw ApiErrorException.InvalidRequest($"{name}: Field required") : null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw ApiErrorException.InvalidRequest($"{name}: Input should be a valid string");
        }

        var text = value.GetString()!;
        if (text.Length == 0 && !allowEmpty)
        {
            throw ApiErrorException.InvalidRequest($"{name}: String should have at least 1 character");
        }

        return max is { } most && text.Length > most ? throw ApiErrorException.InvalidRequest($"{name}: String should have at most {most} characters") : text;
    }

    private static string ValidPath(string? path) =>
        MemoryStoresText.PathError("path", path) is { } error ? throw ApiErrorException.InvalidRequest(error) : path!;

    private static string Content(string content) =>
        Encoding.UTF8.GetByteCount(content) > MemoryStoresState.MaxContentBytes
            ? throw ApiErrorException.InvalidRequest($"content: must be at most {MemoryStoresState.MaxContentBytes:N0} bytes of UTF-8")
            : content;

    private static ApiErrorException PathConflict(string id, string path) =>
        new(409, "memory_path_conflict_error", $"A memory already exists at {path}.", fields: writer =>
        {
            writer.WriteString("conflicting_memory_id"u8, id);
            writer.WriteString("conflicting_path"u8, path);
        });

    /// <summary>What versions name as the API key that made them: an id derived from the key, never the key.</summary>
    private static string KeyId(string apiKey) => EmulatorIds.Derived("apikey_01", apiKey);
}
