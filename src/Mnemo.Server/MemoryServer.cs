using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mnemo.Server;

/// <summary>Represents the memory server: <c>memory_20250818</c> commands over HTTP for many agents on many machines.</summary>
/// <remarks>
/// <para><c>POST /v1/stores/{store}/memory</c> takes one command object and answers <c>{"content","is_error"}</c> with
/// exactly the strings of <see cref="Mnemo.Memory.MemoryTool"/>. <c>GET /v1/stores</c>, <c>GET /v1/stores/{store}/history</c> and
/// <c>GET /v1/stores/{store}/export</c> are for admin keys. <c>/health</c> says the process runs; <c>/ready</c> says the
/// backend answers.</para>
/// <para><b>Tenancy.</b> Every request but the two probes carries an API key (<c>Authorization: Bearer</c> or
/// <c>x-api-key</c>) scoped to named stores. A store the key may not use answers 404, as one that does not exist would,
/// so a key cannot even learn another tenant's store names.</para>
/// <para><b>Limits.</b> Bodies over <see cref="MemoryServerOptions.MaxBodyBytes"/> get 413, a key past its rate gets 429
/// with <c>Retry-After</c>, anything malformed gets 400 with one line; the store's own quotas still apply to each command.
/// Every error is a problem (<c>application/problem+json</c>) carrying the API's <c>error</c> object.</para>
/// <para>The server is a host of its own made of the calls an application makes to host the API itself:
/// <see cref="MemoryServerHosting.AddMnemoMemoryServer"/>, ASP.NET Core's authentication, authorization and rate limiting,
/// and <see cref="MemoryServerHosting.MapMnemoMemory"/>.</para>
/// </remarks>
public sealed class MemoryServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MemoryServer(WebApplication app)
    {
        _app = app;
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

        // The options as given, not a copy: the host is the caller's configuration, made of the application's calls.
        builder.Services.AddSingleton<IOptions<MemoryServerOptions>>(Options.Create(options));
        builder.Services.AddMnemoMemoryServer(_ => { });
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
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        var api = app.Services.GetRequiredService<MemoryApi>();
        app.MapGet("/health", context => Probe(context, api, "health", 200, "ok"));
        app.MapGet("/ready", async context =>
        {
            var report = await context.RequestServices.GetRequiredService<HealthCheckService>()
                .CheckHealthAsync(check => check.Tags.Contains("ready"), context.RequestAborted).ConfigureAwait(false);
            var ready = report.Status != HealthStatus.Unhealthy;
            await Probe(context, api, "ready", ready ? 200 : 503, ready ? "ready" : "unavailable").ConfigureAwait(false);
        });
        app.MapMnemoMemory("/v1");
        Dashboard.MnemoDashboard.MapMnemoDashboard(app, "/dashboard");
        options.ConfigureEndpoints?.Invoke(app);
        app.MapFallback(context => api.NotFoundAsync(context, (context.Request.Path.Value ?? "/").Trim('/').Split('/')));
        var server = new MemoryServer(app);
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
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task Probe(HttpContext context, MemoryApi api, string route, int status, string text)
    {
        await ServerHttp.WriteJsonAsync(context, status, writer => writer.WriteString("status", text)).ConfigureAwait(false);
        api.Record(context, route, null, null);
    }
}
