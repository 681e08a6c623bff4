using System.Diagnostics;
using System.Text.RegularExpressions;

using Mnemo.Tests;

namespace Mnemo.Cli.Tests;

/// <summary>The demo's sample files carry the bugs the review finds: each one run shows its bug happen.</summary>
public sealed partial class CodeReviewSampleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Scraper_UnderThreads_LosesUpdates()
    {
        var match = Match(await RunAsync("scraper.py"), @"scraped (\d+) pages, counted (\d+)");
        int.Parse(match.Groups[2].Value).ShouldBeLessThan(int.Parse(match.Groups[1].Value));
    }

    [Fact]
    public async Task Scraper_AtTheBaseOfThePullRequest_WithItsLock_CountsEveryPage()
    {
        var match = Match(await RunAsync("pull-requests/base/scraper.py"), @"scraped (\d+) pages, counted (\d+)");
        match.Groups[2].Value.ShouldBe(match.Groups[1].Value, "the race is what the sample pull request brings in");
    }

    [Fact]
    public async Task AsyncFetcher_WithAnAwaitBetweenReadAndWrite_OverspendsItsBudget()
    {
        var match = Match(await RunAsync("async_fetcher.py"), @"budget 10 requests, sent (\d+)");
        int.Parse(match.Groups[1].Value).ShouldBeGreaterThan(10);
    }

    [Fact]
    public async Task Accounts_CraftedName_ReturnsEveryAccount()
    {
        var output = await RunAsync("accounts.py");
        output.ShouldContain("find_account('bob'): [(2, 'bob', 'bob@example.com')]");
        output.ShouldContain("find_account(\"x' OR '1'='1\"): [(1, 'alice'");
        output.ShouldContain("(3, 'carol'");
    }

    [Fact]
    public async Task Notifications_MutableDefault_LeaksOneUsersMessagesIntoAnothers()
    {
        (await RunAsync("notifications.py")).ShouldContain("bob's batch:   ['alice: invoice paid', 'bob: password changed']");
    }

    [Fact]
    public async Task Inventory_UnderThreads_ReservesMoreThanThereWas()
    {
        var match = Match(await RunAsync("inventory.py"), @"stock was 20; reserved (\d+)");
        int.Parse(match.Groups[1].Value).ShouldBeGreaterThan(20);
    }

    [Fact]
    public async Task Report_SortParameter_RevealsTheSecretsTableThroughTheOrder()
    {
        var output = await RunAsync("report.py");
        output.ShouldContain("sorted by region: [('east', 200), ('north', 120), ('south', 80)]");

        // The probe sorts ascending only when the secret starts with "api": the order is the leak.
        output.ShouldContain("sorted by a probe of the secrets table: [('south', 80), ('north', 120), ('east', 200)]");
    }

    [Fact]
    public async Task Payments_ChargeWhoseAnswerCameLate_IsSentAgain_AndTheCardIsChargedTwice()
    {
        var output = await RunAsync("payments.py");
        output.ShouldContain("2 of 2 invoices paid");
        output.ShouldContain("the gateway made 3 charges for 2 invoices: tok_mastercard charged 1 time(s), tok_visa charged 2 time(s)");
    }

    private static Match Match(string output, string pattern)
    {
        var match = Regex.Match(output, pattern);
        match.Success.ShouldBeTrue($"no '{pattern}' in: {output}");
        return match;
    }

    private static async Task<string> RunAsync(string sample)
    {
        var info = new ProcessStartInfo("python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(MnemoProcess.InRepository("samples", "code-review", sample));
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Skip("python3 is not installed; the samples are Python.");
            throw;
        }

        using (process)
        {
            var output = await process.StandardOutput.ReadToEndAsync(Ct);
            var error = await process.StandardError.ReadToEndAsync(Ct);
            await process.WaitForExitAsync(Ct);
            process.ExitCode.ShouldBe(0, error);
            return output;
        }
    }
}
