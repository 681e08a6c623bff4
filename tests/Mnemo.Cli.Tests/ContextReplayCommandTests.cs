using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Mnemo.Tests;

namespace Mnemo.Cli.Tests;

/// <summary><c>mnemo context replay</c> as a user runs it, on sessions recorded from the emulator by
/// <c>mnemo review --transcript</c>: the demo's long review, whose last file is large.</summary>
public sealed class ContextReplayCommandTests : IAsyncLifetime
{
    private static readonly string[] Files = ["accounts.py", "payments.py", "notifications.py", "inventory.py", "report.py"];
    private readonly TempDirectory _work = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Transcript => _work.Combine("session.json");

    public async ValueTask InitializeAsync()
    {
        foreach (var file in Files)
        {
            File.Copy(MnemoProcess.InRepository("samples", "code-review", file), _work.Combine(file));
        }

        var review = await MnemoProcess.RunAsync(null, _work.Path, Ct, ["review", .. Files, "--trigger", "3200", "--keep", "1", "--transcript", "session.json"]);
        review.ExitCode.ShouldBe(0, review.Error);
    }

    public ValueTask DisposeAsync()
    {
        _work.Dispose();
        return ValueTask.CompletedTask;
    }

    private static long N(string text) => long.Parse(text, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    [Fact]
    public async Task Replay_TextAndJson_GiveTheSameFigures_AndSetTheRealUsageBesideTheConfigurationItRanWith()
    {
        var text = await MnemoProcess.RunAsync(Ct, "context", "replay", Transcript, "--preset", "development", "--preset", "code-review");
        var json = await MnemoProcess.RunAsync(Ct, "context", "replay", Transcript, "--preset", "development", "--preset", "code-review", "--json");

        text.Error.ShouldBeEmpty();
        text.ExitCode.ShouldBe(0);
        json.ExitCode.ShouldBe(0);
        var report = JsonNode.Parse(json.Output)!;
        var recorded = JsonNode.Parse(await File.ReadAllTextAsync(Transcript, Ct))!;
        var sent = recorded["mnemo_requests"]!.AsArray();
        report["requests"]!.GetValue<int>().ShouldBe(sent.Count);
        report["format"]!.GetValue<string>().ShouldBe("mnemo");

        // Totals first, one row per configuration, each the same as the JSON's.
        var configurations = report["configurations"]!.AsArray();
        configurations.Select(c => c!["name"]!.GetValue<string>()).ShouldBe(["no editing", "as run", "development", "code-review"]);
        foreach (var configuration in configurations)
        {
            var totals = configuration!["totals"]!;
            var name = configuration["name"]!.GetValue<string>();
            var row = Regex.Match(text.Output, $@"(?m)^{Regex.Escape(name)} +([\d,]+) +(\S+) +(\d+) +([\d,]+) +([\d,]+) +\$([\d.]+)");
            row.Success.ShouldBeTrue(text.Output);
            N(row.Groups[1].Value).ShouldBe(totals["input_tokens"]!.GetValue<long>(), name);
            int.Parse(row.Groups[3].Value, CultureInfo.InvariantCulture).ShouldBe(totals["clearings"]!.GetValue<int>(), name);
            N(row.Groups[4].Value).ShouldBe(totals["cache_write_tokens"]!.GetValue<long>(), name);
            N(row.Groups[5].Value).ShouldBe(totals["cache_read_tokens"]!.GetValue<long>(), name);
            decimal.Parse(row.Groups[6].Value, CultureInfo.InvariantCulture).ShouldBe(Math.Round(totals["cost"]!.GetValue<decimal>(), 4), name);
            configuration["requests"]!.AsArray().Sum(r => r!["edited_input_tokens"]!.GetValue<long>()).ShouldBe(totals["input_tokens"]!.GetValue<long>());
        }

        // The configuration the review ran with is replayed as "as run", and the real usage is set beside it.
        var asRun = configurations[1]!;
        asRun["totals"]!["clearings"]!.GetValue<int>().ShouldBeGreaterThan(0);
        asRun["totals"]!["input_tokens"]!.GetValue<long>().ShouldBeLessThan(configurations[0]!["totals"]!["input_tokens"]!.GetValue<long>());
        var real = report["real"]!;
        real["compared_with"]!.GetValue<string>().ShouldBe("as run");
        real["input_tokens"]!.GetValue<long>().ShouldBe(sent.Sum(s => s!["usage"]!["input_tokens"]!.GetValue<long>() + s["usage"]!["cache_creation_input_tokens"]!.GetValue<long>() + s["usage"]!["cache_read_input_tokens"]!.GetValue<long>()));
        Math.Abs(real["estimate_error_percent"]!.GetValue<double>()).ShouldBeLessThan(5, "the emulator counts with the same estimate; the rest is the warned request the session held back");
        text.Output.ShouldContain(string.Create(CultureInfo.InvariantCulture, $"real usage of {sent.Count} request(s), from the transcript: input {real["input_tokens"]!.GetValue<long>():N0}"));

        // The development preset's trigger (100,000) is never reached in a session this small: it saves nothing.
        configurations[2]!["totals"]!["saved_percent"]!.GetValue<double>().ShouldBe(0);
    }

    [Fact]
    public async Task Replay_TheSameSessionAsAClaudeCodeTranscript_GivesTheSameRequests()
    {
        // The recorded session written out line by line the way Claude Code writes its transcripts: each response block
        // on a line of its own sharing the message id, other line types between, a sub-agent's lines, and a broken line.
        var recorded = JsonNode.Parse(await File.ReadAllTextAsync(Transcript, Ct))!;
        var messages = recorded["messages"]!.AsArray();
        var sent = recorded["mnemo_requests"]!.AsArray();
        var lines = new List<string> { """{"type":"summary","summary":"Code review","leafUuid":"x"}""" };
        string? parent = null;
        var request = 0;
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i]!;
            var role = message["role"]!.GetValue<string>();
            var blocks = message["content"] is JsonArray array ? array.Select(b => b!.DeepClone()).ToList() : [new JsonObject { ["type"] = "text", ["text"] = message["content"]!.GetValue<string>() }];
            var usage = role == "assistant" ? sent[request++]!["usage"]!.DeepClone() : null;
            foreach (var block in role == "assistant" ? blocks : [new JsonArray([.. blocks])])
            {
                var uuid = $"line-{lines.Count}";
                var content = block as JsonArray ?? [block];
                lines.Add(new JsonObject
                {
                    ["parentUuid"] = parent, ["isSidechain"] = false, ["type"] = role, ["uuid"] = uuid, ["timestamp"] = "2026-12-01T09:00:00.000Z",
                    ["message"] = role == "assistant"
                        ? new JsonObject { ["id"] = $"msg_{i}", ["type"] = "message", ["role"] = role, ["model"] = recorded["model"]!.DeepClone(), ["content"] = content.DeepClone(), ["usage"] = usage!.DeepClone() }
                        : new JsonObject { ["role"] = role, ["content"] = content.DeepClone() },
                }.ToJsonString());
                parent = uuid;
            }

            if (i == 2)
            {
                lines.Add("""{"type":"file-history-snapshot","messageId":"m","snapshot":{}}""");
                lines.Add("""{"parentUuid":null,"isSidechain":true,"type":"user","uuid":"side-1","message":{"role":"user","content":"a sub-agent's task"}}""");
                lines.Add("{broken");
            }
        }

