using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mnemo.Server;

/// <summary>Options of the API-key authentication scheme (<see cref="MnemoApiKeyAuthentication.SchemeName"/>).</summary>
public sealed class MnemoApiKeyAuthenticationOptions : AuthenticationSchemeOptions
{
    /// <summary>Gets or sets the keys; the memory server's (<c>AddMnemoMemoryServer</c>) when <see langword="null"/>.</summary>
    public MemoryApiKeys? Keys { get; set; }
}

/// <summary>
/// The memory server's API keys as an ASP.NET Core authentication scheme: a request with <c>Authorization: Bearer
/// mnemo_…</c> or <c>x-api-key</c> is authenticated against the same hashed keys file, as a principal whose name is the
/// key's (or its id), with a <c>mnemo:store</c> claim per store it may use and the role <c>mnemo:admin</c> for an admin
/// key. The memory API authenticates its requests with it, and an application's own endpoints, policies and logs can use
/// the memory's keys as well.
/// </summary>
public sealed class MnemoApiKeyAuthentication(
    IOptionsMonitor<MnemoApiKeyAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<MnemoApiKeyAuthenticationOptions>(options, logger, encoder)
{
    /// <summary>The scheme's name.</summary>
    public const string SchemeName = "MnemoApiKey";

    /// <summary>The claim of each store a key may use (<c>*</c> for all).</summary>
    public const string StoreClaim = "mnemo:store";

    /// <summary>The role of an admin key.</summary>
    public const string AdminRole = "mnemo:admin";

    /// <inheritdoc/>
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (ServerHttp.ApiKeyOf(Request) is not { } presented)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var keys = Options.Keys ?? Context.RequestServices.GetService<IOptions<MemoryServerOptions>>()?.Value.Keys
            ?? throw new InvalidOperationException("MnemoApiKeyAuthenticationOptions.Keys is not set, and no memory server is registered to take the keys from.");
        if (keys.Authenticate(presented) is not { } key)
        {
            return Task.FromResult(AuthenticateResult.Fail("The API key is not valid."));
        }

        List<Claim> claims = [new(ClaimTypes.NameIdentifier, key.Id), new(ClaimTypes.Name, key.Name ?? key.Id), .. key.Stores.Select(store => new Claim(StoreClaim, store))];
        if (key.Admin)
        {
            claims.Add(new Claim(ClaimTypes.Role, AdminRole));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    /// <inheritdoc/>
    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return ServerHttp.WriteErrorAsync(Context, 401, "authentication_error", "A valid API key is required: Authorization: Bearer mnemo_… or x-api-key.");
    }

    /// <inheritdoc/>
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ServerHttp.WriteErrorAsync(Context, 403, "permission_error", "This key may not use this endpoint.");
}

/// <summary>Adds <see cref="MnemoApiKeyAuthentication"/> to an application's authentication.</summary>
public static class MnemoApiKeyAuthenticationExtensions
{
    /// <summary>Authenticates requests with the memory server's API keys (<see cref="MnemoApiKeyAuthentication.SchemeName"/>).</summary>
    /// <param name="builder">The application's authentication.</param>
    /// <param name="configure">Sets the keys, when not the memory server's.</param>
    /// <returns>The builder.</returns>
    public static AuthenticationBuilder AddMnemoApiKey(this AuthenticationBuilder builder, Action<MnemoApiKeyAuthenticationOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Services.Any(descriptor => descriptor.ServiceType == typeof(MnemoApiKeyAuthentication)))
        {
            // Already added (AddMnemoMemoryServer adds it too): a scheme is added once; a second call only configures it.
            if (configure is not null)
            {
                builder.Services.Configure(MnemoApiKeyAuthentication.SchemeName, configure);
            }

            return builder;
        }

        return builder.AddScheme<MnemoApiKeyAuthenticationOptions, MnemoApiKeyAuthentication>(MnemoApiKeyAuthentication.SchemeName, configure);
    }
}
