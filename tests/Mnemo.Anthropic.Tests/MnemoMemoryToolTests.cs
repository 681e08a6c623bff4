using System.Text.Json;
using Anthropic.Helpers.Beta;
using Anthropic.Models.Beta.Messages;
using Mnemo.Memory.FileSystem;
using Mnemo.Tests;

namespace Mnemo.Anthropic.Tests;

public sealed class MnemoMemoryToolTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FileSystemMemoryStore _store;
    private readonly IBetaRunnableTool _tool;

    public MnemoMemoryToolTests()
    {
        _store = new FileSystemMemoryStore(_temp.Combine("memories"));
        _tool = new MnemoMemoryTool(_store);
    }

    public void Dispose()
    {
        _store.Dispose();
        _temp.Dispose();
    }

    /// <summary>Builds the block the SDK builds from the API's response: the wire JSON of a tool_use block.</summary>
    private static BetaToolUseBlock ToolUse(string inputJson) =>
        JsonSerializer.Deserialize<BetaToolUseBlock>(
            $$"""{"type":"tool_use","id":"toolu_01A","name":"memory","input":{{inputJson}}}""")!;

    private static string Text(BetaToolResultBlockParamContent content) =>
        content.TryPickString(out var text) ? text : throw new InvalidOperationException("expected a string result");

    [Fact]
    public void Definition_IsMemoryTool20250818NamedMemory()
    {
        _tool.Name.ShouldBe("memory");
        var definition = JsonSerializer.Serialize(_tool.Definition);
        definition.ShouldContain("\"type\":\"memory_20250818\"");
        definition.ShouldContain("\"name\":\"memory\"");
    }

    [Fact]
    public async Task ExecuteAsync_CreateThenView_ReturnsReferenceText()
    {
        var ct = TestContext.Current.CancellationToken;
        Text(await _tool.ExecuteAsync(ToolUse("""{"command":"create","path":"/memories/notes.md","file_text":"a\nb\n"}"""), ct))
            .ShouldBe("File created successfully at: /memories/notes.md");
        Text(await _tool.ExecuteAsync(ToolUse("""{"command":"view","path":"/memories/notes.md","view_range":[2,-1]}"""), ct))
            .ShouldBe("Here's the content of /memories/notes.md with line numbers:\n     2\tb\n     3\t");
        File.ReadAllText(_temp.Combine("memories", "notes.md")).ShouldBe("a\nb\n");
    }

    [Fact]
    public async Task ExecuteAsync_EveryCommandKind_RunsAgainstTheStore()
    {
        var ct = TestContext.Current.CancellationToken;
        await _tool.ExecuteAsync(ToolUse("""{"command":"create","path":"/memories/a.txt","file_text":"one\ntwo\n"}"""), ct);
        Text(await _tool.ExecuteAsync(ToolUse("""{"command":"str_replace","path":"/memories/a.txt","old_str":"two","new_str":"2"}"""), ct))
            .ShouldStartWith("The memory file has been edited.");
        Text(await _tool.ExecuteAsync(ToolUse("""{"command":"insert","path":"/memories/a.txt","insert_line":0,"insert_text":"zero"}"""), ct))
            .ShouldBe("The file /memories/a.txt has been edited.");
        Text(await _tool.ExecuteAsync(ToolUse("""{"command":"rename","old_path":"/memories/a.txt","new_path":"/memories/b/a.txt"}"""), ct))
            .ShouldBe("Successfully renamed /memories/a.txt to /memories/b/a.txt");
        File.ReadAllText(_temp.Combine("memories", "b", "a.txt")).ShouldBe("zero\none\n2\n");
        Text(await _tool.ExecuteAsync(ToolUse("""{"command":"delete","path":"/memories/b"}"""), ct))
            .ShouldBe("Successfully deleted /memories/b");
        Directory.Exists(_temp.Combine("memories", "b")).ShouldBeFalse();
    }

    [Theory]
    [InlineData("""{"command":"view","path":"/memories/missing.md"}""", "The path /memories/missing.md does not exist. Please provide a valid path.")]
    [InlineData("""{"command":"view","path":"/etc/passwd"}""", "Path must start with /memories, got: /etc/passwd")]
    [InlineData("""{"command":"frobnicate"}""", "Unknown command: frobnicate. Valid commands are: view, create, str_replace, insert, delete, rename")]
    [InlineData("""{"command":"create","path":"/memories/x"}""", "Missing required parameter `file_text` for command `create`.")]
    [InlineData("""{"command":"insert","path":"/memories/x","insert_line":"1","insert_text":"t"}""",
        "Invalid parameter `insert_line` for command `insert`: expected an integer, got a string.")]
    [InlineData("""{"path":"/memories"}""", "Missing required parameter `command`. Valid commands are: view, create, str_replace, insert, delete, rename")]
    public async Task ExecuteAsync_FailedCommand_ThrowsBetaToolErrorWithExactMessage(string input, string message)
    {
        var error = await Should.ThrowAsync<BetaToolError>(() => _tool.ExecuteAsync(ToolUse(input), TestContext.Current.CancellationToken));
        Text(error.Content).ShouldBe(message);
    }

    [Fact]
    public async Task ExecuteAsync_SymlinkOutOfRoot_ErrorNamesNoHostPath()
    {
        var outside = _temp.Combine("outside.txt");
        File.WriteAllText(outside, "secret");
        File.CreateSymbolicLink(_temp.Combine("memories", "leak.txt"), outside);
        var error = await Should.ThrowAsync<BetaToolError>(
            () => _tool.ExecuteAsync(ToolUse("""{"command":"view","path":"/memories/leak.txt"}"""), TestContext.Current.CancellationToken));
        Text(error.Content).ShouldBe("Path /memories/leak.txt would escape /memories directory");
        Text(error.Content).ShouldNotContain(_temp.Path);
    }

    [Fact]
    public async Task ExecuteAsync_TypedCommand_UsesTheSameStrings()
    {
        var tool = new MnemoMemoryTool(_store);
        var result = await tool.ExecuteAsync(new BetaMemoryTool20250818ViewCommand("/memories"), TestContext.Current.CancellationToken);
        Text(result).ShouldBe("Here're the files and directories up to 2 levels deep in /memories, excluding hidden items:\n4K\t/memories");
    }
}