        var claudeCode = _work.Combine("session.jsonl");
        await File.WriteAllLinesAsync(claudeCode, lines, Ct);
        const string Config = """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"input_tokens","value":3200},"keep":{"type":"tool_uses","value":1},"exclude_tools":["memory"]}]}""";

        var fromRecord = JsonNode.Parse((await MnemoProcess.RunAsync(Ct, "context", "replay", Transcript, "--config", Config, "--json")).Output)!;
        var fromClaudeCode = await MnemoProcess.RunAsync(Ct, "context", "replay", claudeCode, "--config", Config, "--json");

        fromClaudeCode.ExitCode.ShouldBe(0, fromClaudeCode.Error);
        var report = JsonNode.Parse(fromClaudeCode.Output)!;
        report["format"]!.GetValue<string>().ShouldBe("claude-code");
        report["skipped"]!.ToJsonString().ShouldBe("""{"file-history-snapshot":1,"sidechain":1,"summary":1}""");
        report["malformed"]!.AsArray().Select(m => m!.GetValue<string>()).ShouldBe([$"line {lines.IndexOf("{broken") + 1}: not valid JSON (byte 2)"]);
        report["preamble_inferred"]!.GetValue<bool>().ShouldBeTrue("the transcript has no system prompt or tools: what the first request held beyond it is inferred");
        var expected = fromRecord["configurations"]!.AsArray().Last()!["requests"]!.AsArray();
        var actual = report["configurations"]!.AsArray().Last()!["requests"]!.AsArray();
        actual.Count.ShouldBe(expected.Count);
        for (var i = 0; i < actual.Count; i++)
        {
            actual[i]!["cleared_tool_uses"]!.GetValue<int>().ShouldBe(expected[i]!["cleared_tool_uses"]!.GetValue<int>(), $"request {i + 1}");
            Math.Abs(actual[i]!["input_tokens"]!.GetValue<long>() - expected[i]!["input_tokens"]!.GetValue<long>()).ShouldBeLessThanOrEqualTo(20, $"request {i + 1}");
        }
    }

