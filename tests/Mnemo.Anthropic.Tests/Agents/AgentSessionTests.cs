using System.Text.Json;
using Anthropic.Helpers.Beta;
using Anthropic.Models.Beta.Messages;
using Mnemo.Anthropic.Agents;
using Mnemo.Context;
using Mnemo.Memory;
using Mnemo.Tests;

namespace Mnemo.Anthropic.Tests.Agents;

/// <summary>The tool loop through the official SDK against the emulator: memory, events, bad model output, cancellation.</summary>
public sealed class AgentSessionTests
{
    private const string CheckMemoryScript = """
        conversations:
          - name: check
            match: "what do you know"
            turns:
              - text: Checking my memory first.
                tool_use: {name: memory, input: {command: view, path: /memories}}
              - I know nothing yet.
        """;

    [Fact]
    public async Task RunAsync_ToolCallThenAnswer_RunsTheMemoryCallAndEndsWithTheAnswer()
    {
        await using var harness = await AgentHarness.StartAsync(CheckMemoryScript);
        var session = harness.Session();

        var result = await session.RunAsync("What do you know?", TestContext.Current.CancellationToken);

        result.StopCause.ShouldBe(AgentStopCause.Completed);
        result.Text.ShouldBe("I know nothing yet.");
        result.Turns.ShouldBe(2);
        session.Messages.Count.ShouldBe(4);
        var view = harness.Of<AgentToolResultEvent>().Single();
        view.Name.ShouldBe("memory");
        view.IsError.ShouldBeFalse();
        view.Content.ShouldStartWith("Here're the files and directories up to 2 levels deep in /memories");
        harness.Events.Select(e => e.GetType().Name).ShouldBe(
        [
            nameof(AgentRequestEvent), nameof(AgentResponseEvent), nameof(AgentToolCallEvent), nameof(AgentToolResultEvent),
            nameof(AgentRequestEvent), nameof(AgentResponseEvent), nameof(AgentRunEndEvent),
        ]);
    }

