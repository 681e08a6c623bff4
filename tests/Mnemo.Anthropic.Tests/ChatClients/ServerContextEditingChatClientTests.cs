using Anthropic;
using Microsoft.Extensions.AI;
using Mnemo.Anthropic.Tests.Agents;
using Mnemo.Context;
using static Mnemo.Anthropic.Tests.ChatClients.ContextEditingChatClientTests;

namespace Mnemo.Anthropic.Tests.ChatClients;

/// <summary>The same pipeline with Anthropic's own context management chosen instead of client-side editing: the SDK's
/// beta chat client asks the API (the emulator) to clear, the whole conversation goes each time, and the warning, the
/// held-back call and the judged clearing come out as they do when the client edits.</summary>
public sealed class ServerContextEditingChatClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnthropicsOwnContextManagement_IsAsked_ReportsItsClearing_AndTheSaveBeforeItIsJudged(bool streamed)
    {
        await using var harness = await AgentHarness.StartAsync(Script);
        var events = new List<ContextEditingChatEvent>();
        using var chat = new ChatClientBuilder(harness.Client.Beta.AsIChatClient(AgentHarness.Model, 1024))
            .UseMnemoMemory(harness.Store)
            .UseFunctionInvocation()
            .UseContextEditing(Config, o => (o.OnEvent, o.Server) = (events.Add, AnthropicServerContextEditing.Instance))
            .Build();
        var options = new ChatOptions { Tools = [ReadFile()] };

        var review = streamed
            ? await chat.GetStreamingResponseAsync("Review all files, one at a time.", options, Ct).ToChatResponseAsync(Ct)
            : await chat.GetResponseAsync("Review all files, one at a time.", options, Ct);
        var resumed = await chat.GetResponseAsync("What was reviewed?", options, Ct);

        review.Text.ShouldEndWith("Reviewed all five.");
        resumed.Text.ShouldBe("a.py, b.py and c.py, as my memory says.");
        File.ReadAllText(Path.Combine(harness.MemoryFolder, "progress.md")).ShouldBe("Reviewed: a.py, b.py, c.py\n");

        var warning = events.OfType<ChatContextWarningEvent>().ShouldHaveSingleItem();
        var preserved = events.OfType<ChatPreservationEvent>().ShouldHaveSingleItem();
        (preserved.WarnedAtRequest, preserved.MemoryWrites, preserved.Outcome).ShouldBe((warning.Request, 1, "preserved"), string.Join("; ", events));
        var clearing = events.OfType<ChatContextEditEvent>().First();
        clearing.Request.ShouldBe(preserved.Request);
        clearing.Edits.ShouldHaveSingleItem().Type.ShouldBe("clear_tool_uses_20250919");
        clearing.NewlyClearedToolUses.ShouldBeGreaterThan(0);
        clearing.InputTokensAfter.ShouldBe(clearing.InputTokensBefore - clearing.Edits[0].ClearedInputTokens);

        // Every call asked the API, with the beta; the conversation went whole, and the API did the clearing.
        var exchanges = harness.Emulator.Exchanges.Where(e => e.Request is not null).ToList();
        exchanges.ShouldAllBe(e => e.Betas.Contains("context-management-2025-06-27"));
        exchanges.Count(e => e.Request!.Value.TryGetProperty("context_management", out var _)).ShouldBe(exchanges.Count);
        var sent = exchanges[preserved.Request - 1];
        sent.Request!.Value.GetRawText().ShouldContain("a.py line 40", Case.Sensitive, "the client sends the results; the server clears them");
        sent.Response!.Value.GetProperty("context_management").GetProperty("applied_edits")[0].GetProperty("cleared_tool_uses").GetInt32()
            .ShouldBe(clearing.Edits[0].ClearedToolUses);

        // The warned call asked with its trigger raised above it, so the API cleared nothing before the save.
        var warned = exchanges[warning.Request - 1].Request!.Value.GetProperty("context_management").GetProperty("edits")[0];
        warned.GetProperty("trigger").GetProperty("value").GetInt64().ShouldBeGreaterThan(warning.ProjectedInputTokens);
        exchanges[warning.Request - 1].Response!.Value.TryGetProperty("context_management", out var none).ShouldBeTrue();
        none.GetProperty("applied_edits").GetArrayLength().ShouldBe(0);
        exchanges[0].Request!.Value.GetProperty("context_management").GetProperty("edits")[0].GetProperty("trigger").GetProperty("value").GetInt64().ShouldBe(2000);
    }
}
