using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
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

    private static Dictionary<string, object?> Arguments(string json) =>
        JsonDocument.Parse(json).RootElement.EnumerateObject().ToDictionary(property => property.Name, property => (object?)property.Value.Clone());
}
