using System.Text;
using System.Text.Json;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;
using Mnemo.Memory.Remote;
using Mnemo.Tests;
using Mnemo.Tests.Memory;
using Mnemo.Tests.Memory.Conformance;

namespace Mnemo.Server.Tests;

/// <summary>A server over folder stores on a real Kestrel, for the HTTP store's tests.</summary>
internal sealed class FolderServer : IAsyncDisposable
{
    private FolderServer(TempDirectory temp, MemoryApiKeys keys, MemoryServer server, string key)
    {
        (Temp, Keys, Server, Key) = (temp, keys, server, key);
    }

    public TempDirectory Temp { get; }

    public MemoryApiKeys Keys { get; }

    public MemoryServer Server { get; }

    public string Key { get; }

    public static async Task<FolderServer> StartAsync(MemoryQuotas? quotas = null)
    {
        var temp = new TempDirectory();
        var keys = new MemoryApiKeys(temp.Combine(".keys.json"));
        var key = keys.Create(["alpha", "vectors"], admin: true, name: "agents").Secret;
        var server = await MemoryServer.StartAsync(new MemoryServerOptions
        {
            Port = 0,
            Keys = keys,
            OpenStore = name => new FileSystemMemoryStore(temp.Combine(name), new FileSystemMemoryStoreOptions { Quotas = quotas ?? new MemoryQuotas() }),
            RequestsPerSecond = 100_000,
            Burst = 100_000,
        }, TestContext.Current.CancellationToken);
        return new FolderServer(temp, keys, server, key);
    }

    public HttpMemoryStore Open(string store = "alpha", HttpMessageHandler? handler = null, TimeSpan? timeout = null, int retries = 4, string? key = null) =>
        new(new HttpMemoryStoreOptions
        {
            Endpoint = Server.BaseAddress,
            Store = store,
            ApiKey = key ?? Key,
            Handler = handler,
            Timeout = timeout ?? TimeSpan.FromSeconds(10),
            MaxRetries = retries,
            RetryDelay = TimeSpan.FromMilliseconds(10),
        });

    public FileSystemMemoryStore Local(string store = "alpha") => new(Temp.Combine(store));

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Temp.Dispose();
    }
}

/// <summary>The store conformance suite, through the server: the HTTP store behaves as the folder beneath it.</summary>
public sealed class HttpMemoryStoreConformanceTests : MemoryStoreConformanceTests, IAsyncLifetime
{
    private FolderServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await FolderServer.StartAsync();

    protected override IMemoryStore CreateStore() => _server.Open();

    protected override IMemoryStore CreateSecondStore() => _server.Open();

    public async ValueTask DisposeAsync()
    {
        Dispose();
        await _server.DisposeAsync();
    }
}

/// <summary>The HTTP store under a memory tool: the reference's strings, retries that never write twice, and its errors.</summary>
public sealed class HttpMemoryStoreTests : IAsyncLifetime
{
    private FolderServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _server = await FolderServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    public static TheoryData<string> CaseNames() => MemoryToolVectorTests.CaseNames();

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Case_RunThroughTheServer_MatchesReference(string name)
    {
        // The server's folder store is planted directly, links to the outside included; the tool runs here, over HTTP.
        var testCase = MemoryToolVectorTests.Case(name);
        var root = _server.Temp.Combine("vectors");
        var outside = _server.Temp.Combine("outside");
        Directory.CreateDirectory(root);
        Directory.CreateDirectory(Path.Combine(outside, "sub"));
        File.WriteAllText(Path.Combine(outside, "secret.txt"), "top secret\n");
        foreach (var entry in testCase["setup"]!.AsArray())
        {
            MemoryToolVectorTests.Plant(root, outside, entry!.AsObject());
        }

        using var store = _server.Open("vectors");
        var tool = new MemoryTool(store);
        var index = 0;
        foreach (var step in testCase["steps"]!.AsArray())
        {
            using var input = JsonDocument.Parse(step!["input"]!.ToJsonString());
            var result = await tool.ExecuteAsync(input.RootElement, Ct);
            var because = $"step {index++} of {name}: {step["input"]!.ToJsonString()}";
            result.Content.ShouldBe(step["output"]!.GetValue<string>(), because);
            result.IsError.ShouldBe(step["is_error"]!.GetValue<bool>(), because);
        }

        if (MemoryToolVectorTests.ExpectedFinal(testCase) is { } final)
        {
            MemoryToolVectorTests.Snapshot(root).ShouldBe(final, $"final tree of {name}");
        }

        File.ReadAllText(Path.Combine(outside, "secret.txt")).ShouldBe("top secret\n");
    }

