using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Mnemo.Tests;
using Mnemo.Tests.Memory.Conformance;

namespace Mnemo.Mcp.Tests;

/// <summary><c>mnemo mcp</c> as a child process, driven over stdio by the MCP SDK's own client.</summary>
public sealed class McpClientTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private McpClient _client = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Root => _temp.Combine("memories");

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Root);
        _client = await ConnectAsync(Root);
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        _temp.Dispose();
    }

    private async Task<McpClient> ConnectAsync(string root, string? protocolVersion = null) =>
        await McpClient.CreateAsync(new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = "mnemo",
            Command = "dotnet",
            Arguments = [MnemoProcess.CliAssembly, "mcp", "--dir", root, "--poll", "0.2"],
            StandardErrorLines = _errors.Enqueue,
        }), new McpClientOptions { ClientInfo = new Implementation { Name = "tests", Version = "1.0" }, ProtocolVersion = protocolVersion }, cancellationToken: Ct);

    private static Dictionary<string, object?> Arguments(JsonNode input) =>
        input.AsObject().ToDictionary(property => property.Key, property => (object?)JsonSerializer.SerializeToElement(property.Value));

    private async Task<(string Text, bool IsError)> CallAsync(object arguments)
    {
        var input = JsonSerializer.SerializeToNode(arguments)!;
        var result = await _client.CallToolAsync("memory", Arguments(input), cancellationToken: Ct);
        return (((TextContentBlock)result.Content.Single()).Text, result.IsError ?? false);
    }

    [Fact]
    public async Task Tools_AreOneMemoryTool_WhoseSchemaDocumentsEveryParameter()
    {
        var tools = await _client.ListToolsAsync(cancellationToken: Ct);
        var tool = tools.ShouldHaveSingleItem();
        tool.Name.ShouldBe("memory");
        var schema = tool.ProtocolTool.InputSchema;
        schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()).ShouldBe(["command"]);
        var properties = schema.GetProperty("properties").EnumerateObject().ToList();
        properties.Select(p => p.Name).ShouldBe(
            ["command", "path", "view_range", "file_text", "old_str", "new_str", "insert_line", "insert_text", "old_path", "new_path"], ignoreOrder: true);
        properties.ShouldAllBe(p => p.Value.GetProperty("description").GetString()!.Length > 10);
        schema.GetProperty("properties").GetProperty("command").GetProperty("enum").EnumerateArray().Select(e => e.GetString())
            .ShouldBe(["view", "create", "str_replace", "insert", "delete", "rename"]);
    }

    public static TheoryData<string> CaseNames() => MemoryToolVectorTests.CaseNames();

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Case_ThroughMcp_MatchesReference(string name)
    {
        // Each case plants its files in the server's folder, then runs its steps as tools/call requests.
        var testCase = MemoryToolVectorTests.Case(name);
        var outside = _temp.Combine("outside");
        Directory.CreateDirectory(Path.Combine(outside, "sub"));
        File.WriteAllText(Path.Combine(outside, "secret.txt"), "top secret\n");
        foreach (var entry in testCase["setup"]!.AsArray())
        {
            MemoryToolVectorTests.Plant(Root, outside, entry!.AsObject());
        }

        var index = 0;
        foreach (var step in testCase["steps"]!.AsArray())
        {
            var result = await _client.CallToolAsync("memory", Arguments(step!["input"]!), cancellationToken: Ct);
            var because = $"step {index++} of {name}: {step["input"]!.ToJsonString()}";
            ((TextContentBlock)result.Content.Single()).Text.ShouldBe(step["output"]!.GetValue<string>(), because);
            (result.IsError ?? false).ShouldBe(step["is_error"]!.GetValue<bool>(), because);
        }

        if (MemoryToolVectorTests.ExpectedFinal(testCase) is { } final)
        {
            MemoryToolVectorTests.Snapshot(Root).ShouldBe(final, $"final tree of {name}");
        }

        File.ReadAllText(Path.Combine(outside, "secret.txt")).ShouldBe("top secret\n");
    }

    [Fact]
    public async Task AnUnknownToolOrPrompt_IsAProtocolError_AndTheServerCarriesOn()
    {
        var tool = await Should.ThrowAsync<McpProtocolException>(async () =>
            await _client.CallToolAsync("shell", new Dictionary<string, object?> { ["command"] = "ls" }, cancellationToken: Ct));
        tool.ErrorCode.ShouldBe(McpErrorCode.InvalidParams);
        tool.Message.ShouldContain("Unknown tool: shell");
        await Should.ThrowAsync<McpProtocolException>(async () => await _client.GetPromptAsync("nope", cancellationToken: Ct));
        (await CallAsync(new { command = "view", path = "/memories" })).IsError.ShouldBeFalse();
    }

    [Fact]
    public async Task ConcurrentCalls_AllLand_AndLoseNoUpdate()
    {
        await CallAsync(new { command = "create", path = "/memories/log.md", file_text = "" });
        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => CallAsync(new { command = "insert", path = "/memories/log.md", insert_line = 0, insert_text = $"line {i}" })));
        results.ShouldAllBe(result => !result.IsError && result.Text == "The file /memories/log.md has been edited.");
        File.ReadAllLines(Path.Combine(Root, "log.md")).Order().ShouldBe(Enumerable.Range(0, 40).Select(i => $"line {i}").Order());
    }

    [Fact]
    public async Task Resources_ListAndRead_TextAndBinary()
    {
        await CallAsync(new { command = "create", path = "/memories/notes/today plan.md", file_text = "- ship it\n" });
        File.WriteAllBytes(Path.Combine(Root, "blob.bin"), [0xff, 0x00, 0xfe]);
        var resources = await _client.ListResourcesAsync(cancellationToken: Ct);
        resources.Select(r => r.Uri).Order().ShouldBe(["memory:///blob.bin", "memory:///notes/today%20plan.md"]);

        var text = await _client.ReadResourceAsync("memory:///notes/today%20plan.md", cancellationToken: Ct);
        var contents = text.Contents.Single().ShouldBeOfType<TextResourceContents>();
        (contents.Text, contents.MimeType).ShouldBe(("- ship it\n", "text/markdown"));
        var binary = await _client.ReadResourceAsync("memory:///blob.bin", cancellationToken: Ct);
        binary.Contents.Single().ShouldBeOfType<BlobResourceContents>().DecodedData.ToArray().ShouldBe(new byte[] { 0xff, 0x00, 0xfe });

        var missing = await Should.ThrowAsync<McpProtocolException>(async () => await _client.ReadResourceAsync("memory:///nope.md", cancellationToken: Ct));
        missing.ErrorCode.ShouldBe(McpErrorCode.ResourceNotFound);
        await Should.ThrowAsync<McpProtocolException>(async () => await _client.ReadResourceAsync("memory:///.mnemo/history.jsonl", cancellationToken: Ct));
        await Should.ThrowAsync<McpProtocolException>(async () => await _client.ReadResourceAsync("memory:///..%2F..%2Fetc/passwd", cancellationToken: Ct));
    }

    [Fact]
    public async Task Subscribers_HearOfChanges_ThroughTheServerAndFromElsewhere()
    {
        // resources/subscribe, as the clients of today speak it (2025-11-25); the SDK's default revision replaces it.
        await _client.DisposeAsync();
        _client = await ConnectAsync(Root, "2025-11-25");
        await CallAsync(new { command = "create", path = "/memories/plan.md", file_text = "one\n" });
        await _client.ListResourcesAsync(cancellationToken: Ct);
        var updated = new ConcurrentQueue<string>();
        var listChanged = 0;
        await using var subscription = await _client.SubscribeToResourceAsync("memory:///plan.md", (notification, _) =>
        {
            updated.Enqueue(notification.Uri);
            return ValueTask.CompletedTask;
        }, cancellationToken: Ct);
        await using var listening = _client.RegisterNotificationHandler(NotificationMethods.ResourceListChangedNotification, (_, _) =>
        {
            Interlocked.Increment(ref listChanged);
            return ValueTask.CompletedTask;
        });

        await CallAsync(new { command = "str_replace", path = "/memories/plan.md", old_str = "one", new_str = "two" });
        await WaitUntil(() => updated.Count >= 1, "an update through the server");

        File.WriteAllText(Path.Combine(Root, "plan.md"), "changed by another agent\n");
        await WaitUntil(() => updated.Count >= 2, "an update made elsewhere");

        await CallAsync(new { command = "create", path = "/memories/new.md", file_text = "x\n" });
        await WaitUntil(() => Volatile.Read(ref listChanged) >= 1, "a new file through the server");
        File.WriteAllText(Path.Combine(Root, "other.md"), "made elsewhere\n");
        await WaitUntil(() => Volatile.Read(ref listChanged) >= 2, "a new file made elsewhere");
        updated.ShouldAllBe(uri => uri == "memory:///plan.md");
    }

    [Fact]
    public async Task ThePrompt_CarriesTheMemoryProtocol()
    {
        var prompts = await _client.ListPromptsAsync(cancellationToken: Ct);
        prompts.ShouldHaveSingleItem().Name.ShouldBe("memory_protocol");
        var prompt = await _client.GetPromptAsync("memory_protocol", cancellationToken: Ct);
        var message = prompt.Messages.ShouldHaveSingleItem();
        message.Role.ShouldBe(Role.User);
        var text = ((TextContentBlock)message.Content).Text;
        text.ShouldContain("Before anything else, view /memories");
        text.ShouldContain("record progress");
    }

    [Fact]
    public async Task Writes_AreRecordedInTheHistory_UnderTheClientsName()
    {
        await CallAsync(new { command = "create", path = "/memories/a.md", file_text = "x\n" });
        using var store = new Mnemo.Memory.FileSystem.FileSystemMemoryStore(Root);
        (await store.ReadHistoryAsync(Ct)).Single().Actor.ShouldBe("mcp/tests");
    }

    [Fact]
    public async Task WithServer_TheToolWorksOnAMemoryServersStore()
    {
        var keys = new Mnemo.Server.MemoryApiKeys(_temp.Combine("keys.json"));
        var key = keys.Create(["team"], admin: false, name: "laptop").Secret;
        await using var server = await Mnemo.Server.MemoryServer.StartAsync(new Mnemo.Server.MemoryServerOptions
        {
            Port = 0,
            Keys = keys,
            OpenStore = name => new Mnemo.Memory.FileSystem.FileSystemMemoryStore(_temp.Combine("served", name)),
        }, Ct);
        await using var remote = await McpClient.CreateAsync(new StdioClientTransport(new StdioClientTransportOptions
        {
            Command = "dotnet",
            Arguments = [MnemoProcess.CliAssembly, "mcp", "--server", server.BaseAddress.ToString(), "--store", "team", "--key", key],
        }), cancellationToken: Ct);

        var created = await remote.CallToolAsync("memory", new Dictionary<string, object?> { ["command"] = "create", ["path"] = "/memories/shared.md", ["file_text"] = "from the laptop\n" }, cancellationToken: Ct);
        ((TextContentBlock)created.Content.Single()).Text.ShouldBe("File created successfully at: /memories/shared.md");
        File.ReadAllText(_temp.Combine("served", "team", "shared.md")).ShouldBe("from the laptop\n");
        var read = await remote.ReadResourceAsync("memory:///shared.md", cancellationToken: Ct);
        read.Contents.Single().ShouldBeOfType<TextResourceContents>().Text.ShouldBe("from the laptop\n");
    }

    private static Task WaitUntil(Func<bool> condition, string what) => Eventually.WaitUntilAsync(condition, $"a notification for {what}", Ct);
}
