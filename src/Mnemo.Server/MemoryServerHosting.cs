using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Mnemo.Server;

namespace Microsoft.AspNetCore.Builder;

/// <summary>The memory server's API inside an application's own ASP.NET Core host: <c>services.AddMnemoMemoryServer(...)</c>
/// and <c>app.MapMnemoMemory("/v1")</c>, beside the application's own endpoints, middleware and policies.</summary>
/// <remarks>The API stands on ASP.NET Core's own parts: the API-key scheme (<see cref="MnemoApiKeyAuthentication"/>) to
/// authenticate, the policies of <see cref="MemoryAuthorizationPolicies"/> to authorize each store, the rate limiter's policy
/// <c>mnemo:memory</c> (the application calls <c>app.UseRateLimiter()</c>), and a health check. <c>mnemo serve</c> is a host
/// made of the same calls.</remarks>
public static class MemoryServerHosting
{
    /// <summary>Registers the memory API: its options, the API-key authentication scheme, the authorization policies and
    /// handler, the rate limit policy, and a health check (<c>mnemo-memory</c>, tagged <c>ready</c>) that runs
    /// <see cref="MemoryServerOptions.ReadinessCheck"/>.</summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Sets the options: <see cref="MemoryServerOptions.OpenStore"/> and <see cref="MemoryServerOptions.Keys"/>
    /// are required; the address and port are the application's, not these.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddMnemoMemoryServer(this IServiceCollection services, Action<MemoryServerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<MemoryServerOptions>().Configure(configure);
        if (services.Any(descriptor => descriptor.ServiceType == typeof(MemoryApi)))
        {
            return services;
        }

        services.AddSingleton<MemoryApi>();
        services.AddHealthChecks().Add(new HealthCheckRegistration(
            "mnemo-memory", provider => new ReadinessHealthCheck(provider.GetRequiredService<MemoryApi>().Options), null, ["mnemo", "ready"]));
        services.AddAuthentication().AddMnemoApiKey();
        services.AddAuthorization();
        services.AddOptions<AuthorizationOptions>().Configure<IOptions<MemoryServerOptions>>((authorization, memory) =>
        {
            var schemes = memory.Value.AuthenticationSchemes.ToArray();
            authorization.AddPolicy(MemoryAuthorizationPolicies.Store, policy => policy
                .AddAuthenticationSchemes(schemes).RequireAuthenticatedUser().AddRequirements(MemoryStoreRequirement.Instance));
            authorization.AddPolicy(MemoryAuthorizationPolicies.StoreAdmin, policy => policy
                .AddAuthenticationSchemes(schemes).RequireAuthenticatedUser().AddRequirements(MemoryStoreRequirement.Instance, MemoryAdminRequirement.Instance));
            authorization.AddPolicy(MemoryAuthorizationPolicies.Admin, policy => policy
                .AddAuthenticationSchemes(schemes).RequireAuthenticatedUser().AddRequirements(MemoryAdminRequirement.Instance));
            authorization.AddPolicy(MemoryAuthorizationPolicies.Key, policy => policy.AddAuthenticationSchemes(schemes).RequireAuthenticatedUser());
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizationHandler, MemoryClaimsAuthorizationHandler>());
        DecorateResultHandler(services);
        services.AddRateLimiter(limiter => limiter.AddPolicy<string, MemoryRateLimiterPolicy>(MemoryRateLimiterPolicy.PolicyName));
        return services;
    }