    [Fact]
    public async Task Chart_DrawsEachConfigurationAndItsTrigger()
    {
        var chart = _work.Combine("replay.svg");

        var result = await MnemoProcess.RunAsync(Ct, "context", "replay", Transcript, "--preset", "heavy-files", "--chart", chart);

        result.ExitCode.ShouldBe(0, result.Error);
        var svg = XDocument.Load(chart);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var lines = svg.Descendants(ns + "polyline").ToList();
        lines.Select(l => l.Element(ns + "title")!.Value).ShouldBe(["no editing", "as run", "heavy-files"]);
        lines[0].Attribute("points")!.Value.Trim().Split(' ').Length.ShouldBe(JsonNode.Parse(await File.ReadAllTextAsync(Transcript, Ct))!["mnemo_requests"]!.AsArray().Count);
        svg.Descendants(ns + "line").Where(l => l.Attribute("stroke-dasharray") is not null).Select(l => l.Element(ns + "title")!.Value)
            .ShouldBe(["as run trigger: 3,200"], "a trigger far above every request is named, not drawn: the chart is scaled to the requests");
        svg.Descendants(ns + "text").Select(t => t.Value).ShouldContain("heavy-files (75k, off the chart)");
    }

    [Fact]
    public async Task Adaptive_IsReplayedBesideTheFixedConfigurations_WithWhatItChanged()
    {
        var json = await MnemoProcess.RunAsync(Ct, "context", "replay", Transcript, "--preset", "code-review", "--adaptive", "code-review", "--json");
        var text = await MnemoProcess.RunAsync(Ct, "context", "replay", Transcript, "--preset", "code-review", "--adaptive", "code-review");

        json.ExitCode.ShouldBe(0, json.Error);
        var report = JsonNode.Parse(json.Output)!;
        report["configurations"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).ShouldBe(["no editing", "as run", "code-review", "adaptive from code-review"]);
        report["adaptive_held_requests"]!.GetValue<int>().ShouldBe(0, "nothing reaches the code-review trigger of 100,000 in a session this small");
        report["adaptive_changes"]!.AsArray().ShouldBeEmpty();
        text.Output.ShouldContain("adaptive mode held the clearing back on 0 request(s), to clear in batches that pay for the cache they rewrite, and made 0 change(s) to the configuration.");
        (await MnemoProcess.RunAsync(Ct, "context", "replay", Transcript, "--adaptive", "fast")).Error.ShouldStartWith("mnemo: --adaptive fast: no such preset");

        // Without --adaptive, nothing is said of it.
        var plain = await MnemoProcess.RunAsync(Ct, "context", "replay", Transcript, "--preset", "code-review");
        plain.Output.ShouldNotContain("adaptive");
        var plainJson = JsonNode.Parse((await MnemoProcess.RunAsync(Ct, "context", "replay", Transcript, "--preset", "code-review", "--json")).Output)!;
        plainJson["adaptive_held_requests"].ShouldBeNull();
    }

