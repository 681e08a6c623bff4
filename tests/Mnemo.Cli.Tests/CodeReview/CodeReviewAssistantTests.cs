using System.Text.Json;
using Anthropic.Helpers.Beta;
using Anthropic.Models.Beta.Messages;
using Mnemo.Anthropic.Agents;
using Mnemo.Cli.CodeReview;
using Mnemo.Anthropic.Tests.Agents;

namespace Mnemo.Cli.Tests.CodeReview;

public sealed class CodeReviewAssistantTests
{
    private static readonly ReviewFile[] Files =
    [
        new("src/app.py", "import os\nprint(os.environ['HOME'])\n"),
        new("src/util.py", "def f(x=[]):\n    return x\n"),
        new("lib/util.py", "pass\n"),
    ];

    private static BetaToolUseBlock Call(string inputJson) =>
        JsonSerializer.Deserialize<BetaToolUseBlock>($$"""{"type":"tool_use","id":"toolu_01","name":"read_file","input":{{inputJson}}}""")!;

    private static async Task<string> ReadAsync(string inputJson) =>
        (await new SourceFileTool(Files).ExecuteAsync(Call(inputJson), TestContext.Current.CancellationToken)).TryPickString(out var text)
            ? text
            : throw new InvalidOperationException("expected text");

    [Fact]
    public async Task ReadFile_ListedName_ReturnsTheFileWithLineNumbers()
    {
        (await ReadAsync("""{"path":"src/app.py"}""")).ShouldBe(
            "Here's the content of src/app.py with line numbers:\n     1\timport os\n     2\tprint(os.environ['HOME'])");
    }

    [Fact]
    public async Task ReadFile_UniqueFileName_FindsTheFile()
    {
        (await ReadAsync("""{"path":"app.py"}""")).ShouldStartWith("Here's the content of src/app.py");
    }

    [Theory]
    [InlineData("""{"path":"util.py"}""", "Error: 'util.py' is not one of the files under review: src/app.py, src/util.py, lib/util.py")]
    [InlineData("""{"path":"/etc/passwd"}""", "Error: '/etc/passwd' is not one of the files under review: src/app.py, src/util.py, lib/util.py")]
    [InlineData("""{"file":"src/app.py"}""", "Error: read_file needs a \"path\" string, one of: src/app.py, src/util.py, lib/util.py")]
    [InlineData("""{"path":7}""", "Error: read_file needs a \"path\" string, one of: src/app.py, src/util.py, lib/util.py")]
    public async Task ReadFile_AnythingElse_IsAnErrorListingTheFiles(string input, string message)
    {
        var error = await Should.ThrowAsync<BetaToolError>(() => ReadAsync(input));
        error.Content.TryPickString(out var text).ShouldBeTrue();
        text.ShouldBe(message);
    }

    [Fact]
    public void CreateSession_SetsTheReviewerPromptAndTheFileTool()
    {
        using var client = new global::Anthropic.AnthropicClient(new global::Anthropic.Core.ClientOptions { ApiKey = "k", BaseUrl = "http://127.0.0.1:9" });
        var assistant = new CodeReviewAssistant(client, options => options.Model = AgentHarness.Model);

        assistant.CreateSession(Files).ToolNames.ShouldBe(["read_file"]);
        Should.Throw<ArgumentException>(() => assistant.CreateSession([])).Message.ShouldStartWith("A review needs at least one file.");
        Should.Throw<ArgumentException>(() => assistant.CreateSession([Files[0], Files[0]])).Message.ShouldStartWith("Two files under review have the same name.");
        CodeReviewAssistant.Request(Files).ShouldStartWith("Review these files: src/app.py, src/util.py, lib/util.py.\n");
    }

    [Fact]
    public async Task ReviewAsync_ThroughTheSdk_ReadsTheFileAndStoresThePattern()
    {
        await using var harness = await AgentHarness.StartAsync("""
            conversations:
              - match: "src/util.py"
                turns:
                  - tool_use: {name: memory, input: {command: view, path: /memories}}
                  - tool_use: {name: read_file, input: {path: src/util.py}}
                  - tool_use: {name: memory, input: {command: create, path: /memories/patterns/mutable-default.md, file_text: "Default arguments are shared between calls.\n"}}
                  - "src/util.py line 1: the default list is shared between calls."
            """);
        var assistant = new CodeReviewAssistant(harness.Client, options =>
        {
            options.Model = AgentHarness.Model;
            options.Memory = new Mnemo.Memory.MemoryTool(harness.Store);
            options.OnEvent = harness.Events.Add;
        });

        var result = await assistant.ReviewAsync([Files[1]], TestContext.Current.CancellationToken);

        result.Text.ShouldBe("src/util.py line 1: the default list is shared between calls.");
        harness.Of<AgentToolResultEvent>().ElementAt(1).Content.ShouldBe("Here's the content of src/util.py with line numbers:\n     1\tdef f(x=[]):\n     2\t    return x");
        File.Exists(Path.Combine(harness.MemoryFolder, "patterns", "mutable-default.md")).ShouldBeTrue();
        var system = harness.Emulator.Exchanges[0].Request!.Value.GetProperty("system").GetString()!;
        system.ShouldStartWith("You are a senior code reviewer.");
        system.ShouldContain(AgentSession.DefaultMemoryProtocol.Trim());
    }
}
