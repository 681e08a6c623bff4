using System.Text.Json;
using Mnemo.Anthropic.Agents;
using Mnemo.Context;

namespace Mnemo.Anthropic.Tests.Agents;

/// <summary>The warning and other instructions as mid-conversation system messages on the models that take them (the
/// history stays append-only, so its cached prefix holds), as user text on the others.</summary>
public sealed class AgentSessionSystemMessageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Script = """
        conversations:
          - match: "review all"
            turns:
              - tool_use: {name: read_file, input: {path: a.py}}
              - tool_use: {name: read_file, input: {path: b.py}}
              - tool_use: {name: read_file, input: {path: c.py}}
              - tool_use: {name: read_file, input: {path: d.py}}
              - All files reviewed.
        rules:
          - match: "older tool results will soon be cleared"
            reply:
              text: Saving my progress first.
              tool_use: {name: memory, input: {command: create, path: /memories/progress.md, file_text: "a.py and b.py reviewed\n"}}
          - match: "Answer in French"
            reply: D'accord.
        """;

    private static AgentSession Session(AgentHarness harness, string model) => harness.Session(o =>
    {
        o.Model = model;
        o.Tools.Add(AgentHarness.ReadFile());
        o.ContextManagement = ContextManagementConfig.Parse(
            """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":3},"keep":{"type":"tool_uses","value":1}}]}""");
        o.WarningRatio = 0.6;
    });

    [Fact]
    public async Task AModelThatTakesThem_GetsTheWarningAsASystemMessage_AndTheHistoryBeforeItStaysByteForByte()
    {
        await using var harness = await AgentHarness.StartAsync(Script);
        var session = Session(harness, "claude-opus-4-8");
        session.UsesSystemMessages.ShouldBeTrue();

        var result = await session.RunAsync("Review all four files.", Ct);

        result.Completed.ShouldBeTrue(result.Message);
        var warning = harness.Of<AgentContextWarningEvent>().ShouldHaveSingleItem();
        var exchanges = harness.Emulator.Exchanges;
        var warned = exchanges[warning.Request - 1].Request!.Value.GetProperty("messages");
        var before = exchanges[warning.Request - 2].Request!.Value.GetProperty("messages");

        var last = warned[warned.GetArrayLength() - 1];
        last.GetProperty("role").GetString().ShouldBe("system");
        last.GetProperty("content")[0].GetProperty("text").GetString().ShouldBe(AgentSession.DefaultContextWarning);
        // Everything the previous request sent is still there, unchanged, ahead of what came since.
        for (var i = 0; i < before.GetArrayLength(); i++)
        {
            warned[i].GetRawText().ShouldBe(before[i].GetRawText(), $"message {i}");
        }

        warned[warned.GetArrayLength() - 2].GetProperty("role").GetString().ShouldBe("user");
        (await File.ReadAllTextAsync(Path.Combine(harness.MemoryFolder, "progress.md"), Ct)).ShouldContain("a.py and b.py");
    }

    [Fact]
    public async Task AModelThatTakesNone_GetsTheWarningAsUserText()
    {
        await using var harness = await AgentHarness.StartAsync(Script);
        var session = Session(harness, "claude-sonnet-4-5");
        session.UsesSystemMessages.ShouldBeFalse();

        var result = await session.RunAsync("Review all four files.", Ct);

        result.Completed.ShouldBeTrue(result.Message);
        var warning = harness.Of<AgentContextWarningEvent>().ShouldHaveSingleItem();
        var warned = harness.Emulator.Exchanges[warning.Request - 1].Request!.Value.GetProperty("messages");
        var last = warned[warned.GetArrayLength() - 1];
        last.GetProperty("role").GetString().ShouldBe("user");
        last.GetProperty("content").EnumerateArray().Last().GetProperty("text").GetString().ShouldBe(AgentSession.DefaultContextWarning);
        warned.EnumerateArray().ShouldNotContain(m => m.GetProperty("role").GetString() == "system");
    }

    [Theory]
    [InlineData("claude-opus-5", "system")]
    [InlineData("claude-sonnet-5", "user")]
    public async Task AnInstructionAddedMidSession_GoesInAfterTheNextUserMessage(string model, string role)
    {
        await using var harness = await AgentHarness.StartAsync("""
            conversations:
              - match: "hello"
                turns: [Hello., Noted.]
            rules:
              - match: "Answer in French"
                reply: D'accord.
            """);
        var session = harness.Session(o => o.Model = model);
        (await session.RunAsync("Hello.", Ct)).Text.ShouldBe("Hello.");

        session.AddInstruction("Answer in French from now on.");
        var answer = await session.RunAsync("What did you find?", Ct);

        answer.Text.ShouldBe("D'accord.");
        var sent = harness.Emulator.Exchanges[^1].Request!.Value.GetProperty("messages");
        sent.GetArrayLength().ShouldBe(role == "system" ? 4 : 3);
        var last = sent[sent.GetArrayLength() - 1];
        last.GetProperty("role").GetString().ShouldBe(role);
        last.GetProperty("content").EnumerateArray().Last().GetProperty("text").GetString().ShouldBe("Answer in French from now on.");
    }
}
