using Mnemo.Anthropic.Agents;
using Mnemo.Context;

namespace Mnemo.Anthropic.Tests.Agents;

/// <summary>
/// A session on a model whose thinking is bound to its prefix, against the emulator, which refuses a changed prefix as
/// the API does: editing on either side never breaks a kept thinking block; on a model that does not bind, nothing is held back.
/// </summary>
public sealed class AgentSessionThinkingBindingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Script = """
        rules:
          - match: "Fix it."
            reply:
              thinking: Swap the lock order.
              text: Fixed.
        conversations:
          - match: "find the race"
            turns:
              - thinking: Start with the scheduler.
                tool_use: {name: read_file, input: {path: a.py}}
              - thinking: Now the lock.
                tool_use: {name: read_file, input: {path: b.py}}
              - thinking: And the worker.
                tool_use: {name: read_file, input: {path: c.py}}
              - thinking: One more.
                tool_use: {name: read_file, input: {path: d.py}}
              - thinking: The lock is taken twice.
                text: The race is in b.py.
        """;

    private static ContextManagementConfig Clearing() => ContextManagementConfig.Parse(
        """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":2},"keep":{"type":"tool_uses","value":1}}]}""");

    [Theory]
    [InlineData("claude-fable-5-1", ContextEditingSide.Client)]
    [InlineData("claude-fable-5-1", ContextEditingSide.Server)]
    [InlineData("claude-opus-4-6", ContextEditingSide.Client)]
    [InlineData("claude-opus-4-6", ContextEditingSide.Server)]
    public async Task ATwoTurnSession_WithClearingOnEitherSide_IsNeverRefused(string model, ContextEditingSide side)
    {
        await using var harness = await AgentHarness.StartAsync(Script);
        var session = harness.Session(o =>
        {
            o.Model = model;
            o.AdaptiveThinking = true;
            o.Tools.Add(AgentHarness.ReadFile());
            o.ContextManagement = Clearing();
            o.ContextEditing = side;
            o.WarningRatio = null;
        });

        var first = await session.RunAsync("Find the race.", Ct);
        first.Completed.ShouldBeTrue(first.Message);
        first.Text.ShouldBe("The race is in b.py.");

        var second = await session.RunAsync("Fix it.", Ct);
        second.Completed.ShouldBeTrue(second.Message);
        second.Text.ShouldBe("Fixed.");

        var bindingEvents = harness.Of<AgentThinkingBindingEvent>().ToList();
        if (model == "claude-fable-5-1" && side == ContextEditingSide.Client)
        {
            // In the tool loop the clearing waits; at the next turn it applies and the earlier turn's thinking after the
            // first cleared result is removed.
            bindingEvents.ShouldNotBeEmpty();
            bindingEvents.Where(e => e.Request < 6).ShouldAllBe(e => e.Report.DeferredEdits.Contains("clear_tool_uses_20250919"));
            var removal = bindingEvents.Last();
            removal.Request.ShouldBe(6);
            removal.Report.RemovedBlocks.ShouldNotBeEmpty();
            harness.Of<AgentContextEditEvent>().ShouldContain(e => e.Request == 6 && e.NewlyClearedToolUses > 0);
        }
        else
        {
            bindingEvents.ShouldBeEmpty();
            harness.Of<AgentContextEditEvent>().ShouldContain(e => e.Request < 6 && e.NewlyClearedToolUses > 0, "clearing ran inside the tool loop");
        }
    }

    [Fact]
    public async Task AnUnknownModel_GetsAWarningBeforeItsFirstRequest_NotACrash()
    {
        await using var harness = await AgentHarness.StartAsync("turns: [Hello.]");
        var session = harness.Session(o => o.Model = "claude-opus-9-preview");

        (await session.RunAsync("Hi.", Ct)).Completed.ShouldBeTrue();

        var warning = harness.Of<AgentSetupWarningEvent>().ShouldHaveSingleItem();
        warning.Request.ShouldBe(1);
        warning.Message.ShouldBe("model 'claude-opus-9-preview' is not in Mnemo's model table; using the rules of Claude Opus 5.5 (claude-opus-5-5)");
    }

    [Theory]
    [InlineData("claude-fable-5-1", 2048, false, "AgentSessionOptions.ThinkingBudgetTokens: `thinking.type.enabled` is not supported for this model.")]
    [InlineData("claude-sonnet-4-5", null, true, "AgentSessionOptions.AdaptiveThinking: `thinking.type.adaptive` is not supported for this model.")]
    public void ThinkingTheModelDoesNotTake_IsRefusedBeforeSending(string model, int? budget, bool adaptive, string start)
    {
        var options = new AgentSessionOptions { Model = model, MaxTokens = 8000, ThinkingBudgetTokens = budget, AdaptiveThinking = adaptive };
        using var client = new global::Anthropic.AnthropicClient(new global::Anthropic.Core.ClientOptions { ApiKey = "k", BaseUrl = "http://127.0.0.1:9" });

        Should.Throw<ArgumentException>(() => new AgentSession(client, options)).Message.ShouldStartWith(start);
    }

    [Fact]
    public void MaxTokensOverTheModelsLimit_IsRefusedInTheApisWords()
    {
        var options = new AgentSessionOptions { Model = "claude-sonnet-4-5", MaxTokens = 100_000 };
        using var client = new global::Anthropic.AnthropicClient(new global::Anthropic.Core.ClientOptions { ApiKey = "k", BaseUrl = "http://127.0.0.1:9" });

        Should.Throw<ArgumentException>(() => new AgentSession(client, options)).Message
            .ShouldStartWith("AgentSessionOptions.MaxTokens: max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens for claude-sonnet-4-5-20250929");
    }

    [Theory]
    [InlineData("""{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"input_tokens","value":250000}}]}""", "claude-sonnet-4-5",
        "AgentSessionOptions.ContextManagement: context_management.edits.0.trigger: 250,000 input tokens is not under claude-sonnet-4-5-20250929's context window of 200,000, so it would never fire; lower it")]
    [InlineData("""{"edits":[{"type":"compact_20260112"}]}""", "claude-haiku-4-5",
        "AgentSessionOptions.ContextManagement: context_management.edits.0.trigger: 200,000 input tokens is not under claude-haiku-4-5-20251001's context window of 200,000, so it would never fire; lower it")]
    public void ATriggerTheWindowCannotHold_IsRefusedBeforeSending(string config, string model, string message)
    {
        var options = new AgentSessionOptions { Model = model, ContextManagement = ContextManagementConfig.Parse(config.Replace("\"compact_20260112\"", "\"compact_20260112\",\"trigger\":{\"type\":\"input_tokens\",\"value\":200000}", StringComparison.Ordinal)) };
        using var client = new global::Anthropic.AnthropicClient(new global::Anthropic.Core.ClientOptions { ApiKey = "k", BaseUrl = "http://127.0.0.1:9" });

        Should.Throw<ArgumentException>(() => new AgentSession(client, options)).Message.ShouldStartWith(message);
    }
}
