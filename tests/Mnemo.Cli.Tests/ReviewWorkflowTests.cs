using System.Text.Json;
using Mnemo.Anthropic.Tests.ChatClients;
using Mnemo.Tests;
using YamlDotNet.RepresentationModel;

namespace Mnemo.Cli.Tests;

/// <summary>
/// samples/github: the review script a CI job runs, end to end in the sample repository (mnemo, git and curl as real
/// processes; GitHub's reviews endpoint played by a <see cref="LoopbackEndpoint"/>), and the workflow that runs it.
/// </summary>
public sealed class ReviewWorkflowTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Script => MnemoProcess.InRepository("samples", "github", "mnemo-review.sh");

    private string Repository => _temp.Combine("repo");

    public void Dispose() => _temp.Dispose();

    private Dictionary<string, string> Environment(string baseCommit, string head) => new()
    {
        ["MNEMO"] = $"dotnet {MnemoProcess.CliAssembly}",
        ["BASE"] = baseCommit,
        ["HEAD"] = head,
        ["MNEMO_MEMORY_DIR"] = _temp.Combine("cache", "memories"),
        ["OUT"] = _temp.Path,
    };

    private Task<(int ExitCode, string Output, string Error)> RunScriptAsync(Dictionary<string, string> environment) =>
        ChildProcess.RunAsync("bash", Repository, environment, Ct, Script);

    [Fact]
    public async Task Script_ReviewsThePullRequest_AndPostsTheReviewToGitHub_WithTheMemoryKeptForTheNextRun()
    {
        await SamplePullRequests.MakeRepositoryAsync(Repository, Ct);
        await using var github = await LoopbackEndpoint.StartAsync((_, _) => (200, """{"id":1}"""));
        var environment = Environment("main", "add-scrape-stats");
        environment["GITHUB_TOKEN"] = "ghs_test";
        environment["GITHUB_REPOSITORY"] = "team/app";
        environment["PR_NUMBER"] = "7";
        environment["GITHUB_API_URL"] = github.BaseAddress.ToString().TrimEnd('/');

        var (exitCode, output, error) = await RunScriptAsync(environment);

        exitCode.ShouldBe(0, error);
        output.ShouldBeEmpty();
        error.ShouldEndWith("mnemo-review: posted the review of PR #7 with 1 line comment(s)\n");
        var request = github.Received.ShouldHaveSingleItem();
        (request.Method, request.Path).ShouldBe(("POST", "/repos/team/app/pulls/7/reviews"));
        request.Headers["Authorization"].ShouldBe("Bearer ghs_test");
        request.Headers["Accept"].ShouldBe("application/vnd.github+json");
        using var review = JsonDocument.Parse(request.Body);
        review.RootElement.GetProperty("commit_id").GetString().ShouldBe((await SamplePullRequests.GitAsync(Repository, Ct, "rev-parse", "add-scrape-stats")).Output.Trim());
        var comment = review.RootElement.GetProperty("comments").EnumerateArray().ShouldHaveSingleItem();
        (comment.GetProperty("path").GetString(), comment.GetProperty("line").GetInt32()).ShouldBe(("scraper.py", 18));
        File.Exists(_temp.Combine("cache", "memories", "patterns", "lost-update-race.md")).ShouldBeTrue("the memory folder the cache keeps for the next run");
    }

    [Fact]
    public async Task Script_WithoutGitHubSettings_PrintsTheReview_AndABadChangeIsExitCode2WithNothingPosted()
    {
        await SamplePullRequests.MakeRepositoryAsync(Repository, Ct);

        var printed = await RunScriptAsync(Environment("main", "async-host-budget"));
        printed.ExitCode.ShouldBe(0, printed.Error);
        JsonDocument.Parse(printed.Output).RootElement.GetProperty("comments")[0].GetProperty("path").GetString().ShouldBe("async_fetcher.py");
        printed.Error.ShouldEndWith("mnemo-review: the review has 1 line comment(s); not posting it (set GITHUB_TOKEN, GITHUB_REPOSITORY and PR_NUMBER to post)\n");

        var empty = await RunScriptAsync(Environment("main", "main"));
        empty.ExitCode.ShouldBe(2);
        empty.Error.ShouldBe("mnemo: main...main: the diff is empty; there is nothing to review\nmnemo-review: no review (mnemo exited with 2)\n");
        File.Exists(_temp.Combine("review.json")).ShouldBeFalse();
    }

    [Fact]
    public async Task Script_WhereMnemoIsNotInstalled_InstallsTheToolFromTheFeedGiven_AndReviews()
    {
        await SamplePullRequests.MakeRepositoryAsync(Repository, Ct);
        var feed = _temp.Combine("feed");
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        // The package is made from the build the tests run on; its nuspec goes to this test's own folder, so a pack
        // running beside it (PackagesTests) shares no file with it.
        var pack = await ChildProcess.RunAsync("dotnet", null, null, Ct, "pack", MnemoProcess.InRepository("src", "Mnemo.Cli"), "--no-build", "-c", configuration,
            "-o", feed, "-nologo", $"-p:NuspecOutputPath={_temp.Combine("nuspec")}/");
        pack.ExitCode.ShouldBe(0, pack.Output + pack.Error);
        var environment = Environment("main", "add-scrape-stats");
        environment.Remove("MNEMO");
        environment["MNEMO_SOURCE"] = feed;
        environment["HOME"] = environment["DOTNET_CLI_HOME"] = _temp.Combine("home");
        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        environment["PATH"] = string.Join(':', (System.Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':')
            .Where(folder => !File.Exists(Path.Combine(folder, "mnemo"))));

        var (exitCode, output, error) = await RunScriptAsync(environment);

        exitCode.ShouldBe(0, error);
        error.ShouldStartWith("mnemo-review: installing the mnemo tool\n");
        error.ShouldContain("Tool 'mnemo.cli' (version '1.0.0') was successfully installed.");
        File.Exists(_temp.Combine("home", ".dotnet", "tools", "mnemo")).ShouldBeTrue();
        JsonDocument.Parse(output).RootElement.GetProperty("comments")[0].GetProperty("line").GetInt32().ShouldBe(18);
    }

    [Fact]
    public async Task Script_WhenGitHubRefusesTheReview_SaysWhatItAnswered_ExitCode3()
    {
        await SamplePullRequests.MakeRepositoryAsync(Repository, Ct);
        await using var github = await LoopbackEndpoint.StartAsync((_, _) => (422, """{"message":"Unprocessable Entity","errors":["Line could not be resolved"]}"""));
        var environment = Environment("main", "add-scrape-stats");
        environment["GITHUB_TOKEN"] = "ghs_test";
        environment["GITHUB_REPOSITORY"] = "team/app";
        environment["PR_NUMBER"] = "7";
        environment["GITHUB_API_URL"] = github.BaseAddress.ToString().TrimEnd('/');

        var (exitCode, _, error) = await RunScriptAsync(environment);

        exitCode.ShouldBe(3);
        error.ShouldContain("mnemo-review: GitHub did not take the review: {\"message\":\"Unprocessable Entity\",\"errors\":[\"Line could not be resolved\"]}");
    }

    [Fact]
    public void Workflow_RunsTheScript_WithTheSettingsItReads()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(MnemoProcess.InRepository("samples", "github", "mnemo-review.yml"))));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var steps = (YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)root["jobs"])["review"])["steps"];
        var review = steps.Children.Cast<YamlMappingNode>().Single(step => step.Children.TryGetValue("name", out var name) && name.ToString() == "Review and post");

        review["run"].ToString().ShouldBe("bash .github/mnemo-review.sh");
        var script = File.ReadAllText(Script);
        var settings = ((YamlMappingNode)review["env"]).Children.Keys.Select(key => key.ToString()).ToList();
        settings.ShouldBe(["ANTHROPIC_API_KEY", "MNEMO_SOURCE", "MNEMO_SERVER", "MNEMO_STORE", "MNEMO_KEY", "BASE", "HEAD", "PR_NUMBER", "GITHUB_TOKEN", "OUT"]);
        settings.Where(name => name != "ANTHROPIC_API_KEY").ShouldAllBe(name => script.Contains("${" + name, StringComparison.Ordinal));
        script.ShouldContain("#   ANTHROPIC_API_KEY ", customMessage: "mnemo reads the key itself; the script says it needs it");
        ((YamlMappingNode)root["permissions"])["pull-requests"].ToString().ShouldBe("write");
        File.ReadAllText(MnemoProcess.InRepository("samples", "github", "mnemo-review.yml")).ShouldNotContain("ref: ${{ github.event.pull_request.head",
            customMessage: "pull_request_target must not check out the pull request's code");
    }
}
