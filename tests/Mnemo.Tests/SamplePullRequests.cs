namespace Mnemo.Tests;

/// <summary>The sample pull requests of <c>samples/code-review/pull-requests</c>, in a real git repository made by the sample's own script.</summary>
public static class SamplePullRequests
{
    /// <summary>PR 1: drops the lock from ScrapeStats.record_page (the lost-update race).</summary>
    public const string ScrapeStats = "main...add-scrape-stats";

    /// <summary>PR 2: an asyncio fetcher with the same race across an await.</summary>
    public const string AsyncHostBudget = "main...async-host-budget";

    /// <summary>PR 3: stock reservations (check-then-act) and notification batches (mutable defaults), two files.</summary>
    public const string StockReservations = "main...stock-reservations";

    /// <summary>Makes the repository in <paramref name="folder"/> with <c>make-repo.sh</c>.</summary>
    public static async Task MakeRepositoryAsync(string folder, CancellationToken cancellationToken)
    {
        var (exitCode, output, error) = await ChildProcess.RunAsync("bash", null, null, cancellationToken, MnemoProcess.InRepository("samples", "code-review", "pull-requests", "make-repo.sh"), folder);
        exitCode.ShouldBe(0, output + error);
    }

    /// <summary>Runs git in a repository; returns its exit code and what it wrote (standard output, then standard error).</summary>
    public static async Task<(int ExitCode, string Output)> GitAsync(string repository, CancellationToken cancellationToken, params string[] arguments)
    {
        var (exitCode, output, error) = await ChildProcess.RunAsync("git", repository, null, cancellationToken,
            ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", .. arguments]);
        return (exitCode, output + error);
    }
}
