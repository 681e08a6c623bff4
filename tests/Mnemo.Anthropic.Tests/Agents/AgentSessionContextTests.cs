using System.Text.Json;
using Mnemo.Anthropic.Agents;
using Mnemo.Context;

namespace Mnemo.Anthropic.Tests.Agents;

/// <summary>
/// Context editing in a long session, on the server (the emulator edits, as the API does) and on the client (the session
/// edits before sending): where clearing fires, what survives, the warning before it, and what the metrics count.
/// </summary>
public sealed class AgentSessionContextTests
{
    private const string Placeholder = "[cleared: this tool result was removed to save context]";

    /// <summary>A review over six files: memory first, progress recorded, then one read per request.</summary>
    private const string LongReview = """
        conversations:
          - name: long
            match: "review all"
            turns:
              - tool_use: {name: memory, input: {command: view, path: /memories}}
              - tool_use: {name: memory, input: {command: create, path: /memories/progress.md, file_text: "status: started\n"}}
              - tool_use: {name: read_file, input: {path: a.py}}
              - tool_use: {name: read_file, input: {path: b.py}}
              - tool_use: {name: read_file, input: {path: c.py}}
              - tool_use: {name: read_file, input: {path: d.py}}
              - tool_use: {name: read_file, input: {path: e.py}}
              - tool_use: {name: read_file, input: {path: f.py}}
              - All six files reviewed.
        rules:
          - match: "older tool results will soon be cleared"
            reply:
              text: Saving my progress before the clearing.
              tool_use:
                name: memory
                input: {command: insert, path: /memories/progress.md, insert_line: 1, insert_text: "a.py to c.py reviewed; findings noted\n"}
        """;

    /// <summary>The projected input tokens of each request of the long review, with no editing and no warning, with the
    /// recall tool or without it (it is on by default when clearing is).</summary>
    private static async Task<IReadOnlyList<long>> DryRunAsync(bool recall = true)
    {
        await using var harness = await AgentHarness.StartAsync(LongReview);
        await harness.Session(o =>
        {
            o.Tools.Add(AgentHarness.ReadFile());
            o.Recall = recall;
        }).RunAsync("Review all six files.", TestContext.Current.CancellationToken);
        return [.. harness.Of<AgentRequestEvent>().Select(e => e.ProjectedInputTokens)];
    }

    private static ContextManagementConfig Config(long trigger, long keep = 1, long? clearAtLeast = null) => ContextManagementConfig.Parse(
        JsonSerializer.Serialize(new
        {
            edits = new object[]
            {
                clearAtLeast is { } atLeast
                    ? new
                    {
                        type = "clear_tool_uses_20250919", trigger = new { type = "input_tokens", value = trigger },
                        keep = new { type = "tool_uses", value = keep }, clear_at_least = new { type = "input_tokens", value = atLeast },
                    }
                    : new { type = "clear_tool_uses_20250919", trigger = new { type = "input_tokens", value = trigger }, keep = new { type = "tool_uses", value = keep } },
            },
        }));

    [Theory]
    [InlineData(ContextEditingSide.Server)]
    [InlineData(ContextEditingSide.Client)]
    public async Task LongSession_ClearingFiresAtTheTrigger_AndMemorySurvives(ContextEditingSide side)
    {
        var sizes = await DryRunAsync(recall: true);
        var trigger = (sizes[5] + sizes[6]) / 2; // between the 6th and the 7th request
        await using var harness = await AgentHarness.StartAsync(LongReview);
        var session = harness.Session(o =>
        {
            o.Tools.Add(AgentHarness.ReadFile());
            o.ContextManagement = Config(trigger);
            o.ContextEditing = side;
            o.WarningRatio = null;
        });

        var result = await session.RunAsync("Review all six files.", TestContext.Current.CancellationToken);

        result.Completed.ShouldBeTrue();
        var requests = harness.Of<AgentRequestEvent>().ToList();
        requests.Select(r => r.ProjectedInputTokens).ShouldBe(sizes);
        var edits = harness.Of<AgentContextEditEvent>().ToList();
        edits[0].Request.ShouldBe(7);
        edits.ShouldAllBe(e => requests[e.Request - 1].ProjectedInputTokens >= trigger);
        requests.Where(r => r.ProjectedInputTokens >= trigger).Select(r => r.Request).ShouldBe(edits.Select(e => e.Request));

        // What the model saw at the last request: the old reads cleared, the last kept, memory whole.
        var seen = Seen(harness, side, harness.Emulator.Exchanges.Count - 1);
        var results = ToolResults(seen);
        // On the client side, each placeholder names the id the recall tool brings the result back by.
        results["read_file:a.py"].ShouldBe(side == ContextEditingSide.Server ? Placeholder : "[cleared to save context: recall id=1 to see it again]");
        results["read_file:e.py"].ShouldBe(side == ContextEditingSide.Server ? Placeholder : "[cleared to save context: recall id=5 to see it again]");
        results["read_file:f.py"].ShouldContain("def function_1(value)");
        results["memory:view"].ShouldStartWith("Here're the files and directories");
        results["memory:create"].ShouldBe("File created successfully at: /memories/progress.md");

        // The history the session keeps is never edited.
        JsonSerializer.Serialize(session.Messages).ShouldNotContain(Placeholder);
    }

