using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using static Mnemo.Server.ServerHttp;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mnemo.Memory;
using Mnemo.Memory.Safety;

namespace Mnemo.Server;

/// <summary>Represents the memory server: <c>memory_20250818</c> commands over HTTP for many agents on many machines.</summary>
/// <remarks>
/// <para><c>POST /v1/stores/{store}/memory</c> takes one command object and answers <c>{"content","is_error"}</c> with
/// exactly the strings of <see cref="MemoryTool"/>. <c>GET /v1/stores</c>, <c>GET /v1/stores/{store}/history</c> and
/// <c>GET /v1/stores/{store}/export</c> are for admin keys. <c>/health</c> says the process runs; <c>/ready</c> says the
/// backend answers.</para>
/// <para><b>Tenancy.</b> Every request but the two probes carries an API key (<c>Authorization: Bearer</c> or
/// <c>x-api-key</c>) scoped to named stores. A store the key may not use answers 404, as one that does not exist would,
/// so a key cannot even learn another tenant's store names.</para>
/// <para><b>Limits.</b> Bodies over <see cref="MemoryServerOptions.MaxBodyBytes"/> get 413, a key past its rate gets 429
/// with <c>Retry-After</c>, anything malformed gets 400 with one line; the store's own quotas still apply to each command.</para>
/// </remarks>
public sealed partial class MemoryServer : IAsyncDisposable
{
    private readonly WebApplication? _app;
    private readonly string? _mount;
    private readonly MemoryServerOptions _options;
    private readonly ConcurrentDictionary<string, Lazy<(IVersionedMemoryStore Store, IMemoryTool Tool)>> _stores = new(StringComparer.Ordinal);
    private readonly PartitionedRateLimiter<string> _limiter;
    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly ILogger _log;

    private MemoryServer(WebApplication app, MemoryServerOptions options)
        : this(options, app.Services.GetRequiredService<ILoggerFactory>(), mount: null)
    {
        _app = app;
    }

    /// <summary>The server's endpoints without a host of their own, for <c>MapMnemoMemory</c> in an application's.</summary>
    /// <param name="options">The options, already checked.</param>
    /// <param name="loggers">Where the request lines and failures go.</param>
    /// <param name="mount">The path the API's <c>v1</c> is mounted at, such as <c>/v1</c> or <c>/memory/v1</c>; <see langword="null"/> for the server's own host.</param>
    internal MemoryServer(MemoryServerOptions options, ILoggerFactory loggers, string? mount)
    {
        _options = options;
        _mount = mount;
        _limiter = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.Burst,
            TokensPerPeriod = options.RequestsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        _meter = options.MeterFactory?.Create("Mnemo.Server") ?? new Meter("Mnemo.Server");
        _requests = _meter.CreateCounter<long>("mnemo.server.requests", description: "Requests answered, by route and status.");
        _duration = _meter.CreateHistogram<double>("mnemo.server.request.duration", "ms", "Time to answer a request.");
        _log = loggers.CreateLogger("Mnemo.Server");
    }

    /// <summary>Gets the address the server listens on, such as <c>http://127.0.0.1:8420</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Tells whether a store name is valid: 1 to 63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit.</summary>
    /// <param name="name">The name.</param>
    /// <returns><see langword="true"/> when valid; such a name is safe as a folder name and a database key alike.</returns>
    public static bool IsValidStoreName(string? name) =>
        name is { Length: > 0 and <= 63 } && (char.IsAsciiLetterLower(name[0]) || char.IsAsciiDigit(name[0])) &&
        name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-');