    /// <summary>Maps the memory server's API under a path: <c>{prefix}/stores/{store}/memory</c>, <c>/ops</c>,
    /// <c>/history</c>, <c>/export</c> and <c>{prefix}/stores</c>, with the same keys, limits, answers and error strings as
    /// <c>mnemo serve</c>. An <c>HttpMemoryStore</c> reaches it with its endpoint set to the prefix less its <c>v1</c>.</summary>
    /// <param name="endpoints">The application's routes.</param>
    /// <param name="prefix">Where the API's <c>v1</c> goes; <c>/v1</c> by default.</param>
    /// <returns>The API's route group, for the application's own conventions (more authorization, CORS, filters).</returns>
    /// <exception cref="InvalidOperationException"><c>AddMnemoMemoryServer</c> was not called.</exception>
    public static RouteGroupBuilder MapMnemoMemory(this IEndpointRouteBuilder endpoints, string prefix = "/v1")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        var api = endpoints.ServiceProvider.GetService<MemoryApi>()
            ?? throw new InvalidOperationException("The memory API is not registered: call services.AddMnemoMemoryServer(...) before app.MapMnemoMemory(...).");
        var group = endpoints.MapGroup("/" + prefix.Trim('/'));
        Endpoint(group.MapGet("/stores", Handler(api, MemoryApiRoute.Stores)), MemoryApiRoute.Stores, MemoryAuthorizationPolicies.Admin);
        Endpoint(group.MapPost("/stores/{store}/memory", Handler(api, MemoryApiRoute.Memory)), MemoryApiRoute.Memory, MemoryAuthorizationPolicies.Store);
        Endpoint(group.MapPost("/stores/{store}/ops", Handler(api, MemoryApiRoute.Operations)), MemoryApiRoute.Operations, MemoryAuthorizationPolicies.Store);
        Endpoint(group.MapGet("/stores/{store}/history", Handler(api, MemoryApiRoute.History)), MemoryApiRoute.History, MemoryAuthorizationPolicies.StoreAdmin);
        Endpoint(group.MapGet("/stores/{store}/export", Handler(api, MemoryApiRoute.Export)), MemoryApiRoute.Export, MemoryAuthorizationPolicies.StoreAdmin);
        Endpoint(group.MapGet("/stores/{store}/sessions", Handler(api, MemoryApiRoute.Sessions)), MemoryApiRoute.Sessions, MemoryAuthorizationPolicies.Store);
        Endpoint(group.MapMethods("/stores/{store}/sessions/{session}", ["GET", "POST"], Handler(api, MemoryApiRoute.Sessions)), MemoryApiRoute.Sessions, MemoryAuthorizationPolicies.Store);
        // Any other path under the prefix, or a path of the API under another method: the API's 404 or 405, not an empty answer.
        group.MapFallback("{**path}", context => api.NotFoundAsync(context, (context.GetRouteValue("path") as string ?? string.Empty).Trim('/').Split('/')));
        return group;
    }

    private static RequestDelegate Handler(MemoryApi api, string route)
    {
        var metadata = new MemoryApiRoute(route);
        return context => api.HandleAsync(context, metadata);
    }

    private static void Endpoint(IEndpointConventionBuilder endpoint, string route, string policy) => endpoint
        .WithMetadata(new MemoryApiRoute(route))
        .RequireAuthorization(policy)
        .RequireRateLimiting(MemoryRateLimiterPolicy.PolicyName);

    /// <summary>Puts the API's answers to refused requests in front of the application's own handler of authorization results.</summary>
    private static void DecorateResultHandler(IServiceCollection services)
    {
        var inner = services.LastOrDefault(descriptor => descriptor.ServiceType == typeof(IAuthorizationMiddlewareResultHandler) && !descriptor.IsKeyedService);
        if (inner is not null)
        {
            services.Remove(inner);
        }

        services.AddSingleton<IAuthorizationMiddlewareResultHandler>(provider => new MemoryAuthorizationResultHandler(
            inner switch
            {
                { ImplementationInstance: IAuthorizationMiddlewareResultHandler instance } => instance,
                { ImplementationFactory: { } factory } => (IAuthorizationMiddlewareResultHandler)factory(provider),
                { ImplementationType: { } type } => (IAuthorizationMiddlewareResultHandler)ActivatorUtilities.CreateInstance(provider, type),
                _ => new AuthorizationMiddlewareResultHandler(),
            },
            provider.GetRequiredService<MemoryApi>()));
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
