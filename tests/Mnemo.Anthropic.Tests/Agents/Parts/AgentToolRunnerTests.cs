using System.Text.Json;
using Anthropic.Helpers.Beta;
using Anthropic.Models.Beta.Messages;
using Mnemo.Anthropic.Agents;

namespace Mnemo.Anthropic.Tests.Agents.Parts;

/// <summary>The tool runner at its own level: every call answered in order, whatever happens to the run.</summary>
public sealed class AgentToolRunnerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static BetaToolUseBlock Call(string id, string name, string input = """{"path":"a.py"}""") =>
        JsonSerializer.Deserialize<BetaToolUseBlock>($$"""{"type":"tool_use","id":"{{id}}","name":"{{name}}","input":{{input}}}""")!;

    private static IBetaRunnableTool Tool(string name, Func<BetaToolUseBlock, CancellationToken, Task<BetaToolResultBlockParamContent>> run) =>
        new BetaRunnableTool { Name = name, Definition = AgentHarness.Definition(name, name), Run = run };

    private static (AgentToolRunner Runner, AgentConversation Conversation, List<AgentEvent> Events) Runner(params IBetaRunnableTool[] tools)
    {
        var events = new List<AgentEvent>();
        var byName = tools.ToDictionary(tool => tool.Name, StringComparer.Ordinal);
        return (new AgentToolRunner(byName, TimeProvider.System, events.Add), new AgentConversation(), events);
    }

    private static List<(string Id, string Text, bool IsError)> Results(AgentConversation conversation) =>
        [.. conversation.Messages[^1].Json.GetProperty("content").EnumerateArray().Select(block => (
            block.GetProperty("tool_use_id").GetString()!,
            block.GetProperty("content").GetString()!,
            block.TryGetProperty("is_error", out var error) && error.GetBoolean()))];

    [Fact]
    public async Task RunAsync_EveryKindOfOutcome_IsOneResultEachInTheCallsOrder()
    {
        var (runner, conversation, events) = Runner(
            Tool("read_file", (_, _) => Task.FromResult<BetaToolResultBlockParamContent>("text")),
            Tool("refuse", (_, _) => throw new BetaToolError("Error: no")),
            Tool("crash", (_, _) => throw new InvalidOperationException("at /host/path")));

        await runner.RunAsync(3, [Call("a", "read_file"), Call("b", "refuse"), Call("c", "crash"), Call("d", "nothing"), Call("e", "read_file")], cutId: "e", conversation, Ct);

        Results(conversation).ShouldBe([
            ("a", "text", false),
            ("b", "Error: no", true),
            ("c", "Error: the crash tool failed unexpectedly; the details are in the host's log.", true),
            ("d", "Error: there is no tool named 'nothing'; the tools are: crash, read_file, refuse.", true),
            ("e", "Error: this call was cut off by max_tokens before its input was complete, so it was not run.", true),
        ]);
        events.OfType<AgentToolResultEvent>().Single(e => e.Id == "c").Exception.ShouldBeOfType<InvalidOperationException>();
        events.Select(e => e.Request).Distinct().ShouldBe([3]);
    }

    [Fact]
    public async Task RunAsync_CancelledPartWay_AnswersTheCallsNotRun_AndRethrows()
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var (runner, conversation, _) = Runner(
            Tool("slow", async (_, token) =>
            {
                await cancel.CancelAsync();
                token.ThrowIfCancellationRequested();
                return "never";
            }));

        await Should.ThrowAsync<OperationCanceledException>(() => runner.RunAsync(1, [Call("a", "slow"), Call("b", "slow")], null, conversation, cancel.Token));

        Results(conversation).ShouldBe([
            ("a", "Error: the run was cancelled before this call ran.", true),
            ("b", "Error: the run was cancelled before this call ran.", true),
        ]);
    }

    [Fact]
    public async Task RunAsync_MemoryCalls_NameTheirCommand_AndOnlySuccessfulWritesCountAsWrites()
    {
        var (runner, conversation, events) = Runner(
            Tool("memory", (call, _) => call.Input["path"].GetString() == "/memories/bad"
                ? throw new BetaToolError("Error: bad")
                : Task.FromResult<BetaToolResultBlockParamContent>("ok")));

        await runner.RunAsync(1, [
            Call("a", "memory", """{"command":"view","path":"/memories"}"""),
            Call("b", "memory", """{"command":"create","path":"/memories/x","file_text":"x"}"""),
            Call("c", "memory", """{"command":"create","path":"/memories/bad","file_text":"x"}"""),
        ], null, conversation, Ct);

        events.OfType<AgentToolResultEvent>().Select(e => (e.MemoryCommand, e.IsMemoryWrite)).ShouldBe([("view", false), ("create", true), ("create", false)]);
    }
}
