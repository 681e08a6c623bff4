using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Mnemo.Memory;
using Mnemo.Memory.Safety;
using static Mnemo.Server.ServerHttp;

namespace Mnemo.Server.Dashboard;

/// <summary>The memory browser: a store's tree with sizes and last change, a file, its history, a diff between two
/// versions, restore and redaction through <see cref="MemoryAdmin"/> (recorded in the history, for a viewer who may
/// administer the store), and the scanner's findings and quarantine.</summary>
public static partial class MnemoDashboard
{
    /// <summary>The actor the history records for changes made from the dashboard, before the viewer's name.</summary>
    public const string Actor = "dashboard";

    private static void MapMemory(RouteGroupBuilder api, DashboardStores stores)
    {
        api.MapGet("/memory/{store}/tree", context => AnswerAsync(context, () => TreeAsync(context, stores)));
        api.MapGet("/memory/{store}/file", context => AnswerAsync(context, () => FileAsync(context, stores)));
        api.MapGet("/memory/{store}/history", context => AnswerAsync(context, () => FileHistoryAsync(context, stores)));
        api.MapGet("/memory/{store}/diff", context => AnswerAsync(context, () => DiffAsync(context, stores)));
        api.MapGet("/memory/{store}/findings", context => AnswerAsync(context, () => FindingsAsync(context, stores)));
        api.MapPost("/memory/{store}/restore", context => AnswerAsync(context, () => ChangeAsync(context, stores, restore: true)));
        api.MapPost("/memory/{store}/redact", context => AnswerAsync(context, () => ChangeAsync(context, stores, restore: false)));
    }

    private static async Task<(DashboardStore Store, MemoryAdmin Admin)> MemoryOfAsync(HttpContext context, DashboardStores stores)
    {
        var name = context.GetRouteValue("store") as string;
        var store = (await stores(context, context.RequestAborted).ConfigureAwait(false)).FirstOrDefault(store => store.Name == name && store.Memory is not null)
            ?? throw new RequestException(404, "not_found_error", "There is no such store with memory to browse.");
        return (store, new MemoryAdmin(store.Memory!));
    }

    private static MemoryPath PathOf(HttpContext context, string? raw = null)
    {
        raw ??= context.Request.Query["path"].ToString();
        return MemoryPath.TryParse(raw, out var path, out _) && !path.IsRoot
            ? path
            : throw new RequestException(400, "invalid_request_error", "path must be a file under /memories, such as /memories/notes.md.");
    }

