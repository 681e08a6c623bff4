using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Mnemo.Sessions;
using static Mnemo.Server.ServerHttp;

namespace Mnemo.Server.Dashboard;

/// <summary>The dashboard: a page that shows sessions' records (tokens, clearings, warnings, what was preserved and what
/// editing saved) and browses memory, served by <c>mnemo dashboard</c> and by the memory server at <c>/dashboard</c>.</summary>
/// <remarks>
/// <para>The page, its script and its style are embedded in this assembly: nothing is fetched from elsewhere, and the page
/// is sent with a content security policy that allows its own files alone. It reads JSON from <c>{prefix}/api/</c>:
/// <c>overview</c> (filters <c>store</c>, <c>agent</c>, <c>model</c>, <c>from</c>, <c>to</c>), <c>sessions/{id}</c>, and
/// the memory browser's endpoints.</para>
/// <para>Every figure comes from the records through <see cref="SessionOverview"/> and <see cref="SessionLog"/>, costs
/// rounded to four places as shown; the page formats, it does not compute.</para>
/// </remarks>
public static partial class MnemoDashboard
{
    private static readonly (string Name, string Type)[] Assets =
    [
        ("index.html", "text/html; charset=utf-8"),
        ("dashboard.js", "text/javascript; charset=utf-8"),
        ("dashboard.css", "text/css; charset=utf-8"),
    ];

