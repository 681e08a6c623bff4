using System.Text;
using System.Text.Json;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Tests.Memory;

public sealed class JsonLinesMemoryExecutorTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FileSystemMemoryStore _store;

    public JsonLinesMemoryExecutorTests() => _store = new FileSystemMemoryStore(_temp.Combine("memories"));

    public void Dispose()
    {
        _store.Dispose();
        _temp.Dispose();
    }

    private async Task<List<(string Content, bool IsError)>> Run(byte[] input, int maxLineBytes = 1024)
    {
        var executor = new JsonLinesMemoryExecutor(new MemoryTool(_store)) { MaxLineBytes = maxLineBytes };
        using var output = new MemoryStream();
        await executor.RunAsync(new MemoryStream(input), output, TestContext.Current.CancellationToken);
        var text = Encoding.UTF8.GetString(output.ToArray());
        text.ShouldEndWith("\n");
        return [.. text.TrimEnd('\n').Split('\n').Select(line =>
        {
            using var document = JsonDocument.Parse(line);
            return (document.RootElement.GetProperty("content").GetString()!, document.RootElement.GetProperty("is_error").GetBoolean());
        })];
    }

    [Fact]
    public async Task Run_MixedInput_OneResultPerCommandInOrder()
    {
        var input = Encoding.UTF8.GetBytes(string.Join('\n',
            """{"command":"create","path":"/memories/a.md","file_text":"x\n"}""",
            "",
            "   ",
            "{oops",
            """{"command":"view","path":"/memories/a.md"}""",
            """{"command":"view","path":"/memories/missing"}""") /* no final newline */);
        var results = await Run(input);
        results.ShouldBe(
        [
            ("File created successfully at: /memories/a.md", false),
            (results[1].Content, true),
            ("Here's the content of /memories/a.md with line numbers:\n     1\tx\n     2\t", false),
            ("The path /memories/missing does not exist. Please provide a valid path.", true),
        ]);
        results[1].Content.ShouldStartWith("The memory tool's input is not valid JSON: ");
    }

    [Fact]
    public async Task Run_LineLongerThanLimit_GetsErrorAndRunGoesOn()
    {
        var longLine = """{"command":"create","path":"/memories/big.md","file_text":" """ + new string('x', 5000) + "\"}";
        var input = Encoding.UTF8.GetBytes(longLine + "\n" + """{"command":"view","path":"/memories"}""" + "\n" + longLine);
        var results = await Run(input, maxLineBytes: 1024);
        results.Count.ShouldBe(3);
        results[0].ShouldBe(("The command on line 1 is longer than the limit of 1,024 bytes and was not run.", true));
        results[1].IsError.ShouldBeFalse();
        results[2].ShouldBe(("The command on line 3 is longer than the limit of 1,024 bytes and was not run.", true));
        File.Exists(_temp.Combine("memories", "big.md")).ShouldBeFalse();
    }

    [Fact]
    public async Task Run_InvalidUtf8Line_IsInvalidJson()
    {
        var input = new byte[] { (byte)'{', (byte)'"', 0xFF, 0xFE, (byte)'"', (byte)'}', (byte)'\n' };
        var results = await Run(input);
        results.Single().IsError.ShouldBeTrue();
        results.Single().Content.ShouldStartWith("The memory tool's input is not valid JSON: ");
    }

    [Fact]
    public async Task Run_LinesAcrossBufferBoundaries_AreReassembled()
    {
        var text = new string('t', 100_000);
        var input = Encoding.UTF8.GetBytes(
            $$"""{"command":"create","path":"/memories/t.md","file_text":"{{text}}"}""" + "\n" + """{"command":"view","path":"/memories"}""" + "\n");
        var results = await Run(input, maxLineBytes: 1 << 20);
        results[0].ShouldBe(("File created successfully at: /memories/t.md", false));
        File.ReadAllText(_temp.Combine("memories", "t.md")).ShouldBe(text);
        results[1].Content.ShouldEndWith("97.7K\t/memories/t.md");
    }
}