    [Fact]
    public async Task WritesWhoseAnswersAreLost_AreAppliedExactlyOnce()
    {
        // Every other write reaches the server, is applied, and its answer never comes back; the store tries again.
        using var losing = new FaultyHandler(every: 2, FaultyHandler.Fault.LoseAnswer);
        using var store = _server.Open(handler: losing);
        var tool = new MemoryTool(store).AsBuilder().UseActor("agent-1").Build();
        (await tool.ExecuteAsync(new CreateMemoryCommand("/memories/log.md", "start\n"), Ct)).Content.ShouldBe("File created successfully at: /memories/log.md");
        for (var i = 1; i <= 60; i++)
        {
            var result = await tool.ExecuteAsync(new InsertMemoryCommand("/memories/log.md", i, $"line {i}"), Ct);
            result.IsError.ShouldBeFalse(result.Content);
        }

        (await tool.ExecuteAsync(new RenameMemoryCommand("/memories/log.md", "/memories/kept.md"), Ct)).IsError.ShouldBeFalse();
        (await tool.ExecuteAsync(new DeleteMemoryCommand("/memories/kept.md"), Ct)).Content.ShouldBe("Successfully deleted /memories/kept.md");

        losing.Faults.ShouldBeGreaterThanOrEqualTo(30);
        using var local = _server.Local();
        var history = await local.ReadHistoryAsync(Ct);
        history.Count.ShouldBe(63, "one create, 60 inserts, one rename and one delete: nothing twice");
        Encoding.UTF8.GetString(history[61].Files.Single().Content!.Value.Span)
            .ShouldBe("start\n" + string.Concat(Enumerable.Range(1, 60).Select(i => $"line {i}\n")));
        history.ShouldAllBe(change => change.Actor == "agents/agent-1");
    }

    [Fact]
    public async Task AnswersLaterThanTheTimeout_AreTriedAgain_AndStillAppliedOnce()
    {
        using var late = new FaultyHandler(every: 3, FaultyHandler.Fault.AnswerLate);
        using var store = _server.Open(handler: late, timeout: TimeSpan.FromSeconds(1));
        var tool = new MemoryTool(store);
        for (var i = 0; i < 12; i++)
        {
            var result = await tool.ExecuteAsync(new CreateMemoryCommand($"/memories/n{i}.md", $"note {i}\n"), Ct);
            result.Content.ShouldBe($"File created successfully at: /memories/n{i}.md");
        }

        late.Faults.ShouldBeGreaterThanOrEqualTo(4);
        using var local = _server.Local();
        (await local.ReadHistoryAsync(Ct)).Count.ShouldBe(12);
    }

    [Fact]
    public async Task ManyMachines_InsertingAtOnce_LoseNoUpdate()
    {
        using var local = _server.Local();
        await new MemoryTool(local).ExecuteAsync(new CreateMemoryCommand("/memories/shared.md", ""), Ct);
        await Parallel.ForAsync(0, 6, Ct, async (agent, ct) =>
        {
            using var store = _server.Open();
            var tool = new MemoryTool(store);
            for (var i = 0; i < 25; i++)
            {
                var result = await tool.ExecuteAsync(new InsertMemoryCommand("/memories/shared.md", 0, $"agent {agent} line {i}"), ct);
                result.IsError.ShouldBeFalse(result.Content);
            }
        });

        var lines = Encoding.UTF8.GetString((await local.ReadAsync(MemoryPath.TryParse("/memories/shared.md", out var p, out _) ? p : null!, Ct))!.Content.Span)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(150);
        lines.Distinct().Count().ShouldBe(150);
    }

    [Fact]
    public async Task TheServersRefusals_GiveTheSameMessagesAsALocalStore()
    {
        var quotas = new MemoryQuotas { MaxFileBytes = 64, MaxPathBytes = 40 };
        await using var strict = await FolderServer.StartAsync(quotas);
        using var remote = strict.Open();
        using var temp = new TempDirectory();
        using var local = new FileSystemMemoryStore(temp.Combine("m"), new FileSystemMemoryStoreOptions { Quotas = quotas });
        var (remoteTool, localTool) = (new MemoryTool(remote), new MemoryTool(local));
        MemoryCommand[] commands =
        [
            new CreateMemoryCommand("/memories/big.md", new string('x', 100)),
            new CreateMemoryCommand("/memories/a-rather-long-folder-name/and-a-file.md", "x"),
            new CreateMemoryCommand("/memories/file.md", "x\n"),
            new CreateMemoryCommand("/memories/file.md/below.md", "x\n"),
            new StrReplaceMemoryCommand("/memories/file.md", "x", new string('y', 100)),
            new ViewMemoryCommand("/memories/.mnemo/history.jsonl"),
            new CreateMemoryCommand("/memories/.mnemo/evil.md", "x"),
            new RenameMemoryCommand("/memories/file.md", "/memories/a-rather-long-folder-name/x.md"),
            new ViewMemoryCommand("/memories"),
        ];
        foreach (var command in commands)
        {
            var expected = await localTool.ExecuteAsync(command, Ct);
            var actual = await remoteTool.ExecuteAsync(command, Ct);
            (actual.Content, actual.IsError).ShouldBe((expected.Content, expected.IsError), command.ToString());
        }
    }

