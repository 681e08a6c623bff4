using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Mnemo.Memory.FileSystem;
using Mnemo.Tests;

namespace Mnemo.Server.Tests;

/// <summary>The memory API on ASP.NET Core's own parts inside an application: the application's sign-in and its own rule
/// for which store a user may use, ASP.NET Core's rate limiter, and the problem answers every refusal gets.</summary>
public sealed class MemoryServerPoliciesTests : IAsyncDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FakeLogCollector _logs = new();
    private WebApplication? _app;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        _temp.Dispose();
    }

    [Fact]
    public async Task TheApplicationsOwnUsers_ReachTheStoresItsOwnRuleGives_AndNoOther()
    {
        var keys = new MemoryApiKeys(_temp.Combine(".keys.json"));
        var key = keys.Create(["shared"], admin: false, name: "ci").Secret;
        using var http = await StartAsync(keys, rate: 1000, useRateLimiter: true, services =>
        {
            // The application signs its users in its own way, and says itself which store each may use: a user's own.
            services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, UserHeaderScheme>("users", null);
            services.AddSingleton<IAuthorizationHandler, OwnStoreHandler>();
        }, options => options.AuthenticationSchemes.Add("users"));

        (await SendAsync(http, "/v1/stores/user-ana/memory", """{"command":"create","path":"/memories/a.md","file_text":"ana's\n"}""", user: "ana"))
            .ShouldBe((HttpStatusCode.OK, """{"content":"File created successfully at: /memories/a.md","is_error":false}"""));
        File.ReadAllText(_temp.Combine("user-ana", "a.md")).ShouldBe("ana's\n");
        using (var history = new FileSystemMemoryStore(_temp.Combine("user-ana")))
        {
            (await history.ReadHistoryAsync(Ct)).Single().Actor.ShouldBe("ana", "writes are recorded under the application's user");
        }

        var other = await SendAsync(http, "/v1/stores/user-bo/memory", """{"command":"view","path":"/memories"}""", user: "ana");
        other.Status.ShouldBe(HttpStatusCode.NotFound, "another user's store answers as one that does not exist");
        Error(other.Body).ShouldBe(("not_found_error", "There is no such store for this key."));
        (await SendAsync(http, "/v1/stores/shared/memory", """{"command":"view","path":"/memories"}""", user: "ana")).Status.ShouldBe(HttpStatusCode.NotFound);
        Directory.Exists(_temp.Combine("user-bo")).ShouldBeFalse();

        // The memory's own keys still work beside the application's users.
        (await SendAsync(http, "/v1/stores/shared/memory", """{"command":"view","path":"/memories"}""", key: key)).Status.ShouldBe(HttpStatusCode.OK);
        (await SendAsync(http, "/v1/stores/user-ana/memory", """{"command":"view","path":"/memories"}""", key: key)).Status.ShouldBe(HttpStatusCode.NotFound);
        var nobody = await SendAsync(http, "/v1/stores/user-ana/memory", """{"command":"view","path":"/memories"}""");
        (nobody.Status, Error(nobody.Body).Type).ShouldBe((HttpStatusCode.Unauthorized, "authentication_error"));
    }

    [Fact]
    public async Task ARefusal_IsAProblemThatKeepsTheApisErrorObject()
    {
        var keys = new MemoryApiKeys(_temp.Combine(".keys.json"));
        var key = keys.Create(["team"], admin: false).Secret;
        using var http = await StartAsync(keys, rate: 1000, useRateLimiter: true);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/stores/team/history");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await http.SendAsync(request, Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        problem.GetProperty("type").GetString().ShouldBe("https://tools.ietf.org/html/rfc9110#section-15.5.4");
        problem.GetProperty("title").GetString().ShouldBe("Forbidden");
        problem.GetProperty("status").GetInt32().ShouldBe(403);
        problem.GetProperty("detail").GetString().ShouldBe("This endpoint needs an admin key.");
        Error(problem.GetRawText()).ShouldBe(("permission_error", "This endpoint needs an admin key."));

        var wrongMethod = await SendAsync(http, "/v1/stores/team/memory", body: null, key: key);
        (wrongMethod.Status, Error(wrongMethod.Body)).ShouldBe((HttpStatusCode.MethodNotAllowed, ("invalid_request_error", "This endpoint takes POST.")));
        var nowhere = await SendAsync(http, "/v1/elsewhere", body: null, key: key);
        (nowhere.Status, Error(nowhere.Body)).ShouldBe((HttpStatusCode.NotFound, ("not_found_error", "There is no such endpoint.")));
    }

    [Fact]
    public async Task TheRateLimiter_HoldsEachKeyToItsRate_AndLeftOutItIsLoggedOnce()
    {
        var keys = new MemoryApiKeys(_temp.Combine(".keys.json"));
        var first = keys.Create(["team"], admin: false, name: "first").Secret;
        var second = keys.Create(["team"], admin: false, name: "second").Secret;
        const string View = """{"command":"view","path":"/memories"}""";
        using (var http = await StartAsync(keys, rate: 3, useRateLimiter: true))
        {
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < 6; i++)
            {
                statuses.Add((await SendAsync(http, "/v1/stores/team/memory", View, key: first)).Status);
            }

            statuses.Count(status => status == HttpStatusCode.OK).ShouldBeInRange(3, 5);
            statuses.ShouldContain(HttpStatusCode.TooManyRequests);
            var limited = await SendAsync(http, "/v1/stores/team/memory", View, key: first);
            (limited.Status, Error(limited.Body)).ShouldBe((HttpStatusCode.TooManyRequests, ("rate_limit_error", "This key may make 3 requests a second; try again shortly.")));
            (await SendAsync(http, "/v1/stores/team/memory", View, key: second)).Status.ShouldBe(HttpStatusCode.OK, "each key has a bucket of its own");
            _logs.GetSnapshot().ShouldNotContain(entry => entry.Id.Id == 3005);
            _logs.GetSnapshot().Count(entry => entry.Id.Id == 3001 && entry.Message.Contains("status=429", StringComparison.Ordinal)).ShouldBeGreaterThanOrEqualTo(2);
            await _app!.DisposeAsync();
            _app = null;
        }

        using var unlimited = await StartAsync(keys, rate: 3, useRateLimiter: false);
        for (var i = 0; i < 8; i++)
        {
            (await SendAsync(unlimited, "/v1/stores/team/memory", View, key: first)).Status.ShouldBe(HttpStatusCode.OK);
        }

        _logs.GetSnapshot().Where(entry => entry.Id.Id == 3005).ShouldHaveSingleItem().Level.ShouldBe(LogLevel.Warning);
    }

    private static (string Type, string Message) Error(string body)
    {
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        return (error.GetProperty("type").GetString()!, error.GetProperty("message").GetString()!);
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient http, string path, string? body, string? key = null, string? user = null)
    {
        using var request = new HttpRequestMessage(body is null ? HttpMethod.Get : HttpMethod.Post, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        if (user is not null)
        {
            request.Headers.Add("X-User", user);
        }

        using var response = await http.SendAsync(request, Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    private async Task<HttpClient> StartAsync(MemoryApiKeys keys, int rate, bool useRateLimiter, Action<IServiceCollection>? services = null, Action<MemoryServerOptions>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders().AddProvider(new FakeLoggerProvider(_logs));
        builder.Services.AddMnemoMemoryServer(options =>
        {
            options.Keys = keys;
            options.OpenStore = name => new FileSystemMemoryStore(_temp.Combine(name));
            options.RequestsPerSecond = rate;
            options.Burst = rate;
            configure?.Invoke(options);
        });
        services?.Invoke(builder.Services);
        _app = builder.Build();
        if (useRateLimiter)
        {
            _app.UseRateLimiter();
        }

        _app.MapMnemoMemory("/v1");
        await _app.StartAsync(Ct);
        return new HttpClient { BaseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
    }

    /// <summary>An application's own sign-in: the user a trusted proxy names in <c>X-User</c>.</summary>
    private sealed class UserHeaderScheme(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
            Task.FromResult(Request.Headers["X-User"].ToString() is { Length: > 0 } user
                ? AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, user), new Claim(ClaimTypes.NameIdentifier, user)], "users")), "users"))
                : AuthenticateResult.NoResult());
    }

    /// <summary>The application's rule: a user may use the store <c>user-{name}</c>.</summary>
    private sealed class OwnStoreHandler : AuthorizationHandler<MemoryStoreRequirement>
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, MemoryStoreRequirement requirement)
        {
            if (context.User.Identity is { AuthenticationType: "users", Name: { } name } && MemoryStoreRequirement.StoreOf(context.Resource) == $"user-{name}")
            {
                context.Succeed(requirement);
            }

            return Task.CompletedTask;
        }
    }
}