    /// <summary>Starts a server and returns once it accepts connections.</summary>
    /// <param name="options">The options; <see cref="MemoryServerOptions.OpenStore"/> and <see cref="MemoryServerOptions.Keys"/> are required.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The running server.</returns>
    /// <exception cref="IOException">The port is taken.</exception>
    public static async Task<MemoryServer> StartAsync(MemoryServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validated();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (options.JsonLogs)
        {
            builder.Logging.AddJsonConsole(console => console.IncludeScopes = false);
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        }
        else
        {
            // Warnings and errors (a store that failed, a request that got a 500, with its cause) reach the operator on
            // standard error even without JSON logs; the line a request is left to those.
            builder.Logging.AddSimpleConsole(console => console.SingleLine = true);
            builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
            builder.Logging.AddFilter<Microsoft.Extensions.Logging.Console.ConsoleLoggerProvider>(null, LogLevel.Warning);
        }

        if (options.Logs is { } logs)
        {
            builder.Logging.AddProvider(logs);
        }

        options.ConfigureServices?.Invoke(builder.Services);
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.Listen(options.Address, options.Port);
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            kestrel.Limits.MaxRequestLineSize = 8 * 1024;
        });
        var app = builder.Build();
        var server = new MemoryServer(app, options);
        app.Run(server.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    /// <summary>Stops accepting requests, finishes those in flight and closes the stores.</summary>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var entry in _stores.Values.Where(entry => entry.IsValueCreated))
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

        _limiter.Dispose();
        _meter.Dispose();
    }

    /// <summary>Answers a request to the API: on the server's own host, every path; mounted in an application, the paths
    /// under its mount point, read as the API's <c>v1</c> (health and readiness are the application's own checks there).</summary>
    internal async Task HandleAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var route = "other";
        string? store = null;
        string? keyId = null;
        try
        {
            if (_mount is not null && context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                // The application's server has its own limit; the API's applies to its own requests.
                limit.MaxRequestBodySize = _options.MaxBodyBytes;
            }

            var path = context.Request.Path.Value ?? "/";
            var segments = _mount is null
                ? path.Trim('/').Split('/')
                : ["v1", .. path[Math.Min(path.Length, _mount.Length)..].Trim('/').Split('/')];
            (route, store) = segments switch
            {
                ["health"] => ("health", null),
                ["ready"] => ("ready", null),
                ["v1", "stores"] => ("stores", null),
                ["v1", "stores", var name, "memory"] => ("memory", name),
                ["v1", "stores", var name, "ops"] => ("ops", name),
                ["v1", "stores", var name, "history"] => ("history", name),
                ["v1", "stores", var name, "export"] => ("export", name),
                _ => throw new RequestException(404, "not_found_error", "There is no such endpoint."),
            };
            RequireMethod(context, route is "memory" or "ops" ? "POST" : "GET");
            if (route is "health")
            {
                await WriteJsonAsync(context, 200, writer => writer.WriteString("status", "ok")).ConfigureAwait(false);
                return;
            }

            if (route is "ready")
            {
                var ready = _options.ReadinessCheck is null || await _options.ReadinessCheck(context.RequestAborted).ConfigureAwait(false);
                await WriteJsonAsync(context, ready ? 200 : 503, writer => writer.WriteString("status", ready ? "ready" : "unavailable")).ConfigureAwait(false);
                return;
            }

            var key = _options.Keys!.Authenticate(ApiKeyOf(context.Request))
                ?? throw new RequestException(401, "authentication_error", "A valid API key is required: Authorization: Bearer mnemo_… or x-api-key.");
            keyId = key.Id;
            using var lease = _limiter.AttemptAcquire(key.Id);
            if (!lease.IsAcquired)
            {
                context.Response.Headers.RetryAfter = "1";
                throw new RequestException(429, "rate_limit_error", $"This key may make {_options.RequestsPerSecond} requests a second; try again shortly.");
            }

            if (route is "stores")
            {
                await ListStoresAsync(context, key).ConfigureAwait(false);
                return;
            }

            if (!IsValidStoreName(store) || !key.MayUse(store!))
            {
                // The same answer for a store that does not exist and one that belongs to someone else.
                throw new RequestException(404, "not_found_error", "There is no such store for this key.");
            }

            if (route is "memory")
            {
                await RunCommandAsync(context, key, store!).ConfigureAwait(false);
                return;
            }

            if (route is "ops")
            {
                await RunOperationAsync(context, key, store!).ConfigureAwait(false);
                return;
            }

            if (!key.Admin)
            {
                throw new RequestException(403, "permission_error", "This endpoint needs an admin key.");
            }

            await (route is "history" ? HistoryAsync(context, store!) : ExportAsync(context, store!)).ConfigureAwait(false);
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
            _log.LogWarning("store {Store}: {Message}", store, exception.Message);
            await WriteErrorAsync(context, 503, "store_error", "The memory store could not complete the request; try again.").ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            _log.LogError(exception, "{Route} failed", route);
            await WriteErrorAsync(context, 500, "api_error", "The server failed to answer.").ConfigureAwait(false);
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var status = context.Response.StatusCode;
            _requests.Add(1, new("route", route), new("status", status));
            _duration.Record(elapsed, new KeyValuePair<string, object?>("route", route));
            _log.LogInformation("{Method} {Route} store={Store} key={Key} status={Status} ms={Milliseconds:0.0}",
                context.Request.Method, route, store, keyId, status, elapsed);
        }
    }

    private (IVersionedMemoryStore Store, IMemoryTool Tool) Store(string name)
    {
        var entry = _stores.GetOrAdd(name, n => new Lazy<(IVersionedMemoryStore, IMemoryTool)>(() =>
        {
            var store = _options.OpenStore!(n);
            Action<MemoryCommand, Exception> unexpectedError = (command, error) => _log.LogError(error, "store {Store}: {Command} failed", n, command.Name);
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

    private async Task RunCommandAsync(HttpContext context, MemoryApiKey key, string store)
    {
        using (var document = await ReadJsonAsync(context, "one memory command object").ConfigureAwait(false))
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new RequestException(400, "invalid_request_error", "The body must be one memory command object, such as {\"command\":\"view\",\"path\":\"/memories\"}.");
            }

            var tool = Store(store).Tool;
            MemoryToolResult result;
            if (MemoryCommand.TryParse(document.RootElement, out var command, out var error))
            {
                result = await tool.ExecuteAsync(command, key.Name ?? key.Id, context.RequestAborted).ConfigureAwait(false);
            }
            else
            {
                result = MemoryToolResult.Error(error);
            }

            await WriteJsonAsync(context, 200, writer =>
            {
                writer.WriteString("content", result.Content);
                writer.WriteBoolean("is_error", result.IsError);
            }).ConfigureAwait(false);
        }
    }

    private async Task ListStoresAsync(HttpContext context, MemoryApiKey key)
    {
        if (!key.Admin)
        {
            throw new RequestException(403, "permission_error", "This endpoint needs an admin key.");
        }

        IEnumerable<string> names = key.Stores.Contains("*")
            ? _options.ListStores is { } list ? await list(context.RequestAborted).ConfigureAwait(false) : _stores.Keys
            : key.Stores;
        await WriteJsonAsync(context, 200, writer =>
        {
            writer.WriteStartArray("stores");
            foreach (var name in names.Where(IsValidStoreName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
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
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/x-ndjson";
        await new MemoryAdmin(Store(store).Store).ExportAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }
}
