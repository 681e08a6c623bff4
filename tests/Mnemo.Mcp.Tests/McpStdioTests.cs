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

    /// <summary>Runs the server on these lines, closes its input at once and returns every line it wrote, checked to be JSON-RPC.</summary>
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

        // The client goes away without waiting for a single answer: the server must still give every one.
        process.StandardInput.Close();
        await process.WaitForExitAsync(Ct);
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
    [InlineData(new[] { "mcp" }, "mnemo: give the memory's place: --dir FOLDER, --postgres CONNECTION [--store NAME], --server URL --store NAME, or --anthropic-store memstore_….")]
    [InlineData(new[] { "mcp", "--dir", "x", "--server", "http://127.0.0.1:1/" }, "mnemo: give one place for the memory: --server, --dir or --postgres.")]
    [InlineData(new[] { "mcp", "--server", "not a url" }, "mnemo: --server must be an http or https address, such as http://127.0.0.1:8420, not not a url.")]
    [InlineData(new[] { "mcp", "--dir", "x", "--poll", "-1" }, "mnemo: --poll must be 0 or more seconds.")]
    public async Task BadUsage_ExitsWith2_AndOneLine_AndNothingOnStdout(string[] arguments, string message)
    {
        var (exitCode, output, error) = await MnemoProcess.RunAsync(null, _temp.Path, Ct, arguments);
        (exitCode, error.Trim(), output).ShouldBe((2, message, string.Empty));
    }

    [Fact]
    public async Task MalformedJsonRpc_IsAnsweredWithAnError_AndTheServerKeepsAnswering()
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
        Answer(messages, 2).GetProperty("error").GetProperty("code").GetInt32().ShouldBe(-32700, "a torn line with an id is answered under that id");
        var unidentified = messages.Where(m => m.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Null).ToList();
        unidentified.Select(m => m.GetProperty("error").GetProperty("code").GetInt32()).Order().ToArray()
            .ShouldBe(new[] { -32700, -32700, -32600 }, "not JSON (twice: text, 10,000 braces), and JSON that is no message");
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
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
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

    [Fact]
    public async Task InputClosedStraightAfterTheRequests_EveryRequestIsAnswered_EveryTime()
    {
        for (var run = 0; run < 12; run++)
        {
            var file = $"/memories/run{run}.md";
            var (messages, exitCode) = await RunAsync(
            [
                Initialize,
                Initialized,
                """{"jsonrpc":"2.0","id":2,"method":"tools/list"}""",
                Call(3, new { command = "create", path = file, file_text = "one" }),
                """{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"no_such_tool","arguments":{}}}""",
                Call(5, new { command = "str_replace", path = file, old_str = "one", new_str = "two" }),
                Call(6, new { command = "view", path = file }),
                """{"jsonrpc":"2.0","id":7,"method":"prompts/get","params":{"name":"memory_protocol"}}""",
                """{"jsonrpc":"2.0","id":8,"method":"resources/list"}""",
            ]);

            exitCode.ShouldBe(0, $"run {run}");
            var answered = messages.Where(m => m.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Number).Select(m => m.GetProperty("id").GetInt32());
            answered.Order().ToArray().ShouldBe(new[] { 1, 2, 3, 4, 5, 6, 7, 8 }, $"run {run}: every request read is answered before the server exits");
            Answer(messages, 4).GetProperty("error").GetProperty("message").GetString()!.ShouldContain("Unknown tool: no_such_tool");
            Answer(messages, 6).GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString()
                .ShouldBe($"Here's the content of {file} with line numbers:\n     1\ttwo", $"run {run}");
        }
    }

    [Fact]
    public async Task CommandsSentWithoutWaiting_TakeEffectInTheOrderSent()
    {
        // Each create is followed at once by a view, a str_replace and a view of the same file, none waiting for an answer.
        const int Files = 15;
        for (var run = 0; run < 6; run++)
        {
            var lines = new List<string> { Initialize, Initialized };
            for (var i = 0; i < Files; i++)
            {
                var file = $"/memories/r{run}/f{i}.md";
                var id = 10 + (i * 10);
                lines.Add(Call(id, new { command = "create", path = file, file_text = "before" }));
                lines.Add(Call(id + 1, new { command = "view", path = file }));
                lines.Add(Call(id + 2, new { command = "str_replace", path = file, old_str = "before", new_str = "after" }));
                lines.Add(Call(id + 3, new { command = "view", path = file }));
                lines.Add(Call(id + 4, new { command = "rename", old_path = file, new_path = file + ".old" }));
                lines.Add(Call(id + 5, new { command = "view", path = file }));
            }

            var (messages, _) = await RunAsync(lines);
            for (var i = 0; i < Files; i++)
            {
                var file = $"/memories/r{run}/f{i}.md";
                var id = 10 + (i * 10);
                string Text(int n) => Answer(messages, n).GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString()!;
                Text(id + 1).ShouldBe($"Here's the content of {file} with line numbers:\n     1\tbefore", $"run {run}, file {i}: the view saw the create");
                Text(id + 3).ShouldBe($"Here's the content of {file} with line numbers:\n     1\tafter", $"run {run}, file {i}: the view saw the edit");
                Text(id + 5).ShouldBe($"The path {file} does not exist. Please provide a valid path.", $"run {run}, file {i}: the view saw the rename");
            }
        }
    }
}