    [Theory]
    [InlineData(new[] { "--preset", "fast" }, "mnemo: --preset fast: no such preset; the presets are development, heavy-files, research, debugging, code-review")]
    [InlineData(new[] { "--config", "{\"edits\": [" }, "mnemo: config 1: context_management: not valid JSON at line 1, byte 12")]
    [InlineData(new[] { "--config", "{\"edits\": [{\"type\": \"compact_20260112\"}]}" }, "mnemo: config 1: context_management: replay models clear_tool_uses_20250919 only; compact_20260112 is not replayed yet")]
    [InlineData(new[] { "--config", "nope.json" }, "mnemo: --config nope.json: no such file, and not JSON")]
    [InlineData(new[] { "--preamble-tokens", "lots" }, "mnemo: --preamble-tokens lots: expected a number of tokens or auto")]
    [InlineData(new[] { "--chart", "no-such-folder/c.svg" }, "mnemo: c.svg: cannot write the chart (its folder does not exist)")]
    public async Task BadInput_IsRefusedInOneLine(string[] arguments, string message)
    {
        var (exitCode, output, error) = await MnemoProcess.RunAsync(null, _work.Path, Ct, ["context", "replay", "session.json", .. arguments]);

        exitCode.ShouldBe(1);
        output.ShouldBeEmpty();
        error.TrimEnd('\n').ShouldNotContain('\n');
        error.ShouldStartWith(message);
    }

    [Fact]
    public async Task Record_SavesEachReplayAsASessionRecord_WhoseFiguresAreTheReplays()
    {
        var folder = _work.Combine("records");
        var json = await MnemoProcess.RunAsync(Ct, "context", "replay", Transcript, "--preset", "development", "--json", "--record", folder);

        json.ExitCode.ShouldBe(0, json.Error);
        json.Error.ShouldContain("recorded 3 replays");
        var report = JsonDocument.Parse(json.Output).RootElement.GetProperty("configurations").EnumerateArray().ToList();
        var sessions = await new Mnemo.Sessions.FolderSessionRecords(folder).ListAsync(Ct);
        sessions.Count.ShouldBe(report.Count);
        foreach (var configuration in report)
        {
            var name = configuration.GetProperty("name").GetString();
            var session = sessions.Single(s => s.Agent == "replay: " + name);
            var totals = configuration.GetProperty("totals");
            session.Source.ShouldBe("replay");
            session.InputTokens.ShouldBe(totals.GetProperty("input_tokens").GetInt64(), name);
            session.SavedTokens.ShouldBe(totals.GetProperty("cleared_input_tokens").GetInt64(), name);
            session.Clearings.ShouldBe(totals.GetProperty("clearings").GetInt32(), name);
            Math.Round(session.Cost, 6).ShouldBe(totals.GetProperty("cost").GetDecimal(), name);
        }

        // Against no editing, exactly: what the replay of no editing cost, less what this one did.
        var none = report.Single(c => c.GetProperty("name").GetString() == "no editing").GetProperty("totals").GetProperty("cost").GetDecimal();
        var development = sessions.Single(s => s.Agent == "replay: development");
        Math.Round(development.SavedCost, 6).ShouldBe(none - report.Single(c => c.GetProperty("name").GetString() == "development").GetProperty("totals").GetProperty("cost").GetDecimal());
    }

    [Fact]
    public async Task AMissingOrEmptyFile_IsRefusedInOneLine()
    {
        await File.WriteAllTextAsync(_work.Combine("empty.jsonl"), string.Empty, Ct);

        (await MnemoProcess.RunAsync(null, _work.Path, Ct, "context", "replay", "gone.jsonl")).Error.ShouldBe("mnemo: gone.jsonl: no such file\n");
        (await MnemoProcess.RunAsync(null, _work.Path, Ct, "context", "replay", "empty.jsonl")).Error.ShouldBe("mnemo: empty.jsonl: the file is empty\n");
        Directory.CreateDirectory(_work.Combine("sessions"));
        (await MnemoProcess.RunAsync(null, _work.Path, Ct, "context", "replay", "sessions")).Error
            .ShouldBe("mnemo: sessions: it is a folder; name a session file in it (Claude Code keeps one .jsonl per session)\n");
    }
}
