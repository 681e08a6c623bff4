using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Mnemo.Tests;

namespace Mnemo.Cli.Tests;

/// <summary><c>mnemo serve --otlp</c>: the memory server sends its spans and metrics, over OTLP/HTTP, to a collector (a
/// loopback listener here, which keeps what it is sent); a span names the command and its outcome, never the text.</summary>
public sealed class ServeTelemetryTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Serve_WithOtlp_SendsTheCommandsSpansAndTheServersMetrics_ToTheCollector()
    {
        var root = _temp.Combine("stores");
        var key = (await MnemoProcess.RunAsync(Ct, "serve", "keys", "add", "--dir", root, "--store", "team")).Output.Trim();
        await using var collector = await Mnemo.Anthropic.Tests.ChatClients.LoopbackEndpoint.StartAsync((_, _) => (200, "{}"));

        // Export often, so the test does not wait the default five seconds.
        var environment = new Dictionary<string, string> { ["OTEL_BSP_SCHEDULE_DELAY"] = "100", ["OTEL_METRIC_EXPORT_INTERVAL"] = "300" };
        using var server = MnemoProcess.Start(environment, null, "serve", "--dir", root, "--port", "0", "--otlp", collector.BaseAddress.ToString().TrimEnd('/'));
        try
        {
            var address = new Uri(ServeCommandTests.AddressIn((await server.StandardError.ReadLineAsync(Ct))!));
            using var http = new HttpClient { BaseAddress = address };
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/stores/team/memory")
            {
                Content = new StringContent(JsonSerializer.Serialize(new { command = "create", path = "/memories/a.md", file_text = "the launch code is 0000\n" }), Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            (await http.SendAsync(request, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);

            string Sent(string path) => string.Concat(collector.Requests.Where(r => r.Path == path).Select(r => Encoding.UTF8.GetString(r.Body)));

            for (var waited = 0; waited < 300 && !(Sent("/v1/traces").Contains("memory create", StringComparison.Ordinal) && Sent("/v1/metrics").Contains("mnemo.server.requests", StringComparison.Ordinal)); waited++)
            {
                await Task.Delay(100, Ct);
            }

            var traces = Sent("/v1/traces");
            traces.ShouldContain("memory create");
            traces.ShouldContain("mnemo.memory.outcome");
            traces.ShouldContain("mnemo-server");
            traces.ShouldNotContain("launch code");
            traces.ShouldNotContain("/memories/a.md");
            Sent("/v1/metrics").ShouldContain("mnemo.server.requests");
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync(Ct);
        }
    }

    [Fact]
    public async Task Serve_WithAnOtlpAddressThatIsNotHttp_SaysSoInOneLine()
    {
        var (exitCode, _, error) = await MnemoProcess.RunAsync(Ct, "serve", "--dir", _temp.Combine("stores"), "--port", "0", "--otlp", "ftp://collector");

        (exitCode, error).ShouldBe((2, "mnemo: --otlp ftp://collector: expected the collector's http or https address, such as http://localhost:4318.\n"));
    }

    [Fact]
    public async Task Serve_WithMetrics_ServesPrometheusMetrics_AndWithoutIt_NoMetricsPage()
    {
        var root = _temp.Combine("stores");
        var key = (await MnemoProcess.RunAsync(Ct, "serve", "keys", "add", "--dir", root, "--store", "team")).Output.Trim();
        foreach (var metrics in new[] { true, false })
        {
            using var server = MnemoProcess.Start(["serve", "--dir", root, "--port", "0", .. metrics ? new[] { "--metrics" } : []]);
            try
            {
                var address = new Uri(ServeCommandTests.AddressIn((await server.StandardError.ReadLineAsync(Ct))!));
                using var http = new HttpClient { BaseAddress = address };
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/stores/team/memory")
                {
                    Content = new StringContent("""{"command":"view","path":"/memories"}""", Encoding.UTF8, "application/json"),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                (await http.SendAsync(request, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);

                var page = await http.GetAsync("/metrics", Ct);
                if (metrics)
                {
                    page.StatusCode.ShouldBe(HttpStatusCode.OK);
                    var text = await page.Content.ReadAsStringAsync(Ct);
                    text.ShouldContain("mnemo_server_requests_total{");
                    text.ShouldContain("route=\"memory\"");
                    text.ShouldNotContain(key);
                }
                else
                {
                    page.StatusCode.ShouldBe(HttpStatusCode.NotFound);
                }
            }
            finally
            {
                server.Kill();
                await server.WaitForExitAsync(Ct);
            }
        }
    }
}
