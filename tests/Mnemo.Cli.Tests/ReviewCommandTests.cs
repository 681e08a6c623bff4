using System.Text.Json;
using Mnemo.Tests;

namespace Mnemo.Cli.Tests;

/// <summary><c>mnemo demo</c> and <c>mnemo review</c> as a user runs them: real processes, real files, the emulator or an API at a URL.</summary>
public sealed class ReviewCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Sample(string name) => MnemoProcess.InRepository("samples", "code-review", name);

    [Fact]
    public async Task Demo_Offline_RunsTheThreeSessionsWithMemoryAndClearing()
    {
        using var temp = new TempDirectory();
        var memory = temp.Combine("memories");

        var (exitCode, output, error) = await MnemoProcess.RunAsync(Ct, "demo", "--memory", memory);

        error.ShouldBeEmpty();
        exitCode.ShouldBe(0);
        output.ShouldStartWith("No ANTHROPIC_API_KEY: running offline against Mnemo's API emulator. The assistant's words are scripted");
        output.ShouldContain("the memory, the tool calls and the context editing are real");

        // Session 1 checks memory, finds nothing, stores the pattern; session 2, a new conversation, reads it back.
        var session1 = Between(output, "== Session 1", "== Session 2");
        session1.ShouldContain("-> memory view /memories");
        session1.ShouldContain("-> read_file scraper.py");
        session1.ShouldContain("File created successfully at: /memories/patterns/lost-update-race.md");
        var session2 = Between(output, "== Session 2", "== Session 3");
        session2.ShouldContain("-> memory view /memories/patterns/lost-update-race.md");
        session2.ShouldContain("Here's the content of /memories/patterns/lost-update-race.md with line numbers: (+7 lines)");

        // Session 3: one large file takes the context from half the trigger to past it in one step. The request after
        // it is warned and goes out unedited; the model saves that file's finding; only the next request clears.
        var session3 = Between(output, "== Session 3", "== What session 3 did");
        var before = System.Text.RegularExpressions.Regex.Match(session3, @"\[request (\d+): [\d,]+ input tokens in the conversation, (\d+)% of the clearing trigger\]\n  -> read_file payments.py");
        before.Success.ShouldBeTrue(session3);
        int.Parse(before.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture).ShouldBeLessThan(80, "below the warning level before the large file");
        var large = int.Parse(before.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var warned = session3.IndexOf("!! clearing is near", StringComparison.Ordinal);
        session3[warned..].ShouldStartWith("!! clearing is near (1");
        session3.ShouldContain("this request is past the trigger already, so it goes out unedited and the clearing waits one turn");
        var saved = session3.IndexOf("-> memory str_replace", warned, StringComparison.Ordinal);
        var cleared = session3.IndexOf("-- context editing on the server:", StringComparison.Ordinal);
        warned.ShouldBeGreaterThan(0);
        saved.ShouldBeGreaterThan(warned);
        cleared.ShouldBeGreaterThan(saved);
        session3[warned..saved].ShouldContain($"[request {large + 1}: ");
        session3[saved..cleared].ShouldContain($"[request {large + 2}: ", customMessage: "the clearing comes on the request after the warned one");
        session3[warned..saved].ShouldContain("its finding goes to memory before anything else");
        session3.ShouldContain("cleared now, covered by a save: read_file accounts.py\n     cleared now, covered by a save: read_file payments.py\n  ok preserve-before-clear: the model saved to memory 1 request(s) and ");
        output.ShouldContain("1 of 1 clearing(s) had memory saved (text added or changed) after a warning");
        output.ShouldContain($"  clearing at request {large + 2}: preserved; warned at request {large + 1}, 1 save(s), the first after 1 request(s), ");

        // The memory tree is printed, and it is what is on disk.
        var tree = output[output.IndexOf("== The memory after the three sessions", StringComparison.Ordinal)..];
        tree.ShouldContain("--- /memories/patterns/lost-update-race.md");
        tree.ShouldContain("--- /memories/patterns/sql-injection.md");
        tree.ShouldContain("--- /memories/review-progress.md");
        var pattern = await File.ReadAllTextAsync(Path.Combine(memory, "patterns", "lost-update-race.md"), Ct);
        pattern.ShouldContain("Async form: an `await` between the read and the write is the gap");
        var progress = await File.ReadAllTextAsync(Path.Combine(memory, "review-progress.md"), Ct);
        progress.ShouldContain("- [x] payments.py: double charge;");
        progress.ShouldNotContain("- [ ]");
    }

    [Fact]
    public async Task Demo_Adaptive_HoldsClearingsForBatches_AndItsSummaryCountsEachOneItPrinted()
    {
        using var temp = new TempDirectory();

        var (exitCode, output, error) = await MnemoProcess.RunAsync(Ct, "demo", "--memory", temp.Combine("memories"), "--adaptive");

        exitCode.ShouldBe(0, error);
        var session3 = output[output.IndexOf("== Session 3", StringComparison.Ordinal)..output.IndexOf("== What session 3 did", StringComparison.Ordinal)];
        var held = session3.Split('\n').Where(line => line.StartsWith("  -- adaptive: clearing held for a larger batch (keep ", StringComparison.Ordinal)).ToList();
        held.ShouldNotBeEmpty();
        held.ShouldAllBe(line => line.Contains(" tokens now would not pay for rewriting ", StringComparison.Ordinal));
        output.ShouldContain($"\nadaptive: 0 change(s), {held.Count} request(s) held back to clear in batches\n");
        output.ShouldContain("ok preserve-before-clear");
    }

    [Fact]
    public async Task Demo_ClientSide_EditsTheContextBeforeSending()
    {
        using var temp = new TempDirectory();

        var (exitCode, output, _) = await MnemoProcess.RunAsync(Ct, "demo", "--memory", temp.Combine("memories"), "--client-side");

        exitCode.ShouldBe(0);
        output.ShouldContain("-- context editing on the client:");
        output.ShouldNotContain("on the server");
        output.ShouldContain("ok preserve-before-clear");
    }

    [Fact]
    public async Task Demo_WithAnApiKey_TalksToTheApiAtItsUrlAsClaude()
    {
        using var temp = new TempDirectory();
        using var api = MnemoProcess.Start("emulate", "--port", "0", "--quiet", "--api-key", "sk-test", "--script", Sample("assistant.yaml"));
        try
        {
            var url = (await api.StandardOutput.ReadLineAsync(Ct))!.Split(' ')[4];
            var environment = new Dictionary<string, string>
            {
                ["ANTHROPIC_API_KEY"] = "sk-test",
                ["ANTHROPIC_BASE_URL"] = url,
                ["ANTHROPIC_MODEL"] = "claude-opus-4-1",
            };

            var (exitCode, output, error) = await MnemoProcess.RunAsync(
                environment, null, Ct, "demo", "--memory", temp.Combine("memories"), "--trigger", "3200", "--stream");

            error.ShouldBeEmpty();
            exitCode.ShouldBe(0);
            output.ShouldStartWith("Running with Claude (claude-opus-4-1) through the Anthropic API.");
            output.ShouldNotContain("scripted");
            output.ShouldContain("  claude: Before reviewing, I'll check my memory");
            output.ShouldContain("ok preserve-before-clear");

            using var http = new HttpClient();
            var exchanges = JsonDocument.Parse(await http.GetStringAsync(url + "/_emulator/exchanges", Ct)).RootElement;
            var requests = exchanges.EnumerateArray().Select(e => e.GetProperty("request")).ToList();
            requests.Count.ShouldBe(22, "4, 5 and 13 requests in the three sessions");
            requests.ShouldAllBe(r => r.GetProperty("model").GetString() == "claude-opus-4-1" && r.GetProperty("stream").GetBoolean());
        }
        finally
        {
            api.Kill(entireProcessTree: true);
            await api.WaitForExitAsync(Ct);
        }
    }

    [Fact]
    public async Task Review_TwoRuns_TheSecondAppliesWhatTheFirstStored()
    {
        using var work = new TempDirectory();
        File.Copy(Sample("scraper.py"), work.Combine("scraper.py"));
        File.Copy(Sample("async_fetcher.py"), work.Combine("async_fetcher.py"));

        var first = await MnemoProcess.RunAsync(null, work.Path, Ct, "review", "scraper.py");
        first.ExitCode.ShouldBe(0);
        first.Output.ShouldContain("Review of scraper.py");
        File.Exists(work.Combine(".mnemo", "memories", "patterns", "lost-update-race.md")).ShouldBeTrue();

        var second = await MnemoProcess.RunAsync(null, work.Path, Ct, "review", "async_fetcher.py");
        second.ExitCode.ShouldBe(0);
        second.Output.ShouldContain("Here's the content of /memories/patterns/lost-update-race.md with line numbers");
        second.Output.ShouldContain("This is the lost-update pattern from my memory");
        second.Output.ShouldContain("requests: 5;");
    }

    [Fact]
    public async Task Review_Report_GivesWhatWasPreservedAndLostAsData()
    {
        using var work = new TempDirectory();
        File.Copy(Sample("scraper.py"), work.Combine("scraper.py"));
        (await MnemoProcess.RunAsync(null, work.Path, Ct, "review", "scraper.py")).ExitCode.ShouldBe(0);

        // The second review begins with the memory the first left, and clears past a tiny trigger.
        var second = await MnemoProcess.RunAsync(null, work.Path, Ct, "review", "scraper.py", "--trigger", "1000", "--keep", "1", "--report", "report.json");

        second.ExitCode.ShouldBe(0);
        var report = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(work.Combine("report.json"), Ct)).RootElement;
        var approach = report.GetProperty("approaches").EnumerateArray().ShouldHaveSingleItem();
        approach.GetProperty("cleared_request").GetInt32().ShouldBeGreaterThan(approach.GetProperty("warned_request").GetInt32(), "warned first");
        approach.GetProperty("outcome").GetString().ShouldBeOneOf("preserved", "not_preserved");
        var cleared = approach.GetProperty("cleared").EnumerateArray().ShouldHaveSingleItem();
        cleared.GetProperty("tool").GetString().ShouldBe("read_file");
        cleared.GetProperty("input").GetProperty("path").GetString().ShouldBe("scraper.py");
        report.GetProperty("reacquisitions").GetArrayLength().ShouldBe(0);
        var resumption = report.GetProperty("resumption");
        resumption.GetProperty("files_at_start").GetInt32().ShouldBeGreaterThan(0);
        resumption.GetProperty("first_call_was_memory_view").GetBoolean().ShouldBeTrue();
        second.Output.ShouldContain("resumption: " + resumption.GetProperty("files_at_start").GetInt32() + " memory file(s) at the start; the first tool call was a memory view");

        // Both reviews left a session record for the dashboard, by default beside the memory; its approach is the report's.
        var sessions = await new Mnemo.Sessions.FolderSessionRecords(work.Combine(".mnemo", "sessions")).ListAsync(Ct);
        sessions.Count.ShouldBe(2);
        sessions.ShouldAllBe(session => session.Agent == "code-review" && session.Store == "memories" && session.Stop == "completed" && session.SkippedLines == 0);
        var recorded = sessions.OrderBy(session => session.Started).Last();
        (recorded.Preserved + recorded.NotPreserved).ShouldBe(1);
        recorded.Preserved.ShouldBe(approach.GetProperty("outcome").GetString() == "preserved" ? 1 : 0);
        sessions.OrderBy(session => session.Started).First().Files
            .ShouldContain(file => file.Path == "/memories/patterns/lost-update-race.md" && file.Writes == 1, "the first review saved the pattern");

        var nowhere = await MnemoProcess.RunAsync(null, work.Path, Ct, "review", "scraper.py", "--report", Path.Combine("no-such-folder", "r.json"));
        nowhere.ExitCode.ShouldBe(1);
        nowhere.Error.ShouldBe("mnemo: r.json: cannot write the report (its folder does not exist)\n");
    }

    [Fact]
    public async Task Review_WithAProfile_RunsWithItsConfiguration_TriggerAndKeepOverridingIt()
    {
        using var work = new TempDirectory();
        File.Copy(Sample("scraper.py"), work.Combine("scraper.py"));

        var run = await MnemoProcess.RunAsync(null, work.Path, Ct, "review", "scraper.py", "--profile", "code-review", "--trigger", "50000", "--transcript", "s.json");

        run.ExitCode.ShouldBe(0, run.Error);
        var edit = JsonDocument.Parse(await File.ReadAllTextAsync(work.Combine("s.json"), Ct)).RootElement.GetProperty("context_management").GetProperty("edits")[0];
        edit.GetProperty("trigger").GetProperty("value").GetInt64().ShouldBe(50000, "--trigger overrides the profile's");
        edit.GetProperty("keep").GetProperty("value").GetInt64().ShouldBe(12, "the code-review profile keeps 12");
        edit.GetProperty("clear_at_least").GetProperty("value").GetInt64().ShouldBe(10000);
        edit.GetProperty("exclude_tools")[0].GetString().ShouldBe("memory");

        var unknown = await MnemoProcess.RunAsync(null, work.Path, Ct, "review", "scraper.py", "--profile", "fast");
        (unknown.ExitCode, unknown.Error).ShouldBe((1, "mnemo: --profile fast: no such profile; the profiles are development, heavy-files, research, debugging, code-review\n"));
    }

    [Fact]
    public async Task Review_Adaptive_SavesATranscriptThatReplaysAsRunAdaptively_ToTheToken()
    {
        using var work = new TempDirectory();
        string[] files = ["accounts.py", "payments.py", "notifications.py", "inventory.py", "report.py"];
        foreach (var file in files)
        {
            File.Copy(Sample(file), work.Combine(file));
        }

        var run = await MnemoProcess.RunAsync(null, work.Path, Ct, [
            "review", .. files, "--trigger", "3200", "--keep", "1", "--adaptive", "--memory", "m", "--transcript", "s.json"]);
        run.ExitCode.ShouldBe(0, run.Error);
        var replay = await MnemoProcess.RunAsync(null, work.Path, Ct, "context", "replay", "s.json", "--preamble-tokens", "0");

        replay.ExitCode.ShouldBe(0, replay.Error);
        replay.Output.ShouldContain("\nas run (adaptive) ");
        replay.Output.ShouldContain("the replay's estimate with the configuration the session ran with (\"as run\") is 0.0% over the real input in all");
    }

    [Fact]
    public async Task Review_AFileTheOfflineScriptDoesNotKnow_SaysSoInOneLine()
    {
        using var work = new TempDirectory();
        await File.WriteAllTextAsync(work.Combine("billing.py"), "def charge(amount):\n    return amount\n", Ct);

        var (exitCode, _, error) = await MnemoProcess.RunAsync(null, work.Path, Ct, "review", "billing.py");

        exitCode.ShouldBe(1);
        error.TrimEnd('\n').ShouldNotContain('\n');
        error.ShouldStartWith("mnemo: the offline assistant has no script for this");
        error.ShouldContain("set ANTHROPIC_API_KEY to review others with Claude");
        Directory.EnumerateFileSystemEntries(work.Path).Select(Path.GetFileName).ShouldBe(["billing.py"], "a refused review creates no memory folder");
    }

    [Fact]
    public async Task Demo_EveryFigureItPrints_AgreesWithItsSummary()
    {
        using var temp = new TempDirectory();
        var memory = temp.Combine("memories");

        var (exitCode, output, _) = await MnemoProcess.RunAsync(Ct, "demo", "--memory", memory);

        exitCode.ShouldBe(0);
        output.ShouldContain($"Memory: {memory}\n", customMessage: "a new folder is not called \"not empty\"");
        output.ShouldNotContain("not empty");
        var session3 = Between(output, "== Session 3", "== What session 3 did");
        var summary = Between(output, "== What session 3 did", "== The memory after the three sessions");
        static long N(string text) => long.Parse(text, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);

        // What each request sent: the conversation's size, or after a clearing what the API counted as sent.
        var conversation = System.Text.RegularExpressions.Regex.Matches(session3, @"\[request (\d+): ([\d,]+) input tokens in the conversation")
            .ToDictionary(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), m => N(m.Groups[2].Value));
        var sent = System.Text.RegularExpressions.Regex.Matches(session3, @"request (\d+) sent ([\d,]+) input tokens of the conversation's ([\d,]+)")
            .ToDictionary(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), m => (Sent: N(m.Groups[2].Value), Of: N(m.Groups[3].Value)));
        var clearings = System.Text.RegularExpressions.Regex.Matches(session3, @"-- context editing on the server: (?:the same )?(\d+) old tool result\(s\) cleared( again)?, ([\d,]+) tokens not sent");
        clearings.Count.ShouldBe(sent.Count, "a line of what was sent for every request that cleared");
        var perRequest = conversation.Select(pair => sent.TryGetValue(pair.Key, out var s) ? s.Sent : pair.Value).ToList();
        foreach (var (request, (wasSent, of)) in sent)
        {
            of.ShouldBe(conversation[request]);
            wasSent.ShouldBeLessThan(of);
        }

        var totals = System.Text.RegularExpressions.Regex.Match(summary, @"requests: (\d+); input tokens sent ([\d,]+) \(([\d,]+) per request, largest ([\d,]+)\)");
        totals.Success.ShouldBeTrue(summary);
        int.Parse(totals.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture).ShouldBe(conversation.Count);
        N(totals.Groups[2].Value).ShouldBe(perRequest.Sum(), "the total is the sum of what each request sent");
        N(totals.Groups[4].Value).ShouldBe(perRequest.Max(), "the largest is the largest request sent");

        var editing = System.Text.RegularExpressions.Regex.Match(summary, @"context editing: (\d+) of (\d+) request\(s\) went out with old context cleared, (\d+) of them clearing tool results not cleared before.*; (\d+) tool use\(s\) cleared, ([\d,]+) input tokens not sent in all");
        editing.Success.ShouldBeTrue(summary);
        int.Parse(editing.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture).ShouldBe(clearings.Count, "as many clearing lines as the summary counts");
        int.Parse(editing.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture).ShouldBe(clearings.Count(m => !m.Groups[2].Success));
        N(editing.Groups[5].Value).ShouldBe(clearings.Sum(m => N(m.Groups[3].Value)));

        // Each result a clearing took, named under it with whether a save covers it; the summary lists the same.
        var named = System.Text.RegularExpressions.Regex.Matches(session3, @"     cleared now, (covered by a save|NOT covered[^:]*): (.+)")
            .Select(m => (Call: m.Groups[2].Value, Covered: m.Groups[1].Value == "covered by a save")).ToList();
        named.Count.ShouldBe(int.Parse(editing.Groups[4].Value, System.Globalization.CultureInfo.InvariantCulture));
        named.Select(n => n.Call).ShouldBe(["read_file accounts.py", "read_file payments.py", "read_file notifications.py", "read_file inventory.py", "read_file report.py"]);
        summary.ShouldContain(
            $"  results cleared: {named.Count}; covered by a save {named.Count(n => n.Covered)}, not covered {named.Count(n => !n.Covered)}: " +
            string.Join(", ", named.Select(n => $"{n.Call} ({(n.Covered ? "covered" : "NOT covered")})")));

        // The memory: its files, then its history as `mnemo memory history` prints it, never the store's own files.
        var after = output[output.IndexOf("== The memory after the three sessions", StringComparison.Ordinal)..];
        after.ShouldNotContain(".mnemo/");
        after.ShouldNotContain("{\"ok\"");
        var history = await MnemoProcess.RunAsync(Ct, "memory", "history", "--dir", memory);
        after.ShouldContain(history.Output.TrimEnd('\n'));
        history.Output.ShouldContain("demo");
    }

    [Fact]
    public async Task Review_MissingFile_SaysWhichBeforeAnythingRuns()
    {
        using var work = new TempDirectory();

        var (exitCode, output, error) = await MnemoProcess.RunAsync(null, work.Path, Ct, "review", "nope.py");

        exitCode.ShouldBe(1);
        output.ShouldBeEmpty();
        error.ShouldBe("mnemo: nope.py: cannot read the file (no such file)\n");
        Directory.Exists(work.Combine(".mnemo")).ShouldBeFalse();
    }

    [Fact]
    public async Task Review_AFolderOrABlankModel_SaysWhatIsWrongInOneLine()
    {
        using var work = new TempDirectory();
        Directory.CreateDirectory(work.Combine("src"));
        File.Copy(Sample("scraper.py"), work.Combine("scraper.py"));

        var folder = await MnemoProcess.RunAsync(null, work.Path, Ct, "review", "src");
        var model = await MnemoProcess.RunAsync(null, work.Path, Ct, "review", "scraper.py", "--model", " ");

        folder.ExitCode.ShouldBe(1);
        folder.Error.ShouldBe("mnemo: src: cannot read the file (it is a folder; name the files in it)\n");
        model.ExitCode.ShouldBe(1);
        model.Error.ShouldBe("mnemo: AgentSessionOptions.Model is required: name the model to use, such as claude-sonnet-4-5.\n");
    }

    [Fact]
    public async Task Review_WrongApiKey_ReportsTheApisAnswerInOneLine()
    {
        using var work = new TempDirectory();
        File.Copy(Sample("scraper.py"), work.Combine("scraper.py"));
        using var api = MnemoProcess.Start("emulate", "--port", "0", "--quiet", "--api-key", "sk-right", "--script", Sample("assistant.yaml"));
        try
        {
            var url = (await api.StandardOutput.ReadLineAsync(Ct))!.Split(' ')[4];
            var environment = new Dictionary<string, string> { ["ANTHROPIC_API_KEY"] = "sk-wrong", ["ANTHROPIC_BASE_URL"] = url };

            var (exitCode, _, error) = await MnemoProcess.RunAsync(environment, work.Path, Ct, "review", "scraper.py");

            exitCode.ShouldBe(1);
            error.ShouldBe("mnemo: the API answered 401 (authentication): invalid x-api-key\n");
        }
        finally
        {
            api.Kill(entireProcessTree: true);
            await api.WaitForExitAsync(Ct);
        }
    }

    [Theory]
    [InlineData("--trigger", "0", "mnemo: --trigger must be a positive number of tokens\n")]
    [InlineData("--keep", "-1", "mnemo: --keep must be 0 or more\n")]
    [InlineData("--max-tokens", "0", "mnemo: --max-tokens must be at least 1\n")]
    public async Task Demo_BadOption_SaysWhichInOneLine(string option, string value, string message)
    {
        using var temp = new TempDirectory();

        var (exitCode, output, error) = await MnemoProcess.RunAsync(Ct, "demo", "--memory", temp.Combine("memories"), option, value);

        exitCode.ShouldBe(1);
        output.ShouldBeEmpty();
        error.ShouldBe(message);
    }

    private static string Between(string text, string start, string end)
    {
        var from = text.IndexOf(start, StringComparison.Ordinal);
        var to = text.IndexOf(end, from, StringComparison.Ordinal);
        from.ShouldBeGreaterThanOrEqualTo(0, $"'{start}' is missing");
        to.ShouldBeGreaterThan(from, $"'{end}' is missing");
        return text[from..to];
    }
}
