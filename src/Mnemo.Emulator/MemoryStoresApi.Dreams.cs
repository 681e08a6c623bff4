using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Mnemo.Emulator;

/// <summary>
/// Dreams (<c>/v1/dreams</c>, beta <c>dreaming-2026-04-21</c>): a job that reads a memory store and writes a reorganized
/// version of it, to a new store (<c>create_new</c>, the default) or into the input store (<c>update_existing</c>). The
/// emulator's dream is a scripted consolidation: each memory loses its repeated lines, memories left with the same
/// content become one (the first path kept), and memories left empty go. A dream moves one step each time it is read:
/// <c>pending</c>, <c>running</c>, then <c>completed</c>, so a client that polls sees its progress.
/// </summary>
internal sealed partial class MemoryStoresApi
{
    /// <summary>The beta the dream endpoints need.</summary>
    public const string DreamsBeta = "dreaming-2026-04-21";

    private readonly Dictionary<string, EmulatedDream> _dreams = new(StringComparer.Ordinal);

    /// <summary>Answers a request under <c>/v1/dreams</c>.</summary>
    public async Task<(int Status, JsonElement Body)> HandleDreamsAsync(HttpRequest request, string path, string apiKey, IReadOnlyList<string> betas, CancellationToken cancellationToken)
    {
        if (!betas.Contains(DreamsBeta))
        {
            throw ApiErrorException.InvalidRequest($"Dreams are in research preview: send the header anthropic-beta: {DreamsBeta}.");
        }

        var segments = path.TrimEnd('/').Split('/')[3..];
        var method = request.Method.ToUpperInvariant();
        JsonElement? body = (segments, method) is ([], "POST") ? await EmulatorRequests.ReadBodyAsync(request, cancellationToken).ConfigureAwait(false) : null;
        lock (_gate)
        {
            var workspace = Workspace(apiKey);
            return (segments, method) switch
            {
                ([], "POST") => (200, CreateDream(workspace, apiKey, Object(body))),
                ([], "GET") => (200, ListDreams(apiKey, request.Query)),
                ([var id], "GET") => (200, MemoryStoresJson.Dream(Advance(workspace, Dream(apiKey, id)))),
                ([var id, "cancel"], "POST") => (200, MemoryStoresJson.Dream(Cancel(Dream(apiKey, id)))),
                ([var id, "archive"], "POST") => (200, MemoryStoresJson.Dream(Archive(Dream(apiKey, id)))),
                ([] or [_] or [_, "cancel" or "archive"], _) => throw new ApiErrorException(405, "invalid_request_error", $"Method Not Allowed: {method} {path}"),
                _ => throw new ApiErrorException(404, "not_found_error", "Not Found"),
            };
        }
    }

    private JsonElement ListDreams(string apiKey, IQueryCollection query)
    {
        var (page, next) = Page([.. _dreams.Values.Where(dream => dream.ApiKey == apiKey).OrderByDescending(dream => dream.CreatedAt)], query);
        return MemoryStoresJson.Page(page.Select(MemoryStoresJson.Dream), next);
    }

    private EmulatedDream Dream(string apiKey, string id) =>
        _dreams.TryGetValue(id, out var dream) && dream.ApiKey == apiKey ? dream : throw new ApiErrorException(404, "not_found_error", $"Dream not found: {id}");

    private JsonElement CreateDream(MemoryStoresState workspace, string apiKey, JsonElement body)
    {
        if (!body.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.Array)
        {
            throw ApiErrorException.InvalidRequest("inputs: Field required");
        }

        string? storeId = null;
        var sessions = new List<string>();
        foreach (var input in inputs.EnumerateArray())
        {
            var type = input.ValueKind == JsonValueKind.Object && input.TryGetProperty("type", out var typeValue) && typeValue.ValueKind == JsonValueKind.String
                ? typeValue.GetString()
                : null;
            switch (type)
            {
                case "memory_store" when storeId is null && input.TryGetProperty("memory_store_id", out var id) && id.ValueKind == JsonValueKind.String:
                    storeId = id.GetString();
                    break;
                case "memory_store":
                    throw ApiErrorException.InvalidRequest("inputs: a dream takes exactly one memory_store input, with its memory_store_id");
                case "sessions" when input.TryGetProperty("session_ids", out var ids) && ids.ValueKind == JsonValueKind.Array:
                    sessions.AddRange(ids.EnumerateArray().Select(value => value.ValueKind == JsonValueKind.String
                        ? value.GetString()!
                        : throw ApiErrorException.InvalidRequest("inputs: session_ids must be strings")));
                    break;
                default:
                    throw ApiErrorException.InvalidRequest("inputs: each input is {\"type\": \"memory_store\", \"memory_store_id\": ...} or {\"type\": \"sessions\", \"session_ids\": [...]}");
            }
        }

        var source = Store(workspace, storeId ?? throw ApiErrorException.InvalidRequest("inputs: a dream needs a memory_store input"));
        var model = body.TryGetProperty("model", out var modelValue) ? modelValue.ValueKind switch
        {
            JsonValueKind.String => modelValue.GetString()!,
            JsonValueKind.Object when modelValue.TryGetProperty("id", out var modelId) && modelId.ValueKind == JsonValueKind.String => modelId.GetString()!,
            _ => throw ApiErrorException.InvalidRequest("model: Input should be a model id or {\"id\": ...}"),
        } : "claude-opus-4-7";
        var updateExisting = body.TryGetProperty("output_behavior", out var behavior) && behavior.ValueKind == JsonValueKind.Object &&
            behavior.TryGetProperty("type", out var behaviorType) && behaviorType.ValueKind == JsonValueKind.String && behaviorType.GetString() == "update_existing";
        var output = updateExisting
            ? source
            : new EmulatedMemoryStore(EmulatorIds.Random("memstore_01"), source.Name + " (dreamed)", source.Description, time.GetUtcNow());
        workspace.Stores[output.Id] = output;
        var dream = new EmulatedDream(EmulatorIds.Random("dream_01"), apiKey, source.Id, output.Id, sessions, model,
            Text(body, "instructions", required: false, max: 4096), updateExisting, time.GetUtcNow());
        _dreams[dream.Id] = dream;
        return MemoryStoresJson.Dream(dream);
    }

