using System.Text.Json;
using Microsoft.Extensions.AI;
using Mnemo.Anthropic.Tests.Agents;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;
using Mnemo.Tests;

namespace Mnemo.Anthropic.Tests.ChatClients;

/// <summary>The memory tool in a Microsoft.Extensions.AI pipeline: Anthropic's own <see cref="IChatClient"/> from the
/// official SDK, against the emulator, with <c>UseMnemoMemory().UseFunctionInvocation()</c>. The model saves in one
/// conversation and finds it in the next, and every result it gets is the memory tool's own string.</summary>
public sealed class MemoryChatClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Script = """
        conversations:
          - match: "deploys go out on Tuesdays"
            turns:
              - tool_use: {name: memory, input: {command: view, path: /memories}}
              - tool_use: {name: memory, input: {command: create, path: /memories/deploy.md, file_text: "# Deploy\nDeploys go out on Tuesdays.\n"}}
              - tool_use: {name: memory, input: {command: str_replace, path: /memories/deploy.md, old_str: "Fridays", new_str: "Mondays"}}
              - tool_use: {name: memory, input: {command: view, path: /memories/../etc}}
              - Saved to memory.
          - match: "When do deploys go out"
            turns:
              - tool_use: {name: memory, input: {command: view, path: /memories/deploy.md}}
              - On Tuesdays, as my memory says.
        """;

    /// <summary>The <c>tool_result</c> contents the emulator received, in order.</summary>
    private static List<string> ToolResults(AgentHarness harness) =>
        [.. harness.Emulator.Exchanges
            .SelectMany(exchange => exchange.Request!.Value.GetProperty("messages").EnumerateArray().Skip(exchange.Request!.Value.GetProperty("messages").GetArrayLength() - 1))
            .Where(message => message.GetProperty("content").ValueKind == JsonValueKind.Array)
            .SelectMany(message => message.GetProperty("content").EnumerateArray())
            .Where(block => block.GetProperty("type").GetString() == "tool_result")
            .Select(block => block.GetProperty("content") is { ValueKind: JsonValueKind.String } text ? text.GetString()! : block.GetProperty("content")[0].GetProperty("text").GetString()!)];

    [Fact]
    public async Task AnyChatClient_SavesToMemory_AndFindsItInTheNextConversation_WithTheToolsOwnStrings()
    {
        await using var harness = await AgentHarness.StartAsync(Script);
        var tool = new MemoryTool(harness.Store);
        using var chat = new ChatClientBuilder(harness.Client.AsIChatClient(AgentHarness.Model, 1024))
            .UseMnemoMemory(tool, o => o.Actor = "chat-agent")
            .UseFunctionInvocation()
            .Build();

        var first = await chat.GetResponseAsync("Remember: deploys go out on Tuesdays.", cancellationToken: Ct);
        var second = await chat.GetResponseAsync("When do deploys go out?", cancellationToken: Ct);

        first.Text.ShouldBe("Saved to memory.");
        second.Text.ShouldBe("On Tuesdays, as my memory says.");
        File.ReadAllText(Path.Combine(harness.MemoryFolder, "deploy.md")).ShouldBe("# Deploy\nDeploys go out on Tuesdays.\n");

        // The same commands on a memory tool of its own give the very strings the model got.
        using var temp = new TempDirectory();
        using var store = new FileSystemMemoryStore(temp.Combine("memories"));
        var direct = new MemoryTool(store);
        List<string> expected = [];
        foreach (var command in new[]
        {
            """{"command":"view","path":"/memories"}""",
            """{"command":"create","path":"/memories/deploy.md","file_text":"# Deploy\nDeploys go out on Tuesdays.\n"}""",
            """{"command":"str_replace","path":"/memories/deploy.md","old_str":"Fridays","new_str":"Mondays"}""",
            """{"command":"view","path":"/memories/../etc"}""",
            """{"command":"view","path":"/memories/deploy.md"}""",
        })
        {
            expected.Add((await direct.ExecuteAsync(command, Ct)).Content);
        }

        ToolResults(harness).ShouldBe(expected);

        // What the model was sent: the memory tool among its tools, and the memory protocol in the system prompt.
        var request = harness.Emulator.Exchanges[0].Request!.Value;
        request.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()).ShouldBe(["memory"]);
        request.GetProperty("tools")[0].GetProperty("input_schema").GetProperty("required")[0].GetString().ShouldBe("command");
        request.GetRawText().ShouldContain(JsonSerializer.Serialize(MemoryProtocol.Default)[1..40]);

        // The store's history names the pipeline's actor.
        (await new MemoryAdmin(harness.Store).HistoryAsync(cancellationToken: Ct)).ShouldAllBe(change => change.Actor == "chat-agent");
    }

    [Fact]
    public async Task OpenAIsChatClient_RunsTheSameTool_WithTheSameStrings()
    {
        using var temp = new TempDirectory();
        using var store = new FileSystemMemoryStore(temp.Combine("memories"));
        await using var endpoint = await OpenAILoopback.StartAsync(
        [
            OpenAILoopback.ToolCall("call_1", "memory", """{"command":"create","path":"/memories/deploy.md","file_text":"Deploys go out on Tuesdays.\n"}"""),
            OpenAILoopback.ToolCall("call_2", "memory", """{"command":"insert","path":"/memories/deploy.md","insert_line":9,"insert_text":"x"}"""),
            OpenAILoopback.Text("Saved."),
            OpenAILoopback.ToolCall("call_3", "memory", """{"command":"view","path":"/memories/deploy.md"}"""),
            OpenAILoopback.Text("On Tuesdays."),
        ]);
        var openAI = new OpenAI.Chat.ChatClient("gpt-4.1", new System.ClientModel.ApiKeyCredential("test-key"),
            new OpenAI.OpenAIClientOptions { Endpoint = endpoint.BaseAddress, RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0) });
        using var chat = new ChatClientBuilder(openAI.AsIChatClient()).UseMnemoMemory(store).UseFunctionInvocation().Build();

        (await chat.GetResponseAsync("Remember: deploys go out on Tuesdays.", cancellationToken: Ct)).Text.ShouldBe("Saved.");
        (await chat.GetResponseAsync("When do deploys go out?", cancellationToken: Ct)).Text.ShouldBe("On Tuesdays.");

        File.ReadAllText(temp.Combine("memories", "deploy.md")).ShouldBe("Deploys go out on Tuesdays.\n");
        var toolMessages = endpoint.Requests
            .Select(request => request.GetProperty("messages").EnumerateArray().Last())
            .Where(message => message.GetProperty("role").GetString() == "tool")
            .Select(message => (message.GetProperty("tool_call_id").GetString(), message.GetProperty("content") is { ValueKind: JsonValueKind.String } text ? text.GetString() : message.GetProperty("content")[0].GetProperty("text").GetString()))
            .ToList();
        using var other = new TempDirectory();
        using var otherStore = new FileSystemMemoryStore(other.Combine("memories"));
        var direct = new MemoryTool(otherStore);
        toolMessages.ShouldBe(
        [
            ("call_1", (await direct.ExecuteAsync("""{"command":"create","path":"/memories/deploy.md","file_text":"Deploys go out on Tuesdays.\n"}""", Ct)).Content),
            ("call_2", (await direct.ExecuteAsync("""{"command":"insert","path":"/memories/deploy.md","insert_line":9,"insert_text":"x"}""", Ct)).Content),
            ("call_3", (await direct.ExecuteAsync("""{"command":"view","path":"/memories/deploy.md"}""", Ct)).Content),
        ]);
        var sent = endpoint.Requests[0];
        sent.GetProperty("tools")[0].GetProperty("function").GetProperty("name").GetString().ShouldBe("memory");
        sent.GetProperty("messages")[0].GetProperty("role").GetString().ShouldBe("system", "the memory protocol goes in as the instructions");
    }

    [Fact]
    public void AsAIFunction_DescribesTheToolsInput_ForModelsNotTrainedOnIt()
    {
        using var temp = new TempDirectory();
        using var store = new FileSystemMemoryStore(temp.Combine("memories"));

        var function = new MemoryTool(store).AsAIFunction();

        function.Name.ShouldBe("memory");
        function.JsonSchema.GetProperty("properties").EnumerateObject().Select(p => p.Name).ShouldBe(
            ["command", "path", "view_range", "file_text", "old_str", "new_str", "insert_line", "insert_text", "old_path", "new_path"]);
        function.GetService(typeof(IMemoryStore)).ShouldBeSameAs(store);
    }
}
