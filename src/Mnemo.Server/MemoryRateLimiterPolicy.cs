using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;

namespace Mnemo.Server;

/// <summary>The memory API's rate limit (<see cref="PolicyName"/>) on ASP.NET Core's rate limiting: a token bucket per API
/// key, of <see cref="MemoryServerOptions.RequestsPerSecond"/> with <see cref="MemoryServerOptions.Burst"/> more at once; a
/// request past it gets 429 with <c>Retry-After</c> and the API's error.</summary>
internal sealed class MemoryRateLimiterPolicy(MemoryApi api) : IRateLimiterPolicy<string>
{
    /// <summary>The policy's name.</summary>
    public const string PolicyName = "mnemo:memory";

    /// <summary>The request item that says the limit was applied, so the API can tell an application that left out
    /// <c>UseRateLimiter</c>.</summary>
    public const string AppliedItem = "mnemo:rate-limited";

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => RejectAsync;

    public RateLimitPartition<string> GetPartition(HttpContext httpContext)
    {
        httpContext.Items[AppliedItem] = true;
        var options = api.Options;
        // The key authorization let through; before it (an application that limits first), every request shares one bucket.
        return RateLimitPartition.GetTokenBucketLimiter(MemoryApi.KeyIdOf(httpContext.User) ?? string.Empty, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.Burst,
            TokensPerPeriod = options.RequestsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    private async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 1;
        context.Response.Headers.RetryAfter = wait.ToString(CultureInfo.InvariantCulture);
        await ServerHttp.WriteErrorAsync(context, 429, "rate_limit_error", $"This key may make {api.Options.RequestsPerSecond} requests a second; try again shortly.").ConfigureAwait(false);
        var route = context.GetEndpoint()?.Metadata.GetMetadata<MemoryApiRoute>();
        api.Record(context, route?.Name ?? "other", route is { HasStore: true } ? context.GetRouteValue("store") as string : null, null);
    }
}
