using Mnemo.Context;
using Mnemo.Tokens;

namespace Mnemo.Tests.Tokens;

public sealed class UsageCalibratedTokenCounterTests
{
    private const string Sent = """
        {"model":"m","system":"You review code.","messages":[
          {"role":"user","content":"Review the repository."},
          {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"bash","input":{"command":"cat a.cs"}}]},
          {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"class A\n{\n    public void Run(int count)\n    {\n        for (var i = 0; i < count; i++) { Console.WriteLine(i); }\n    }\n}\n"}]}]}
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static long Estimate(string json) => EstimatingTokenCounter.Instance.Count(ContextRequest.Parse(json));

    [Fact]
    public async Task CountAsync_BeforeCalibration_IsTheEstimate()
    {
        var counter = new UsageCalibratedTokenCounter();
        counter.IsCalibrated.ShouldBeFalse();
        (await counter.CountAsync(ContextRequest.Parse(Sent), Ct)).ShouldBe(Estimate(Sent));
    }

    [Fact]
    public async Task CountAsync_TheSentRequest_IsExactlyWhatUsageSaid()
    {
        var counter = new UsageCalibratedTokenCounter();
        await counter.CalibrateAsync(ContextRequest.Parse(Sent), 1234, Ct);

        counter.IsCalibrated.ShouldBeTrue();
        (await counter.CountAsync(ContextRequest.Parse(Sent), Ct)).ShouldBe(1234);
    }

    [Fact]
    public async Task CountAsync_AfterAppending_AddsOnlyTheEstimateOfWhatWasAppended()
    {
        var counter = new UsageCalibratedTokenCounter();
        await counter.CalibrateAsync(ContextRequest.Parse(Sent), 1234, Ct);
        const string Appended = """{"role":"assistant","content":[{"type":"text","text":"The class A has an empty Run method."}]}""";
        var next = Sent.Replace("]}]}", "]}," + Appended + "]}", StringComparison.Ordinal);

        var count = await counter.CountAsync(ContextRequest.Parse(next), Ct);

        count.ShouldBe(1234 + EstimatingTokenCounter.Count(ContextMessage.FromJson(System.Text.Json.JsonDocument.Parse(Appended).RootElement)));
        (Estimate(next) - Estimate(Sent)).ShouldBe(count - 1234);
    }

    [Fact]
    public async Task CountAsync_AfterClearing_FallsByTheEstimateOfWhatWasCleared()
    {
        var counter = new UsageCalibratedTokenCounter();
        var sent = ContextRequest.Parse(Sent);
        await counter.CalibrateAsync(sent, 1234, Ct);
        var config = ContextManagementConfig.Parse(
            """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"input_tokens","value":1},"keep":{"type":"tool_uses","value":0}}]}""");

        var edit = await new ContextEditor(counter).EditAsync(sent, config, Ct);

        edit.OriginalInputTokens.ShouldBe(1234);
        var cleared = Estimate(Sent) - EstimatingTokenCounter.Instance.Count(edit.Request);
        cleared.ShouldBePositive();
        edit.InputTokens.ShouldBe(1234 - cleared);
        edit.AppliedEdits.Single().ClearedInputTokens.ShouldBe(cleared);
    }

    [Fact]
    public async Task CalibrateAsync_Again_ReplacesTheLastCalibration()
    {
        var counter = new UsageCalibratedTokenCounter();
        await counter.CalibrateAsync(ContextRequest.Parse(Sent), 1234, Ct);
        await counter.CalibrateAsync(ContextRequest.Parse(Sent), 999, Ct);
        (await counter.CountAsync(ContextRequest.Parse(Sent), Ct)).ShouldBe(999);
        await Should.ThrowAsync<ArgumentOutOfRangeException>(() => counter.CalibrateAsync(ContextRequest.Parse(Sent), -1, Ct).AsTask());
    }
}
