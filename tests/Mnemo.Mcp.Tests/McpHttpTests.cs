using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;
using Mnemo.Tests;

namespace Mnemo.Mcp.Tests;

/// <summary>The memory over MCP's HTTP transport in an ASP.NET Core host (<c>AddMcpServer().WithHttpTransport().WithMnemoMemory()</c>,
/// <c>MapMcp</c>), through the SDK's own client: the tool with the reference's strings, the files as resources, the
/// protocol as a prompt, for a store from the application's container.</summary>
public sealed class McpHttpTests : IAsyncDisposable
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
    public async Task OverHttp_TheToolResourcesAndPrompt_AreThoseOfStdio()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.AddMnemoMemory().WithFileSystemStore(_temp.Combine("memories"));
        var options = new MemoryMcpServerOptions { Actor = "http-client" };
        builder.Services.AddMcpServer().WithHttpTransport().WithMnemoMemory(options: options);
        _app = builder.Build();
        _app.MapMcp("/mcp");
        await _app.StartAsync(Ct);
        var address = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

        await using var client = await McpClient.CreateAsync(
            new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri(address, "/mcp") }), cancellationToken: Ct);

        (await client.ListToolsAsync(cancellationToken: Ct)).ShouldHaveSingleItem().Name.ShouldBe("memory");
        var created = await client.CallToolAsync("memory", Arguments("""{"command":"create","path":"/memories/notes.md","file_text":"over http\n"}"""), cancellationToken: Ct);
        var missing = await client.CallToolAsync("memory", Arguments("""{"command":"view","path":"/memories/nope.md"}"""), cancellationToken: Ct);

        using var direct = new FileSystemMemoryStore(_temp.Combine("direct"));
        var tool = new MemoryTool(direct);
        ((TextContentBlock)created.Content.Single()).Text.ShouldBe((await tool.ExecuteAsync("""{"command":"create","path":"/memories/notes.md","file_text":"over http\n"}""", Ct)).Content);
        ((TextContentBlock)missing.Content.Single()).Text.ShouldBe((await tool.ExecuteAsync("""{"command":"view","path":"/memories/nope.md"}""", Ct)).Content);
        missing.IsError.ShouldBe(true);
        File.ReadAllText(_temp.Combine("memories", "notes.md")).ShouldBe("over http\n");

        (await client.ListResourcesAsync(cancellationToken: Ct)).Select(r => r.Uri).ShouldBe(["memory:///notes.md"]);
        var read = await client.ReadResourceAsync("memory:///notes.md", cancellationToken: Ct);
        ((TextResourceContents)read.Contents.Single()).Text.ShouldBe("over http\n");
        (await client.GetPromptAsync(MemoryMcpServer.PromptName, cancellationToken: Ct)).Messages.ShouldNotBeEmpty();
        options.PollInterval.ShouldBe(TimeSpan.FromSeconds(2), "the caller's options are not changed");
    }

    [Fact]
    public async Task AStoreThatFailsUnexpectedly_IsOneLineForTheClient_AndTheApplicationsLogHasTheCause()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddFakeLogging();
        builder.Services.AddMcpServer().WithHttpTransport().WithMnemoMemory(new BurningStore());
        _app = builder.Build();
        _app.MapMcp("/mcp");
        await _app.StartAsync(Ct);
        var address = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        await using var client = await McpClient.CreateAsync(
            new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri(address, "/mcp") }), cancellationToken: Ct);

        var viewed = await client.CallToolAsync("memory", Arguments("""{"command":"view","path":"/memories"}"""), cancellationToken: Ct);

        viewed.IsError.ShouldBe(true);
        var text = ((TextContentBlock)viewed.Content.Single()).Text;
        text.ShouldNotContain("fire");
        text.ShouldNotContain("/srv");
        var logged = _app.Services.GetFakeLogCollector().GetSnapshot().Where(line => line.Category == "Mnemo.Mcp").ShouldHaveSingleItem();
        (logged.Id.Id, logged.Level, logged.Message).ShouldBe((4001, Microsoft.Extensions.Logging.LogLevel.Error, "view failed"));
        logged.Exception!.Message.ShouldBe("the disk under /srv/memory is on fire");
    }

    /// <summary>A store whose every call fails in a way no store should.</summary>
    private sealed class BurningStore : IMemoryStore
    {
        private static ValueTask<T> Fail<T>() => ValueTask.FromException<T>(new InvalidOperationException("the disk under /srv/memory is on fire"));

        public ValueTask<MemoryItem?> ReadAsync(MemoryPath path, CancellationToken cancellationToken = default) => Fail<MemoryItem?>();

        public ValueTask<IReadOnlyList<MemoryEntry>?> ListAsync(MemoryPath directory, int depth, CancellationToken cancellationToken = default) =>
            Fail<IReadOnlyList<MemoryEntry>?>();

        public ValueTask<bool> CreateFileAsync(MemoryPath path, ReadOnlyMemory<byte> content, MemoryWriteContext? context = null, CancellationToken cancellationToken = default) =>
            Fail<bool>();

        public ValueTask<bool> ReplaceFileAsync(MemoryPath path, ReadOnlyMemory<byte> content, MemoryItem expected, MemoryWriteContext? context = null, CancellationToken cancellationToken = default) =>
            Fail<bool>();

        public ValueTask<MemoryDeleteOutcome> DeleteAsync(MemoryPath path, MemoryWriteContext? context = null, CancellationToken cancellationToken = default) =>
            Fail<MemoryDeleteOutcome>();

        public ValueTask<MemoryRenameOutcome> RenameAsync(MemoryPath source, MemoryPath destination, MemoryWriteContext? context = null, CancellationToken cancellationToken = default) =>
            Fail<MemoryRenameOutcome>();
    }

    private static Dictionary<string, object?> Arguments(string json) =>
        JsonDocument.Parse(json).RootElement.EnumerateObject().ToDictionary(property => property.Name, property => (object?)property.Value.Clone());
}