    [Fact]
    public async Task LongSession_ServerAndClient_ReportTheSameEdits()
    {
        var sizes = await DryRunAsync(recall: false);
        var trigger = (sizes[4] + sizes[5]) / 2;
        var reports = new Dictionary<ContextEditingSide, List<(int, string)>>();
        foreach (var side in new[] { ContextEditingSide.Server, ContextEditingSide.Client })
        {
            await using var harness = await AgentHarness.StartAsync(LongReview);
            await harness.Session(o =>
            {
                o.Tools.Add(AgentHarness.ReadFile());
                o.ContextManagement = Config(trigger);
                o.ContextEditing = side;
                o.WarningRatio = null;
                o.Recall = false; // one placeholder on both sides, so the reports can be equal to the token
            }).RunAsync("Review all six files.", TestContext.Current.CancellationToken);
            reports[side] = [.. harness.Of<AgentContextEditEvent>().SelectMany(e => e.Edits.Select(edit => (e.Request, edit.ToString())))];

            var first = harness.Emulator.Exchanges[^1];
            if (side == ContextEditingSide.Client)
            {
                first.Request!.Value.TryGetProperty("context_management", out _).ShouldBeFalse();
                first.Request!.Value.GetRawText().ShouldContain(Placeholder);
            }
            else
            {
                first.Request!.Value.GetProperty("context_management").GetProperty("edits")[0].GetProperty("exclude_tools")[0].GetString().ShouldBe("memory");
                first.Request!.Value.GetRawText().ShouldNotContain(Placeholder);
            }
        }

        reports[ContextEditingSide.Server].Count.ShouldBe(4);
        reports[ContextEditingSide.Client].ShouldBe(reports[ContextEditingSide.Server]);
    }

    [Fact]
    public async Task LongSession_ClearingMemoryAllowed_ClearsMemoryResultsToo()
    {
        var sizes = await DryRunAsync();
        await using var harness = await AgentHarness.StartAsync(LongReview);
        await harness.Session(o =>
        {
            o.Tools.Add(AgentHarness.ReadFile());
            o.ContextManagement = Config(sizes[4]);
            o.ClearMemoryToolUses = true;
            o.WarningRatio = null;
        }).RunAsync("Review all six files.", TestContext.Current.CancellationToken);

        var results = ToolResults(Seen(harness, ContextEditingSide.Server, harness.Emulator.Exchanges.Count - 1));
        results["memory:view"].ShouldBe(Placeholder);
        results["memory:create"].ShouldBe(Placeholder);
    }