    [Fact]
    public async Task RunAsync_WithMemory_SendsTheMemoryToolItsBetaAndTheProtocol()
    {
        await using var harness = await AgentHarness.StartAsync(CheckMemoryScript);
        await harness.Session(o => o.SystemPrompt = "You review code.").RunAsync("What do you know?", TestContext.Current.CancellationToken);

        var first = harness.Emulator.Exchanges[0];
        first.Betas.ShouldContain(AgentSession.ContextManagementBeta);
        var body = first.Request!.Value;
        body.GetProperty("tools")[0].GetProperty("type").GetString().ShouldBe("memory_20250818");
        var system = body.GetProperty("system").GetString()!;
        system.ShouldStartWith("You review code.");
        system.ShouldContain("Before anything else, view /memories");
        body.TryGetProperty("thread", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task RunAsync_ProtocolReplacedOrTurnedOff_SendsWhatWasAsked()
    {
        await using var harness = await AgentHarness.StartAsync(CheckMemoryScript);
        var ct = TestContext.Current.CancellationToken;
        await harness.Session(o => o.MemoryProtocol = "Our own protocol.").RunAsync("What do you know?", ct);
        await harness.Session(o => (o.SystemPrompt, o.MemoryProtocol) = ("Role only.", null)).RunAsync("What do you know?", ct);

        harness.Emulator.Exchanges[0].Request!.Value.GetProperty("system").GetString().ShouldBe("Our own protocol.");
        harness.Emulator.Exchanges[2].Request!.Value.GetProperty("system").GetString().ShouldBe("Role only.");
    }

    [Fact]
    public async Task RunAsync_TwoSessionsOverOneStore_TheSecondFindsWhatTheFirstSaved()
    {
        await using var harness = await AgentHarness.StartAsync("""
            conversations:
              - name: learn
                match: "first review"
                turns:
                  - tool_use:
                      name: memory
                      input: {command: create, path: /memories/patterns/lost-update.md, file_text: "Lock the read-modify-write of shared counters.\n"}
                  - Saved the pattern.
              - name: apply
                match: "second review"
                turns:
                  - tool_use: {name: memory, input: {command: view, path: /memories/patterns/lost-update.md}}
                  - Applying the stored pattern.
            """);
        var ct = TestContext.Current.CancellationToken;

        await harness.Session().RunAsync("First review: the scraper.", ct);
        harness.Events.Clear();
        var second = await harness.Session().RunAsync("Second review: the async fetcher.", ct);

        second.Completed.ShouldBeTrue();
        harness.Of<AgentToolResultEvent>().Single().Content.ShouldBe(
            "Here's the content of /memories/patterns/lost-update.md with line numbers:\n     1\tLock the read-modify-write of shared counters.\n     2\t");
        File.ReadAllText(Path.Combine(harness.MemoryFolder, "patterns", "lost-update.md")).ShouldBe("Lock the read-modify-write of shared counters.\n");
    }

    [Fact]
    public async Task RunTurnAsync_OneRequestAtATime_StopsAfterEachAndGoesOnFromThere()
    {
        await using var harness = await AgentHarness.StartAsync(CheckMemoryScript);
        var session = harness.Session();
        var ct = TestContext.Current.CancellationToken;
        session.AddUserMessage("What do you know?");

        var first = await session.RunTurnAsync(ct);
        first.IsFinal.ShouldBeFalse();
        first.ToolCalls.ShouldBe(1);
        session.Messages.Count.ShouldBe(3);

        var second = await session.RunTurnAsync(ct);
        second.IsFinal.ShouldBeTrue();
        second.Text.ShouldBe("I know nothing yet.");
        await Should.ThrowAsync<InvalidOperationException>(() => session.RunTurnAsync(ct));
    }

    [Fact]
    public async Task AddMessages_ASavedConversation_GoesOnFromWhereItWas()
    {
        await using var harness = await AgentHarness.StartAsync(CheckMemoryScript);
        var ct = TestContext.Current.CancellationToken;
        var first = harness.Session();
        first.AddUserMessage("What do you know?");
        await first.RunTurnAsync(ct);
        var saved = JsonSerializer.Serialize(first.Messages);

        var resumed = harness.Session();
        resumed.AddMessages(JsonSerializer.Deserialize<List<BetaMessageParam>>(saved)!);
        var result = await resumed.RunAsync(ct);

        result.Text.ShouldBe("I know nothing yet.");
        resumed.Messages.Count.ShouldBe(4);
        var bad = JsonSerializer.Deserialize<BetaMessageParam>("""{"role":"user","content":7}""")!;
        Should.Throw<ArgumentException>(() => resumed.AddMessages([bad])).Message.ShouldStartWith("Message 0: ");
        resumed.Messages.Count.ShouldBe(4);
    }

    [Fact]
    public async Task RunTurnAsync_WhileAnotherRuns_Throws()
    {
        await using var harness = await AgentHarness.StartAsync("""
            turns:
              - {text: slow, delay_ms: 500}
            """);
        var session = harness.Session();
        session.AddUserMessage("hi");
        var ct = TestContext.Current.CancellationToken;

        var running = session.RunTurnAsync(ct);
        var error = await Should.ThrowAsync<InvalidOperationException>(() => session.RunTurnAsync(ct));
        error.Message.ShouldContain("one request at a time");
        (await running).Text.ShouldBe("slow");
    }

    [Fact]
    public async Task RunAsync_Streaming_RaisesTheTextAsItArrives()
    {
        await using var harness = await AgentHarness.StartAsync("""
            turns:
              - tool_use: {name: memory, input: {command: view, path: /memories}}
              - "The lock is missing around the counter update, so two threads can both read 4 and both write 5."
            """);
        var result = await harness.Session(o => o.Streaming = true).RunAsync("Review.", TestContext.Current.CancellationToken);

        var deltas = harness.Of<AgentTextDeltaEvent>().ToList();
        deltas.Count.ShouldBeGreaterThan(1);
        string.Concat(deltas.Select(d => d.Text)).ShouldBe(result.Text);
        result.Text.ShouldStartWith("The lock is missing");
        harness.Emulator.Exchanges.ShouldAllBe(exchange => exchange.Request!.Value.GetProperty("stream").GetBoolean());
    }

    [Fact]
    public async Task RunAsync_UnknownTool_AnswersWithAnErrorNamingTheToolsAndGoesOn()
    {
        await using var harness = await AgentHarness.StartAsync("""
            turns:
              - tool_use: {name: run_shell, input: {cmd: "rm -rf /"}}
              - Understood, no shell.
            """);
        var result = await harness.Session(o => o.Tools.Add(AgentHarness.ReadFile())).RunAsync("Go.", TestContext.Current.CancellationToken);

        result.Completed.ShouldBeTrue();
        var error = harness.Of<AgentToolResultEvent>().Single();
        error.IsError.ShouldBeTrue();
        error.Content.ShouldBe("Error: there is no tool named 'run_shell'; the tools are: memory, read_file.");
        harness.Emulator.Exchanges[1].Request!.Value.GetProperty("messages")[2].GetProperty("content")[0].GetProperty("is_error").GetBoolean().ShouldBeTrue();
    }

    [Fact]
    public async Task RunAsync_MalformedMemoryInput_AnswersWithAOneLineErrorAndGoesOn()
    {
        await using var harness = await AgentHarness.StartAsync("""
            turns:
              - tool_use: {name: memory, input: {command: create, path: /memories/a.md}}
              - tool_use: {name: memory, input: {command: view, path: "/memories/../../etc/passwd"}}
              - Done.
            """);
        var result = await harness.Session().RunAsync("Go.", TestContext.Current.CancellationToken);

        result.Completed.ShouldBeTrue();
        var errors = harness.Of<AgentToolResultEvent>().ToList();
        errors.ShouldAllBe(e => e.IsError && !e.Content.Contains('\n') && e.Exception == null);
        errors[0].Content.ShouldContain("file_text");
        errors[1].Content.ShouldNotContain(harness.MemoryFolder);
        Directory.EnumerateFileSystemEntries(harness.MemoryFolder).Where(path => !path.EndsWith("/.mnemo", StringComparison.Ordinal)).ShouldBeEmpty();
    }

    [Fact]
    public async Task RunAsync_ToolThrows_TheModelSeesAGenericErrorAndTheHostTheException()
    {
        await using var harness = await AgentHarness.StartAsync("""
            turns:
              - tool_use: {name: read_file, input: {path: a.py}}
              - Could not read it.
            """);
        var failing = new BetaRunnableTool
        {
            Name = "read_file",
            Definition = AgentHarness.Definition("read_file", "Reads a file."),
            Run = (_, _) => throw new IOException("Access to /home/secret/a.py is denied."),
        };

        var result = await harness.Session(o => o.Tools.Add(failing)).RunAsync("Go.", TestContext.Current.CancellationToken);

        result.Completed.ShouldBeTrue();
        var error = harness.Of<AgentToolResultEvent>().Single();
        error.Content.ShouldBe("Error: the read_file tool failed unexpectedly; the details are in the host's log.");
        error.Exception.ShouldBeOfType<IOException>();
        harness.Emulator.Exchanges[1].Request!.Value.GetRawText().ShouldNotContain("/home/secret");
    }

    [Fact]
    public async Task RunAsync_Refusal_StopsWithAClearMessage()
    {
        await using var harness = await AgentHarness.StartAsync("""
            turns:
              - {text: "I can't help with that.", stop_reason: refusal}
            """);
        var result = await harness.Session().RunAsync("Do something bad.", TestContext.Current.CancellationToken);

        result.StopCause.ShouldBe(AgentStopCause.Refusal);
        result.Completed.ShouldBeFalse();
        result.Message.ShouldBe("The model declined to continue (stop_reason: refusal).");
    }

    [Fact]
    public async Task RunAsync_ToolCallCutOffByMaxTokens_AnswersItUnrunAndStopsAndTheConversationCanGoOn()
    {
        await using var harness = await AgentHarness.StartAsync("""
            conversations:
              - match: "save it"
                turns:
                  - text: "I will save a long note."
                    tool_use:
                      name: memory
                      input: {command: create, path: /memories/long.md, file_text: "a very long note that does not fit in the few tokens this response may have, so the call is cut off before its input is complete"}
                  - Saved nothing; will retry with a shorter note.
            """);
        var session = harness.Session(o => o.MaxTokens = 30);
        var ct = TestContext.Current.CancellationToken;

        var cut = await session.RunAsync("Save it.", ct);

        cut.StopCause.ShouldBe(AgentStopCause.MaxTokens);
        cut.Message.ShouldBe("The response was cut off at max_tokens (30); raise MaxTokens to let the model finish, then run again.");
        var answer = harness.Of<AgentToolResultEvent>().Single();
        answer.IsError.ShouldBeTrue();
        answer.Content.ShouldContain("cut off by max_tokens");
        File.Exists(Path.Combine(harness.MemoryFolder, "long.md")).ShouldBeFalse();

        // The conversation is whole: every call has its result, and the emulator takes it.
        (await session.RunAsync(ct)).StopCause.ShouldBe(AgentStopCause.Completed);
    }

    [Fact]
    public async Task RunAsync_MaxTurns_StopsWithTheModelStillCallingTools()
    {
        await using var harness = await AgentHarness.StartAsync("""
            turns:
              - tool_use: {name: memory, input: {command: view, path: /memories}}
              - tool_use: {name: memory, input: {command: view, path: /memories}}
              - tool_use: {name: memory, input: {command: view, path: /memories}}
              - Done.
            """);
        var session = harness.Session(o => o.MaxTurns = 2);
        var ct = TestContext.Current.CancellationToken;

        var result = await session.RunAsync("Go.", ct);

        result.StopCause.ShouldBe(AgentStopCause.MaxTurns);
        result.Turns.ShouldBe(2);
        result.Message!.ShouldContain("after 2 requests");
        (await session.RunAsync(ct)).Text.ShouldBe("Done.");
    }

    [Fact]
    public async Task RunAsync_CancelledDuringATool_StopsCleanlyAndTheConversationCanGoOn()
    {
        await using var harness = await AgentHarness.StartAsync("""
            turns:
              - tool_use:
                  - {name: slow, input: {path: a.py}}
                  - {name: memory, input: {command: view, path: /memories}}
              - Finished after all.
            """);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var started = new TaskCompletionSource();
        var slow = new BetaRunnableTool
        {
            Name = "slow",
            Definition = AgentHarness.Definition("slow", "Takes its time."),
            Run = async (_, ct) =>
            {
                started.SetResult();
                await Task.Delay(Timeout.Infinite, ct);
                return "never";
            },
        };
        var session = harness.Session(o => o.Tools.Add(slow));

        var run = session.RunAsync("Go.", cancellation.Token);
        await started.Task;
        await cancellation.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(() => run);

        var last = JsonSerializer.SerializeToElement(session.Messages[^1]);
        last.GetProperty("role").GetString().ShouldBe("user");
        var results = last.GetProperty("content").EnumerateArray().ToList();
        results.Count.ShouldBe(2);
        results.ShouldAllBe(r => r.GetProperty("is_error").GetBoolean());
        (await session.RunAsync(TestContext.Current.CancellationToken)).Text.ShouldBe("Finished after all.");
    }

    [Fact]
    public async Task RunAsync_CancelledWhileWaitingForTheApi_LeavesTheConversationAsItWas()
    {
        await using var harness = await AgentHarness.StartAsync("""
            conversations:
              - match: "slow"
                turns:
                  - {text: "Late answer.", delay_ms: 5000}
            """);
        var session = harness.Session();
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        session.AddUserMessage("A slow question.");

        var run = session.RunAsync(cancellation.Token);
        await Eventually.WaitUntilAsync(() => harness.Events.Count > 0, "the request to be on its way", TestContext.Current.CancellationToken);
        Should.Throw<InvalidOperationException>(() => session.AddUserMessage("more")).Message.ShouldContain("A run is under way");
        await cancellation.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(() => run);

        session.Messages.Count.ShouldBe(1);
        session.AddUserMessage("Still there?");
        session.Messages.Count.ShouldBe(2);
    }

    [Fact]
    public async Task RunAsync_EventHandlerThrows_StopsTheRunAndTheConversationCanGoOn()
    {
        await using var harness = await AgentHarness.StartAsync("""
            turns:
              - tool_use:
                  - {name: memory, input: {command: create, path: /memories/a.md, file_text: "a\n"}}
                  - {name: memory, input: {command: create, path: /memories/b.md, file_text: "b\n"}}
              - Done.
            """);
        var fail = true;
        var session = harness.Session(o => o.OnEvent = e =>
        {
            if (fail && e is AgentToolResultEvent)
            {
                throw new InvalidOperationException("the console broke");
            }
        });
        var ct = TestContext.Current.CancellationToken;

        (await Should.ThrowAsync<InvalidOperationException>(() => session.RunAsync("Go.", ct))).Message.ShouldBe("the console broke");

        var results = JsonSerializer.SerializeToElement(session.Messages[^1]).GetProperty("content").EnumerateArray().ToList();
        results.Count.ShouldBe(2);
        results[0].TryGetProperty("is_error", out _).ShouldBeFalse();
        results[1].GetProperty("content").GetString().ShouldBe("Error: the run stopped before this call ran.");
        fail = false;
        (await session.RunAsync(ct)).Text.ShouldBe("Done.");
    }

    [Fact]
    public void Constructor_BadOptions_ThrowsNamingTheOptionBeforeAnythingIsSent()
    {
        using var client = new global::Anthropic.AnthropicClient(new global::Anthropic.Core.ClientOptions { ApiKey = "k", BaseUrl = "http://127.0.0.1:9" });
        AgentSession Make(Action<AgentSessionOptions> configure)
        {
            var options = new AgentSessionOptions { Model = AgentHarness.Model };
            configure(options);
            return new AgentSession(client, options);
        }

        Should.Throw<ArgumentException>(() => Make(o => o.Model = "")).Message.ShouldStartWith("AgentSessionOptions.Model is required");
        Should.Throw<ArgumentException>(() => Make(o => o.WarningRatio = 1.5)).Message.ShouldStartWith("AgentSessionOptions.WarningRatio");
        Should.Throw<ArgumentException>(() => Make(o => o.ThinkingBudgetTokens = 500)).Message.ShouldStartWith("AgentSessionOptions.ThinkingBudgetTokens");
        Should.Throw<ArgumentException>(() => Make(o =>
        {
            o.Tools.Add(AgentHarness.ReadFile());
            o.Tools.Add(AgentHarness.ReadFile());
        })).Message.ShouldContain("two tools are named 'read_file'");
        Should.Throw<ArgumentException>(() => Make(o => o.ContextManagement = ContextManagementConfig.Parse(
            """{"edits":[{"type":"clear_thinking_20251015"}]}""")))
            .Message.ShouldStartWith("AgentSessionOptions.ContextManagement: `clear_thinking_20251015` strategy requires `thinking` to be enabled or adaptive");
    }

    [Fact]
    public void ContextManagement_MemoryIsExcludedUnlessClearingItIsAllowed()
    {
        using var client = new global::Anthropic.AnthropicClient(new global::Anthropic.Core.ClientOptions { ApiKey = "k", BaseUrl = "http://127.0.0.1:9" });
        var config = ContextManagementConfig.Parse("""{"edits":[{"type":"clear_tool_uses_20250919","exclude_tools":["web_search"]}]}""");

        var guarded = new AgentSession(client, new AgentSessionOptions { Model = AgentHarness.Model, ContextManagement = config });
        var open = new AgentSession(client, new AgentSessionOptions { Model = AgentHarness.Model, ContextManagement = config, ClearMemoryToolUses = true });

        guarded.ContextManagement!.Edits.OfType<ClearToolUsesEdit>().Single().ExcludeTools.ShouldBe(["web_search", "memory"]);
        open.ContextManagement!.Edits.OfType<ClearToolUsesEdit>().Single().ExcludeTools.ShouldBe(["web_search"]);
    }

    [Fact]
    public async Task MemoryTool_FromOptions_IsTheOneThatRuns()
    {
        await using var harness = await AgentHarness.StartAsync("""
            turns:
              - tool_use: {name: memory, input: {command: create, path: /memories/x.md, file_text: "x\n"}}
              - ok
            """);
        var session = harness.Session();
        session.ToolNames.ShouldBe(["memory"]);
        await session.RunAsync("Go.", TestContext.Current.CancellationToken);
        (await new MemoryTool(harness.Store).ExecuteAsync("""{"command":"view","path":"/memories/x.md"}""", TestContext.Current.CancellationToken))
            .Content.ShouldContain("1\tx");
    }
}
