using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mnemo.Memory;
using Mnemo.Memory.Safety;
using static Mnemo.Server.ServerHttp;

namespace Mnemo.Server;

/// <summary>The memory API's endpoints: what each answers once ASP.NET Core has authenticated the key, authorized it for
/// the store and let it past the rate limit. One per application's services, whatever the number of paths it is mapped
/// at, so each store is opened once.</summary>
internal sealed partial class MemoryApi : IAsyncDisposable
{
    private readonly MemoryServerOptions _options;
    private readonly ConcurrentDictionary<string, Lazy<(IVersionedMemoryStore Store, IMemoryTool Tool)>> _stores = new(StringComparer.Ordinal);
    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly ILogger _log;
    private int _unlimitedWarned;

    public MemoryApi(IOptions<MemoryServerOptions> options, ILoggerFactory loggers, IMeterFactory? meters = null)
    {
        _options = options.Value.Validated();
        _meter = (_options.MeterFactory ?? meters)?.Create("Mnemo.Server") ?? new Meter("Mnemo.Server");
        _requests = _meter.CreateCounter<long>("mnemo.server.requests", description: "Requests answered, by route and status.");
        _duration = _meter.CreateHistogram<double>("mnemo.server.request.duration", "ms", "Time to answer a request that reached the API's endpoint.");
        _log = loggers.CreateLogger("Mnemo.Server");
    }

    public MemoryServerOptions Options => _options;

    /// <summary>The name a principal's writes are recorded under: the key's name, or its id.</summary>
    public static string? KeyNameOf(ClaimsPrincipal user) => user.Identity?.Name ?? KeyIdOf(user);

    /// <summary>The key's id, which rate limits and request lines go by.</summary>
    public static string? KeyIdOf(ClaimsPrincipal user) => user.FindFirst(ClaimTypes.NameIdentifier)?.Value;