    [Theory]
    [InlineData(ContextEditingSide.Server)]
    [InlineData(ContextEditingSide.Client)]
    public async Task LongSession_WarningPrecedesTheClearing_AndTheModelSavesInBetween(ContextEditingSide side)
    {
        var sizes = await DryRunAsync();
        var trigger = sizes[6] + 1; // the 8th request (with the warning's exchange added) is the first over it
        using var meters = new TestMeterFactory();
        using var log = new MeasurementLog(meters);
        await using var harness = await AgentHarness.StartAsync(LongReview);
        var session = harness.Session(o =>
        {
            o.Tools.Add(AgentHarness.ReadFile());
            o.ContextManagement = Config(trigger);
            o.ContextEditing = side;
            o.WarningRatio = (double)sizes[5] / trigger; // reached at the 6th request
            o.MeterFactory = meters;
        });

        var result = await session.RunAsync("Review all six files.", TestContext.Current.CancellationToken);

        result.Completed.ShouldBeTrue();
        var warning = harness.Of<AgentContextWarningEvent>().Single();
        warning.Request.ShouldBe(6);
        var clearing = harness.Of<AgentContextEditEvent>().First();
        clearing.Request.ShouldBeGreaterThan(warning.Request);

        // The warning went out in the 6th request, after its tool result; the scripted model answered it by saving.
        var sent = harness.Emulator.Exchanges[5].Request!.Value.GetProperty("messages");
        var lastContent = sent[sent.GetArrayLength() - 1].GetProperty("content");
        lastContent[0].GetProperty("type").GetString().ShouldBe("tool_result");
        lastContent[1].GetProperty("text").GetString().ShouldBe(AgentSession.DefaultContextWarning);
        harness.Events.OfType<AgentToolCallEvent>().Single(c => c.Request == 6).Input.GetProperty("command").GetString().ShouldBe("insert");
        File.ReadAllText(Path.Combine(harness.MemoryFolder, "progress.md")).ShouldBe("status: started\na.py to c.py reviewed; findings noted\n");

        var record = harness.Of<AgentPreservationEvent>().First().Record;
        record.ShouldBe(new PreservationRecord(
            WarnedAtRequest: 6,
            WarnedAtInputTokens: warning.ProjectedInputTokens,
            MemoryWrites: 1,
            FirstWriteRequest: 6,
            TurnsToFirstWrite: 1,
            TokensToFirstWrite: record.TokensToFirstWrite,
            ClearedAtRequest: clearing.Request,
            ClearedToolUses: clearing.NewlyClearedToolUses,
            ClearedInputTokens: clearing.Edits[0].ClearedInputTokens)
        {
            MemorySaves = 1,
            SecondsToFirstSave = record.SecondsToFirstSave,
            SecondsToClear = record.SecondsToClear,
            ClearedResults = record.ClearedResults,
        });
        // The save reads "a.py to c.py reviewed": it names a.py and c.py, not b.py. Coverage is matched as text, a proxy.
        record.ClearedResults.Select(r => (r.Input.GetProperty("path").GetString(), r.Covered))
            .ShouldBe([("a.py", true), ("b.py", false), ("c.py", true)]);
        (record.ResultsCovered, record.ResultsNotCovered).ShouldBe((2, 1));
        record.SecondsToFirstSave.ShouldNotBeNull().ShouldBeLessThanOrEqualTo(record.SecondsToClear!.Value);
        record.Preserved.ShouldBeTrue();
        record.TokensToFirstWrite.ShouldBe(harness.Of<AgentResponseEvent>().Single(r => r.Request == 6) is var r6 ? r6.InputTokens + r6.OutputTokens - warning.ProjectedInputTokens : 0);

        // Metrics: what the summary says is what the meter reported.
        var summary = result.Summary;
        summary.Warnings.ShouldBe(1);
        summary.PreservedBeforeClearing.ShouldBe(1);
        summary.Clearings.ShouldBe(harness.Of<AgentContextEditEvent>().Count(e => e.NewlyClearedToolUses > 0));
        summary.ClearedToolUses.ShouldBe(5); // memory's three kept; of six reads, the last is kept
        summary.MemoryWrites.ShouldBe(2);
        log.Sum(AgentMetrics.Warnings).ShouldBe(1);
        log.Sum(AgentMetrics.Clearings).ShouldBe(summary.Clearings);
        log.Sum(AgentMetrics.ClearedToolUses).ShouldBe(summary.ClearedToolUses);
        log.Sum(AgentMetrics.ClearedInputTokens).ShouldBe(summary.ClearedInputTokens);
        log.Sum(AgentMetrics.ClearedInputTokens).ShouldBe(harness.Of<AgentContextEditEvent>().Sum(e => e.Edits.Sum(edit => edit.ClearedInputTokens)));
        log.Values(AgentMetrics.MemoryWriteDuration).Count.ShouldBe(2);
        log.Values(AgentMetrics.RequestInputTokens).ShouldBe(harness.Of<AgentResponseEvent>().Select(r => (double)r.InputTokens));
        log.Sum(AgentMetrics.Requests).ShouldBe(summary.Requests);
        log.Tags(AgentMetrics.Preservations)[0]["mnemo.context.preserved"].ShouldBe(true);
        log.Tags(AgentMetrics.Clearings).ShouldAllBe(tags => (string)tags["mnemo.context.side"]! == (side == ContextEditingSide.Server ? "server" : "client"));
        summary.Format().ShouldContain("1 of " + summary.Preservations.Count + " clearing(s) had memory saved (text added or changed) after a warning");
    }

