using System.Text.Json.Nodes;
using Mnemo.Tests;

namespace Mnemo.Cli.Tests;

/// <summary>Runs <c>mnemo context simulate</c> as a real process on the sample request and on broken files.</summary>
public sealed class ContextSimulateCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Sample => MnemoProcess.InRepository("samples", "context", "code-review-request.json");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Simulate_SampleWithItsOwnConfig_PrintsEachStrategyAndWritesTheAnsweredRequest()
    {
        var edited = _temp.Combine("edited.json");
        var (exitCode, output, error) = await MnemoProcess.RunAsync(Ct, "context", "simulate", Sample, "--out", edited);

        error.ShouldBeEmpty();
        exitCode.ShouldBe(0);
        var lines = output.TrimEnd('\n').Split('\n');
        lines.Length.ShouldBe(4);
        lines[0].ShouldStartWith("clear_thinking_20251015: cleared the thinking of 1 turn(s), ");
        lines[1].ShouldStartWith("clear_tool_uses_20250919: cleared 5 tool use(s), ");
        lines[2].ShouldStartWith("input tokens (local estimate): ");

        // The cost line prices the same two counts at the request's model's list price (Sonnet 4.5: $3 per MTok).
        var counts = System.Text.RegularExpressions.Regex.Matches(lines[2], @"([\d,]+) (before|after)")
            .Select(m => long.Parse(m.Groups[1].Value, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        lines[3].ShouldBe(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"input cost at Claude Sonnet 4.5 list price ($3/MTok, uncached): ${counts[0] * 3m / 1_000_000m:0.0000} before, ${counts[1] * 3m / 1_000_000m:0.0000} after"));

        var original = JsonNode.Parse(await File.ReadAllTextAsync(Sample, Ct))!.AsObject();
        var result = JsonNode.Parse(await File.ReadAllTextAsync(edited, Ct))!.AsObject();
        result.ContainsKey("context_management").ShouldBeFalse();
        result["messages"]!.AsArray().Count.ShouldBe(original["messages"]!.AsArray().Count);
        result["tools"]!.ToJsonString().ShouldBe(original["tools"]!.ToJsonString());

        // Five of the eight file reads are cleared (three kept), the memory call is excluded and stays whole.
        var texts = result["messages"]!.AsArray()
            .SelectMany(m => m!["content"] as JsonArray ?? [])
            .Where(b => (string?)b!["type"] == "tool_result")
            .Select(b => b!["content"] is JsonArray content ? (string?)content[0]!["text"] : (string?)b["content"])
            .ToList();
        texts.Count(t => t == "[cleared: this tool result was removed to save context]").ShouldBe(5);
        texts.ShouldContain("File created successfully at: /memories/review.md");
    }

    [Theory]
    [InlineData("claude-sonnet-4-5", true)]
    [InlineData("claude-opus-4-6", false)]
    public async Task Simulate_ClearThinkingWithoutKeep_FollowsTheRequestsModel(string model, bool clears)
    {
        var request = JsonNode.Parse(await File.ReadAllTextAsync(Sample, Ct))!.AsObject();
        request["model"] = model;
        request["context_management"]!["edits"]![0]!.AsObject().Remove("keep");
        var path = _temp.Combine("request.json");
        await File.WriteAllTextAsync(path, request.ToJsonString(), Ct);

        var (exitCode, output, error) = await MnemoProcess.RunAsync(Ct, "context", "simulate", path);

        (exitCode, error).ShouldBe((0, string.Empty));
        output.Contains("clear_thinking_20251015: cleared the thinking of", StringComparison.Ordinal).ShouldBe(clears, output);
    }

    [Fact]
    public async Task Simulate_ConfigFile_OverridesTheRequestsOwn()
    {
        var (exitCode, output, _) = await MnemoProcess.RunAsync(Ct,
            "context", "simulate", Sample, "--config", MnemoProcess.InRepository("samples", "context", "aggressive-config.json"));
        exitCode.ShouldBe(0);
        output.ShouldStartWith("clear_tool_uses_20250919: cleared 8 tool use(s), ");
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":5}]}""", "mnemo: t.json: messages.0.content: expected a string or a list of blocks, got a number")]
    [InlineData("{\"messages\":[\n", "mnemo: t.json: not valid JSON at line 2, byte 1")]
    [InlineData("""{"messages":[],"context_management":{"edits":[{"type":"clear_tool_uses_20250919","keep":3}]}}""",
        "mnemo: t.json: context_management.edits.0.keep: Input should be an object")]
    [InlineData("""{"messages":[],"context_management":{"edits":[{"type":"clear_thinking_20251015"}]}}""",
        "mnemo: t.json: `clear_thinking_20251015` strategy requires `thinking` to be enabled or adaptive")]
    public async Task Simulate_BadTranscript_SaysWhereInOneLine(string json, string expected)
    {
        var path = _temp.Combine("t.json");
        await File.WriteAllTextAsync(path, json, Ct);
        var (exitCode, output, error) = await MnemoProcess.RunAsync(Ct, "context", "simulate", path);
        exitCode.ShouldBe(1);
        output.ShouldBeEmpty();
        error.ShouldBe(expected + "\n");
    }

    [Fact]
    public async Task Simulate_BadConfigOrMissingFile_NamesTheFile()
    {
        var config = _temp.Combine("c.json");
        await File.WriteAllTextAsync(config, """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"input_tokens","value":-5}}]}""", Ct);
        var bad = await MnemoProcess.RunAsync(Ct, "context", "simulate", Sample, "--config", config);
        bad.ExitCode.ShouldBe(1);
        bad.Error.ShouldBe("mnemo: c.json: context_management.edits.0.trigger.value: Input should be greater than or equal to 1\n");

        var missing = await MnemoProcess.RunAsync(Ct, "context", "simulate", _temp.Combine("none.json"));
        missing.ExitCode.ShouldBe(1);
        missing.Error.ShouldBe("mnemo: none.json: no such file\n");
    }

    [Fact]
    public async Task Profiles_PrintsEachAsTheConfigurationTheApiTakes_AndAnUnknownNameInOneLine()
    {
        var (exitCode, output, _) = await MnemoProcess.RunAsync(Ct, "context", "profiles", "code-review");

        exitCode.ShouldBe(0);
        var config = Mnemo.Context.ContextManagementConfig.Parse(output);
        var edit = config.Edits.OfType<Mnemo.Context.ClearToolUsesEdit>().Single();
        (edit.EffectiveTrigger.Value, edit.EffectiveKeep, edit.ClearAtLeast).ShouldBe((100_000L, 12L, (long?)10_000));
        edit.ExcludeTools.ShouldBe(["memory"]);

        var all = await MnemoProcess.RunAsync(Ct, "context", "profiles");
        all.Output.Split('\n').Where(line => line.StartsWith("# ", StringComparison.Ordinal)).ShouldBe(
            ["# development", "# heavy-files", "# research", "# debugging", "# code-review"]);

        var unknown = await MnemoProcess.RunAsync(Ct, "context", "profiles", "fast");
        (unknown.ExitCode, unknown.Error).ShouldBe((1, "mnemo: fast: no such profile; the profiles are development, heavy-files, research, debugging, code-review\n"));
    }
}
