using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;
using Mnemo.Tests;

namespace Mnemo.Server.Tests;

/// <summary>The HTTP memory server on a real Kestrel on loopback, over folder stores: strings, tenancy, limits, bad input.</summary>
public sealed class MemoryServerTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private readonly HttpClient _http = new();
    private MemoryServer _server = null!;
    private MemoryApiKeys _keys = null!;
    private string _alpha = null!;
    private string _alphaReader = null!;
    private string _beta = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _keys = new MemoryApiKeys(_temp.Combine(".keys.json"));
        _alpha = _keys.Create(["alpha"], admin: true, name: "ana").Secret;
        _alphaReader = _keys.Create(["alpha"], admin: false).Secret;
        _beta = _keys.Create(["beta"], admin: true).Secret;
        _server = await StartAsync(rate: 1000);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _http.Dispose();
        _temp.Dispose();
    }

    private Task<MemoryServer> StartAsync(int rate, long maxBody = 1024 * 1024) => MemoryServer.StartAsync(new MemoryServerOptions
    {
        Port = 0,
        Keys = _keys,
        OpenStore = name => new FileSystemMemoryStore(_temp.Combine(name)),
        RequestsPerSecond = rate,
        Burst = rate,
        MaxBodyBytes = maxBody,
    }, Ct);

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, string? key, string? body = null, MemoryServer? server = null)
    {
        using var request = new HttpRequestMessage(method, new Uri((server ?? _server).BaseAddress, path));
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await _http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, text.Length > 0 && text[0] == '{' ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    private Task<(HttpStatusCode Status, JsonElement Body)> CommandAsync(string store, string key, object command) =>
        SendAsync(HttpMethod.Post, $"/v1/stores/{store}/memory", key, JsonSerializer.Serialize(command));

    [Fact]
    public async Task Commands_GiveTheToolsExactStrings_AndTheHistoryNamesTheKey()
    {
        var created = await CommandAsync("alpha", _alpha, new { command = "create", path = "/memories/notes.md", file_text = "hello\n" });
        created.Status.ShouldBe(HttpStatusCode.OK);
        (created.Body.GetProperty("content").GetString(), created.Body.GetProperty("is_error").GetBoolean()).ShouldBe(("File created successfully at: /memories/notes.md", false));

        var viewed = await CommandAsync("alpha", _alpha, new { command = "view", path = "/memories/notes.md" });
        viewed.Body.GetProperty("content").GetString().ShouldBe("Here's the content of /memories/notes.md with line numbers:\n     1\thello\n     2\t");
        var missing = await CommandAsync("alpha", _alpha, new { command = "view", path = "/memories/none.md" });
        (missing.Status, missing.Body.GetProperty("is_error").GetBoolean()).ShouldBe((HttpStatusCode.OK, true));
        (await CommandAsync("alpha", _alpha, new { command = "fly" })).Body.GetProperty("content").GetString()
            .ShouldBe("Unknown command: fly. Valid commands are: view, create, str_replace, insert, delete, rename");

        using var store = new FileSystemMemoryStore(_temp.Combine("alpha"));
        (await store.ReadHistoryAsync(Ct)).Single().Actor.ShouldBe("ana");
    }

    [Fact]
    public async Task AKey_NeverReachesAnotherTenantsStore_OnAnyEndpoint()
    {
        await CommandAsync("beta", _beta, new { command = "create", path = "/memories/secret.md", file_text = "beta's\n" });

        (await CommandAsync("beta", _alpha, new { command = "view", path = "/memories/secret.md" })).Status.ShouldBe(HttpStatusCode.NotFound);
        (await SendAsync(HttpMethod.Get, "/v1/stores/beta/history", _alpha)).Status.ShouldBe(HttpStatusCode.NotFound);
        (await SendAsync(HttpMethod.Get, "/v1/stores/beta/export", _alpha)).Status.ShouldBe(HttpStatusCode.NotFound);
        (await SendAsync(HttpMethod.Post, "/v1/stores/beta/ops", _alpha, "{\"op\":\"read\",\"path\":\"/memories/secret.md\"}")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await SendAsync(HttpMethod.Post, "/v1/stores/beta/ops", _alpha, "{\"op\":\"delete\",\"path\":\"/memories/secret.md\"}")).Status.ShouldBe(HttpStatusCode.NotFound);
        (await CommandAsync("gamma", _alpha, new { command = "view", path = "/memories" })).Status.ShouldBe(HttpStatusCode.NotFound, "an unknown store answers like a forbidden one");
        var stores = await SendAsync(HttpMethod.Get, "/v1/stores", _alpha);
        stores.Body.GetProperty("stores").EnumerateArray().Select(s => s.GetString()).ShouldBe(["alpha"]);

        // A key without admin rights runs commands but reads no history or export, even of its own store.
        (await CommandAsync("alpha", _alphaReader, new { command = "view", path = "/memories" })).Status.ShouldBe(HttpStatusCode.OK);
        (await SendAsync(HttpMethod.Get, "/v1/stores/alpha/history", _alphaReader)).Status.ShouldBe(HttpStatusCode.Forbidden);
        (await SendAsync(HttpMethod.Get, "/v1/stores/alpha/export", _alphaReader)).Status.ShouldBe(HttpStatusCode.Forbidden);
        (await SendAsync(HttpMethod.Get, "/v1/stores", _alphaReader)).Status.ShouldBe(HttpStatusCode.Forbidden);
        File.ReadAllText(_temp.Combine("beta", "secret.md")).ShouldBe("beta's\n");
    }

    [Fact]
    public async Task Keys_AreChecked_AndARevokedKeyStopsAtOnce()
    {
        (await CommandAsync("alpha", "mnemo_nothere_abc", new { command = "view", path = "/memories" })).Status.ShouldBe(HttpStatusCode.Unauthorized);
        var none = await SendAsync(HttpMethod.Post, "/v1/stores/alpha/memory", null, "{}");
        (none.Status, none.Body.GetProperty("error").GetProperty("type").GetString()).ShouldBe((HttpStatusCode.Unauthorized, "authentication_error"));

        var (key, secret) = _keys.Create(["alpha"], admin: false);
        (await CommandAsync("alpha", secret, new { command = "view", path = "/memories" })).Status.ShouldBe(HttpStatusCode.OK);
        new MemoryApiKeys(_keys.FilePath).Revoke(key.Id).ShouldBeTrue(); // as `mnemo serve keys revoke` would, from another process
        (await CommandAsync("alpha", secret, new { command = "view", path = "/memories" })).Status.ShouldBe(HttpStatusCode.Unauthorized);
        File.ReadAllText(_keys.FilePath).ShouldNotContain(secret);
    }

    [Fact]
    public async Task Limits_AnswerWith413And429_AndBadRequestsWith4xx()
    {
        await using var strict = await StartAsync(rate: 5, maxBody: 4096);
        var big = await SendAsync(HttpMethod.Post, "/v1/stores/alpha/memory", _alpha, JsonSerializer.Serialize(new { command = "create", path = "/memories/a.md", file_text = new string('x', 5000) }), strict);
        big.Status.ShouldBe(HttpStatusCode.RequestEntityTooLarge);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            statuses.Add((await SendAsync(HttpMethod.Get, "/v1/stores", _beta, server: strict)).Status);
        }

        statuses.ShouldContain(HttpStatusCode.TooManyRequests);
        (await SendAsync(HttpMethod.Post, "/v1/stores/alpha/memory", _alpha, "{not json")).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await SendAsync(HttpMethod.Post, "/v1/stores/alpha/memory", _alpha, "[1,2]")).Status.ShouldBe(HttpStatusCode.BadRequest);
        (await SendAsync(HttpMethod.Get, "/v1/stores/alpha/memory", _alpha)).Status.ShouldBe(HttpStatusCode.MethodNotAllowed);
        (await SendAsync(HttpMethod.Get, "/v2/anything", _alpha)).Status.ShouldBe(HttpStatusCode.NotFound);
        (await SendAsync(HttpMethod.Post, "/v1/stores/..%2Falpha/memory", _alpha, "{}")).Status.ShouldBe(HttpStatusCode.NotFound);
        var health = await SendAsync(HttpMethod.Get, "/health", null);
        (health.Status, health.Body.GetProperty("status").GetString()).ShouldBe((HttpStatusCode.OK, "ok"));
        (await SendAsync(HttpMethod.Get, "/ready", null)).Status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task TenThousandMalformedRequests_Get4xx_AndTheServerStaysUp()
    {
        // A server of its own with a high rate, so that the malformed requests reach the parsing rather than the rate limit.
        await using var server = await StartAsync(rate: 1_000_000);
        string?[] bodies = ["{", "null", "\"x\"", "{\"command\":", new string('[', 500), "\u0000\u0001", "[{\"command\":\"view\"}]"];
        string[] operations =
        [
            "{", "[]", "{\"op\":\"read\"}", "{\"op\":\"list\",\"path\":\"/memories\",\"depth\":0}",
            "{\"op\":\"create\",\"path\":\"/memories/x.md\",\"content\":\"not base64!\"}",
            "{\"op\":\"replace\",\"path\":\"/memories/x.md\",\"content\":\"\",\"version\":\"1\"}",
            "{\"op\":\"rename\",\"from\":\"/etc\",\"to\":\"/memories/a\"}", "{\"op\":\"explode\"}",
        ];
        var counts = new int[600];
        await Parallel.ForAsync(0, 10_000, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (i, ct) =>
        {
            var key = (i % 5) switch { 0 => null, 1 => "mnemo_bogus_key", _ => _alpha };
            var operation = i % 4 == 3;
            var path = (i % 7) switch { 0 => "/v1/stores/Alpha!/memory", 1 => "/v1/stores//memory", _ => "/v1/stores/alpha/memory" };
            using var request = new HttpRequestMessage(i % 11 == 0 ? HttpMethod.Put : HttpMethod.Post, new Uri(server.BaseAddress, operation ? path[..^"memory".Length] + "ops" : path))
            {
                Content = new StringContent(
                    operation ? operations[i % operations.Length] : bodies[i % bodies.Length]!, Encoding.UTF8, i % 13 == 0 ? "text/plain" : "application/json"),
            };
            if (operation && i % 17 == 0)
            {
                request.Headers.TryAddWithoutValidation("Idempotency-Key", "not a key!");
            }
            if (key is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }

            using var response = await _http.SendAsync(request, ct);
            Interlocked.Increment(ref counts[(int)response.StatusCode]);
        });

        counts.Sum().ShouldBe(10_000);
        counts.Skip(400).Take(100).Sum().ShouldBe(10_000, "every malformed request gets a 4xx, and none a 5xx");
        var after = await SendAsync(HttpMethod.Post, "/v1/stores/alpha/memory", _alpha,
            JsonSerializer.Serialize(new { command = "create", path = "/memories/after.md", file_text = "still up\n" }), server);
        after.Body.GetProperty("content").GetString().ShouldBe("File created successfully at: /memories/after.md");
    }

    [Fact]
    public async Task AStoreThatFailsToOpen_IsTriedAgainOnTheNextRequest()
    {
        var attempts = 0;
        await using var server = await MemoryServer.StartAsync(new MemoryServerOptions
        {
            Port = 0,
            Keys = _keys,
            OpenStore = name => ++attempts == 1
                ? throw new MemoryStoreException("the memory folder cannot be created.")
                : new FileSystemMemoryStore(_temp.Combine(name)),
        }, Ct);
        var body = JsonSerializer.Serialize(new { command = "view", path = "/memories" });

        var first = await SendAsync(HttpMethod.Post, "/v1/stores/alpha/memory", _alpha, body, server);
        (first.Status, first.Body.GetProperty("error").GetProperty("message").GetString())
            .ShouldBe((HttpStatusCode.ServiceUnavailable, "The memory store could not complete the request; try again."));
        (await SendAsync(HttpMethod.Post, "/v1/stores/alpha/memory", _alpha, body, server)).Status.ShouldBe(HttpStatusCode.OK);
        attempts.ShouldBe(2);
    }
}