    [Fact]
    public async Task LongSession_WarningOff_TheClearingComesUnwarned()
    {
        var sizes = await DryRunAsync();
        await using var harness = await AgentHarness.StartAsync(LongReview);
        var result = await harness.Session(o =>
        {
            o.Tools.Add(AgentHarness.ReadFile());
            o.ContextManagement = Config(sizes[6]);
            o.WarningRatio = null;
        }).RunAsync("Review all six files.", TestContext.Current.CancellationToken);

        harness.Of<AgentContextWarningEvent>().ShouldBeEmpty();
        result.Summary.Preservations[0].Warned.ShouldBeFalse();
        result.Summary.Preservations[0].Preserved.ShouldBeFalse();
        File.ReadAllText(Path.Combine(harness.MemoryFolder, "progress.md")).ShouldBe("status: started\n");
    }

    [Fact]
    public async Task LongSession_AfterTheFirstClearing_ClearsAsItGoesWithoutWarningAgain()
    {
        var sizes = await DryRunAsync();
        await using var harness = await AgentHarness.StartAsync(LongReview);
        var result = await harness.Session(o =>
        {
            o.Tools.Add(AgentHarness.ReadFile());
            o.ContextManagement = Config(sizes[4]);
            o.LookAheadShare = 1; // each read here is a third of the tiny trigger: no look-ahead, the approach alone
        }).RunAsync("Review all six files.", TestContext.Current.CancellationToken);

        result.Completed.ShouldBeTrue();
        harness.Of<AgentContextWarningEvent>().Count().ShouldBe(1);
        result.Summary.Clearings.ShouldBeGreaterThan(1);
        result.Summary.Preservations.Count.ShouldBe(1);
        result.Summary.Preservations[0].ClearedAtRequest.ShouldBe(harness.Of<AgentContextEditEvent>().First().Request);
        result.Summary.ClearedToolUses.ShouldBe(harness.Of<AgentContextEditEvent>().Sum(e => e.NewlyClearedToolUses));
        result.Summary.ClearedToolUses.ShouldBe(harness.Of<AgentContextEditEvent>().Last().Edits[0].ClearedToolUses);
    }

    [Fact]
    public async Task LongSession_ClearAtLeast_HoldsTheFirstClearingUntilItPaysAndWarnsBeforeIt()
    {
        var sizes = await DryRunAsync();
        var perRead = sizes[4] - sizes[3];
        await using var harness = await AgentHarness.StartAsync(LongReview);
        var result = await harness.Session(o =>
        {
            o.Tools.Add(AgentHarness.ReadFile());
            o.ContextManagement = Config(sizes[3], keep: 1, clearAtLeast: perRead * 3);
        }).RunAsync("Review all six files.", TestContext.Current.CancellationToken);

        result.Completed.ShouldBeTrue();
        var first = harness.Of<AgentContextEditEvent>().First();
        first.Edits[0].ClearedInputTokens.ShouldBeGreaterThanOrEqualTo(perRead * 3);
        harness.Of<AgentRequestEvent>().Count(r => r.Request < first.Request && r.TriggerRatio >= 1).ShouldBeGreaterThan(0);
        harness.Of<AgentContextWarningEvent>().Single().Request.ShouldBeLessThan(first.Request);
        result.Summary.Preservations.Single().Preserved.ShouldBeTrue();
    }

    [Theory]
    [InlineData(ContextEditingSide.Server)]
    [InlineData(ContextEditingSide.Client)]
    public async Task ToolUsesTrigger_ClearsAtTheRequestThatHoldsThatManyToolUses(ContextEditingSide side)
    {
        await using var harness = await AgentHarness.StartAsync(LongReview);
        await harness.Session(o =>
        {
            o.Tools.Add(AgentHarness.ReadFile());
            o.ContextManagement = ContextManagementConfig.Parse(
                """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":5},"keep":{"type":"tool_uses","value":1}}]}""");
            o.ContextEditing = side;
        }).RunAsync("Review all six files.", TestContext.Current.CancellationToken);

        // Request n carries the results of n - 1 calls (one a request here, and the warning's save adds one).
        var first = harness.Of<AgentContextEditEvent>().First();
        var warning = harness.Of<AgentContextWarningEvent>().Single();
        warning.TriggerRatio.ShouldBe(0.8);
        warning.Request.ShouldBe(5);
        // Clearing begins once the conversation holds more tool uses than the trigger: at six, not at five.
        harness.Of<AgentRequestEvent>().Single(r => r.Request == 6).TriggerRatio.ShouldBe(1.0);
        first.Request.ShouldBe(7);
        harness.Of<AgentRequestEvent>().Single(r => r.Request == 7).TriggerRatio.ShouldBe(1.2);
        first.Edits[0].ClearedToolUses.ShouldBe(2); // of six: the three memory calls are excluded, and the last read is kept
    }

