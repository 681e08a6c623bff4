using System.Net;
using Mnemo.Tests;

namespace Mnemo.Cli.Tests.Dashboard;

/// <summary><c>mnemo dashboard</c> as a real process: where it listens, its metrics when asked, and bad usage in one line.</summary>
public sealed class DashboardCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Dashboard_SaysWhereItListens_ServesThePageAndItsFigures_AndPrometheusMetricsWhenAsked()
    {
        await DashboardFixture.WriteAsync(new Mnemo.Sessions.FolderSessionRecords(_temp.Combine("records")), Ct);
        Directory.CreateDirectory(_temp.Combine("memory"));
        using var dashboard = MnemoProcess.Start("dashboard", "--records", _temp.Combine("records"), "--memory", _temp.Combine("memory"), "--port", "0", "--metrics");
        try
        {
            var banner = (await dashboard.StandardError.ReadLineAsync(Ct))!;
            banner.ShouldStartWith("mnemo: dashboard at http://127.0.0.1:");
            banner.ShouldEndWith($"/ (records in {_temp.Combine("records")} and a memory folder); Ctrl+C stops.");
            var address = new Uri(banner["mnemo: dashboard at ".Length..banner.IndexOf(' ', "mnemo: dashboard at ".Length)]);
            using var http = new HttpClient { BaseAddress = address };

            var page = await http.GetAsync("/", Ct);
            page.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
            page.Headers.GetValues("Content-Security-Policy").Single().ShouldStartWith("default-src 'self'");
            (await page.Content.ReadAsStringAsync(Ct)).ShouldNotContain("http", customMessage: "nothing is fetched from elsewhere");
            (await http.GetStringAsync("/api/overview", Ct)).ShouldContain("\"session_count\":3");
            var metrics = await http.GetStringAsync("/metrics", Ct);
            metrics.ShouldContain("http_server_request_duration_seconds");

            // Another name for this machine (as a DNS-rebinding page would use) is refused; so is a change posted as plain text.
            using var rebound = new HttpRequestMessage(HttpMethod.Get, "/api/overview");
            rebound.Headers.Host = "attacker.example";
            (await http.SendAsync(rebound, Ct)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            using var plain = new StringContent("""{"path":"/memories/a.md","seq":1}""");
            (await http.PostAsync("/api/memory/local/restore", plain, Ct)).StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        }
        finally
        {
            dashboard.Kill();
            await dashboard.WaitForExitAsync(Ct);
        }
    }

    [Fact]
    public async Task BadUsage_IsSaidInOneLine_WithExitCode2()
    {
        var missing = await MnemoProcess.RunAsync(Ct, "dashboard", "--memory", _temp.Combine("nowhere"), "--port", "0");
        (missing.ExitCode, missing.Error).ShouldBe((2, $"mnemo: --memory {_temp.Combine("nowhere")}: there is no such folder.\n"));

        var keyless = await MnemoProcess.RunAsync(new Dictionary<string, string> { ["MNEMO_KEY"] = string.Empty }, null, Ct, "dashboard", "--server", "http://127.0.0.1:9", "--port", "0");
        (keyless.ExitCode, keyless.Error).ShouldBe((2, "mnemo: --server needs the API key in MNEMO_KEY (`mnemo serve keys add` makes one).\n"));

        var address = await MnemoProcess.RunAsync(Ct, "dashboard", "--address", "here", "--port", "0");
        (address.ExitCode, address.Error).ShouldBe((2, "mnemo: --address here is not an IP address.\n"));
    }
}