    private static long? Sequence(HttpContext context, string name) =>
        context.Request.Query[name].ToString() is not { Length: > 0 } text ? null
        : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) ? sequence
        : throw new RequestException(400, "invalid_request_error", $"{name} must be a change's number from the history.");

    private static async Task TreeAsync(HttpContext context, DashboardStores stores)
    {
        var (store, admin) = await MemoryOfAsync(context, stores).ConfigureAwait(false);
        var (files, empty) = await admin.ListAllAsync(context.RequestAborted).ConfigureAwait(false);
        var changed = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        if (admin.Store is IVersionedMemoryStore)
        {
            foreach (var change in await admin.HistoryAsync(null, context.RequestAborted).ConfigureAwait(false))
            {
                foreach (var file in change.Files)
                {
                    changed[file.Path] = change.Time;
                }
            }
        }

        // Folders from the files' paths, so the tree reads top-down.
        var entries = new SortedDictionary<string, (bool Directory, long Size)>(StringComparer.Ordinal);
        foreach (var (path, size) in files)
        {
            entries[path.Normalized] = (false, size);
            for (var parent = path.Normalized[..path.Normalized.LastIndexOf('/')]; parent.Length > "/memories".Length; parent = parent[..parent.LastIndexOf('/')])
            {
                entries.TryAdd(parent, (true, 0));
            }
        }

        foreach (var folder in empty.Where(folder => !folder.IsRoot))
        {
            entries.TryAdd(folder.Normalized, (true, 0));
        }

        await WriteJsonAsync(context, 200, writer =>
        {
            writer.WriteBoolean("admin", store.CanAdminister);
            writer.WriteBoolean("history", admin.Store is IVersionedMemoryStore);
            writer.WriteStartArray("entries");
            foreach (var (path, (directory, size)) in entries.OrderBy(entry => entry.Key.Replace('/', '\u0001'), StringComparer.Ordinal))
            {
                writer.WriteStartObject();
                writer.WriteString("path", path);
                writer.WriteBoolean("directory", directory);
                writer.WriteNumber("size", size);
                if (changed.TryGetValue(path, out var time))
                {
                    writer.WriteString("changed", time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }).ConfigureAwait(false);
    }

    private static async Task FileAsync(HttpContext context, DashboardStores stores)
    {
        var (_, admin) = await MemoryOfAsync(context, stores).ConfigureAwait(false);
        var path = PathOf(context);
        var item = await admin.Store.ReadAsync(path, context.RequestAborted).ConfigureAwait(false);
        await WriteJsonAsync(context, 200, writer =>
        {
            writer.WriteString("path", path.Normalized);
            writer.WriteBoolean("exists", item is { Kind: MemoryEntryKind.File });
            if (item is { Kind: MemoryEntryKind.File })
            {
                writer.WriteString("content", System.Text.Unicode.Utf8.IsValid(item.Content.Span)
                    ? Encoding.UTF8.GetString(item.Content.Span)
                    : "(not UTF-8 text: the memory tool cannot show it either)");
            }
        }).ConfigureAwait(false);
    }

    private static async Task FileHistoryAsync(HttpContext context, DashboardStores stores)
    {
        var (_, admin) = await MemoryOfAsync(context, stores).ConfigureAwait(false);
        var path = PathOf(context);
        var changes = admin.Store is IVersionedMemoryStore ? await admin.HistoryAsync(path, context.RequestAborted).ConfigureAwait(false) : [];
        await WriteJsonAsync(context, 200, writer =>
        {
            writer.WriteStartArray("changes");
            foreach (var change in changes)
            {
                var version = change.Files.FirstOrDefault(file => file.Path == path.Normalized);
                writer.WriteStartObject();
                writer.WriteNumber("seq", change.Sequence);
                writer.WriteString("time", change.Time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
                writer.WriteString("op", change.Kind.ToString().ToLowerInvariant());
                writer.WriteString("from", change.From);
                writer.WriteString("actor", change.Actor ?? string.Empty);
                writer.WriteString("reason", change.Reason ?? string.Empty);
                writer.WriteNumber("size", version?.Size ?? 0);
                writer.WriteBoolean("redacted", version is { Content: null });
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }).ConfigureAwait(false);
    }

    private static async Task DiffAsync(HttpContext context, DashboardStores stores)
    {
        var (_, admin) = await MemoryOfAsync(context, stores).ConfigureAwait(false);
        var path = PathOf(context);
        var diff = await Versioned(admin, () => admin.DiffAsync(path, Sequence(context, "from"), Sequence(context, "to"), context.RequestAborted)).ConfigureAwait(false);
        await WriteJsonAsync(context, 200, writer => writer.WriteString("diff", diff)).ConfigureAwait(false);
    }

    private static async Task ChangeAsync(HttpContext context, DashboardStores stores, bool restore)
    {
        var (store, admin) = await MemoryOfAsync(context, stores).ConfigureAwait(false);
        if (!store.CanAdminister)
        {
            throw new RequestException(403, "permission_error", "Restoring and redacting need an admin key; this view is read-only.");
        }

        // A page of another site can post a body of no type or a plain one without asking; JSON it must ask for first.
        if (context.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
        {
            throw new RequestException(415, "invalid_request_error", "The body must be JSON (Content-Type: application/json).");
        }

        using var body = await ReadJsonAsync(context, "an object with path and seq").ConfigureAwait(false);
        var root = body.RootElement;
        var path = PathOf(context, root.ValueKind == JsonValueKind.Object && root.TryGetProperty("path", out var raw) && raw.ValueKind == JsonValueKind.String ? raw.GetString() : string.Empty);
        var sequence = root.TryGetProperty("seq", out var seq) && seq.ValueKind == JsonValueKind.Number && seq.TryGetInt64(out var number)
            ? number
            : throw new RequestException(400, "invalid_request_error", "seq must be a change's number from the history.");
        var viewer = Microsoft.Extensions.Primitives.StringValues.IsNullOrEmpty(context.User.Identity?.Name) ? Actor : $"{Actor}:{context.User.Identity!.Name}";
        string message;
        if (restore)
        {
            var (change, outcome) = await Versioned(admin, () => admin.RestoreAsync(path, sequence, new MemoryWriteContext(viewer, "restore"), context.RequestAborted)).ConfigureAwait(false);
            message = outcome == MemoryWriteOutcome.Unchanged
                ? $"{path.Normalized} already holds version #{sequence}; nothing changed."
                : $"Restored {path.Normalized} to version #{sequence} (change #{change.Sequence}).";
        }
        else
        {
            var version = await Versioned(admin, () => admin.GetVersionAsync(path, sequence, context.RequestAborted)).ConfigureAwait(false)
                ?? throw new RequestException(404, "not_found_error", $"Change #{sequence} holds no version of {path.Normalized}.");
            var count = await ((IVersionedMemoryStore)admin.Store).RedactAsync(version.Hash, new MemoryWriteContext(viewer, "redact"), context.RequestAborted).ConfigureAwait(false);
            message = $"Redacted version #{sequence} of {path.Normalized} ({(count == 1 ? "1 version" : $"{count} versions")} with that content); the records of the changes remain.";
        }

        await WriteJsonAsync(context, 200, writer => writer.WriteString("message", message)).ConfigureAwait(false);
    }

    private static async Task FindingsAsync(HttpContext context, DashboardStores stores)
    {
        var (store, admin) = await MemoryOfAsync(context, stores).ConfigureAwait(false);
        var (files, _) = await admin.ListAllAsync(context.RequestAborted).ConfigureAwait(false);
        var rows = new List<(string Path, MemoryFinding Finding, int Line)>();
        foreach (var (path, _) in files)
        {
            if (await admin.Store.ReadAsync(path, context.RequestAborted).ConfigureAwait(false) is { Kind: MemoryEntryKind.File } item && System.Text.Unicode.Utf8.IsValid(item.Content.Span))
            {
                var text = Encoding.UTF8.GetString(item.Content.Span);
                rows.AddRange(MemoryScanner.Default.Scan(text).Select(finding => (path.Normalized, finding, text.AsSpan(0, finding.Start).Count('\n') + 1)));
            }
        }

        var held = store.Quarantine is { } quarantine ? await quarantine.ReadAsync(context.RequestAborted).ConfigureAwait(false) : [];
        await WriteJsonAsync(context, 200, writer =>
        {
            // Where and what kind, never the text found: a secret is not shown again.
            writer.WriteStartArray("findings");
            foreach (var (path, finding, line) in rows)
            {
                writer.WriteStartObject();
                writer.WriteString("path", path);
                writer.WriteString("kind", finding.KindName);
                writer.WriteString("rule", finding.Rule);
                writer.WriteNumber("line", line);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray("quarantine");
            foreach (var write in held)
            {
                writer.WriteStartObject();
                writer.WriteString("time", write.Time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
                writer.WriteString("path", write.Path);
                writer.WriteString("reason", string.Join(", ", write.Findings.Select(finding => finding.Rule).Distinct(StringComparer.Ordinal)));
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }).ConfigureAwait(false);
    }

    /// <summary>Runs a history operation, saying in one line when the store keeps no history or the change does not exist.</summary>
    private static async Task<T> Versioned<T>(MemoryAdmin admin, Func<ValueTask<T>> operation)
    {
        if (admin.Store is not IVersionedMemoryStore)
        {
            throw new RequestException(409, "invalid_request_error", "This store keeps no history here; open the memory server's own /dashboard for it.");
        }

        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (MemoryException exception) when (exception.GetType() == typeof(MemoryException))
        {
            // What the history says of the request itself (no such change, a redacted version), not a store failure.
            throw new RequestException(409, "invalid_request_error", exception.Message.Split('\n')[0]);
        }
    }
}
