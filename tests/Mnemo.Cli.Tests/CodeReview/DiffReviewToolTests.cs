using System.Text.Json;
using Anthropic.Helpers.Beta;
using Anthropic.Models.Beta.Messages;
using Mnemo.Cli.CodeReview;
using Mnemo.Tests;

namespace Mnemo.Cli.Tests.CodeReview;

/// <summary>The tools of a diff review, on the sample repository: what the model can read, and which findings are kept.</summary>
public sealed class DiffReviewToolTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Repository => _temp.Combine("repo");

    public async ValueTask InitializeAsync()
    {
        await SamplePullRequests.MakeRepositoryAsync(Repository, Ct);

        // A branch that links out of the repository, and deletes a file.
        await SamplePullRequests.GitAsync(Repository, Ct, "checkout", "--quiet", "-b", "links", "add-scrape-stats");
        File.CreateSymbolicLink(Path.Combine(Repository, "hostname"), "/etc/hostname");
        File.WriteAllText(Path.Combine(Repository, "notes.md"), "a note\n");
        await SamplePullRequests.GitAsync(Repository, Ct, "add", "hostname", "notes.md");
        (await SamplePullRequests.GitAsync(Repository, Ct, "commit", "--quiet", "-m", "links")).ExitCode.ShouldBe(0);
        await SamplePullRequests.GitAsync(Repository, Ct, "rm", "--quiet", "scraper.py");
        (await SamplePullRequests.GitAsync(Repository, Ct, "commit", "--quiet", "-m", "drop the scraper")).ExitCode.ShouldBe(0);
        await SamplePullRequests.GitAsync(Repository, Ct, "checkout", "--quiet", "main");
    }

    public ValueTask DisposeAsync()
    {
        _temp.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<ReviewedChange> OpenAsync(string spec) =>
        await ReviewedChange.OpenAsync(spec, null, TextReader.Null, Repository, Ct);

    private static BetaToolUseBlock Call(string name, object input) =>
        JsonSerializer.Deserialize<BetaToolUseBlock>(JsonSerializer.Serialize(new { type = "tool_use", id = "toolu_01", name, input }))!;

    private static async Task<string> RunAsync(IBetaRunnableTool tool, object input)
    {
        try
        {
            return (await tool.ExecuteAsync(Call(tool.Name, input), Ct)).TryPickString(out var text) ? text : "(blocks)";
        }
        catch (BetaToolError error)
        {
            return error.Content.TryPickString(out var text) ? text : "(error blocks)";
        }
    }

    [Fact]
    public async Task ReadFile_ReadsEitherSideOfTheChange_FromGitNotFromTheDisk()
    {
        var change = await OpenAsync(SamplePullRequests.ScrapeStats);
        var head = new RepositoryFileTool(change, atBase: false);
        var atBase = new RepositoryFileTool(change, atBase: true);

        (await RunAsync(head, new { path = "scraper.py" })).ShouldContain("    18\t        pages = self.pages_scraped\n");
        (await RunAsync(atBase, new { path = "./scraper.py" })).ShouldContain("    17\t    def record_page(self, size):\n    18\t        with self._lock:\n");
        (await RunAsync(head, new { path = "" })).ShouldBe("The names in the repository's top (folders end in /):\nscraper.py");

        // The working tree is main's; the head's file comes from its commit all the same.
        File.ReadAllText(Path.Combine(Repository, "scraper.py")).ShouldContain("with self._lock:");
    }

    [Theory]
    [InlineData("../outside.txt")]
    [InlineData("/etc/hostname")]
    [InlineData("docs/../../x")]
    public async Task ReadFile_APathOutOfTheRepository_IsRefused(string path)
    {
        var change = await OpenAsync(SamplePullRequests.ScrapeStats);

        (await RunAsync(new RepositoryFileTool(change, atBase: false), new { path }))
            .ShouldBe($"Error: {path} is outside the repository; give a path from its top, such as scraper.py");
    }

    [Fact]
    public async Task ReadFile_ALinkOutOfTheRepository_ShowsWhereItPoints_NotWhatIsThere()
    {
        var change = await OpenAsync("main...links");

        var read = await RunAsync(new RepositoryFileTool(change, atBase: false), new { path = "hostname" });

        read.ShouldBe("Here's the content of hostname with line numbers:\n     1\t/etc/hostname");
    }

    [Fact]
    public async Task ReadFile_NewDeletedAndMissingFiles_SayWhichInOneLine()
    {
        var added = await OpenAsync(SamplePullRequests.AsyncHostBudget);
        (await RunAsync(new RepositoryFileTool(added, atBase: true), new { path = "async_fetcher.py" }))
            .ShouldBe("Error: async_fetcher.py is new in this change; it has no version at the base");
        (await RunAsync(new RepositoryFileTool(added, atBase: false), new { path = "missing.py" }))
            .ShouldBe("Error: missing.py does not exist at the head; the changed files are async_fetcher.py");

        var deleted = await OpenAsync("links~1..links");
        (await RunAsync(new RepositoryFileTool(deleted, atBase: false), new { path = "scraper.py" }))
            .ShouldBe("Error: this change deletes scraper.py; read_file_at_base shows it as it was");
        (await RunAsync(new RepositoryFileTool(deleted, atBase: true), new { path = "scraper.py" })).ShouldStartWith("Here's the content of scraper.py (at the base)");
    }

    [Fact]
    public async Task ReportFinding_KeepsFindingsOnLinesTheDiffShows_AndSaysWhyOthersCannotBeKept()
    {
        var change = await OpenAsync(SamplePullRequests.ScrapeStats);
        var tool = new FindingTool(change.Diff);
        var finding = new { file = "scraper.py", line = 18, severity = "High", title = "Lost update", body = "Two threads…", pattern = "/memories/patterns/lost-update-race.md" };

        (await RunAsync(tool, finding)).ShouldBe("Finding 1 recorded: scraper.py:18 (high) Lost update");
        (await RunAsync(tool, finding with { line = 40 }))
            .ShouldBe("Error: line 40 of scraper.py is not in the diff, which shows lines 1-6, 12-28 and 48-52 of it; a finding goes on a line the diff shows, so the comment can sit on it");
        (await RunAsync(tool, finding with { file = "payments.py" }))
            .ShouldBe("Error: payments.py is not a file this change touches; a finding goes on one of: scraper.py");
        (await RunAsync(tool, finding with { severity = "critical" })).ShouldBe("Error: severity is high, medium or low, not critical");
        (await RunAsync(tool, new { file = "scraper.py", line = 18 })).ShouldBe("Error: report_finding needs file, line, severity, title and body; missing: severity, title, body");

        (await RunAsync(tool, finding with { severity = "medium" })).ShouldBe("Finding 1 was recorded already; it now reads as reported: scraper.py:18 (medium) Lost update");

        tool.Findings.ShouldBe([new ReviewFinding("scraper.py", 18, "medium", "Lost update", "Two threads…", "lost-update-race")]);
    }

    [Fact]
    public async Task ReportFinding_OnAFileTheChangeDeletes_IsRefused()
    {
        var change = await OpenAsync("links~1..links");

        (await RunAsync(new FindingTool(change.Diff), new { file = "scraper.py", line = 1, severity = "low", title = "t", body = "b" }))
            .ShouldBe("Error: this change deletes scraper.py; put the finding on a line the change adds or keeps in another file");
    }
}
