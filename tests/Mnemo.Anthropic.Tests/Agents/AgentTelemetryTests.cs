using System.Diagnostics;
using Mnemo.Anthropic.Agents;
using Microsoft.Extensions.Logging;
using Mnemo.Context;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Mnemo.Anthropic.Tests.Agents;

/// <summary>Mnemo's spans and metrics through OpenTelemetry's SDK (<c>AddMnemoInstrumentation()</c>, in-memory
/// exporters): each turn a <c>chat</c> span in the generative-AI conventions, each memory command a span under it, the
/// context figures as metrics; and no memory content or tool result in any of them.</summary>
/// <remarks>Listeners are process-wide and other tests run at the same time, so this one reads only its own trace (the
/// spans under its root) and the metric points of a model no other test uses.</remarks>
public sealed class AgentTelemetryTests
{
    private const string Model = "claude-sonnet-4-0";

    private static readonly ActivitySource TestSource = new("Mnemo.Tests.Telemetry");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Secret = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";

    private const string Script = """
        conversations:
          - match: "remember"
            turns:
              - tool_use: {name: memory, input: {command: create, path: /memories/notes.md, file_text: "token ghp_0123456789abcdefghijklmnopqrstuvwxyzAB deploys on Tuesdays\n"}}
              - tool_use: {name: memory, input: {command: view, path: /memories/missing.md}}
              - tool_use: {name: read_file, input: {path: a.py}}
              - tool_use: {name: read_file, input: {path: b.py}}
              - tool_use: {name: read_file, input: {path: c.py}}
              - Remembered.
        """;

    [Fact]
    public async Task EachTurnAndMemoryCommand_IsASpan_TheFiguresAreMetrics_AndNoContentLeaks()
    {
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(TestSource.Name).AddMnemoInstrumentation().AddInMemoryExporter(spans).Build();
        using var meters = Sdk.CreateMeterProviderBuilder().AddMnemoInstrumentation().AddInMemoryExporter(metrics).Build();
        await using var harness = await AgentHarness.StartAsync(Script);
        var session = harness.Session(o =>
        {
            o.Tools.Add(AgentHarness.ReadFile(lines: 40));
            o.ContextManagement = ContextManagementConfig.Parse(
                """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"input_tokens","value":2500},"keep":{"type":"tool_uses","value":1}}]}""");
            o.PreserveBeforeClear = PreserveBeforeClear.Never;
            o.Model = Model;
        });

        AgentRunResult result;
        ActivityTraceId trace;
        using (var root = TestSource.StartActivity("test")!)
        {
            trace = root.TraceId;
            result = await session.RunAsync("Please remember the deploy day.", Ct);
        }

        tracing.ForceFlush();
        // Other tests' spans of the same source keep arriving on other threads: this test reads a copy of its own.
        var mine = Snapshot(spans).Where(span => span.TraceId == trace && span.Source.Name == MnemoTelemetry.SourceName).ToList();
        meters.ForceFlush();

        result.Completed.ShouldBeTrue(result.Message);
        var turns = mine.Where(span => span.DisplayName == "chat " + Model).ToList();
        turns.Count.ShouldBe(result.Turns);
        turns[0].Kind.ShouldBe(ActivityKind.Client);
        turns[0].GetTagItem("gen_ai.operation.name").ShouldBe("chat");
        turns[0].GetTagItem("gen_ai.provider.name").ShouldBe("anthropic");
        turns.Sum(span => (long)span.GetTagItem("gen_ai.usage.input_tokens")!).ShouldBe(result.Summary.InputTokens);
        turns.Sum(span => (int)span.GetTagItem("mnemo.context.newly_cleared_tool_uses")!).ShouldBe(result.Summary.ClearedToolUses);

        var memory = mine.Where(span => span.DisplayName.StartsWith("memory ", StringComparison.Ordinal)).ToList();
        memory.Select(span => (span.DisplayName, span.GetTagItem("mnemo.memory.outcome"), span.Status)).ShouldBe(
        [
            ("memory create", "ok", ActivityStatusCode.Unset),
            ("memory view", "error", ActivityStatusCode.Error),
        ]);
        memory[0].GetTagItem("mnemo.memory.store").ShouldBe("FileSystemMemoryStore");

        // Names, counts and outcomes only: not the secret, the note, the path or a file's text.
        var tags = mine.SelectMany(span => span.TagObjects.Select(tag => $"{tag.Key}={tag.Value}").Append(span.DisplayName)).ToList();
        tags.ShouldNotContain(tag => tag.Contains(Secret, StringComparison.Ordinal) || tag.Contains("Tuesdays", StringComparison.Ordinal) ||
            tag.Contains("/memories", StringComparison.Ordinal) || tag.Contains("a.py", StringComparison.Ordinal));

        // Every meter named Mnemo.Agent (the session's, a chat client's, another test's) is a stream of its own: all are
        // read, and the points of this test's model summed.
        var total = 0L;
        foreach (var clearings in metrics.Where(metric => metric.Name == "mnemo.context.clearings"))
        {
            foreach (ref readonly var point in clearings.GetMetricPoints())
            {
                foreach (var tag in point.Tags)
                {
                    if (tag.Key == "mnemo.agent.model" && Model.Equals(tag.Value))
                    {
                        total += point.GetSumLong();
                    }
                }
            }
        }

        total.ShouldBe(result.Summary.Clearings);
        total.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task TheSessionsLogLines_CarryEventIdsAndFigures_AndNoContentAtInformationOrAbove()
    {
        using var logs = new Microsoft.Extensions.Logging.Testing.FakeLoggerProvider();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        await using var harness = await AgentHarness.StartAsync(Script);
        var session = harness.Session(o =>
        {
            o.Tools.Add(AgentHarness.ReadFile(lines: 40));
            o.ContextManagement = ContextManagementConfig.Parse(
                """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"input_tokens","value":2500},"keep":{"type":"tool_uses","value":1}}]}""");
            o.LoggerFactory = factory;
        });

        var result = await session.RunAsync("Please remember the deploy day.", Ct);

        result.Completed.ShouldBeTrue(result.Message);
        var records = logs.Collector.GetSnapshot();
        records.Where(r => r.Id.Id == 2001).Count().ShouldBe(result.Turns, "a Debug line per request");
        records.ShouldContain(r => r.Id.Id == 2005 && r.Level == LogLevel.Information, "a clearing");
        records.ShouldContain(r => r.Id.Id == 2007 && r.Message.Contains("preserved", StringComparison.Ordinal), "the clearing's outcome");
        records.ShouldContain(r => r.Id.Id == 2003 && r.Message == "Request 2: tool memory failed (error result)", "the view of a missing file");
        records.ShouldAllBe(r => r.Category == "Mnemo.Agent");
        records.Where(r => r.Level >= LogLevel.Information).ShouldAllBe(r =>
            !r.Message.Contains(Secret, StringComparison.Ordinal) && !r.Message.Contains("Tuesdays", StringComparison.Ordinal) &&
            !r.Message.Contains("a.py", StringComparison.Ordinal));
        records.ShouldAllBe(r => !r.Message.Contains(Secret, StringComparison.Ordinal), "nor at Debug");
    }

    /// <summary>A copy of a list the exporter appends to from other threads, taken again if an append got in its way.</summary>
    private static List<Activity> Snapshot(List<Activity> spans)
    {
        while (true)
        {
            try
            {
                return [.. spans.ToArray().Where(span => span is not null)];
            }
            catch (Exception exception) when (exception is InvalidOperationException or ArgumentException)
            {
                // An append resized the list mid-copy: copy again.
            }
        }
    }
}
