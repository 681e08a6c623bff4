using System.Text.Json;
using Mnemo.Tests;

namespace Mnemo.Mcp.Tests;

/// <summary><c>mnemo mcp</c> over raw standard input and output: bad input, a client that goes away, and nothing but protocol on stdout.</summary>
public sealed class McpStdioTests : IDisposable
{
    private const string Initialize =
        """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}""";

    private const string Initialized = """{"jsonrpc":"2.0","method":"notifications/initialized"}""";

    private readonly TempDirectory _temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Root => _temp.Combine("memories");

    public void Dispose() => _temp.Dispose();

    private static string Call(int id, object arguments) =>
        JsonSerializer.Serialize(new { jsonrpc = "2.0", id, method = "tools/call", @params = new { name = "memory", arguments } });

    /// <summary>Runs the server on these lines, closes its input and returns every line it wrote, checked to be JSON-RPC.</summary>
    private async Task<(List<JsonElement> Messages, int ExitCode)> RunAsync(IEnumerable<string> lines)
    {
        using var process = MnemoProcess.Start("mcp", "--dir", Root, "--poll", "0");
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        foreach (var line in lines)
        {
            await process.StandardInput.WriteAsync(line + "\n");
            await process.StandardInput.FlushAsync(Ct);
        }

        // Give the answers time to come back before the client goes away.
        await Task.Delay(1500, Ct);
        process.StandardInput.Close();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(timeout.Token);
        var messages = new List<JsonElement>();
        foreach (var line in (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // Nothing but protocol on stdout: every line is one JSON-RPC message.
            var message = JsonDocument.Parse(line).RootElement.Clone();
            message.GetProperty("jsonrpc").GetString().ShouldBe("2.0", line);
            messages.Add(message);
        }

        (await error).ShouldNotContain("Unhandled exception");
        return (messages, process.ExitCode);
    }

    private static JsonElement Answer(List<JsonElement> messages, int id) =>
        messages.Single(message => message.TryGetProperty("id", out var value) && value.ValueKind == JsonValueKind.Number && value.GetInt32() == id);

    [Theory]
    [InlineData(new[] { "mcp" }, "mnemo: give the memory's place: --dir FOLDER, or --postgres CONNECTION [--store NAME].")]
    [InlineData(new[] { "mcp", "--dir", "x", "--server", "http://127.0.0.1:1/" }, "mnemo: give one place for the memory: --server, --dir or --postgres.")]
    [InlineData(new[] { "mcp", "--server", "not a url" }, "mnemo: --server must be an http or https address, such as http://127.0.0.1:8420, not not a url.")]
    [InlineData(new[] { "mcp", "--dir", "x", "--poll", "-1" }, "mnemo: --poll must be 0 or more seconds.")]
    public async Task BadUsage_ExitsWith2_AndOneLine_AndNothingOnStdout(string[] arguments, string message)
    {
        var (exitCode, output, error) = await MnemoProcess.RunAsync(null, _temp.Path, Ct, arguments);
        (exitCode, error.Trim(), output).ShouldBe((2, message, string.Empty));
    }

    [Fact]
    public async Task MalformedJsonRpc_IsAnsweredOrIgnored_AndTheServerKeepsAnswering()
    {
        var (messages, exitCode) = await RunAsync(
        [
            Initialize,
            Initialized,
            "this is not json",
            "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":",
            "[1, 2, 3]",
            """{"jsonrpc":"2.0","id":3,"method":"no/such/method"}""",
            """{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"memory","arguments":{"command":"explode"}}}""",
            """{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"memory","arguments":"not an object"}}""",
            """{"jsonrpc":"2.0","id":6,"method":"resources/read","params":{"uri":"file:///etc/passwd"}}""",
            new string('{', 10_000),
            Call(7, new { command = "create", path = "/memories/after.md", file_text = "still here\n" }),
        ]);

        exitCode.ShouldBe(0);
        Answer(messages, 3).GetProperty("error").GetProperty("code").GetInt32().ShouldBe(-32601);
        var unknown = Answer(messages, 4).GetProperty("result");
        unknown.GetProperty("isError").GetBoolean().ShouldBeTrue();
        unknown.GetProperty("content")[0].GetProperty("text").GetString()
            .ShouldBe("Unknown command: explode. Valid commands are: view, create, str_replace, insert, delete, rename");
        Answer(messages, 5).TryGetProperty("error", out _).ShouldBeTrue();
        Answer(messages, 6).GetProperty("error").GetProperty("code").GetInt32().ShouldBe(-32002);
        Answer(messages, 7).GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString()
            .ShouldBe("File created successfully at: /memories/after.md");
        File.ReadAllText(Path.Combine(Root, "after.md")).ShouldBe("still here\n");
    }

    [Fact]
    public async Task AClientThatGoesAwayMidCall_LeavesTheFileWholeOrUntouched_AndTheServerExits()
    {
        Directory.CreateDirectory(Root);
        File.WriteAllText(Path.Combine(Root, "big.md"), "old\n");
        using var process = MnemoProcess.Start("mcp", "--dir", Root, "--poll", "0");
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        await process.StandardInput.WriteAsync(Initialize + "\n" + Initialized + "\n");
        for (var i = 0; i < 20; i++)
        {
            // Each insert is 2,000 lines (about 6 KB), so the writes take long enough to be cut off mid-way.
            var block = string.Join('\n', Enumerable.Repeat(i.ToString(System.Globalization.CultureInfo.InvariantCulture), 2_000));
            await process.StandardInput.WriteAsync(Call(10 + i, new { command = "insert", path = "/memories/big.md", insert_line = 0, insert_text = block }) + "\n");
        }

        // Gone at once, with twenty edits in flight.
        process.StandardInput.Close();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(timeout.Token);
        process.ExitCode.ShouldBe(0);
        foreach (var line in (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            JsonDocument.Parse(line).RootElement.GetProperty("jsonrpc").GetString().ShouldBe("2.0");
        }

        // Every edit that ran is whole: the file is the old one with some of the inserted lines on top, never torn.
        var lines = File.ReadAllLines(Path.Combine(Root, "big.md"));
        lines[^1].ShouldBe("old");
        lines.Length.ShouldBe(1 + (2_000 * (lines.Length / 2_000)), "whole inserts only");
        lines.SkipLast(1).ShouldAllBe(line => line.Length > 0 && line.All(char.IsAsciiDigit));
        Directory.GetFiles(Root).Select(Path.GetFileName).ShouldBe(["big.md"]);
    }
}
