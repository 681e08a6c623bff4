using Mnemo.Anthropic.Agents;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;
using Mnemo.Memory.Remote;
using Mnemo.Server;
using Mnemo.Tests;

namespace Mnemo.Anthropic.Tests.Agents;

/// <summary>Two agents on two "machines" share one memory through the memory server, each with its own <see cref="HttpMemoryStore"/>.</summary>
public sealed class SharedMemoryAgentTests
{
    private const string Script = """
        conversations:
          - name: learn
            match: "I prefer tabs"
            turns:
              - text: Saving that.
                tool_use: {name: memory, input: {command: create, path: /memories/preferences.md, file_text: "- indent with tabs\n"}}
              - Noted.
          - name: recall
            match: "how should I indent"
            turns:
              - text: Checking my memory first.
                tool_use: {name: memory, input: {command: view, path: /memories/preferences.md}}
              - With tabs.
        """;

    [Fact]
    public async Task WhatOneAgentSaves_AnotherOnAnotherMachineReads_ThroughTheServer()
    {
        var ct = TestContext.Current.CancellationToken;
        using var temp = new TempDirectory();
        var keys = new MemoryApiKeys(temp.Combine("keys.json"));
        var key = keys.Create(["team"], admin: false, name: "agents").Secret;
        await using var server = await MemoryServer.StartAsync(new MemoryServerOptions
        {
            Port = 0,
            Keys = keys,
            OpenStore = name => new FileSystemMemoryStore(temp.Combine(name)),
        }, ct);
        await using var harness = await AgentHarness.StartAsync(Script);
        HttpMemoryStore Remote() => new(new HttpMemoryStoreOptions { Endpoint = server.BaseAddress, Store = "team", ApiKey = key });

        using (var first = Remote())
        {
            var learn = await harness.Session(options => options.Memory = new MemoryTool(first).AsBuilder().UseActor("laptop").Build())
                .RunAsync("I prefer tabs.", ct);
            learn.Text.ShouldBe("Noted.");
        }

        using var second = Remote();
        var recall = await harness.Session(options => options.Memory = new MemoryTool(second).AsBuilder().UseActor("ci-runner").Build())
            .RunAsync("How should I indent?", ct);
        recall.Text.ShouldBe("With tabs.");
        harness.Of<AgentToolResultEvent>().Select(result => result.Content).ShouldBe(
        [
            "File created successfully at: /memories/preferences.md",
            "Here's the content of /memories/preferences.md with line numbers:\n     1\t- indent with tabs\n     2\t",
        ]);
        File.ReadAllText(temp.Combine("team", "preferences.md")).ShouldBe("- indent with tabs\n");
        using var local = new FileSystemMemoryStore(temp.Combine("team"));
        (await local.ReadHistoryAsync(ct)).Single().Actor.ShouldBe("agents/laptop");
    }
}
