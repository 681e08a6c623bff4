using System.Text;
using System.Text.Json;

using Mnemo.Tests;

namespace Mnemo.Cli.Tests;

public sealed class EmulateCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Emulate_SampleScript_ServesTheSdkWireFormatUntilStopped()
    {
        using var process = MnemoProcess.Start("emulate", "--port", "0", "--script", MnemoProcess.InRepository("samples", "emulator", "memory-review.yaml"));
        try
        {
            var ready = await process.StandardOutput.ReadLineAsync(Ct);
            ready.ShouldNotBeNull();
            ready.ShouldStartWith("mnemo emulate: listening on http://127.0.0.1:");
            ready.ShouldContain("1 conversation(s), 2 rule(s)");
            var url = ready.Split(' ')[4];

            using var http = new HttpClient { BaseAddress = new Uri(url) };
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
            {
                Content = new StringContent("""{"model":"claude-sonnet-4-5","max_tokens":500,"messages":[{"role":"user","content":"Please review scraper.py"}]}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("x-api-key", "any");
            request.Headers.Add("anthropic-version", "2023-06-01");
            var response = await http.SendAsync(request, Ct);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;

            body.GetProperty("content")[1].GetProperty("input").GetProperty("command").GetString().ShouldBe("view");
            var log = await process.StandardError.ReadLineAsync(Ct);
            log.ShouldNotBeNull();
            log.ShouldContain("/v1/messages 200 conversation \"review\" turn 1");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(Ct);
        }
    }

    [Fact]
    public async Task Emulate_BrokenScript_ExitsWithOneLineSayingWhere()
    {
        using var temp = new Mnemo.Tests.TempDirectory();
        var script = temp.Combine("bad.yaml");
        await File.WriteAllTextAsync(script, "turns:\n  - {text: a, tool_use: {input: {}}}\n", Ct);

        var (exitCode, output, error) = await MnemoProcess.RunAsync(Ct, "emulate", "--port", "0", "--script", script);

        exitCode.ShouldBe(1);
        output.ShouldBeEmpty();
        error.Trim().ShouldBe("mnemo: bad.yaml: script.turns.0.tool_use: name is required");
    }

    [Fact]
    public async Task Emulate_MissingScript_SaysSo()
    {
        var (exitCode, _, error) = await MnemoProcess.RunAsync(Ct, "emulate", "--port", "0", "--script", "no-such-script.yaml");

        exitCode.ShouldBe(1);
        error.Trim().ShouldBe("mnemo: no-such-script.yaml: cannot read the script (no such file)");
    }
}