    /// <summary>Maps the dashboard of the memory API's stores at <paramref name="prefix"/>: each key sees the stores it may
    /// use, their session records (<see cref="MemoryServerOptions.SessionRecords"/>) and their memory; an admin key may
    /// restore and redact. The memory server maps it at <c>/dashboard</c>.</summary>
    /// <param name="endpoints">The application's routes.</param>
    /// <param name="prefix">Where the page goes, such as <c>/dashboard</c>.</param>
    /// <returns>The API's route group.</returns>
    /// <exception cref="InvalidOperationException"><c>AddMnemoMemoryServer</c> was not called.</exception>
    public static RouteGroupBuilder MapMnemoDashboard(this IEndpointRouteBuilder endpoints, string prefix)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var api = endpoints.ServiceProvider.GetService(typeof(MemoryApi)) as MemoryApi
            ?? throw new InvalidOperationException("The memory API is not registered: call services.AddMnemoMemoryServer(...) before app.MapMnemoDashboard(...).");
        // The same keys, and the same rate per key, as the API.
        var group = endpoints.MapMnemoDashboard(prefix, api.DashboardStoresAsync, MemoryAuthorizationPolicies.Key);
        group.RequireRateLimiting(MemoryRateLimiterPolicy.PolicyName);
        return group;
    }

    /// <summary>Maps the dashboard at <paramref name="prefix"/>: the page, its files, and its API.</summary>
    /// <param name="endpoints">The application's routes.</param>
    /// <param name="prefix">Where the page goes, such as <c>/dashboard</c> or <c>/</c>.</param>
    /// <param name="stores">The stores a request may see.</param>
    /// <param name="authorizationPolicy">The policy the API requires; <see langword="null"/> for none (a dashboard on
    /// loopback for one person). The page's own files need none: they hold no data.</param>
    /// <returns>The API's route group.</returns>
    public static RouteGroupBuilder MapMnemoDashboard(this IEndpointRouteBuilder endpoints, string prefix, DashboardStores stores, string? authorizationPolicy)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(stores);
        var root = "/" + (prefix ?? string.Empty).Trim('/');
        var page = endpoints.MapGroup(root);
        foreach (var (name, type) in Assets)
        {
            var bytes = Asset(name);
            RequestDelegate serve = context => WriteAssetAsync(context, bytes, type);
            page.MapGet("/" + name, serve);
            if (name == "index.html")
            {
                // Routing matches /dashboard and /dashboard/ alike; the page's links are relative, so it must be the second.
                page.MapGet("/", context =>
                {
                    if (context.Request.Path.Value?.EndsWith('/') != true)
                    {
                        context.Response.Redirect(context.Request.PathBase + context.Request.Path + "/");
                        return Task.CompletedTask;
                    }

                    return serve(context);
                });
            }
        }

        var api = page.MapGroup("/api");
        api.MapGet("/overview", context => AnswerAsync(context, () => OverviewAsync(context, stores)));
        api.MapGet("/sessions/{session}", context => AnswerAsync(context, () => SessionAsync(context, stores)));
        MapMemory(api, stores);
        if (authorizationPolicy is not null)
        {
            api.RequireAuthorization(authorizationPolicy);
        }

        return api;
    }

    private static byte[] Asset(string name)
    {
        using var stream = typeof(MnemoDashboard).Assembly.GetManifestResourceStream("Mnemo.Server.Dashboard." + name)
            ?? throw new InvalidOperationException($"The dashboard's {name} is missing from the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static async Task WriteAssetAsync(HttpContext context, byte[] bytes, string type)
    {
        context.Response.ContentType = type;
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'";
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Answers with what <paramref name="answer"/> writes, or one line for what went wrong.</summary>
    private static async Task AnswerAsync(HttpContext context, Func<Task> answer)
    {
        try
        {
            await answer().ConfigureAwait(false);
        }
        catch (RequestException exception)
        {
            await WriteErrorAsync(context, exception.Status, exception.Type, exception.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The browser went away.
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or Mnemo.Memory.MemoryException)
        {
            await WriteErrorAsync(context, 503, "store_error", "The records or the memory could not be read; try again.").ConfigureAwait(false);
        }
    }

    private static async Task OverviewAsync(HttpContext context, DashboardStores stores)
    {
        var query = context.Request.Query;
        var filter = new SessionFilter
        {
            Store = Text(query, "store"),
            Agent = Text(query, "agent"),
            Model = Text(query, "model"),
            From = Day(query, "from"),
            To = Day(query, "to"),
        };
        var visible = await stores(context, context.RequestAborted).ConfigureAwait(false);
        var summaries = new List<SessionSummary>();
        foreach (var store in visible.Where(store => store.Records is not null))
        {
            foreach (var summary in await store.Records!.ListAsync(context.RequestAborted).ConfigureAwait(false))
            {
                summaries.Add(summary.Store is null ? summary with { Store = store.Name } : summary);
            }
        }

        var overview = SessionOverview.Create(summaries, filter);
        var quotas = await QuotaUseAsync(visible, filter.Store, context.RequestAborted).ConfigureAwait(false);
        await WriteJsonAsync(context, 200, writer =>
        {
            writer.WritePropertyName("overview");
            overview.WriteTo(writer);
            writer.WriteStartArray("stores");
            foreach (var store in visible)
            {
                writer.WriteStartObject();
                writer.WriteString("name", store.Name);
                writer.WriteBoolean("memory", store.Memory is not null);
                writer.WriteBoolean("admin", store.CanAdminister && store.Memory is not null);
                if (quotas.TryGetValue(store.Name, out var use))
                {
                    writer.WriteNumber("files", use.Files);
                    writer.WriteNumber("bytes", use.Bytes);
                    WriteOptional(writer, "max_files", use.Quotas?.MaxFiles);
                    WriteOptional(writer, "max_bytes", use.Quotas?.MaxTotalBytes);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }).ConfigureAwait(false);
    }

    private static async Task<Dictionary<string, (int Files, long Bytes, Mnemo.Memory.MemoryQuotas? Quotas)>> QuotaUseAsync(
        IReadOnlyList<DashboardStore> stores, string? only, CancellationToken cancellationToken)
    {
        var use = new Dictionary<string, (int, long, Mnemo.Memory.MemoryQuotas?)>(StringComparer.Ordinal);
        foreach (var store in stores.Where(store => store.Memory is not null && (only is null || store.Name == only)))
        {
            var (files, _) = await new Mnemo.Memory.MemoryAdmin(store.Memory!).ListAllAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            use[store.Name] = (files.Count, files.Sum(file => file.Size), store.Quotas);
        }

        return use;
    }

    private static async Task SessionAsync(HttpContext context, DashboardStores stores)
    {
        var id = context.GetRouteValue("session") as string;
        if (!SessionRecords.IsValidId(id))
        {
            throw new RequestException(400, "invalid_request_error", "A session id is 1 to 100 letters, digits, '.', '_' or '-'.");
        }

        // The store the overview named first; a record may name a store of its own, so the others after it.
        var wanted = Text(context.Request.Query, "store");
        foreach (var store in (await stores(context, context.RequestAborted).ConfigureAwait(false)).OrderBy(store => store.Name == wanted ? 0 : 1))
        {
            if (store.Records is not null && await store.Records.ReadAsync(id!, context.RequestAborted).ConfigureAwait(false) is { } bytes)
            {
                var log = SessionLog.Read(id!, bytes.Span);
                await WriteJsonAsync(context, 200, writer => WriteSession(writer, store.Name, log)).ConfigureAwait(false);
                return;
            }
        }

        throw new RequestException(404, "not_found_error", "There is no such session.");
    }

    private static void WriteSession(Utf8JsonWriter writer, string store, SessionLog log)
    {
        var summary = log.Summarize();
        writer.WriteString("session", log.Session);
        writer.WritePropertyName("summary");
        (summary.Store is null ? summary with { Store = store } : summary).WriteTo(writer, SessionOverview.MoneyDecimals);
        WriteOptional(writer, "trigger_tokens", log.Info.TriggerTokens);
        WriteOptional(writer, "warning_tokens", log.Info.WarningTokens);
        if (log.Info.Side is { } side)
        {
            writer.WriteString("side", side);
        }

        writer.WriteStartArray("requests");
        foreach (var request in log.Requests)
        {
            writer.WriteStartObject();
            writer.WriteNumber("request", request.Number);
            writer.WriteString("at", request.At.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            writer.WriteNumber("messages", request.Messages);
            writer.WriteNumber("projected_tokens", request.ProjectedTokens);
            writer.WriteNumber("input_tokens", request.Usage?.BilledInputTokens ?? 0);
            writer.WriteNumber("output_tokens", request.Usage?.OutputTokens ?? 0);
            writer.WriteNumber("cache_read_tokens", request.Usage?.CacheReadTokens ?? 0);
            writer.WriteNumber("cache_write_tokens", request.Usage?.CacheWriteTokens ?? 0);
            writer.WriteNumber("cost_usd", SessionSummary.Money(request.Cost, 6));
            writer.WriteNumber("saved_tokens", request.SavedTokens);
            writer.WriteNumber("saved_cost_usd", SessionSummary.Money(request.SavedCost, 6));
            writer.WriteNumber("cleared_input_tokens", request.ClearedInputTokens);
            writer.WriteNumber("cleared_tool_uses", request.ClearedToolUses);
            writer.WriteBoolean("warned", request.Warned);
            writer.WriteBoolean("compacted", request.Compacted);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("preservations");
        foreach (var record in log.Preservations)
        {
            writer.WriteStartObject();
            writer.WriteString("outcome", record.Outcome);
            WriteOptional(writer, "warned_request", record.WarnedRequest);
            writer.WriteNumber("saves", record.Saves);
            if (record.SecondsToSave is { } seconds)
            {
                writer.WriteNumber("seconds_to_save", seconds);
            }

            writer.WriteNumber("covered", record.Covered);
            writer.WriteNumber("not_covered", record.NotCovered);
            writer.WriteBoolean("compaction", record.Compaction);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("reacquisitions");
        foreach (var (request, tool, recalled) in log.Reacquisitions)
        {
            writer.WriteStartObject();
            writer.WriteNumber("request", request);
            writer.WriteString("tool", tool);
            writer.WriteBoolean("recalled", recalled);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("files");
        foreach (var file in summary.Files)
        {
            file.WriteTo(writer);
        }

        writer.WriteEndArray();
    }

    private static string? Text(IQueryCollection query, string name) => query[name].ToString() is { Length: > 0 } value ? value : null;

    private static DateOnly? Day(IQueryCollection query, string name) =>
        Text(query, name) is not { } text ? null
        : DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day
        : throw new RequestException(400, "invalid_request_error", $"{name} must be a day such as 2026-12-05, not {text}.");

    private static void WriteOptional(Utf8JsonWriter writer, string name, long? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
    }
}