    [Fact]
    public async Task AWrongKeyOrStore_IsOneLineForTheModel_NamingNeitherServerNorKey()
    {
        using var wrongKey = _server.Open(key: "mnemo_wrong_secret");
        using var wrongStore = _server.Open(store: "beta");
        foreach (var store in new[] { wrongKey, wrongStore })
        {
            var result = await new MemoryTool(store).ExecuteAsync(new ViewMemoryCommand("/memories"), Ct);
            result.IsError.ShouldBeTrue();
            result.Content.ShouldNotContain("\n");
            result.Content.ShouldNotContain(_server.Server.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            result.Content.ShouldNotContain("mnemo_wrong_secret");
        }

        (await new MemoryTool(wrongKey).ExecuteAsync(new ViewMemoryCommand("/memories"), Ct)).Content.ShouldContain("did not accept the API key");
        (await new MemoryTool(wrongStore).ExecuteAsync(new ViewMemoryCommand("/memories"), Ct)).Content.ShouldContain("no such store");
    }

    [Fact]
    public async Task ABusyServer_IsTriedAgain_AfterTheRetryAfterItAsksFor()
    {
        using var busy = new BusyHandler(answers: 2, retryAfter: TimeSpan.FromSeconds(1));
        using var store = _server.Open(handler: busy);
        var started = System.Diagnostics.Stopwatch.StartNew();

        var result = await new MemoryTool(store).ExecuteAsync(new CreateMemoryCommand("/memories/a.md", "x"), Ct);

        result.Content.ShouldBe("File created successfully at: /memories/a.md");
        busy.Refused.ShouldBe(2);
        started.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1.9), "two waits of the server's Retry-After, not the 10 ms retry delay");
    }

    [Fact]
    public async Task AServerBusyPastTheRetries_FailsWithItsOwnMessageInOneLine()
    {
        using var busy = new BusyHandler(answers: int.MaxValue, retryAfter: null);
        using var store = _server.Open(handler: busy, retries: 2);

        var result = await new MemoryTool(store).ExecuteAsync(new CreateMemoryCommand("/memories/a.md", "x"), Ct);

        result.ShouldBe(MemoryToolResult.Error("The memory store could not complete the create command: the memory server could not create a file: the server is busy"));
        busy.Refused.ShouldBe(3);
    }

    [Fact]
    public async Task AProblemFromSomethingInFrontOfTheApi_GivesItsDetailInOneLine()
    {
        // A gateway or the application's own policy answers before the API, with an ASP.NET Core problem and no error object.
        using var gateway = new AnsweringHandler(System.Net.HttpStatusCode.Forbidden,
            """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.4","title":"Forbidden","status":403,"detail":"Outside office hours.\nAsk ops."}""");
        using var store = _server.Open(handler: gateway);

        var result = await new MemoryTool(store).ExecuteAsync(new CreateMemoryCommand("/memories/a.md", "x"), Ct);

        result.ShouldBe(MemoryToolResult.Error("The memory store could not complete the create command: the memory server refused to create a file: Outside office hours. Ask ops."));
    }

    [Fact]
    public async Task AServerThatIsGone_FailsAfterItsRetries_WithOneLine()
    {
        var port = _server.Server.BaseAddress.Port;
        await _server.Server.DisposeAsync();
        using var store = new HttpMemoryStore(new HttpMemoryStoreOptions
        {
            Endpoint = new Uri($"http://127.0.0.1:{port}/"),
            Store = "alpha",
            ApiKey = _server.Key,
            MaxRetries = 2,
            RetryDelay = TimeSpan.FromMilliseconds(10),
        });
        var result = await new MemoryTool(store).ExecuteAsync(new CreateMemoryCommand("/memories/a.md", "x"), Ct);
        result.IsError.ShouldBeTrue();
        result.Content.ShouldContain("could not be reached to create a file");
        result.Content.ShouldNotContain(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}

/// <summary>Answers the first <c>answers</c> requests itself with 503 and a Retry-After, as a server under load does; the rest go through.</summary>
internal sealed class BusyHandler(int answers, TimeSpan? retryAfter) : DelegatingHandler(new SocketsHttpHandler())
{
    private int _refused;

    public int Refused => Volatile.Read(ref _refused);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _refused) > answers)
        {
            Interlocked.Decrement(ref _refused);
            return base.SendAsync(request, cancellationToken);
        }

        var response = new HttpResponseMessage(System.Net.HttpStatusCode.ServiceUnavailable)
        {
            Content = new StringContent("""{"error":{"type":"overloaded","message":"the server is busy"}}""", Encoding.UTF8, "application/json"),
        };
        if (retryAfter is { } wait)
        {
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(wait);
        }

        return Task.FromResult(response);
    }
}

/// <summary>Answers every request itself with one status and body, as a gateway in front of the server might.</summary>
internal sealed class AnsweringHandler(System.Net.HttpStatusCode status, string problem) : DelegatingHandler(new SocketsHttpHandler())
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(problem, Encoding.UTF8, "application/problem+json") });
}
