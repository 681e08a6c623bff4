using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Mnemo.Server;

/// <summary>The memory API's authorization policies, which <c>AddMnemoMemoryServer</c> registers and <c>MapMnemoMemory</c>'s
/// endpoints require.</summary>
public static class MemoryAuthorizationPolicies
{
    /// <summary>The policy of the store endpoints (<c>memory</c>, <c>ops</c>): an authenticated principal that may use the
    /// store the path names (<see cref="MemoryStoreRequirement"/>).</summary>
    public const string Store = "mnemo:store";

    /// <summary>The policy of the admin endpoints of a store (<c>history</c>, <c>export</c>): the store's, and an admin principal
    /// (<see cref="MemoryAdminRequirement"/>).</summary>
    public const string StoreAdmin = "mnemo:store-admin";

    /// <summary>The policy of <c>GET /v1/stores</c>: an authenticated admin principal.</summary>
    public const string Admin = "mnemo:admin";

    /// <summary>The policy of the dashboard's API: any authenticated principal, which then sees the stores it may use.</summary>
    public const string Key = "mnemo:key";
}

/// <summary>A principal may use the store its request's path names. The built-in handler grants it to a principal with a
/// <see cref="MnemoApiKeyAuthentication.StoreClaim"/> claim for that store (or <c>*</c>), as the API-key scheme gives; an
/// application whose users sign in another way adds its own <see cref="AuthorizationHandler{TRequirement}"/> for this
/// requirement, reading the store with <see cref="StoreOf"/>.</summary>
/// <remarks>A store a principal may not use is answered 404, as one that does not exist, so no one learns another tenant's store names.</remarks>
public sealed class MemoryStoreRequirement : IAuthorizationRequirement
{
    /// <summary>The one instance the policies use.</summary>
    public static readonly MemoryStoreRequirement Instance = new();

    private MemoryStoreRequirement()
    {
    }

    /// <summary>The store a request is for, from its route; <see langword="null"/> when the name is not a valid store name.</summary>
    /// <param name="resource">The authorization's resource: the request's <see cref="HttpContext"/>.</param>
    /// <returns>The store's name.</returns>
    public static string? StoreOf(object? resource) =>
        resource is HttpContext context && context.GetRouteValue("store") is string name && MemoryServer.IsValidStoreName(name) ? name : null;
}

/// <summary>A principal may use the admin endpoints (list stores, read history, export). The built-in handler grants it to
/// the role <see cref="MnemoApiKeyAuthentication.AdminRole"/>, as the API-key scheme gives an admin key.</summary>
/// <remarks>Refused with 403, once the store itself is allowed.</remarks>
public sealed class MemoryAdminRequirement : IAuthorizationRequirement
{
    /// <summary>The one instance the policies use.</summary>
    public static readonly MemoryAdminRequirement Instance = new();

    private MemoryAdminRequirement()
    {
    }
}

/// <summary>Grants the memory requirements from the claims and role the API-key scheme gives.</summary>
internal sealed class MemoryClaimsAuthorizationHandler : IAuthorizationHandler
{
    public Task HandleAsync(AuthorizationHandlerContext context)
    {
        foreach (var requirement in context.PendingRequirements.ToList())
        {
            if (requirement is MemoryStoreRequirement && MemoryStoreRequirement.StoreOf(context.Resource) is { } store &&
                context.User.HasClaim(claim => claim.Type == MnemoApiKeyAuthentication.StoreClaim && (claim.Value == store || claim.Value == "*")))
            {
                context.Succeed(requirement);
            }
            else if (requirement is MemoryAdminRequirement && context.User.IsInRole(MnemoApiKeyAuthentication.AdminRole))
            {
                context.Succeed(requirement);
            }
        }

        return Task.CompletedTask;
    }
}

/// <summary>Answers a request to the memory API that authorization refused in the API's own words: 401 without a valid key,
/// 404 for a store the key may not use, 403 for an admin endpoint; any other request goes to the application's handler.</summary>
internal sealed class MemoryAuthorizationResultHandler(IAuthorizationMiddlewareResultHandler inner, MemoryApi api) : IAuthorizationMiddlewareResultHandler
{
    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Succeeded || context.GetEndpoint()?.Metadata.GetMetadata<MemoryApiRoute>() is not { } route)
        {
            await inner.HandleAsync(next, context, policy, authorizeResult).ConfigureAwait(false);
            return;
        }

        var failed = authorizeResult.AuthorizationFailure?.FailedRequirements.ToList() ?? [];
        if (authorizeResult.Challenged)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await ServerHttp.WriteErrorAsync(context, 401, "authentication_error", "A valid API key is required: Authorization: Bearer mnemo_… or x-api-key.").ConfigureAwait(false);
        }
        else if (failed.Contains(MemoryStoreRequirement.Instance))
        {
            await ServerHttp.WriteErrorAsync(context, 404, "not_found_error", "There is no such store for this key.").ConfigureAwait(false);
        }
        else if (failed.Contains(MemoryAdminRequirement.Instance))
        {
            await ServerHttp.WriteErrorAsync(context, 403, "permission_error", "This endpoint needs an admin key.").ConfigureAwait(false);
        }
        else
        {
            // The application's own requirement refused it: its own answer.
            await inner.HandleAsync(next, context, policy, authorizeResult).ConfigureAwait(false);
        }

        api.Record(context, route.Name, route.HasStore ? context.GetRouteValue("store") as string : null, null);
    }
}
