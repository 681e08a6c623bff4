using System.Text.Json;
using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Helpers.Beta;
using Anthropic.Models.Beta.Messages;
using Mnemo.Context;
using static Mnemo.Emulator.Tests.Emulators;
using static Mnemo.Emulator.Tests.MessagesEmulatorSdkTests;

namespace Mnemo.Emulator.Tests;

/// <summary><c>compact_20260112</c> as the official SDK sees it from the emulator, over real HTTP.</summary>
public sealed class CompactionEmulatorTests
{
    private const string CompactBeta = "compact-2026-01-12";
    private const string Compact = """{"model":"claude-sonnet-4-6","context_management":{"edits":[{"type":"compact_20260112","trigger":{"type":"input_tokens","value":50000}}]}}""";
    private const string CompactAndPause = """{"model":"claude-sonnet-4-6","context_management":{"edits":[{"type":"compact_20260112","trigger":{"type":"input_tokens","value":50000},"pause_after_compaction":true}]}}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Thirty tool rounds whose results are about 2,500 tokens each: well past a 50,000-token trigger.</summary>
    private static string LongLoop { get; } = string.Join(',', new[] { User("Read the files.") }.Concat(Enumerable.Range(0, 30).SelectMany(i => new[]
    {
        $$$"""{"role":"assistant","content":[{"type":"tool_use","id":"toolu_{{{i}}}","name":"read_file","input":{"path":"f{{{i}}}.py"}}]}""",
        $$$"""{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_{{{i}}}","content":"{{{string.Join(' ', Enumerable.Range(0, 800).Select(k => $"lock{k} wait{i}"))}}}"}]}""",
    })));

    [Fact]
    public async Task Create_PastTheTrigger_TheCompactionBlockComesFirst_ThenTheReplyOnTheCompactedContext()
    {
        await using var emulator = await StartAsync("turns: [Noted.]");
        using var client = emulator.Client();

        var message = await client.Beta.Messages.Create(Params(Body(LongLoop, Compact), ContextBeta, CompactBeta), Ct);

        message.Content.Count.ShouldBe(2);
        message.Content[0].TryPickCompaction(out var block).ShouldBeTrue();
        block!.Content.ShouldNotBeNull().ShouldStartWith("Summary of the earlier conversation (61 messages");
        message.Content[1].TryPickText(out var text).ShouldBeTrue();
        text!.Text.ShouldBe("Noted.");
        message.StopReason!.Raw().ShouldBe("end_turn");

        // The model answered the summary alone; the usage is the message's, the compaction's own request is an iteration.
        var seen = emulator.Exchanges.Single().AnsweredRequest!.Value.GetProperty("messages");
        seen.GetArrayLength().ShouldBe(1);
        var iterations = message.Usage.Iterations.ShouldNotBeNull();
        iterations.Count.ShouldBe(2);
        iterations[0].TryPickBetaCompactionIterationUsage(out var compaction).ShouldBeTrue();
        compaction!.InputTokens.ShouldBeGreaterThan(50_000);
        compaction.OutputTokens.ShouldBeGreaterThan(0);
        iterations[1].TryPickBetaMessageIterationUsage(out var sampled).ShouldBeTrue();
        sampled!.InputTokens.ShouldBe(message.Usage.InputTokens);
        message.Usage.InputTokens.ShouldBeLessThan(50_000);
    }

    [Fact]
    public async Task CreateStreaming_TheCompactionBlockArrivesWhole_AndAggregatesToWhatCreateReturns()
    {
        await using var emulator = await StartAsync("turns: [Noted.]");
        using var client = emulator.Client();
        var body = Body(LongLoop, Compact);

        var whole = await client.Beta.Messages.Create(Params(body, ContextBeta, CompactBeta), Ct);
        var deltas = new List<string>();
        var streamed = await client.Beta.Messages.CreateStreaming(Params(body, ContextBeta, CompactBeta), Ct)
            .Select(streamEvent =>
            {
                if (streamEvent.Json.GetProperty("type").GetString() == "content_block_delta")
                {
                    deltas.Add(streamEvent.Json.GetProperty("delta").GetProperty("type").GetString()!);
                }

                return streamEvent;
            })
            .Aggregate();

        JsonElement.DeepEquals(JsonSerializer.SerializeToElement(streamed.Content), JsonSerializer.SerializeToElement(whole.Content))
            .ShouldBeTrue($"streamed {JsonSerializer.Serialize(streamed.Content)}\nwhole {JsonSerializer.Serialize(whole.Content)}");
        deltas[0].ShouldBe("compaction_delta");
        deltas.Count(type => type == "compaction_delta").ShouldBe(1);
    }

    [Fact]
    public async Task Create_PauseAfterCompaction_StopsAfterTheBlock_WithStopReasonCompaction()
    {
        await using var emulator = await StartAsync("turns: [Noted.]");
        using var client = emulator.Client();

        var message = await client.Beta.Messages.Create(Params(Body(LongLoop, CompactAndPause), ContextBeta, CompactBeta), Ct);

        message.StopReason!.Raw().ShouldBe("compaction");
        message.Content.Single().TryPickCompaction(out var block).ShouldBeTrue();
        block!.Content.ShouldNotBeNullOrEmpty();
        message.Usage.OutputTokens.ShouldBe(0);
        message.Usage.Iterations!.Single().TryPickBetaCompactionIterationUsage(out _).ShouldBeTrue();
    }

    [Fact]
    public async Task Create_TheBlockSentBack_StandsInForEverythingBeforeIt()
    {
        await using var emulator = await StartAsync("turns: [Noted., Next done.]", options => options.Summarizer = new Scripted("Read 30 files; f7.py holds the race."));
        using var client = emulator.Client();
        var first = await client.Beta.Messages.Create(Params(Body(LongLoop, Compact), ContextBeta, CompactBeta), Ct);
        first.Content[0].TryPickCompaction(out var block).ShouldBeTrue();
        block!.Content.ShouldBe("Read 30 files; f7.py holds the race.");

        // The caller round-trips the assistant message exactly as it came, then asks on.
        var assistant = JsonSerializer.Serialize(new { role = "assistant", content = first.Content });
        var second = await client.Beta.Messages.Create(Params(Body($"{LongLoop},{assistant},{User("Fix it.")}", Compact), ContextBeta, CompactBeta), Ct);

        second.Content.Single().TryPickText(out var text).ShouldBeTrue();
        text!.Text.ShouldBe("Next done.");
        var messages = emulator.Exchanges[^1].AnsweredRequest!.Value.GetProperty("messages");
        messages.GetArrayLength().ShouldBe(3);
        messages[0].GetProperty("content")[0].GetProperty("text").GetString().ShouldBe("Read 30 files; f7.py holds the race.");
        messages[1].GetProperty("content")[0].GetProperty("text").GetString().ShouldBe("Noted.");
        second.Usage.InputTokens.ShouldBeLessThan(1_000);

        // count_tokens counts what the model would see: the summary, not the thirty results before it.
        var count = await client.Beta.Messages.CountTokens(
            MessageCountTokensParams.FromRawUnchecked(
                new Dictionary<string, JsonElement> { ["anthropic-beta"] = JsonSerializer.SerializeToElement(new[] { CompactBeta }) },
                new Dictionary<string, JsonElement>(),
                JsonDocument.Parse(Body($"{LongLoop},{assistant},{User("Fix it.")}")).RootElement.EnumerateObject()
                    .Where(property => property.Name != "max_tokens").ToDictionary(property => property.Name, property => property.Value.Clone())),
            Ct);
        count.InputTokens.ShouldBe(second.Usage.InputTokens);
    }

    [Fact]
    public async Task Create_AScriptsCompactionSummary_IsTheBlocksContent()
    {
        await using var emulator = await StartAsync("compaction_summary: Thirty files read; the race is in f7.py.\nturns: [Noted.]");
        using var client = emulator.Client();

        var message = await client.Beta.Messages.Create(Params(Body(LongLoop, Compact), ContextBeta, CompactBeta), Ct);

        message.Content[0].TryPickCompaction(out var block).ShouldBeTrue();
        block!.Content.ShouldBe("Thirty files read; the race is in f7.py.");
    }

    [Fact]
    public async Task Create_ASummaryThatFails_ReturnsABlockWithNullContent_AndTheFullContextIsAnswered()
    {
        await using var emulator = await StartAsync("turns: [Noted.]", options => options.Summarizer = new Scripted(null));
        using var client = emulator.Client();

        var message = await client.Beta.Messages.Create(Params(Body(LongLoop, Compact), ContextBeta, CompactBeta), Ct);

        message.Content[0].TryPickCompaction(out var block).ShouldBeTrue();
        block!.Content.ShouldBeNull();
        message.Usage.InputTokens.ShouldBeGreaterThan(50_000);
    }

    [Fact]
    public async Task Create_CompactionWithoutItsBeta_IsRejectedAsTheApiDoes()
    {
        await using var emulator = await StartAsync("turns: [Noted.]");
        using var client = emulator.Client();

        var error = await Should.ThrowAsync<AnthropicBadRequestException>(() => client.Beta.Messages.Create(Params(Body(User("hi"), Compact), ContextBeta), Ct));

        ApiMessage(error).ShouldBe("context_management.edits.0.type: Input tag 'compact_20260112' found using 'type' does not match any of the expected tags: 'clear_tool_uses_20250919', 'clear_thinking_20251015'");
    }

    [Fact]
    public async Task Create_CompactionOnAModelTheApiDoesNotCompactFor_IsRefused()
    {
        await using var emulator = await StartAsync("turns: [Noted.]");
        using var client = emulator.Client();
        var body = Body(User("hi"), """{"model":"claude-sonnet-4-5","context_management":{"edits":[{"type":"compact_20260112"}]}}""");

        var error = await Should.ThrowAsync<AnthropicBadRequestException>(() => client.Beta.Messages.Create(Params(body, ContextBeta, CompactBeta), Ct));

        ApiMessage(error).ShouldBe("context_management.edits.0.type: `compact_20260112` is not supported for claude-sonnet-4-5-20250929");
    }

    [Theory]
    [InlineData("""{"type":"compaction","content":""}""", "messages.1.content.0.content: Empty string content is not allowed; send null for a failed compaction")]
    [InlineData("""{"type":"compaction"}""", "messages.1.content.0.content: Field required")]
    public async Task Create_ABadCompactionBlock_IsRejectedNamingTheField(string block, string expected)
    {
        await using var emulator = await StartAsync("turns: [Noted.]");
        using var client = emulator.Client();
        var body = Body($$"""{{User("hi")}},{"role":"assistant","content":[{{block}},{"type":"text","text":"Hello."}]},{{User("again")}}""");

        var error = await Should.ThrowAsync<AnthropicBadRequestException>(() => client.Beta.Messages.Create(Params(body, CompactBeta), Ct));

        ApiMessage(error).ShouldBe(expected);
    }

    private sealed class Scripted(string? summary) : IContextSummarizer
    {
        public ValueTask<ContextSummary> SummarizeAsync(ContextRequest request, string? instructions, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new ContextSummary(summary, 0, 0));
    }
}