    [Theory]
    [InlineData(ContextEditingSide.Server)]
    [InlineData(ContextEditingSide.Client)]
    public async Task Thinking_KeptThroughTheToolLoop_AndOldThinkingCleared(ContextEditingSide side)
    {
        await using var harness = await AgentHarness.StartAsync("""
            conversations:
              - match: "think"
                turns:
                  - thinking: "First, what does memory hold?"
                    tool_use: {name: memory, input: {command: view, path: /memories}}
                  - thinking: "Nothing stored. Answering."
                    text: "Nothing stored yet."
                  - thinking: "A second question."
                    text: "Still nothing."
                  - thinking: "A third question."
                    text: "Nothing, as before."
            """);
        var session = harness.Session(o =>
        {
            o.MaxTokens = 4096;
            o.ThinkingBudgetTokens = 1024;
            o.ContextManagement = ContextManagementConfig.Parse("""{"edits":[{"type":"clear_thinking_20251015","keep":{"type":"thinking_turns","value":1}}]}""");
            o.ContextEditing = side;
        });
        var ct = TestContext.Current.CancellationToken;

        (await session.RunAsync("Think about memory.", ct)).Text.ShouldBe("Nothing stored yet.");
        (await session.RunAsync("And again?", ct)).Text.ShouldBe("Still nothing.");
        (await session.RunAsync("Once more?", ct)).Text.ShouldBe("Nothing, as before.");

        // The tool loop sent its thinking back untouched (the emulator checks signatures); the third turn's request
        // dropped the first turn's thinking and kept the second's.
        var edit = harness.Of<AgentContextEditEvent>().Single();
        edit.Edits.Single().ShouldBe(edit.Edits.Single() with { Type = ClearThinkingEdit.TypeName, ClearedThinkingTurns = 1 });
        edit.Request.ShouldBe(4);
        JsonSerializer.Serialize(session.Messages).ShouldContain("First, what does memory hold?");
        Seen(harness, side, 3).GetRawText().ShouldNotContain("First, what does memory hold?");
        Seen(harness, side, 3).GetRawText().ShouldContain("A second question.");
    }

    /// <summary>The request the assistant answered at an exchange: as sent (client side) or after the emulator's editing.</summary>
    private static JsonElement Seen(AgentHarness harness, ContextEditingSide side, int exchange)
    {
        var e = harness.Emulator.Exchanges[exchange];
        return side == ContextEditingSide.Client ? e.Request!.Value : e.AnsweredRequest ?? e.Request!.Value;
    }

    /// <summary>Each tool result's text, by <c>tool:path</c> (read_file) or <c>memory:command</c> for the first of each.</summary>
    private static Dictionary<string, string> ToolResults(JsonElement request)
    {
        var calls = new Dictionary<string, string>();
        var results = new Dictionary<string, string>();
        foreach (var message in request.GetProperty("messages").EnumerateArray())
        {
            if (message.GetProperty("content").ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            foreach (var block in message.GetProperty("content").EnumerateArray())
            {
                var type = block.GetProperty("type").GetString();
                if (type == "tool_use")
                {
                    var input = block.GetProperty("input");
                    var name = block.GetProperty("name").GetString();
                    var key = name == "memory" ? $"memory:{input.GetProperty("command").GetString()}" : $"{name}:{input.GetProperty("path").GetString()}";
                    calls.TryAdd(block.GetProperty("id").GetString()!, key);
                }
                else if (type == "tool_result" && calls.TryGetValue(block.GetProperty("tool_use_id").GetString()!, out var key))
                {
                    var content = block.GetProperty("content");
                    results.TryAdd(key, content.ValueKind == JsonValueKind.String ? content.GetString()! : content[0].GetProperty("text").GetString()!);
                }
            }
        }

        return results;
    }
}
