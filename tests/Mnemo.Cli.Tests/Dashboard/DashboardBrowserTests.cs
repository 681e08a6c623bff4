using System.Net;
using OpenQA.Selenium;
using OpenQA.Selenium.Support.UI;
using Mnemo.Server.Dashboard;
using Mnemo.Sessions;
using Mnemo.Tests;
using static Mnemo.Cli.Tests.Dashboard.DashboardFixture;

namespace Mnemo.Cli.Tests.Dashboard;

/// <summary><c>mnemo dashboard</c> in a real browser: headless Chromium loads the page on fixture records, and the figures
/// it shows are those worked out from the records' lines by hand.</summary>
public sealed class DashboardBrowserTests(Browser browser) : IClassFixture<Browser>, IDisposable
{
    private readonly TempDirectory _temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task TheOverview_ShowsTheRecordsFigures_FiltersByStore_AndOpensASession()
    {
        var folder = _temp.Combine("sessions");
        await WriteAsync(new FolderSessionRecords(folder), Ct);
        var files = Directory.GetFiles(folder, "*.jsonl").Where(file => !Path.GetFileName(file).StartsWith('.')).ToList();
        await using var app = await DashboardCommand.StartAsync(
            [new DashboardStore("local", new FolderSessionRecords(folder))], IPAddress.Loopback, 0, metrics: false, Ct);
        var address = new Uri(app.Urls.First() + "/");

        browser.Open(address, "overview");

        var all = Expected(files);
        all.Sessions.ShouldBe(3);
        all.Skipped.ShouldBe(1, "the fixture's cut-off line");
        Shown().ShouldBe(Figures(all));
        browser.Web.FindElements(By.CssSelector("#chart-days .day-sessions")).Select(label => label.Text).ShouldBe(["1", "1", "1"], "a session on each of three days");
        browser.Screenshot("dashboard-overview");

        // Filtered to one store, the figures are that store's alone.
        browser.Reset();
        browser.Web.FindElement(By.CssSelector("#filter-store option[value='team']")).Click();
        browser.Web.FindElement(By.CssSelector("#filters button[type=submit]")).Click();
        browser.WaitFor("overview");
        var team = Expected(files, "team");
        Shown().ShouldBe(Figures(team));
        browser.Web.FindElements(By.CssSelector("#sessions tbody tr")).Select(row => row.GetAttribute("data-session"))
            .ShouldBe(["team-review-2", "team-review-1"], "newest first");

        // A session: its requests on the chart, the warning and the clearing marked, its figures.
        browser.Reset();
        browser.Web.FindElement(By.CssSelector("#sessions tr[data-session='team-review-1']")).Click();
        browser.WaitFor("session");
        browser.Text("detail-requests").ShouldBe("4");
        var one = Expected([Path.Combine(folder, "team-review-1.jsonl")]);
        browser.Text("detail-input").ShouldBe(DashboardFixture.Figures.Int(one.Input));
        browser.Text("detail-saved-tokens").ShouldBe(DashboardFixture.Figures.Int(one.Saved));
        browser.Text("detail-cost").ShouldBe(DashboardFixture.Figures.Usd(one.Cost));
        browser.Text("detail-saved-cost").ShouldBe(DashboardFixture.Figures.Usd(one.SavedCost));
        browser.Web.FindElements(By.CssSelector("#chart-requests circle")).Count.ShouldBe(4);
        browser.Web.FindElements(By.CssSelector("#chart-requests .clearing-mark")).Count.ShouldBe(1);
        browser.Web.FindElement(By.CssSelector("#chart-requests")).Text.ShouldContain("trigger 6,000");
        browser.Web.FindElement(By.CssSelector("#chart-requests")).Text.ShouldContain("warning 4,800");
        browser.Web.FindElement(By.CssSelector("#detail-preservations tbody")).Text.ShouldContain("preserved");
        browser.Screenshot("dashboard-session");
    }

    [Fact]
    public async Task ABadFilter_IsSaidInOneLine_AndTheLastFiguresStay()
    {
        var folder = _temp.Combine("sessions");
        await WriteAsync(new FolderSessionRecords(folder), Ct);
        await using var app = await DashboardCommand.StartAsync(
            [new DashboardStore("local", new FolderSessionRecords(folder))], IPAddress.Loopback, 0, metrics: false, Ct);
        browser.Open(new Uri(app.Urls.First() + "/"), "overview");
        var before = Shown();

        browser.Reset();
        ((IJavaScriptExecutor)browser.Web).ExecuteScript("const input = document.getElementById('filter-from'); input.type = 'text'; input.value = 'yesterday';");
        browser.Web.FindElement(By.CssSelector("#filters button[type=submit]")).Click();
        new WebDriverWait(browser.Web, TimeSpan.FromSeconds(10)).Until(driver => driver.FindElement(By.Id("status")).Text.Length > 0);

        browser.Text("status").ShouldBe("from must be a day such as 2026-12-05, not yesterday.");
        Shown().ShouldBe(before);
    }

    private Dictionary<string, string> Shown() => new[]
    {
        "total-sessions", "total-requests", "total-input", "total-saved-tokens", "total-cost", "total-saved-cost", "total-clearings",
        "total-warnings", "total-reacquisitions", "total-recalls", "total-memory-writes", "preserved", "not-preserved", "not-warned",
        "mean-save-seconds", "skipped-lines",
    }.ToDictionary(id => id, browser.Text);

    private static Dictionary<string, string> Figures(DashboardFixture.Figures f) => new()
    {
        ["total-sessions"] = DashboardFixture.Figures.Int(f.Sessions),
        ["total-requests"] = DashboardFixture.Figures.Int(f.Requests),
        ["total-input"] = DashboardFixture.Figures.Int(f.Input),
        ["total-saved-tokens"] = DashboardFixture.Figures.Int(f.Saved),
        ["total-cost"] = DashboardFixture.Figures.Usd(f.Cost),
        ["total-saved-cost"] = DashboardFixture.Figures.Usd(f.SavedCost),
        ["total-clearings"] = DashboardFixture.Figures.Int(f.Clearings),
        ["total-warnings"] = DashboardFixture.Figures.Int(f.Warnings),
        ["total-reacquisitions"] = DashboardFixture.Figures.Int(f.Reacquisitions),
        ["total-recalls"] = DashboardFixture.Figures.Int(f.Recalls),
        ["total-memory-writes"] = DashboardFixture.Figures.Int(f.MemoryWrites),
        ["preserved"] = DashboardFixture.Figures.Int(f.Preserved),
        ["not-preserved"] = DashboardFixture.Figures.Int(f.NotPreserved),
        ["not-warned"] = DashboardFixture.Figures.Int(f.NotWarned),
        ["mean-save-seconds"] = f.MeanSaveSeconds,
        ["skipped-lines"] = DashboardFixture.Figures.Int(f.Skipped),
    };
}
