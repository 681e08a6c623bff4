using System.Text.Json;
using Mnemo.Tests;

namespace Mnemo.Cli.Tests;

/// <summary>
/// <c>mnemo review --diff</c> as a CI job runs it: a real process in a real git repository (the sample pull requests),
/// the scripted reviewer, and a memory that every run shares.
/// </summary>
public sealed class ReviewDiffCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Repository => _temp.Combine("repo");

    private string Memory => _temp.Combine("team-memory");

    public void Dispose() => _temp.Dispose();

    private async Task<(int ExitCode, string Output, string Error)> ReviewAsync(params string[] arguments)
    {
        if (!Directory.Exists(Repository))
        {
            await SamplePullRequests.MakeRepositoryAsync(Repository, Ct);
        }

        return await MnemoProcess.RunAsync(null, Repository, Ct, ["review", "--no-records", .. arguments]);
    }

    private string Pattern => File.ReadAllText(Path.Combine(Memory, "patterns", "lost-update-race.md"));

    [Fact]
    public async Task PullRequests_OneAfterAnother_LearnThePatternAndApplyItToTheNextChange()
    {
        // PR 1: the reviewer finds nothing in memory, reads both sides, stores the pattern and reports on the new side.
        var first = await ReviewAsync("--diff", SamplePullRequests.ScrapeStats, "--memory", Memory);

        first.ExitCode.ShouldBe(0, first.Error);
        first.Output.ShouldStartWith(
            "Review of main...add-scrape-stats: 1 finding\n\nscraper.py:18  high  Lost updates in ScrapeStats.record_page: the lock is gone\n",
            customMessage: "stdout holds the review and nothing else");
        first.Output.ShouldContain("    Pattern: lost-update-race\n");
        first.Error.ShouldContain("-> memory view /memories\n");
        first.Error.ShouldContain("-> read_file scraper.py\n     Here's the content of scraper.py with line numbers: (+52 lines)");
        first.Error.ShouldContain("-> read_file_at_base scraper.py\n     Here's the content of scraper.py (at the base) with line numbers: (+50 lines)");
        Pattern.ShouldEndWith("Seen in:\n- scraper.py ScrapeStats.record_page (threads): the PR dropped the lock around the increments\n");

        // PR 2, a new conversation: the stored pattern is read first and named in the finding; the note learns the async form.
        var second = await ReviewAsync("--diff", SamplePullRequests.AsyncHostBudget, "--memory", Memory, "--json", "--label", "PR #2");

        second.ExitCode.ShouldBe(0, second.Error);
        using var json = JsonDocument.Parse(second.Output);
        json.RootElement.GetProperty("change").GetString().ShouldBe("PR #2");
        json.RootElement.GetProperty("head").GetString().ShouldBe((await SamplePullRequests.GitAsync(Repository, Ct, "rev-parse", "async-host-budget")).Output.Trim());
        var finding = json.RootElement.GetProperty("findings").EnumerateArray().Single();
        (finding.GetProperty("file").GetString(), finding.GetProperty("line").GetInt32(), finding.GetProperty("severity").GetString(), finding.GetProperty("pattern").GetString())
            .ShouldBe(("async_fetcher.py", 22, "high", "lost-update-race"));
        finding.GetProperty("title").GetString()!.ShouldContain("try_spend");
        finding.GetProperty("body").GetString()!.ShouldContain("asyncio.Lock");
        json.RootElement.GetProperty("summary").GetString()!.ShouldContain("lost-update pattern");
        second.Error.ShouldContain("-> memory view /memories/patterns/lost-update-race.md\n     Here's the content of /memories/patterns/lost-update-race.md with line numbers:");
        Pattern.ShouldContain("Seen in:\n- async_fetcher.py HostBudget.try_spend (asyncio)");
        Pattern.ShouldEndWith("- scraper.py ScrapeStats.record_page (threads): the PR dropped the lock around the increments\n");
    }

    [Fact]
    public async Task FormatGitHub_IsAPullRequestReviewBody_WithACommentOnEachFindingsLine_OnTheHeadCommit()
    {
        var result = await ReviewAsync("--diff", SamplePullRequests.StockReservations, "--memory", Memory, "--format", "github");

        result.ExitCode.ShouldBe(0, result.Error);
        using var json = JsonDocument.Parse(result.Output);
        var review = json.RootElement;
        review.GetProperty("commit_id").GetString().ShouldBe((await SamplePullRequests.GitAsync(Repository, Ct, "rev-parse", "stock-reservations")).Output.Trim());
        review.GetProperty("event").GetString().ShouldBe("COMMENT");
        review.GetProperty("body").GetString()!.ShouldStartWith("**Mnemo code review**: 2 findings.\n\nThe change adds stock reservations");
        var comments = review.GetProperty("comments").EnumerateArray()
            .Select(comment => (comment.GetProperty("path").GetString(), comment.GetProperty("line").GetInt32(), comment.GetProperty("side").GetString()))
            .ToList();
        comments.ShouldBe([("inventory.py", 15, "RIGHT"), ("notifications.py", 7, "RIGHT")]);
        review.GetProperty("comments")[0].GetProperty("body").GetString()!.ShouldStartWith("**Overselling: Inventory.reserve checks and updates the stock with a gap between** (high)\n\n");
        review.GetProperty("comments")[0].GetProperty("body").GetString()!.ShouldEndWith("_Pattern from memory: `lost-update-race`_");
        result.Error.ShouldNotContain("reviewing file", customMessage: "a small diff goes in one request");
    }

    [Fact]
    public async Task LargeDiff_IsReviewedFileByFile_InOneSession_WithProgressOnStandardError()
    {
        var transcript = _temp.Combine("session.json");

        var result = await ReviewAsync("--diff", SamplePullRequests.StockReservations, "--memory", Memory, "--diff-budget", "500", "--transcript", transcript);

        result.ExitCode.ShouldBe(0, result.Error);
        var progress = result.Error.Split('\n').Where(line => line.StartsWith("mnemo: ", StringComparison.Ordinal)).ToList();
        progress.ShouldBe([
            "mnemo: reviewing file 1 of 2: inventory.py (+35 -0, about 449 tokens of diff)",
            "mnemo: reviewing file 2 of 2: notifications.py (+29 -0, about 397 tokens of diff)",
            "mnemo: all 2 files reviewed; asking for the summary",
        ]);
        result.Output.ShouldStartWith("Review of main...stock-reservations: 2 findings\n\ninventory.py:15  high  ");
        result.Output.ShouldContain("\nnotifications.py:7  medium  Mutable default arguments");

        // One session: its requests are numbered on from one file to the next, and the second file's diff is in the
        // same conversation as the first.
        result.Error.ShouldContain("requests: 8;");
        var messages = JsonDocument.Parse(File.ReadAllText(transcript)).RootElement.GetProperty("messages").EnumerateArray()
            .Where(message => message.GetProperty("role").GetString() == "user")
            .SelectMany(message => message.GetProperty("content").EnumerateArray())
            .Where(block => block.GetProperty("type").GetString() == "text")
            .Select(block => block.GetProperty("text").GetString()!)
            .ToList();
        messages.Count.ShouldBe(3);
        messages[0].ShouldStartWith("Review this change file by file: main...stock-reservations (2 files, +64 -0).");
        messages[0].ShouldNotContain("+++ b/notifications.py");
        messages[1].ShouldStartWith("File 2 of 2: notifications.py\n<diff>\ndiff --git a/notifications.py b/notifications.py\n");
        messages[2].ShouldStartWith("That was the last file.");

        // Context editing is on, with the code-review profile: clear past 100,000 input tokens, keep the last 12 tool uses.
        var edit = JsonDocument.Parse(File.ReadAllText(transcript)).RootElement.GetProperty("context_management").GetProperty("edits")[0];
        (edit.GetProperty("type").GetString(), edit.GetProperty("trigger").GetProperty("value").GetInt64(), edit.GetProperty("keep").GetProperty("value").GetInt64())
            .ShouldBe(("clear_tool_uses_20250919", 100_000L, 12L));
    }

    [Fact]
    public async Task PatchFile_AppliedOrNotYetApplied_IsReviewedAgainstHead_AndStandardInputToo()
    {
        await SamplePullRequests.MakeRepositoryAsync(Repository, Ct);
        var patch = _temp.Combine("pr1.patch");
        File.WriteAllText(patch, (await SamplePullRequests.GitAsync(Repository, Ct, "diff", SamplePullRequests.ScrapeStats)).Output);

        // On main the patch is not applied yet: HEAD is its old side, and read_file shows the file with the patch applied.
        var notYet = await ReviewAsync("--diff", patch, "--memory", Memory, "--format", "github");
        notYet.ExitCode.ShouldBe(0, notYet.Error);
        notYet.Error.ShouldContain("-> read_file scraper.py\n     Here's the content of scraper.py with line numbers: (+52 lines)");
        notYet.Error.ShouldContain("-> read_file_at_base scraper.py\n     Here's the content of scraper.py (at the base) with line numbers: (+50 lines)");
        using (var review = JsonDocument.Parse(notYet.Output))
        {
            review.RootElement.TryGetProperty("commit_id", out _).ShouldBeFalse("no commit holds the new side, so the review names none");
            review.RootElement.GetProperty("comments")[0].GetProperty("line").GetInt32().ShouldBe(18);
        }

        // On the branch the patch is in HEAD already: HEAD is its new side, and the review can name the commit.
        (await SamplePullRequests.GitAsync(Repository, Ct, "checkout", "--quiet", "add-scrape-stats")).ExitCode.ShouldBe(0);
        var applied = await ReviewAsync("--diff", patch, "--memory", Memory, "--format", "github");
        applied.ExitCode.ShouldBe(0, applied.Error);
        applied.Error.ShouldContain("(at the base) with line numbers: (+50 lines)");
        using (var review = JsonDocument.Parse(applied.Output))
        {
            review.RootElement.GetProperty("commit_id").GetString().ShouldBe((await SamplePullRequests.GitAsync(Repository, Ct, "rev-parse", "HEAD")).Output.Trim());
        }

        // The same diff on standard input.
        using var process = MnemoProcess.Start(new Dictionary<string, string>(), Repository, "review", "--no-records", "--diff", "-", "--memory", Memory, "--json");
        await process.StandardInput.WriteAsync(File.ReadAllText(patch));
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        process.ExitCode.ShouldBe(0, await process.StandardError.ReadToEndAsync(Ct));
        using var fromInput = JsonDocument.Parse(output);
        fromInput.RootElement.GetProperty("change").GetString().ShouldBe("the diff on standard input");
        fromInput.RootElement.GetProperty("findings")[0].GetProperty("file").GetString().ShouldBe("scraper.py");
    }

    public static TheoryData<string, string[], string> BadInput => new()
    {
        { "empty", ["--diff", "main...main"], "mnemo: main...main: the diff is empty; there is nothing to review" },
        { "binary", ["--diff", "main...logo"], "mnemo: main...logo: the diff changes only binary files (logo.png); there is no text to review" },
        { "base missing", ["--diff", "origin/nope...add-scrape-stats"], "mnemo: the base origin/nope does not exist in this repository (fetch it first, such as git fetch origin nope)" },
        { "head missing", ["--diff", "main...nope"], "mnemo: the head nope does not exist in this repository" },
        { "not applying", ["--diff", "../stale.patch"], "mnemo: stale.patch does not apply to HEAD ({HEAD}): scraper.py at HEAD is not what the diff shows at the lines it names; make the diff from this commit, or check out the commit it was made from" },
        { "not a diff", ["--diff", "../notes.patch"], "mnemo: notes.patch: it is not a unified diff (no file header such as diff --git or ---/+++ in it)" },
        { "cut short", ["--diff", "../cut.patch"], "mnemo: cut.patch: the diff ends inside a hunk of scraper.py: it is cut short or was edited by hand" },
        { "neither", ["--diff", "no-such.patch"], "mnemo: --diff takes BASE...HEAD, a patch file, or - for a diff on standard input; no-such.patch is none of these (no such file)" },
        { "a folder", ["--diff", "."], "mnemo: --diff takes BASE...HEAD, a patch file, or - for a diff on standard input; . is none of these (it is a folder)" },
        { "files too", ["scraper.py", "--diff", "main...add-scrape-stats"], "mnemo: give files or --diff, not both (scraper.py and --diff main...add-scrape-stats)" },
        { "format", ["--diff", "main...add-scrape-stats", "--format", "xml"], "mnemo: --format takes text, json or github, not xml" },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public async Task BadInput_IsOneLine_ExitCode2_AndNothingIsWrittenToMemory(string name, string[] arguments, string expected)
    {
        _ = name;
        await SamplePullRequests.MakeRepositoryAsync(Repository, Ct);
        File.WriteAllText(Path.Combine(Repository, "logo.png"), "\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
        await SamplePullRequests.GitAsync(Repository, Ct, "checkout", "--quiet", "-b", "logo");
        await SamplePullRequests.GitAsync(Repository, Ct, "add", "logo.png");
        (await SamplePullRequests.GitAsync(Repository, Ct, "commit", "--quiet", "-m", "A logo")).ExitCode.ShouldBe(0);
        await SamplePullRequests.GitAsync(Repository, Ct, "checkout", "--quiet", "main");
        var pr1 = (await SamplePullRequests.GitAsync(Repository, Ct, "diff", SamplePullRequests.ScrapeStats)).Output;
        File.WriteAllText(_temp.Combine("stale.patch"), pr1.Replace("\n import time\n", "\n import datetime\n", StringComparison.Ordinal));
        File.WriteAllText(_temp.Combine("notes.patch"), "Please review the scraper change.\n");
        File.WriteAllText(_temp.Combine("cut.patch"), pr1[..pr1.IndexOf("+        self.pages_scraped = pages + 1", StringComparison.Ordinal)]);
        var head = (await SamplePullRequests.GitAsync(Repository, Ct, "rev-parse", "--short=12", "HEAD")).Output.Trim();
        var records = _temp.Combine("records");

        var (exitCode, output, error) = await MnemoProcess.RunAsync(null, Repository, Ct, ["review", .. arguments, "--memory", Memory, "--records", records]);

        (exitCode, error).ShouldBe((2, expected.Replace("{HEAD}", head, StringComparison.Ordinal) + "\n"));
        output.ShouldBeEmpty();
        Directory.Exists(Memory).ShouldBeFalse("nothing is written to memory");
        Directory.Exists(records).ShouldBeFalse("no session was started");
    }

    [Fact]
    public async Task OfflineWithoutAScriptForTheChange_SaysSoInOneLine_AndLeavesNoMemoryFolder()
    {
        await SamplePullRequests.MakeRepositoryAsync(Repository, Ct);
        File.WriteAllText(Path.Combine(Repository, "retry.py"), "def retry(call):\n    return call()\n");
        await SamplePullRequests.GitAsync(Repository, Ct, "add", "retry.py");
        (await SamplePullRequests.GitAsync(Repository, Ct, "commit", "--quiet", "-m", "unknown")).ExitCode.ShouldBe(0);

        var (exitCode, output, error) = await ReviewAsync("--diff", "HEAD~1...HEAD", "--memory", Memory);

        exitCode.ShouldBe(1);
        output.ShouldBeEmpty();
        error.Split('\n').Last(line => line.Length > 0).ShouldStartWith("mnemo: the offline assistant has no script for this (");
        error.ShouldEndWith("it is scripted for the files and pull requests in samples/code-review only: set ANTHROPIC_API_KEY to review others with Claude\n");
        Directory.Exists(Memory).ShouldBeFalse();
    }

    [Fact]
    public async Task OutsideARepository_IsOneLine_ExitCode2()
    {
        var (exitCode, output, error) = await MnemoProcess.RunAsync(null, _temp.Path, Ct, "review", "--diff", "main...HEAD", "--memory", Memory);

        (exitCode, output, error).ShouldBe((2, string.Empty, "mnemo: --diff reviews a change in a git repository, and this folder is in none: run it in the repository's checkout\n"));
        Directory.Exists(Memory).ShouldBeFalse();
    }

    [Fact]
    public async Task ARepositoryGitCannotRead_IsGitsReasonInOneLine_NotOutsideARepository()
    {
        Directory.CreateDirectory(Repository);
        (await SamplePullRequests.GitAsync(Repository, Ct, "init", "--quiet")).ExitCode.ShouldBe(0);
        File.WriteAllText(Path.Combine(Repository, ".git", "config"), "[core\n");

        var (exitCode, output, error) = await MnemoProcess.RunAsync(null, Repository, Ct, "review", "--diff", "main...HEAD", "--memory", Memory);

        (exitCode, output, error).ShouldBe((1, string.Empty, "mnemo: git cannot read this repository: bad config line 1 in file .git/config\n"));
        Directory.Exists(Memory).ShouldBeFalse();
    }

    [Fact]
    public async Task TwoReviewsAtOnce_OnOneServerStore_LoseNothing()
    {
        var stores = _temp.Combine("stores");
        var key = (await MnemoProcess.RunAsync(Ct, "serve", "keys", "add", "--dir", stores, "--store", "team", "--name", "ci")).Output.Trim();
        using var server = MnemoProcess.Start("serve", "--dir", stores, "--port", "0");
        try
        {
            var address = ServeCommandTests.AddressIn((await server.StandardError.ReadLineAsync(Ct))!);
            var environment = new Dictionary<string, string> { ["MNEMO_KEY"] = key };
            string[] place = ["--server", address, "--store", "team", "--no-records"];
            await SamplePullRequests.MakeRepositoryAsync(Repository, Ct);
            var first = await MnemoProcess.RunAsync(environment, Repository, Ct, ["review", "--diff", SamplePullRequests.ScrapeStats, .. place]);
            first.ExitCode.ShouldBe(0, first.Error);

            // PR 2 and PR 3 at once: each inserts its case into the same note's "Seen in:" list.
            var reviews = await Task.WhenAll(
                MnemoProcess.RunAsync(environment, Repository, Ct, ["review", "--diff", SamplePullRequests.AsyncHostBudget, "--json", .. place]),
                MnemoProcess.RunAsync(environment, Repository, Ct, ["review", "--diff", SamplePullRequests.StockReservations, "--json", .. place]));

            foreach (var review in reviews)
            {
                review.ExitCode.ShouldBe(0, review.Error);
                review.Error.ShouldNotContain("error:", customMessage: "no memory command failed");
            }

            var note = File.ReadAllText(Path.Combine(stores, "team", "patterns", "lost-update-race.md")).Split('\n');
            note.ShouldContain(line => line.StartsWith("- async_fetcher.py HostBudget.try_spend (asyncio)", StringComparison.Ordinal));
            note.ShouldContain(line => line.StartsWith("- inventory.py Inventory.reserve (threads, check-then-act)", StringComparison.Ordinal));
            note.ShouldContain(line => line.StartsWith("- scraper.py ScrapeStats.record_page (threads)", StringComparison.Ordinal));
            note[5].ShouldBe("Seen in:");
            note.Length.ShouldBe(10, string.Join('\n', note));

            var history = await MnemoProcess.RunAsync(Ct, "memory", "history", "--dir", Path.Combine(stores, "team"), "patterns/lost-update-race.md", "--json");
            using var changes = JsonDocument.Parse(history.Output);
            changes.RootElement.GetArrayLength().ShouldBe(3, "the create and both inserts, each its own version");
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync(Ct);
        }
    }
}
