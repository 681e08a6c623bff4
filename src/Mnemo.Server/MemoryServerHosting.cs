using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mnemo.Server;

namespace Microsoft.AspNetCore.Builder;

/// <summary>The memory server's API inside an application's own ASP.NET Core host: <c>services.AddMnemoMemoryServer(...)</c>
/// and <c>app.MapMnemoMemory("/v1")</c>, beside the application's own endpoints, middleware and policies.</summary>
public static class MemoryServerHosting
{
    /// <summary>Registers the memory server's options, and a health check (<c>mnemo-memory</c>) that runs
    /// <see cref="MemoryServerOptions.ReadinessCheck"/> for the application's <c>MapHealthChecks</c>.</summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Sets the options: <see cref="MemoryServerOptions.OpenStore"/> and <see cref="MemoryServerOptions.Keys"/>
    /// are required; the address and port are the application's, not these.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddMnemoMemoryServer(this IServiceCollection services, Action<MemoryServerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<MemoryServerOptions>().Configure(configure);
        services.AddSingleton<MountedServers>();
        services.AddHealthChecks().Add(new HealthCheckRegistration("mnemo-memory", provider => new ReadinessHealthCheck(provider.GetRequiredService<IOptions<MemoryServerOptions>>().Value), null, ["mnemo", "ready"]));
        return services;
    }

    /// <summary>Maps the memory server's API under a path: <c>{prefix}/stores/{store}/memory</c>, <c>/ops</c>,
    /// <c>/history</c>, <c>/export</c> and <c>{prefix}/stores</c>, with the same keys, limits, answers and error strings as
    /// <c>mnemo serve</c>. An <c>HttpMemoryStore</c> reaches it with its endpoint set to the prefix less its <c>v1</c>.</summary>
    /// <param name="endpoints">The application's routes.</param>
    /// <param name="prefix">Where the API's <c>v1</c> goes; <c>/v1</c> by default.</param>
    /// <returns>The endpoint's builder, for the application's own conventions (authorization, rate limiting, CORS).</returns>
    public static IEndpointConventionBuilder MapMnemoMemory(this IEndpointRouteBuilder endpoints, string prefix = "/v1")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        var mount = "/" + prefix.Trim('/');
        var services = endpoints.ServiceProvider;
        var options = services.GetRequiredService<IOptions<MemoryServerOptions>>().Value;
        options.MeterFactory ??= services.GetService<System.Diagnostics.Metrics.IMeterFactory>();
        var server = new MemoryServer(options.Validated(), services.GetRequiredService<ILoggerFactory>(), mount);
        services.GetRequiredService<MountedServers>().Add(server);
        return endpoints.Map(mount + "/{**path}", server.HandleAsync);
    }

    /// <summary>The servers mapped in an application, closed (their stores with them) when the application's services are.</summary>
    private sealed class MountedServers : IAsyncDisposable
    {
        private readonly List<MemoryServer> _servers = [];

        public void Add(MemoryServer server)
        {
            lock (_servers)
            {
                _servers.Add(server);
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var server in _servers)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>The server's readiness as a health check: healthy when its stores can be reached.</summary>
    private sealed class ReadinessHealthCheck(MemoryServerOptions options) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            options.ReadinessCheck is null || await options.ReadinessCheck(cancellationToken).ConfigureAwait(false)
                ? HealthCheckResult.Healthy("The memory stores can be reached.")
                : HealthCheckResult.Unhealthy("The memory stores cannot be reached.");
    }
}
