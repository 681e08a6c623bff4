using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;
using Mnemo.Memory.Remote;
using Mnemo.Server;
using Mnemo.Tests;

namespace Mnemo.Server.Tests;

/// <summary>The memory server's API inside an application's own ASP.NET Core host (<c>AddMnemoMemoryServer</c> and
/// <c>MapMnemoMemory</c>): beside the application's endpoints, under its own path, with the same keys, answers and
/// strings, reached by <see cref="HttpMemoryStore"/>, and its readiness among the application's health checks.</summary>
public sealed class MemoryServerHostingTests : IAsyncDisposable
{
    private readonly TempDirectory _temp = new();
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
    public async Task MappedInAnApplication_TheApiAnswersUnderItsPath_BesideTheApplicationsOwnEndpoints()
    {
        var keys = new MemoryApiKeys(_temp.Combine(".keys.json"));
        var key = keys.Create(["team"], admin: true, name: "app").Secret;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.AddMnemoMemoryServer(options =>
        {
            options.Keys = keys;
            options.OpenStore = name => new FileSystemMemoryStore(_temp.Combine(name));
            options.ReadinessCheck = _ => Task.FromResult(true);
        });
        _app = builder.Build();
        _app.MapGet("/hello", () => "the application's own");
        _app.MapMnemoMemory("/agents/memory/v1");
        _app.MapHealthChecks("/healthz");
        await _app.StartAsync(Ct);
        var address = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        using var http = new HttpClient { BaseAddress = address };

        (await http.GetStringAsync("/hello", Ct)).ShouldBe("the application's own");
        (await http.GetStringAsync("/healthz", Ct)).ShouldBe("Healthy");

        // The API's own answers and strings, under the application's path.
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/agents/memory/v1/stores/team/memory"))
        {
            request.Content = new StringContent("""{"command":"create","path":"/memories/a.md","file_text":"mounted\n"}""", Encoding.UTF8, "application/json");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await http.SendAsync(request, Ct);
            (await response.Content.ReadAsStringAsync(Ct)).ShouldBe("""{"content":"File created successfully at: /memories/a.md","is_error":false}""");
        }

        using (var anonymous = await http.PostAsync("/agents/memory/v1/stores/team/memory", new StringContent("{}", Encoding.UTF8, "application/json"), Ct))
        {
            anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            JsonDocument.Parse(await anonymous.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error").GetProperty("type").GetString().ShouldBe("authentication_error");
        }

        // An HttpMemoryStore reaches it at the path less its v1, and the memory tool over it gives the same strings.
        using var remote = new HttpMemoryStore(new HttpMemoryStoreOptions { Endpoint = new Uri(address, "/agents/memory/"), ApiKey = key, Store = "team" });
        using var local = new FileSystemMemoryStore(_temp.Combine("team"));
        (await new MemoryTool(remote).ExecuteAsync("""{"command":"view","path":"/memories/a.md"}""", Ct)).Content
            .ShouldBe((await new MemoryTool(local).ExecuteAsync("""{"command":"view","path":"/memories/a.md"}""", Ct)).Content);
        File.ReadAllText(_temp.Combine("team", "a.md")).ShouldBe("mounted\n");
    }

    [Fact]
    public async Task TheApplicationsAuthentication_TakesTheMemorysKeys_ForItsOwnEndpointsAndTheApi()
    {
        var keys = new MemoryApiKeys(_temp.Combine(".keys.json"));
        var admin = keys.Create(["team"], admin: true, name: "ops").Secret;
        var reader = keys.Create(["team"], admin: false).Secret;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.AddMnemoMemoryServer(options =>
        {
            options.Keys = keys;
            options.OpenStore = name => new FileSystemMemoryStore(_temp.Combine(name));
        });
        builder.Services.AddAuthentication(MnemoApiKeyAuthentication.SchemeName).AddMnemoApiKey();
        builder.Services.AddAuthorization();
        _app = builder.Build();
        _app.UseAuthentication();
        _app.UseAuthorization();
        _app.MapGet("/whoami", (System.Security.Claims.ClaimsPrincipal user) =>
            $"{user.Identity!.Name} {string.Join(",", user.FindAll(MnemoApiKeyAuthentication.StoreClaim).Select(c => c.Value))} {user.IsInRole(MnemoApiKeyAuthentication.AdminRole)}").RequireAuthorization();
        _app.MapGet("/admin-only", () => "yes").RequireAuthorization(policy => policy.RequireRole(MnemoApiKeyAuthentication.AdminRole));
        _app.MapMnemoMemory("/v1").RequireAuthorization();
        await _app.StartAsync(Ct);
        var address = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        using var http = new HttpClient { BaseAddress = address };

        async Task<(HttpStatusCode Status, string Body)> Get(string path, string? key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (key is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }

            using var response = await http.SendAsync(request, Ct);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
        }

        (await Get("/whoami", admin)).ShouldBe((HttpStatusCode.OK, "ops team True"));
        (await Get("/admin-only", reader)).Status.ShouldBe(HttpStatusCode.Forbidden);
        var none = await Get("/v1/stores", null);
        none.Status.ShouldBe(HttpStatusCode.Unauthorized);
        JsonDocument.Parse(none.Body).RootElement.GetProperty("error").GetProperty("message").GetString()
            .ShouldBe("A valid API key is required: Authorization: Bearer mnemo_… or x-api-key.", "the API's own words, from the scheme's challenge");
        (await Get("/v1/stores", "mnemo_not-a-key")).Status.ShouldBe(HttpStatusCode.Unauthorized);
        (await Get("/v1/stores", admin)).Status.ShouldBe(HttpStatusCode.OK);
    }
}