    /// <summary>Moves a dream one step on: pending to running, running to completed (its consolidation written).</summary>
    private EmulatedDream Advance(MemoryStoresState workspace, EmulatedDream dream)
    {
        switch (dream.Status)
        {
            case "pending":
                dream.Status = "running";
                break;
            case "running":
                if (!workspace.Stores.TryGetValue(dream.InputStoreId, out var input) || !workspace.Stores.TryGetValue(dream.OutputStoreId, out var output))
                {
                    (dream.Status, dream.Error) = ("failed", "The input or output memory store was deleted while the dream ran.");
                }
                else
                {
                    Consolidate(input, output, dream);
                    dream.Status = "completed";
                }

                dream.EndedAt = time.GetUtcNow();
                break;
        }

        return dream;
    }

    private EmulatedDream Cancel(EmulatedDream dream)
    {
        if (dream.Status is "pending" or "running")
        {
            (dream.Status, dream.EndedAt) = ("canceled", time.GetUtcNow());
        }

        return dream;
    }

    private EmulatedDream Archive(EmulatedDream dream)
    {
        dream.ArchivedAt ??= time.GetUtcNow();
        return dream;
    }

    /// <summary>The scripted consolidation: repeated lines go, same contents merge, empty memories go.</summary>
    private void Consolidate(EmulatedMemoryStore input, EmulatedMemoryStore output, EmulatedDream dream)
    {
        var consolidated = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var seenContents = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, id) in input.Paths)
        {
            var content = input.Memories[id].Content;
            dream.InputTokens += content.Length / 4 + 1;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var lines = content.Split('\n').Where(line => line.Trim().Length == 0 || seen.Add(line.TrimEnd()));
            var text = string.Join('\n', lines);
            if (text.Trim().Length > 0 && seenContents.Add(text))
            {
                consolidated[path] = text;
            }
        }

        var now = time.GetUtcNow();
        var apiKeyId = EmulatorIds.Derived("apikey_01", dream.ApiKey);
        foreach (var (path, id) in output.Paths.ToList().Where(entry => !consolidated.ContainsKey(entry.Key)))
        {
            output.Memories.Remove(id);
            output.Paths.Remove(path);
            output.Versions.Add(new EmulatedMemoryVersion(output.Id, EmulatorIds.Random("memver_01"), id, "deleted", path, null, apiKeyId, now));
        }

        foreach (var (path, text) in consolidated)
        {
            dream.OutputTokens += text.Length / 4 + 1;
            if (output.Paths.TryGetValue(path, out var existing))
            {
                var memory = output.Memories[existing];
                if (memory.Content != text)
                {
                    (memory.Content, memory.VersionId, memory.UpdatedAt) = (text, EmulatorIds.Random("memver_01"), now);
                    output.Versions.Add(new EmulatedMemoryVersion(output.Id, memory.VersionId, memory.Id, "modified", path, text, apiKeyId, now));
                }

                continue;
            }

            var created = new EmulatedMemory(output.Id, EmulatorIds.Random("mem_01"), path, text, EmulatorIds.Random("memver_01"), now);
            output.Memories[created.Id] = created;
            output.Paths[path] = created.Id;
            output.Versions.Add(new EmulatedMemoryVersion(output.Id, created.VersionId, created.Id, "created", path, text, apiKeyId, now));
        }
    }
}

/// <summary>One dream: its inputs, output store and where it stands.</summary>
internal sealed class EmulatedDream(
    string id, string apiKey, string inputStoreId, string outputStoreId, IReadOnlyList<string> sessions, string model, string? instructions, bool updateExisting, DateTimeOffset created)
{
    public string Id { get; } = id;

    public string ApiKey { get; } = apiKey;

    public string InputStoreId { get; } = inputStoreId;

    public string OutputStoreId { get; } = outputStoreId;

    public IReadOnlyList<string> Sessions { get; } = sessions;

    public string Model { get; } = model;

    public string? Instructions { get; } = instructions;

    public bool UpdateExisting { get; } = updateExisting;

    public DateTimeOffset CreatedAt { get; } = created;

    public string Status { get; set; } = "pending";

    public string? Error { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    public DateTimeOffset? ArchivedAt { get; set; }

    public long InputTokens { get; set; }

    public long OutputTokens { get; set; }
}
