using System.Text.Json;
using Anthropic.Core;
using Anthropic.Helpers.Beta;
using Anthropic.Models.Beta.Messages;
using Mnemo.Anthropic.Agents;
using Mnemo.Context;

namespace Mnemo.Anthropic.Tests.Agents;

/// <summary>Warn first, clear after: a conversation that jumps from below the warning level to past the trigger in one
/// step still gives the model a turn to save before anything is cleared, on both sides.</summary>
public sealed class AgentSessionWarnFirstTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Two small reads, then one huge one; the warning gets progress saved.</summary>
    private const string Script = """
        conversations:
          - match: "review all"
            turns:
              - tool_use: {name: read_file, input: {path: a.py}}
              - tool_use: {name: read_file, input: {path: b.py}}
              - tool_use: {name: read_file, input: {path: huge.py}}
              - tool_use: {name: read_file, input: {path: c.py}}
              - All files reviewed.
        rules:
          - match: "older tool results will soon be cleared"
            reply:
              text: Saving my progress before the clearing.
              tool_use: {name: memory, input: {command: create, path: /memories/progress.md, file_text: "a.py and b.py reviewed\n"}}
        """;

    /// <summary>A read_file tool whose <c>huge.py</c> has <paramref name="hugeLines"/> lines (700: about 9,000 tokens) and
    /// every other file about 200 tokens.</summary>
    private static IBetaRunnableTool Files(int hugeLines = 700) => new BetaRunnableTool
    {
        Name = "read_file",
        Definition = AgentHarness.Definition("read_file", "Reads a source file."),
        Run = (call, _) =>
        {
            var path = call.Input["path"].GetString();
            var lines = path == "huge.py" ? hugeLines : 15;
            return Task.FromResult<BetaToolResultBlockParamContent>(string.Join('\n', Enumerable.Range(0, lines).Select(i => $"def f{i}(x): return x * {i}  # {path}")));
        },
    };

    private static AgentSession Session(AgentHarness harness, ContextEditingSide side, PreserveBeforeClear? preserve = null, int hugeLines = 700, int maxTokens = 4096) => harness.Session(o =>
    {
        o.Tools.Add(Files(hugeLines));
        o.MaxTokens = maxTokens;
        o.ContextManagement = ContextManagementConfig.Parse(
            """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"input_tokens","value":6000},"keep":{"type":"tool_uses","value":1}}]}""");
        o.ContextEditing = side;
        o.PreserveBeforeClear = preserve;
        o.LookAheadShare = 1; // this test is about the jump itself, not the look-ahead
    });

    [Theory]
    [InlineData(ContextEditingSide.Server)]
    [InlineData(ContextEditingSide.Client)]
    public async Task AJumpPastTheTrigger_IsWarnedFirst_TheModelSaves_ThenItClears(ContextEditingSide side)
    {
        await using var harness = await AgentHarness.StartAsync(Script);
        var session = Session(harness, side);

        var result = await session.RunAsync("Review all files.", Ct);

        result.Completed.ShouldBeTrue(result.Message);
        var requests = harness.Of<AgentRequestEvent>().ToList();
        var warning = harness.Of<AgentContextWarningEvent>().ShouldHaveSingleItem();
        requests[warning.Request - 2].TriggerRatio.ShouldNotBeNull().ShouldBeLessThan(0.8, "the step before was below the warning level");
        warning.TriggerRatio.ShouldBeGreaterThan(1, "the warned request was past the trigger");
        harness.Of<AgentContextEditEvent>().ShouldNotContain(e => e.Request == warning.Request && e.NewlyClearedToolUses > 0);
        var clearing = harness.Of<AgentContextEditEvent>().First(e => e.NewlyClearedToolUses > 0);
        clearing.Request.ShouldBe(warning.Request + 1);
        harness.Of<AgentToolResultEvent>().ShouldContain(e => e.IsMemoryWrite && e.Request == warning.Request);
        var record = result.Summary.Preservations.ShouldHaveSingleItem();
        record.Preserved.ShouldBeTrue();
        record.WarnedAtRequest.ShouldBe(warning.Request);
        record.ClearedAtRequest.ShouldBe(clearing.Request);
        record.MemorySaves.ShouldBe(1);
        // The save ("a.py and b.py reviewed") covers the results of a.py and b.py; any other result cleared is not covered.
        record.ClearedResults.Count.ShouldBe(record.ClearedToolUses);
        foreach (var cleared in record.ClearedResults)
        {
            var path = cleared.Input.GetProperty("path").GetString();
            cleared.Covered.ShouldBe(path is "a.py" or "b.py", path);
            cleared.SavedAfter.ShouldBeTrue(path);
        }

        record.ResultsCovered.ShouldBe(record.ClearedResults.Count(r => r.Input.GetProperty("path").GetString() is "a.py" or "b.py"));
        record.ResultsCovered.ShouldBeGreaterThan(0);
        record.SecondsToFirstSave.ShouldNotBeNull().ShouldBeGreaterThanOrEqualTo(0);
        record.SecondsToClear.ShouldNotBeNull().ShouldBeGreaterThanOrEqualTo(record.SecondsToFirstSave!.Value);
        if (side == ContextEditingSide.Server)
        {
            // The warned request carried the trigger raised above it, for that request alone.
            var sent = harness.Emulator.Exchanges[warning.Request - 1].Request!.Value.GetProperty("context_management").GetProperty("edits")[0];
            sent.GetProperty("trigger").GetProperty("value").GetInt64().ShouldBeGreaterThan(warning.ProjectedInputTokens);
            harness.Emulator.Exchanges[clearing.Request - 1].Request!.Value.GetProperty("context_management").GetProperty("edits")[0]
                .GetProperty("trigger").GetProperty("value").GetInt64().ShouldBe(6000);
        }
    }

    [Fact]
    public async Task WithWarnOnly_TheWarningAndTheClearingLandOnTheSameRequest_AndNothingIsPreserved()
    {
        await using var harness = await AgentHarness.StartAsync(Script);
        var session = Session(harness, ContextEditingSide.Client, PreserveBeforeClear.Warn);

        var result = await session.RunAsync("Review all files.", Ct);

        var warning = harness.Of<AgentContextWarningEvent>().ShouldHaveSingleItem();
        harness.Of<AgentContextEditEvent>().First(e => e.NewlyClearedToolUses > 0).Request.ShouldBe(warning.Request);
        result.Summary.Preservations.ShouldHaveSingleItem().Preserved.ShouldBeFalse();
    }

    [Fact]
    public async Task AModelThatOnlyDeletes_AfterTheWarning_PreservedNothing()
    {
        await using var harness = await AgentHarness.StartAsync("""
            conversations:
              - match: "review all"
                turns:
                  - tool_use: {name: memory, input: {command: create, path: /memories/scratch.md, file_text: "notes\n"}}
                  - tool_use: {name: read_file, input: {path: a.py}}
                  - tool_use: {name: read_file, input: {path: huge.py}}
                  - tool_use: {name: read_file, input: {path: c.py}}
                  - All files reviewed.
            rules:
              - match: "older tool results will soon be cleared"
                reply:
                  text: Tidying up.
                  tool_use: {name: memory, input: {command: delete, path: /memories/scratch.md}}
            """);
        var session = Session(harness, ContextEditingSide.Client);

        var result = await session.RunAsync("Review all files.", Ct);

        result.Completed.ShouldBeTrue(result.Message);
        var record = result.Summary.Preservations.ShouldHaveSingleItem();
        record.Warned.ShouldBeTrue();
        record.MemoryWrites.ShouldBe(1);
        record.MemorySaves.ShouldBe(0);
        record.Preserved.ShouldBeFalse();
        record.SecondsToFirstSave.ShouldBeNull();
    }

    [Theory]
    [InlineData(ContextEditingSide.Client)]
    [InlineData(ContextEditingSide.Server)]
    public async Task AModelThatNeverSaves_IsHeldBackOneRequest_ThenCleared_AndCountsAsNotPreserved(ContextEditingSide side)
    {
        await using var harness = await AgentHarness.StartAsync("""
            conversations:
              - match: "review all"
                turns:
                  - tool_use: {name: read_file, input: {path: a.py}}
                  - tool_use: {name: read_file, input: {path: huge.py}}
                  - tool_use: {name: read_file, input: {path: c.py}}
                  - All files reviewed.
            """);
        var session = Session(harness, side);

        var result = await session.RunAsync("Review all files.", Ct);

        result.Completed.ShouldBeTrue(result.Message);
        var warning = harness.Of<AgentContextWarningEvent>().ShouldHaveSingleItem();
        warning.HoldsBackClearing.ShouldBeTrue();
        harness.Of<AgentContextEditEvent>().First(e => e.NewlyClearedToolUses > 0).Request.ShouldBe(warning.Request + 1);
        var record = result.Summary.Preservations.ShouldHaveSingleItem();
        (record.Warned, record.MemorySaves, record.Preserved).ShouldBe((true, 0, false));
        record.ClearedResults.ShouldAllBe(cleared => !cleared.Covered && !cleared.SavedAfter);
    }

    [Fact]
    public async Task WithAPreservationChecklistInMemory_TheWarningPointsToIt()
    {
        await using var harness = await AgentHarness.StartAsync(Script);
        Mnemo.Memory.MemoryPath.TryParse("/memories/" + Mnemo.Memory.MemoryTemplate.PreservationChecklist, out var checklist, out _);
        (await harness.Store.CreateFileAsync(checklist!, "# Before a clearing\n"u8.ToArray(), cancellationToken: Ct)).ShouldBeTrue();

        await Session(harness, ContextEditingSide.Client).RunAsync("Review all files.", Ct);

        var warned = harness.Emulator.Exchanges.Select(e => e.Request!.Value.GetRawText()).First(body => body.Contains("[context notice]", StringComparison.Ordinal));
        warned.ShouldContain("Your checklist for this is /memories/protocol-compliance/preservation-checklist.md: go through it first.");
    }

    [Fact]
    public async Task ALargeResult_WarnsTheNextRequestWhateverItsRatio()
    {
        await using var harness = await AgentHarness.StartAsync(Script);
        var session = harness.Session(o =>
        {
            o.Tools.Add(Files());
            o.ContextManagement = ContextManagementConfig.Parse(
                """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"input_tokens","value":30000},"keep":{"type":"tool_uses","value":1}}]}""");
        });

        await session.RunAsync("Review all files.", Ct);

        // huge.py (about 9,000 tokens) is over a quarter of the 30,000-token trigger: the request after it is warned at
        // well under the warning level.
        var warning = harness.Of<AgentContextWarningEvent>().ShouldHaveSingleItem();
        warning.TriggerRatio.ShouldBeLessThan(0.8);
        harness.Of<AgentToolCallEvent>().Single(e => e.Input.GetProperty("path").GetString() == "huge.py").Request.ShouldBe(warning.Request - 1);
    }

    [Fact]
    public async Task WhenTheHeldBackRequestWouldNotFitTheWindow_ItClearsAndTheApproachCountsAsNotWarned()
    {
        await using var harness = await AgentHarness.StartAsync(Script);
        // huge.py is about 144,000 tokens: with 64,000 to write, the whole request would not fit Sonnet 4.5's 200,000.
        var session = Session(harness, ContextEditingSide.Client, hugeLines: 7_500, maxTokens: 64_000);

        var result = await session.RunAsync("Review all files.", Ct);

        var notice = harness.Of<AgentSetupWarningEvent>().ShouldHaveSingleItem();
        notice.Message.ShouldStartWith("the warning could not come before the clearing: request ");
        var record = result.Summary.Preservations.ShouldHaveSingleItem();
        record.Warned.ShouldBeFalse();
        record.ClearedAtRequest.ShouldBe(notice.Request);
    }

    [Fact]
    public void PreserveBeforeClear_WithoutAMemoryTool_IsRefusedNamingTheOption()
    {
        using var client = new global::Anthropic.AnthropicClient(new ClientOptions { ApiKey = "k", BaseUrl = "http://127.0.0.1:9" });
        var options = new AgentSessionOptions { Model = "claude-sonnet-4-5", PreserveBeforeClear = PreserveBeforeClear.Guarantee };

        Should.Throw<ArgumentException>(() => new AgentSession(client, options)).Message.ShouldStartWith(
            "AgentSessionOptions.PreserveBeforeClear is Guarantee, but the session has no memory tool to save to: set Memory, or PreserveBeforeClear = Never.");
        options.PreserveBeforeClear = null;
        Should.NotThrow(() => new AgentSession(client, options));
    }

    [Theory]
    [InlineData(ContextEditingSide.Server)]
    [InlineData(ContextEditingSide.Client)]
    public async Task AClearedResultFetchedAgain_IsCountedAsAReacquisition(ContextEditingSide side)
    {
        await using var harness = await AgentHarness.StartAsync("""
            turns:
              - tool_use: {name: read_file, input: {path: a.py}}
              - tool_use: {name: read_file, input: {path: b.py}}
              - tool_use: {name: read_file, input: {path: c.py}}
              - tool_use: {name: read_file, input: {path: d.py}}
              - tool_use: {name: read_file, input: {path: a.py}}
              - Done.
            """);
        var session = harness.Session(o =>
        {
            o.Tools.Add(Files());
            o.ContextManagement = ContextManagementConfig.Parse(
                """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":2},"keep":{"type":"tool_uses","value":1}}]}""");
            o.ContextEditing = side;
            o.PreserveBeforeClear = PreserveBeforeClear.Never;
        });

        var result = await session.RunAsync("Read the files.", Ct);

        result.Completed.ShouldBeTrue(result.Message);
        // a.py's result was cleared before it was read again.
        var again = harness.Of<AgentReacquisitionEvent>().ShouldHaveSingleItem();
        again.Name.ShouldBe("read_file");
        again.Input.GetProperty("path").GetString().ShouldBe("a.py");
        result.Summary.Reacquisitions.ShouldHaveSingleItem().Id.ShouldBe(again.Id);
        result.Summary.Format().ShouldContain("re-acquired after clearing: 1 call(s): read_file");
    }

    [Fact]
    public async Task ASessionThatBeginsWithMemory_RecordsHowItPickedUp()
    {
        await using var harness = await AgentHarness.StartAsync("""
            conversations:
              - match: "first"
                turns:
                  - tool_use: {name: memory, input: {command: create, path: /memories/notes.md, file_text: "lock order: a then b\n"}}
                  - tool_use: {name: memory, input: {command: create, path: /memories/progress/review.md, file_text: "a.py done\n"}}
                  - Saved.
              - match: "second"
                turns:
                  - tool_use: {name: memory, input: {command: view, path: /memories}}
                  - tool_use: {name: memory, input: {command: view, path: /memories/notes.md}}
                  - tool_use: {name: memory, input: {command: view, path: /memories/progress/review.md}}
                  - Resumed.
            """);

        var first = await harness.Session().RunAsync("The first session.", Ct);
        first.Summary.Resumption.ShouldBeNull("it began with no memory");

        var second = await harness.Session().RunAsync("The second session.", Ct);

        second.Summary.Resumption.ShouldBe(new ResumptionRecord(FilesAtStart: 2, FirstCallWasMemoryView: true, FilesRead: 2, RequestsToReadAll: 3));
        second.Summary.Format().ShouldContain("resumption: 2 memory file(s) at the start; the first tool call was a memory view; 2 of them read, all by request 3");
    }
}