    /// <summary>Answers a request that reached one of the API's endpoints.</summary>
    public async Task HandleAsync(HttpContext context, MemoryApiRoute route)
    {
        var started = Stopwatch.GetTimestamp();
        var store = route.HasStore ? context.GetRouteValue("store") as string : null;
        try
        {
            if (!context.Items.ContainsKey(MemoryRateLimiterPolicy.AppliedItem) && Interlocked.Exchange(ref _unlimitedWarned, 1) == 0)
            {
                ServerLog.RateLimitsOff(_log);
            }

            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                // The application's server has its own limit; the API's applies to its own requests.
                limit.MaxRequestBodySize = _options.MaxBodyBytes;
            }

            var keyName = KeyNameOf(context.User) ?? "anonymous";
            switch (route.Name)
            {
                case MemoryApiRoute.Stores:
                    await ListStoresAsync(context).ConfigureAwait(false);
                    break;
                case MemoryApiRoute.Memory:
                    await RunCommandAsync(context, keyName, store!).ConfigureAwait(false);
                    break;
                case MemoryApiRoute.Operations:
                    await RunOperationAsync(context, keyName, store!).ConfigureAwait(false);
                    break;
                case MemoryApiRoute.History:
                    await HistoryAsync(context, store!).ConfigureAwait(false);
                    break;
                case MemoryApiRoute.Sessions:
                    await SessionsAsync(context, store!).ConfigureAwait(false);
                    break;
                default:
                    await ExportAsync(context, store!).ConfigureAwait(false);
                    break;
            }
        }
        catch (RequestException exception)
        {
            await WriteErrorAsync(context, exception.Status, exception.Type, exception.Message).ConfigureAwait(false);
        }
        catch (BadHttpRequestException exception)
        {
            await WriteErrorAsync(context, exception.StatusCode, exception.StatusCode == 413 ? "request_too_large" : "invalid_request_error",
                exception.StatusCode == 413 ? $"The body is larger than {_options.MaxBodyBytes:N0} bytes." : "The request could not be read.").ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
        }
        catch (Exception exception) when (exception is MemoryException)
        {
            ServerLog.StoreFailed(_log, store, exception.Message);
            await WriteErrorAsync(context, 503, "store_error", "The memory store could not complete the request; try again.").ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            ServerLog.RequestFailed(_log, route.Name, store, exception);
            await WriteErrorAsync(context, 500, "api_error", "The server failed to answer.").ConfigureAwait(false);
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            _duration.Record(elapsed, new KeyValuePair<string, object?>("route", route.Name));
            Record(context, route.Name, store, elapsed);
        }
    }

    /// <summary>Answers a request that matched none of the API's endpoints: 405 with <c>Allow</c> when the path is one of
    /// them under another method, 404 otherwise.</summary>
    public async Task NotFoundAsync(HttpContext context, string[] segments)
    {
        var (route, method) = segments switch
        {
            ["stores"] => (MemoryApiRoute.Stores, "GET"),
            ["stores", _, "memory"] => (MemoryApiRoute.Memory, "POST"),
            ["stores", _, "ops"] => (MemoryApiRoute.Operations, "POST"),
            ["stores", _, "history"] => (MemoryApiRoute.History, "GET"),
            ["stores", _, "export"] => (MemoryApiRoute.Export, "GET"),
            ["stores", _, "sessions"] => (MemoryApiRoute.Sessions, "GET"),
            ["stores", _, "sessions", _] => (MemoryApiRoute.Sessions, "GET, POST"),
            ["health"] or ["ready"] => ("health", "GET"),
            _ => ("other", null),
        };
        if (method is not null && !HttpMethods.Equals(context.Request.Method, method))
        {
            context.Response.Headers.Allow = method;
            await WriteErrorAsync(context, 405, "invalid_request_error", $"This endpoint takes {method}.").ConfigureAwait(false);
        }
        else if (method is not null && route != "health")
        {
            // The path's shape is the API's, but its store is not a name routing takes (such as an empty one).
            await WriteErrorAsync(context, 404, "not_found_error", "There is no such store for this key.").ConfigureAwait(false);
        }
        else
        {
            await WriteErrorAsync(context, 404, "not_found_error", "There is no such endpoint.").ConfigureAwait(false);
        }

        Record(context, route, null, null);
    }

    /// <summary>Counts an answer and writes its request line; <paramref name="elapsed"/> is <see langword="null"/> for a
    /// request answered before the endpoint (refused by authorization or the rate limit, or on no endpoint).</summary>
    public void Record(HttpContext context, string route, string? store, double? elapsed)
    {
        var status = context.Response.StatusCode;
        _requests.Add(1, new("route", route), new("status", status));
        ServerLog.Request(_log, context.Request.Method, route, store, KeyIdOf(context.User), status, elapsed ?? 0);
    }

    /// <summary>Closes the stores opened.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var entry in _stores.Values.Where(entry => entry.IsValueCreated))
        {
            try
            {
                switch (entry.Value.Store)
                {
                    case IAsyncDisposable asyncDisposable:
                        await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                        break;
                    case IDisposable disposable:
                        disposable.Dispose();
                        break;
                }
            }
            catch (InvalidOperationException)
            {
                // The store failed to open, so there is nothing to close.
            }
        }

        foreach (var records in _records.Values)
        {
            switch (records)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }

        _meter.Dispose();
    }

    private (IVersionedMemoryStore Store, IMemoryTool Tool) Store(string name)
    {
        var entry = _stores.GetOrAdd(name, n => new Lazy<(IVersionedMemoryStore, IMemoryTool)>(() =>
        {
            var store = _options.OpenStore!(n);
            Action<MemoryCommand, Exception> unexpectedError = (command, error) => ServerLog.CommandFailed(_log, n, command.Name, error);
            var tool = new MemoryTool(store, new MemoryToolOptions { UnexpectedError = unexpectedError }).AsBuilder().UseTracing();
            if ((_options.SafetyFor is { } safetyFor ? safetyFor(n) : MemorySafety.Default) is { } safety)
            {
                tool.UseScreening(safety, unexpectedError: unexpectedError);
            }

            return (store, tool.Build());
        }));
        try
        {
            return entry.Value;
        }
        catch
        {
            // A Lazy keeps the exception it threw; dropping it lets the next request open the store again (a full disk
            // freed, a folder's permissions fixed) instead of failing until the server restarts.
            _stores.TryRemove(new KeyValuePair<string, Lazy<(IVersionedMemoryStore, IMemoryTool)>>(name, entry));
            throw;
        }
    }

    private async Task RunCommandAsync(HttpContext context, string keyName, string store)
    {
        using var document = await ReadJsonAsync(context, "one memory command object").ConfigureAwait(false);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new RequestException(400, "invalid_request_error", "The body must be one memory command object, such as {\"command\":\"view\",\"path\":\"/memories\"}.");
        }

        var tool = Store(store).Tool;
        var result = MemoryCommand.TryParse(document.RootElement, out var command, out var error)
            ? await tool.ExecuteAsync(command, keyName, context.RequestAborted).ConfigureAwait(false)
            : MemoryToolResult.Error(error);
        await WriteJsonAsync(context, 200, writer =>
        {
            writer.WriteString("content", result.Content);
            writer.WriteBoolean("is_error", result.IsError);
        }).ConfigureAwait(false);
    }

    private async Task ListStoresAsync(HttpContext context)
    {
        var claimed = context.User.FindAll(MnemoApiKeyAuthentication.StoreClaim).Select(claim => claim.Value).ToList();
        IEnumerable<string> names = claimed.Contains("*")
            ? _options.ListStores is { } list ? await list(context.RequestAborted).ConfigureAwait(false) : _stores.Keys
            : claimed;
        await WriteJsonAsync(context, 200, writer =>
        {
            writer.WriteStartArray("stores");
            foreach (var name in names.Where(MemoryServer.IsValidStoreName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                writer.WriteStringValue(name);
            }

            writer.WriteEndArray();
        }).ConfigureAwait(false);
    }

    private async Task HistoryAsync(HttpContext context, string store)
    {
        var admin = new MemoryAdmin(Store(store).Store);
        MemoryPath? path = null;
        if (context.Request.Query["path"].ToString() is { Length: > 0 } raw)
        {
            path = MemoryPath.TryParse(raw, out var parsed, out _) ? parsed : throw new RequestException(400, "invalid_request_error", "path is not a memory path.");
        }

        var changes = await admin.HistoryAsync(path, context.RequestAborted).ConfigureAwait(false);
        await WriteJsonAsync(context, 200, writer =>
        {
            writer.WriteStartArray("changes");
            foreach (var change in changes)
            {
                writer.WriteStartObject();
                writer.WriteNumber("seq", change.Sequence);
                writer.WriteString("time", change.Time);
                writer.WriteString("op", change.Kind.ToString().ToLowerInvariant());
                writer.WriteString("path", change.Path);
                writer.WriteString("from", change.From);
                writer.WriteString("actor", change.Actor);
                writer.WriteString("reason", change.Reason);
                writer.WriteStartArray("files");
                foreach (var file in change.Files)
                {
                    writer.WriteStartObject();
                    writer.WriteString("path", file.Path);
                    writer.WriteString("sha256", file.Hash);
                    writer.WriteNumber("size", file.Size);
                    writer.WriteBoolean("redacted", file.Content is null);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }).ConfigureAwait(false);
    }

    private async Task ExportAsync(HttpContext context, string store)
    {
        var source = Store(store).Store;
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/x-ndjson";
        await new MemoryAdmin(source).ExportAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }
}

/// <summary>Which of the API's endpoints a request reached: endpoint metadata that authorization and the rate limit read.</summary>
/// <param name="Name">The route's name, as requests are counted and logged by.</param>
internal sealed record MemoryApiRoute(string Name)
{
    public const string Stores = "stores";
    public const string Memory = "memory";
    public const string Operations = "ops";
    public const string History = "history";
    public const string Export = "export";
    public const string Sessions = "sessions";

    /// <summary>Gets a value indicating whether the route names a store.</summary>
    public bool HasStore => Name != Stores;
}
