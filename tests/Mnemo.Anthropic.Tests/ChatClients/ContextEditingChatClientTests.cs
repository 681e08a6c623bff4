using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Mnemo.Anthropic.Tests.Agents;
using Mnemo.Context;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;
using Mnemo.Tests;

namespace Mnemo.Anthropic.Tests.ChatClients;

/// <summary>Context editing and the preserve-before-clear protocol for any chat client: a tool loop through
/// <c>UseMnemoMemory().UseFunctionInvocation().UseContextEditing()</c> is warned near the trigger, saves to memory,
/// has its old results cleared, and a new conversation picks up from memory; through Anthropic's IChatClient against
/// the emulator and OpenAI's against a loopback endpoint.</summary>
public sealed class ContextEditingChatClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static readonly ContextManagementConfig Config = ContextManagementConfig.Parse(
        """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"input_tokens","value":2000},"keep":{"type":"tool_uses","value":1},"exclude_tools":["memory"]}]}""");

    internal const string Script = """
        conversations:
          - match: "review all"
            turns:
              - tool_use: {name: read_file, input: {path: a.py}}
              - tool_use: {name: read_file, input: {path: b.py}}
              - tool_use: {name: read_file, input: {path: c.py}}
              - tool_use: {name: read_file, input: {path: d.py}}
              - tool_use: {name: read_file, input: {path: e.py}}
              - Reviewed all five.
          - match: "what was reviewed"
            turns:
              - tool_use: {name: memory, input: {command: view, path: /memories/progress.md}}
              - a.py, b.py and c.py, as my memory says.
        rules:
          - match: "context notice"
            reply: {text: Saving my progress first., tool_use: {name: memory, input: {command: create, path: /memories/progress.md, file_text: "Reviewed: a.py, b.py, c.py\n"}}}
        """;

    /// <summary>A <c>read_file</c> function that returns a made-up file of 40 lines for any path.</summary>
    internal static AIFunction ReadFile() => AIFunctionFactory.Create(
        (string path) => string.Concat(Enumerable.Range(1, path.StartsWith("big", StringComparison.Ordinal) ? 160 : 40).Select(i => $"def function_{i}(value): return value * {i}  # {path} line {i}\n")),
        "read_file", "Reads a source file; big*.py are four times as long.");

    [Fact]
    public async Task AnthropicsChatClient_IsWarned_SavesToMemory_HasOldResultsCleared_AndResumesFromMemory()
    {
        await using var harness = await AgentHarness.StartAsync(Script);
        var events = new List<ContextEditingChatEvent>();
        using var chat = new ChatClientBuilder(harness.Client.AsIChatClient(AgentHarness.Model, 1024))
            .UseMnemoMemory(harness.Store)
            .UseFunctionInvocation()
            .UseContextEditing(Config, o => o.OnEvent = events.Add)
            .Build();
        var options = new ChatOptions { Tools = [ReadFile()] };

        var review = await chat.GetResponseAsync("Review all files, one at a time.", options, Ct);
        var resumed = await chat.GetResponseAsync("What was reviewed?", options, Ct);

        review.Text.ShouldEndWith("Reviewed all five.");
        resumed.Text.ShouldBe("a.py, b.py and c.py, as my memory says.");
        File.ReadAllText(Path.Combine(harness.MemoryFolder, "progress.md")).ShouldBe("Reviewed: a.py, b.py, c.py\n");

        var warning = events.OfType<ChatContextWarningEvent>().ShouldHaveSingleItem();
        warning.TriggerRatio.ShouldBeGreaterThanOrEqualTo(0.8);
        var preserved = events.OfType<ChatPreservationEvent>().ShouldHaveSingleItem();
        (preserved.WarnedAtRequest, preserved.MemoryWrites, preserved.Outcome).ShouldBe((warning.Request, 1, "preserved"));
        preserved.Request.ShouldBeGreaterThan(warning.Request);

        // What the model was sent: the warning from its call on, at its place, and the old results cleared.
        var sent = harness.Emulator.Exchanges.Select(e => e.Request!.Value.GetRawText()).ToList();
        sent.Take(warning.Request - 1).ShouldAllBe(body => !body.Contains("[context notice]", StringComparison.Ordinal));
        sent.Skip(warning.Request - 1).Take(3).ShouldAllBe(body => body.Contains("[context notice]", StringComparison.Ordinal));
        sent[preserved.Request - 1].ShouldContain("[cleared: this tool result was removed to save context]");
        sent[preserved.Request - 1].ShouldNotContain("a.py line 40");
        sent[preserved.Request - 1].ShouldContain("Reviewed: a.py, b.py, c.py", Case.Sensitive, "a memory call is never cleared");
    }

    [Fact]
    public async Task WithRecords_EachConversationKeepsASessionRecord_WhoseFiguresAreTheCalls_AndNoContent()
    {
        await using var harness = await AgentHarness.StartAsync(Script);
        using var temp = new TempDirectory();
        var records = new Mnemo.Sessions.FolderSessionRecords(temp.Combine("sessions"));
        using var chat = new ChatClientBuilder(harness.Client.AsIChatClient(AgentHarness.Model, 1024))
            .UseMnemoMemory(harness.Store)
            .UseFunctionInvocation()
            .UseContextEditing(Config, o =>
            {
                o.Records = records;
                o.RecordInfo = new Mnemo.Sessions.SessionInfo { Agent = "chat-reviewer", Store = "local" };
            })
            .Build();
        var options = new ChatOptions { Tools = [ReadFile()] };

        var review = await chat.GetResponseAsync("Review all files, one at a time.", options, Ct);
        var resumed = await chat.GetResponseAsync("What was reviewed?", options, Ct);

        var sessions = await records.ListAsync(Ct);
        sessions.Count.ShouldBe(2, "a record per conversation");
        var first = sessions.Single(s => s.Warnings > 0);
        first.Agent.ShouldBe("chat-reviewer");
        first.Requests.ShouldBe(harness.Emulator.Exchanges.Count - sessions.Single(s => s != first).Requests);
        first.InputTokens.ShouldBe(review.Usage!.InputTokenCount!.Value);
        first.OutputTokens.ShouldBe(review.Usage.OutputTokenCount!.Value);
        (first.Preserved, first.NotPreserved, first.NotWarned).ShouldBe((1, 0, 0));
        first.Clearings.ShouldBeGreaterThan(0);
        first.SavedTokens.ShouldBeGreaterThan(0);
        first.MemoryWrites.ShouldBe(1);
        first.Files.ShouldContain(file => file.Path == "/memories/progress.md" && file.Writes == 1 && file.Bytes == "Reviewed: a.py, b.py, c.py\n".Length);
        first.ToolCalls.ShouldBe(6, "five reads and the save");
        sessions.Single(s => s != first).Files.ShouldContain(file => file.Path == "/memories/progress.md" && file.Reads == 1);
        resumed.Text.ShouldBe("a.py, b.py and c.py, as my memory says.");

        foreach (var file in Directory.GetFiles(temp.Combine("sessions")))
        {
            var text = await File.ReadAllTextAsync(file, Ct);
            text.ShouldNotContain("Reviewed: a.py", Case.Sensitive, "no memory content");
            text.ShouldNotContain("def function_", Case.Sensitive, "no tool result");
        }
    }

    [Fact]
    public async Task FromTheServiceContainer_ThePipelineIsBuiltFromRegisteredMemoryAndEditing_AndBehavesTheSame()
    {
        await using var harness = await AgentHarness.StartAsync(Script);
        var events = new List<ContextEditingChatEvent>();
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        services.AddMnemoMemory().WithFileSystemStore(harness.MemoryFolder).WithActor("reviewer");
        using var records = new TempDirectory();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mnemo:ContextEditing:SessionRecords"] = records.Path,
            ["Mnemo:ContextEditing:Agent"] = "configured-reviewer",
        }).Build();
        services.AddMnemoContextEditing(configuration, o => (o.Trigger, o.Keep, o.ClearAtLeast) = (2000, 1, 1));
        services.AddFakeLogging();
        services.AddChatClient(harness.Client.AsIChatClient(AgentHarness.Model, 1024))
            .UseMnemoMemory()
            .UseFunctionInvocation()
            .UseContextEditing(events.Add);
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<Microsoft.Extensions.Options.IAsyncStartupValidator>().ValidateAsync(Ct);
        var chat = provider.GetRequiredService<IChatClient>();
        var options = new ChatOptions { Tools = [ReadFile()] };

        (await chat.GetResponseAsync("Review all files, one at a time.", options, Ct)).Text.ShouldEndWith("Reviewed all five.");
        (await chat.GetResponseAsync("What was reviewed?", options, Ct)).Text.ShouldBe("a.py, b.py and c.py, as my memory says.");

        events.OfType<ChatPreservationEvent>().ShouldHaveSingleItem().Outcome.ShouldBe("preserved");

        // The application's logging has each step, with the events' figures and nothing of what was read or saved.
        var lines = provider.GetFakeLogCollector().GetSnapshot().Where(line => line.Category == "Mnemo.Context").ToList();
        lines.Select(line => line.Id.Id).ShouldBe(events.Select(e => e switch { ChatContextWarningEvent => 5001, ChatContextEditEvent => 5002, _ => 5003 }), ignoreOrder: false);
        lines.Select(line => line.Id.Id).Distinct().ShouldBe([5001, 5002, 5003]);
        lines[0].Message.ShouldContain($"Call {events.OfType<ChatContextWarningEvent>().Single().Request} warned the model to save");
        lines.Single(line => line.Id.Id == 5003).Message.ShouldEndWith("preserved, 1 memory writes after the warning");
        lines.ShouldAllBe(line => !line.Message.Contains("def function_") && !line.Message.Contains("Reviewed: a.py"));
        (await new MemoryAdmin(provider.GetRequiredService<IMemoryStore>()).HistoryAsync(cancellationToken: Ct)).Single().Actor.ShouldBe("reviewer");

        // The configuration's records folder holds a record per conversation, under the configured agent's name.
        var sessions = await new Mnemo.Sessions.FolderSessionRecords(records.Path).ListAsync(Ct);
        sessions.Count.ShouldBe(2);
        sessions.ShouldAllBe(session => session.Agent == "configured-reviewer");
        sessions.Sum(session => session.Preserved).ShouldBe(1);
    }

    [Fact]
    public async Task AReadThatJumpsPastTheTrigger_GoesOutUnedited_WithTheWarning_AndTheClearingWaitsForTheSave()
    {
        await using var harness = await AgentHarness.StartAsync("""
            conversations:
              - match: "review"
                turns:
                  - tool_use: {name: read_file, input: {path: a.py}}
                  - tool_use: {name: read_file, input: {path: big.py}}
                  - tool_use: {name: read_file, input: {path: c.py}}
                  - Done.
            rules:
              - match: "context notice"
                reply: {tool_use: {name: memory, input: {command: create, path: /memories/big.md, file_text: "big.py: 160 functions\n"}}}
            """);
        var events = new List<ContextEditingChatEvent>();
        using var chat = new ChatClientBuilder(harness.Client.AsIChatClient(AgentHarness.Model, 1024))
            .UseMnemoMemory(harness.Store).UseFunctionInvocation().UseContextEditing(Config, o => o.OnEvent = events.Add).Build();

        (await chat.GetResponseAsync("Review the files.", new ChatOptions { Tools = [ReadFile()] }, Ct)).Text.ShouldBe("Done.");

        var warning = events.OfType<ChatContextWarningEvent>().ShouldHaveSingleItem();
        (warning.Request, warning.HoldsBackClearing).ShouldBe((3, true), string.Join("; ", events));
        warning.TriggerRatio.ShouldBeGreaterThan(1);
        events.OfType<ChatContextEditEvent>().ShouldAllBe(e => e.Request > warning.Request, "the warned call clears nothing");
        var preserved = events.OfType<ChatPreservationEvent>().ShouldHaveSingleItem();
        (preserved.Request, preserved.Outcome).ShouldBe((4, "preserved"));
        harness.Emulator.Exchanges[2].Request!.Value.GetRawText().ShouldContain("big.py line 160", Case.Sensitive, "the warned call went out whole");
    }

    [Fact]
    public async Task OpenAIsChatClient_IsWarned_AndClearedTheSameWay()
    {
        using var temp = new TempDirectory();
        using var store = new FileSystemMemoryStore(temp.Combine("memories"));
        List<string> replies = [.. "abcde".Select(c => OpenAILoopback.ToolCall($"call_{c}", "read_file", $$"""{"path":"{{c}}.py"}"""))];
        // The scripted model saves in answer to the call that carries the warning (the third: this client's messages
        // count more tokens than the Anthropic client's, tool calls being JSON text).
        replies.Insert(2, OpenAILoopback.ToolCall("call_save", "memory", """{"command":"create","path":"/memories/progress.md","file_text":"Reviewed: a.py, b.py\n"}"""));
        replies.Add(OpenAILoopback.Text("Reviewed all five."));
        replies.Add(OpenAILoopback.ToolCall("call_view", "memory", """{"command":"view","path":"/memories/progress.md"}"""));
        replies.Add(OpenAILoopback.Text("a.py and b.py."));
        await using var endpoint = await OpenAILoopback.StartAsync(replies);
        var openAI = new OpenAI.Chat.ChatClient("gpt-4.1", new System.ClientModel.ApiKeyCredential("test-key"),
            new OpenAI.OpenAIClientOptions { Endpoint = endpoint.BaseAddress, RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0) });
        var events = new List<ContextEditingChatEvent>();
        using var chat = new ChatClientBuilder(openAI.AsIChatClient()).UseMnemoMemory(store).UseFunctionInvocation()
            .UseContextEditing(Config, o => o.OnEvent = events.Add).Build();
        var options = new ChatOptions { Tools = [ReadFile()] };

        (await chat.GetResponseAsync("Review all files.", options, Ct)).Text.ShouldBe("Reviewed all five.");
        (await chat.GetResponseAsync("What was reviewed?", options, Ct)).Text.ShouldBe("a.py and b.py.");

        var warning = events.OfType<ChatContextWarningEvent>().ShouldHaveSingleItem();
        warning.Request.ShouldBe(3, string.Join("; ", events));
        var preserved = events.OfType<ChatPreservationEvent>().ShouldHaveSingleItem();
        (preserved.WarnedAtRequest, preserved.MemoryWrites, preserved.Outcome).ShouldBe((3, 1, "preserved"), string.Join("; ", events));
        var cleared = endpoint.Requests[preserved.Request - 1].GetRawText();
        cleared.ShouldContain("[cleared: this tool result was removed to save context]");
        endpoint.Requests[warning.Request - 1].GetRawText().ShouldContain("[context notice]");
        File.ReadAllText(temp.Combine("memories", "progress.md")).ShouldBe("Reviewed: a.py, b.py\n");
    }

    [Fact]
    public void AConfigurationIsRequired_AndABadRatioRefused_NamingTheOption()
    {
        using var inner = new ChatClientBuilder(new OpenAI.Chat.ChatClient("gpt-4.1", "unused").AsIChatClient()).Build();

        Should.Throw<ArgumentException>(() => new ContextEditingChatClient(inner, new ContextEditingChatClientOptions())).Message
            .ShouldStartWith("ContextEditingChatClientOptions.Config is required");
        Should.Throw<ArgumentException>(() => new ContextEditingChatClient(inner, new ContextEditingChatClientOptions { Config = Config, WarningRatio = 1.5 })).Message
            .ShouldStartWith("ContextEditingChatClientOptions.WarningRatio must be above 0 and at most 1");
    }
}
