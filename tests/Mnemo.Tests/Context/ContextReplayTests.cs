using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Mnemo.Context;
using Mnemo.Context.Replay;

namespace Mnemo.Tests.Context;

/// <summary>Replaying a session gives, request by request, what the engine gives each request edited whole, and counts the
/// prompt cache as the API keeps it.</summary>
public sealed class ContextReplayTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Replay_MatchesTheEngine_OnEveryRequestOfGeneratedSessions()
    {
        var editor = new ContextEditor();
        var compared = 0;
        for (var seed = 1; seed <= 600; seed++)
        {
            var random = new Random(seed);
            var json = ContextEditorInvariantTests.Generate(random, thinking: false);
            var config = ContextManagementConfig.Parse(ContextEditorInvariantTests.GenerateConfig(random, thinking: false));
            var session = SessionTranscripts.Read(Encoding.UTF8.GetBytes(json.ToJsonString()));
            var segment = session.Segments.ShouldHaveSingleItem();

            var replayed = ContextReplay.Run(session, [("generated", config)])[1];

            for (var i = 0; i < segment.Requests.Count; i++)
            {
                var prefix = segment.Conversation.WithMessages([.. segment.Conversation.Messages.Take(segment.Requests[i].MessageCount)]);
                var whole = await editor.EditAsync(prefix, config, Ct);
                var row = replayed.Rows[i];
                var context = string.Create(CultureInfo.InvariantCulture, $"seed {seed}, request {i + 1}");
                row.InputTokens.ShouldBe(whole.OriginalInputTokens, context);
                row.EditedInputTokens.ShouldBe(whole.InputTokens, context);
                row.ClearedToolUses.ShouldBe(whole.AppliedEdits.Sum(edit => edit.ClearedToolUses), context);
                compared++;
            }
        }

        compared.ShouldBeGreaterThan(2000);
    }

    /// <summary>A session of <paramref name="turns"/> rounds: each a tool call whose result is
    /// <paramref name="resultWords"/> words, at <paramref name="minutesApart"/> minutes apart.</summary>
    private static ReplaySession Session(int turns, int resultWords, double minutesApart = 1, int callsPerTurn = 1)
    {
        var messages = new JsonArray { new JsonObject { ["role"] = "user", ["content"] = "Review the repository." } };
        var requests = new JsonArray();
        var start = new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
        for (var t = 0; t < turns; t++)
        {
            requests.Add(new JsonObject { ["messages"] = messages.Count, ["at"] = start.AddMinutes(t * minutesApart).ToString("O", CultureInfo.InvariantCulture) });
            var content = new JsonArray();
            var results = new JsonArray();
            for (var c = 0; c < callsPerTurn; c++)
            {
                var id = $"toolu_{t}_{c}";
                content.Add(new JsonObject { ["type"] = "tool_use", ["id"] = id, ["name"] = "read_file", ["input"] = new JsonObject { ["path"] = $"f{t}_{c}.py" } });
                results.Add(new JsonObject { ["type"] = "tool_result", ["tool_use_id"] = id, ["content"] = string.Join(' ', Enumerable.Repeat("word", resultWords)) });
            }

            messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = content });
            messages.Add(new JsonObject { ["role"] = "user", ["content"] = results });
        }

        var body = new JsonObject { ["model"] = "claude-sonnet-4-5", ["messages"] = messages, [SessionTranscripts.RequestsField] = requests };
        return SessionTranscripts.Read(Encoding.UTF8.GetBytes(body.ToJsonString()));
    }

    private static ContextManagementConfig Clearing(long trigger, long keep) =>
        new([new ClearToolUsesEdit { Trigger = new ContextTrigger(ContextTriggerKind.InputTokens, trigger), Keep = keep }]);

    [Fact]
    public void Cache_WithoutEditing_EachRequestReadsTheOneBefore_AndWritesWhatItAdds()
    {
        var session = Session(turns: 6, resultWords: 1500);

        var rows = ContextReplay.Run(session, [])[0].Rows;

        rows[0].CacheReadTokens.ShouldBe(0, "below the minimum a prefix must hold to be cached");
        for (var i = 2; i < rows.Count; i++)
        {
            rows[i].CacheReadTokens.ShouldBe(rows[i - 1].InputTokens);
            rows[i].CacheWriteTokens.ShouldBe(rows[i].InputTokens - rows[i - 1].InputTokens);
            rows[i].UncachedTokens.ShouldBe(0);
        }
    }

    [Fact]
    public void Cache_AClearingRewritesThePrefixAfterIt_AndTheNextRequestReadsAgain()
    {
        var session = Session(turns: 8, resultWords: 1500);

        var results = ContextReplay.Run(session, [("trigger 4000", Clearing(4000, keep: 1))]);
        var rows = results[1].Rows;

        var first = rows.First(row => row.NewlyCleared > 0);
        first.CacheReadTokens.ShouldBe(0, "the first cleared result sits near the start, so no cached prefix survives it");
        first.CacheWriteTokens.ShouldBe(first.EditedInputTokens);
        var next = rows[first.Number];
        next.NewlyCleared.ShouldBe(1);
        next.CacheReadTokens.ShouldBe(0, "each request clears the result that aged out of keep: the prefix changes again");
        results[1].CacheWriteTokens.ShouldBeGreaterThan(results[0].CacheWriteTokens, "clearing every turn costs cache writes");
        results[1].InputTokens.ShouldBeLessThan(results[0].InputTokens);
    }

    [Fact]
    public void Cache_AnEntryOlderThanItsLife_IsNotRead()
    {
        var rows = ContextReplay.Run(Session(turns: 4, resultWords: 1500, minutesApart: 6), [])[0].Rows;

        rows.Skip(1).ShouldAllBe(row => row.CacheReadTokens == 0 && row.CacheWriteTokens == row.InputTokens);
    }

    [Fact]
    public void Cache_ATurnOfMoreThanTwentyBlocks_LeavesTheEarlierBreakpointOutOfReach()
    {
        var rows = ContextReplay.Run(Session(turns: 3, resultWords: 200, callsPerTurn: 11), [])[0].Rows;

        rows[2].CacheReadTokens.ShouldBe(0, "22 blocks since the last breakpoint: the API looks back about 20");
    }

    [Fact]
    public void Cost_IsAtTheModelsListPrices()
    {
        var session = Session(turns: 5, resultWords: 1500);
        var prices = ClaudeModels.Find("claude-sonnet-4-5").Model.Prices;

        var rows = ContextReplay.Run(session, [])[0].Rows;

        rows.ShouldAllBe(row => row.Cost == prices.Cost(row.UncachedTokens, 0, row.CacheReadTokens, row.CacheWriteTokens));
    }

    [Fact]
    public void Configurations_ThatReplayDoesNotModel_AreRefusedInWords()
    {
        var config = ContextManagementConfig.Parse("""{"edits": [{"type": "compact_20260112"}]}""");

        Should.Throw<ContextFormatException>(() => ContextReplay.Run(Session(2, 10), [("c", config)]))
            .Message.ShouldBe("context_management: replay models clear_tool_uses_20250919 only; compact_20260112 is not replayed yet");
    }

    /// <summary>A session reading the paths in order, one call a request, each result <paramref name="words"/> words.</summary>
    private static ReplaySession Reads(int words, params string[] paths)
    {
        var messages = new JsonArray { new JsonObject { ["role"] = "user", ["content"] = "Review the repository." } };
        for (var t = 0; t < paths.Length; t++)
        {
            var id = $"toolu_{t}";
            messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = new JsonArray { new JsonObject { ["type"] = "tool_use", ["id"] = id, ["name"] = paths[t].EndsWith(".log", StringComparison.Ordinal) ? "read_log" : "read_file", ["input"] = new JsonObject { ["path"] = paths[t] } } } });
            messages.Add(new JsonObject { ["role"] = "user", ["content"] = new JsonArray { new JsonObject { ["type"] = "tool_result", ["tool_use_id"] = id, ["content"] = $"{paths[t]} " + string.Join(' ', Enumerable.Repeat("word", words)) } } });
        }

        messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = "Done." });
        return SessionTranscripts.Read(Encoding.UTF8.GetBytes(new JsonObject { ["model"] = "claude-sonnet-4-5", ["messages"] = messages }.ToJsonString()));
    }

    [Fact]
    public void Adaptive_AResultNeededAgainSoon_RaisesKeep_AndAToolNeededAgainMostly_IsExcluded()
    {
        // a.log is read, cleared, and read again; then b.log likewise: logs are needed again, files are not.
        var session = Reads(600, "f1.py", "f2.py", "a.log", "f3.py", "f4.py", "a.log", "f5.py", "b.log", "f6.py", "f7.py", "b.log", "f8.py");
        var start = new ContextManagementConfig([new ClearToolUsesEdit { Trigger = new ContextTrigger(ContextTriggerKind.InputTokens, 1500), Keep = 1 }]);

        var (result, changes, _) = ContextReplay.Adaptive(session, "adaptive", start, adaptive: new AdaptiveClearingOptions { PaybackRequests = null });

        changes.ShouldContain(c => c.Setting == "keep" && c.From == "1" && c.To == "2" && c.Reason.StartsWith("a cleared read_log result was needed again", StringComparison.Ordinal));
        var excluded = changes.Single(c => c.Setting == "exclude_tools");
        (excluded.To, excluded.Reason).ShouldBe(("read_log", "2 of the 3 cleared read_log results were needed again"));
        result.Rows.Count.ShouldBe(session.RequestCount);
    }

    [Fact]
    public void Adaptive_ClearsInBatchesThatPayForTheirCacheRewrite_WhereTheApiWouldRewriteOnEveryRequest()
    {
        var session = Reads(300, [.. Enumerable.Range(1, 120).Select(i => $"f{i}.py")]);
        var start = new ContextManagementConfig([new ClearToolUsesEdit { Trigger = new ContextTrigger(ContextTriggerKind.InputTokens, 8000), Keep = 3 }]);

        var fixedRun = ContextReplay.Run(session, [("fixed", start)])[1];
        var (adaptive, changes, held) = ContextReplay.Adaptive(session, "adaptive", start, adaptive: new AdaptiveClearingOptions { PaybackRequests = 20, QuietClearings = 2 });

        fixedRun.Clearings.ShouldBeGreaterThan(90, "past the trigger, the API clears one more result on every request");
        held.ShouldBeGreaterThan(0);
        adaptive.Clearings.ShouldBeLessThan(fixedRun.Clearings / 2, $"{adaptive.Clearings} against {fixedRun.Clearings}; cache writes {adaptive.CacheWriteTokens} against {fixedRun.CacheWriteTokens}; cost {adaptive.Cost} against {fixedRun.Cost}");
        adaptive.CacheWriteTokens.ShouldBeLessThan(fixedRun.CacheWriteTokens / 2, $"cache writes {adaptive.CacheWriteTokens} against {fixedRun.CacheWriteTokens}; cost {adaptive.Cost} against {fixedRun.Cost}");
        adaptive.Cost.ShouldBeLessThan(fixedRun.Cost);
        changes.ShouldContain(c => c.Setting == "keep" && c.Reason == "2 clearings in a row took nothing that was needed again");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Adaptive_CostsAtMostTheBestPresetPlusFivePercent_AndLessThanTheDefault(bool rereads)
    {
        // 600 reads past every preset's trigger; with rereads, a log read every 7 calls is read again 3 calls later.
        var paths = Enumerable.Range(0, 600).Select(i => rereads && i % 7 is 0 or 3 ? $"l{i / 7}.log" : $"f{i}.py").ToArray();
        var session = Reads(300, paths);
        var presets = ContextPresets.Names.Select(name => (name, ContextPresets.Find(name)!)).ToList();
        var @default = ContextManagementConfig.Parse("""{"edits":[{"type":"clear_tool_uses_20250919"}]}""");

        var results = ContextReplay.Run(session, [.. presets, ("default", @default)]);
        var (adaptive, _, _) = ContextReplay.Adaptive(session, "adaptive", ContextPresets.Development);

        var best = results.Skip(1).Take(presets.Count).MinBy(result => result.Cost)!;
        var figures = string.Join(", ", results.Select(result => $"{result.Name} {result.Cost:0.0000}")) + $", adaptive {adaptive.Cost:0.0000}";
        results.Skip(1).ShouldAllBe(result => result.Clearings > 0, "every configuration reaches its trigger: " + figures);
        adaptive.Cost.ShouldBeLessThanOrEqualTo(best.Cost * 1.05m, figures);
        adaptive.Cost.ShouldBeLessThan(results[^1].Cost, figures);
    }
}
