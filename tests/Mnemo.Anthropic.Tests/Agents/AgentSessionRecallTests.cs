using System.Text.Json;
using Mnemo.Anthropic.Agents;
using Mnemo.Context;

namespace Mnemo.Anthropic.Tests.Agents;

/// <summary>Nothing cleared is gone: cleared results are archived whole, placeholders name their ids, and the model's
/// <c>recall</c> tool brings them back byte for byte, on both sides, through the SDK against the emulator.</summary>
public sealed class AgentSessionRecallTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Script = """
        conversations:
          - match: "review all"
            turns:
              - tool_use: {name: read_file, input: {path: a.py}}
              - tool_use: {name: read_file, input: {path: b.py}}
              - tool_use: {name: read_file, input: {path: c.py}}
              - tool_use: {name: recall, input: {command: list}}
              - tool_use: {name: recall, input: {command: view, id: 1}}
              - tool_use: {name: recall, input: {command: view, query: "b.py line 7", view_range: [2, 3]}}
              - tool_use: {name: recall, input: {command: view, id: 99}}
              - All files reviewed.
        """;

    private static AgentSession Session(AgentHarness harness, ContextEditingSide side, Action<AgentSessionOptions>? more = null) => harness.Session(o =>
    {
        o.Tools.Add(AgentHarness.ReadFile(lines: 40));
        o.ContextManagement = ContextManagementConfig.Parse(
            """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"input_tokens","value":2500},"keep":{"type":"tool_uses","value":1}}]}""");
        o.ContextEditing = side;
        o.PreserveBeforeClear = PreserveBeforeClear.Never;
        more?.Invoke(o);
    });

    /// <summary>The <c>content</c> of the result that answers a call, as the session keeps it (unedited).</summary>
    private static string ResultOf(AgentSession session, string toolUseId)
    {
        foreach (var message in session.Messages)
        {
            var json = JsonSerializer.SerializeToElement(message);
            if (json.GetProperty("content").ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            foreach (var block in json.GetProperty("content").EnumerateArray())
            {
                if (block.GetProperty("type").GetString() == "tool_result" && block.GetProperty("tool_use_id").GetString() == toolUseId)
                {
                    return block.GetProperty("content").GetRawText();
                }
            }
        }

        throw new InvalidOperationException($"no result for {toolUseId}");
    }

    [Theory]
    [InlineData(ContextEditingSide.Client)]
    [InlineData(ContextEditingSide.Server)]
    public async Task ACleredResult_IsRecalledByteForByte_ByIdOrByQuery(ContextEditingSide side)
    {
        await using var harness = await AgentHarness.StartAsync(Script);
        var session = Session(harness, side);

        var result = await session.RunAsync("Review all files.", Ct);

        result.Completed.ShouldBeTrue(result.Message);
        var calls = harness.Of<AgentToolCallEvent>().ToList();
        var reads = calls.Where(c => c.Name == "read_file").ToList();
        var recalls = calls.Where(c => c.Name == RecallTool.ToolName).ToList();
        var results = harness.Of<AgentToolResultEvent>().Where(r => r.Name == RecallTool.ToolName).ToList();

        // The archive holds what was cleared, numbered in the order it was first cleared.
        var archived = session.ClearedResults!.Results;
        archived.ShouldNotBeEmpty();
        archived.First().ShouldSatisfyAllConditions(
            first => first.Id.ShouldBe(1),
            first => first.Tool.ShouldBe("read_file"),
            first => first.Input.GetProperty("path").GetString().ShouldBe("a.py"));

        // list names each one; view by id gives back exactly the content the model was sent.
        results[0].Content.ShouldStartWith("Cleared tool results you can recall, oldest first:\nid=1 read_file a.py: ");
        results[1].IsError.ShouldBeFalse();
        ResultOf(session, recalls[1].Id).ShouldBe(ResultOf(session, reads[0].Id), "byte for byte");

        // A query that names one result, and a range of its lines.
        results[2].Content.ShouldBe("def function_2(value): return value * 2  # b.py line 2\ndef function_3(value): return value * 3  # b.py line 3");
        results[3].IsError.ShouldBeTrue();
        results[3].Content.ShouldBe("Error: no cleared tool result has id 99; list shows the ids");

        // Each recall is a re-acquisition, paid for without running the tool again.
        var again = harness.Of<AgentReacquisitionEvent>().Where(e => e.Recalled).ToList();
        again.Select(e => e.Input.GetProperty("path").GetString()).ShouldBe(["a.py", "b.py"]);
        result.Summary.Reacquisitions.Count(e => e.Recalled).ShouldBe(2);
        harness.Of<AgentToolCallEvent>().Count(c => c.Name == "read_file").ShouldBe(3, "nothing was read twice");
    }

    [Fact]
    public async Task OnTheClientSide_ThePlaceholderNamesTheId_AndStaysTheSameOnEveryRequest()
    {
        await using var harness = await AgentHarness.StartAsync(Script);
        var session = Session(harness, ContextEditingSide.Client);

        await session.RunAsync("Review all files.", Ct);

        var sent = harness.Emulator.Exchanges.Select(e => e.Request!.Value.GetRawText()).ToList();
        var first = sent.FindIndex(body => body.Contains("[cleared to save context: recall id=1 to see it again]", StringComparison.Ordinal));
        first.ShouldBeGreaterThan(0);
        sent.Skip(first).ShouldAllBe(body => body.Contains("[cleared to save context: recall id=1 to see it again]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheArchive_IsBounded_TheOldestDroppedFirst_AndARecallOfOneSaysSo()
    {
        await using var harness = await AgentHarness.StartAsync(Script);
        var session = Session(harness, ContextEditingSide.Client, o => o.RecallArchiveBytes = 3000);

        await session.RunAsync("Review all files.", Ct);

        session.ClearedResults!.Dropped.ShouldBeGreaterThan(0);
        session.ClearedResults.Results.Sum(r => r.Size).ShouldBeLessThanOrEqualTo(3000);
        session.ClearedResults.Find(1).ShouldBeNull();
        var view = harness.Of<AgentToolResultEvent>().Where(r => r.Name == RecallTool.ToolName).ElementAt(1);
        view.Content.ShouldBe("Error: the result with id 1 was dropped to keep the archive within its size; run the tool again if you need it");
    }

    [Fact]
    public void RecallOn_WithATool_AlreadyNamedRecall_IsRefusedNamingTheOption()
    {
        var options = new AgentSessionOptions { Model = AgentHarness.Model, Recall = true };
        options.Tools.Add(new global::Anthropic.Helpers.Beta.BetaRunnableTool
        {
            Name = "recall", Definition = AgentHarness.Definition("recall", "Mine."), Run = (_, _) => Task.FromResult<global::Anthropic.Models.Beta.Messages.BetaToolResultBlockParamContent>("x"),
        });
        using var client = new global::Anthropic.AnthropicClient { ApiKey = "unused" };

        Should.Throw<ArgumentException>(() => new AgentSession(client, options)).Message.ShouldStartWith("AgentSessionOptions.Recall: a tool of the session is already named 'recall'");
    }

    [Fact]
    public async Task WithoutClearing_ThereIsNoRecallTool()
    {
        await using var harness = await AgentHarness.StartAsync("turns: [Hello.]");
        var session = harness.Session();

        await session.RunAsync("Hi.", Ct);

        session.ToolNames.ShouldNotContain(RecallTool.ToolName);
        session.ClearedResults.ShouldBeNull();
    }
}
