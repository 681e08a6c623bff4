using Mnemo.Anthropic.Tests.Agents;
using Mnemo.Tests;

namespace Mnemo.Anthropic.Tests;

/// <summary>The C# samples (<c>samples/dotnet</c>), each run as the program a user runs, against the emulator: the SDK
/// reads <c>ANTHROPIC_BASE_URL</c> and the key from the environment. Each saves in one run and answers from memory in
/// the next.</summary>
public sealed class SamplesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Script = """
        conversations:
          - match: "deploys go out on Tuesdays"
            turns:
              - tool_use: {name: memory, input: {command: create, path: /memories/deploy.md, file_text: "Deploys go out on Tuesdays.\n"}}
              - Saved to memory.
          - match: "When do deploys go out"
            turns:
              - tool_use: {name: memory, input: {command: view, path: /memories/deploy.md}}
              - On Tuesdays, as my memory says.
        """;

    [Theory]
    [InlineData("ChatClientMemory")]
    [InlineData("AgentFrameworkMemory")]
    [InlineData("SessionMemory")]
    public async Task TheSample_SavesInOneRun_AndAnswersFromMemoryInTheNext(string sample)
    {
        await using var harness = await AgentHarness.StartAsync(Script);
        var environment = new Dictionary<string, string>
        {
            ["ANTHROPIC_API_KEY"] = "test-key",
            ["ANTHROPIC_BASE_URL"] = harness.Emulator.BaseAddress.ToString().TrimEnd('/'),
        };

        var first = await MnemoProcess.RunSampleAsync(sample, environment, Ct, harness.MemoryFolder, "Remember: deploys go out on Tuesdays.");
        var second = await MnemoProcess.RunSampleAsync(sample, environment, Ct, harness.MemoryFolder, "When do deploys go out?");

        first.ExitCode.ShouldBe(0, first.Error);
        first.Output.ShouldBe("Saved to memory.\n");
        File.ReadAllText(Path.Combine(harness.MemoryFolder, "deploy.md")).ShouldBe("Deploys go out on Tuesdays.\n");
        second.ExitCode.ShouldBe(0, second.Error);
        second.Output.ShouldBe("On Tuesdays, as my memory says.\n");
    }
}
