using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Mnemo.AgentFramework;
using Mnemo.Anthropic.Tests.Agents;
using Mnemo.Context;
using Mnemo.Memory;

namespace Mnemo.Anthropic.Tests.ChatClients;

/// <summary>A Microsoft Agent Framework agent (<see cref="ChatClientAgent"/>) with Mnemo, against the emulator through
/// Anthropic's IChatClient: memory through the framework's context provider, context editing and the warning through
/// the agent's chat client; one session saves and has old results cleared, the next picks up from memory.</summary>
public sealed class AgentFrameworkTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnAgent_IsWarned_SavesToMemory_HasOldResultsCleared_AndANewSessionResumesFromMemory()
    {
        await using var harness = await AgentHarness.StartAsync(ContextEditingChatClientTests.Script);
        var events = new List<ContextEditingChatEvent>();
        var agent = harness.Client.AsIChatClient(AgentHarness.Model, 1024).AsMnemoAgent(
            new MemoryTool(harness.Store), ContextEditingChatClientTests.Config,
            new ChatClientAgentOptions { Name = "reviewer", ChatOptions = new ChatOptions { Instructions = "You review code.", Tools = [ContextEditingChatClientTests.ReadFile()] } },
            o => o.OnEvent = events.Add);

        var review = await agent.RunAsync("Review all files, one at a time.", await agent.CreateSessionAsync(Ct), cancellationToken: Ct);
        var resumed = await agent.RunAsync("What was reviewed?", await agent.CreateSessionAsync(Ct), cancellationToken: Ct);

        review.Text.ShouldEndWith("Reviewed all five.");
        resumed.Text.ShouldBe("a.py, b.py and c.py, as my memory says.");
        File.ReadAllText(Path.Combine(harness.MemoryFolder, "progress.md")).ShouldBe("Reviewed: a.py, b.py, c.py\n");
        var preserved = events.OfType<ChatPreservationEvent>().ShouldHaveSingleItem();
        (preserved.Outcome, preserved.MemoryWrites).ShouldBe(("preserved", 1));

        // What the model was sent: the agent's own instructions and tools, and the memory's.
        var first = harness.Emulator.Exchanges[0].Request!.Value;
        first.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()).ShouldBe(["read_file", "memory"], ignoreOrder: true);
        var system = first.GetProperty("system").GetRawText();
        system.ShouldContain("You review code.");
        system.ShouldContain(MemoryProtocol.Default[..40]);
        harness.Emulator.Exchanges.Select(e => e.Request!.Value.GetRawText())
            .ShouldContain(body => body.Contains("[cleared: this tool result was removed to save context]", StringComparison.Ordinal));
        agent.GetService<MemoryToolFunction>().ShouldNotBeNull();
    }
}
