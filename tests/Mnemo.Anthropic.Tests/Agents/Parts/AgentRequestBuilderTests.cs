using System.Text.Json;
using Anthropic.Helpers.Beta;
using Mnemo.Anthropic.Agents;
using Mnemo.Context;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;
using Mnemo.Tests;
using Mnemo.Tokens;

namespace Mnemo.Anthropic.Tests.Agents.Parts;

/// <summary>The request builder at its own level: the prompt, the tools, the betas, and context management on either side.</summary>
public sealed class AgentRequestBuilderTests : IDisposable
{
    private const string Config = """{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"input_tokens","value":100},"keep":{"type":"tool_uses","value":1}}]}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly TempDirectory _temp = new();
    private readonly FileSystemMemoryStore _store;

    public AgentRequestBuilderTests()
    {
        _store = new FileSystemMemoryStore(_temp.Combine("memories"));
    }

    public void Dispose()
    {
        _store.Dispose();
        _temp.Dispose();
    }

    private AgentRequestBuilder Builder(ContextEditingSide side, bool memory = true, Action<AgentSessionOptions>? configure = null)
    {
        var options = new AgentSessionOptions
        {
            Model = AgentHarness.Model,
            SystemPrompt = "You review code.",
            ContextManagement = ContextManagementConfig.Parse(Config),
            ContextEditing = side,
        };
        configure?.Invoke(options);
        IBetaRunnableTool[] tools = memory ? [new MnemoMemoryTool(new MemoryTool(_store)), AgentHarness.ReadFile()] : [AgentHarness.ReadFile()];
        return new AgentRequestBuilder(options, tools, EstimatingTokenCounter.Instance, ExtractiveContextSummarizer.Instance);
    }

    private static IReadOnlyList<ContextMessage> Conversation()
    {
        var messages = new List<ContextMessage> { ContextMessage.FromJson(JsonSerializer.SerializeToElement(new { role = "user", content = "review" })) };
        foreach (var id in new[] { "t1", "t2", "t3" })
        {
            messages.Add(ContextMessage.FromJson(JsonSerializer.SerializeToElement(new
            {
                role = "assistant",
                content = new object[] { new { type = "tool_use", id, name = "read_file", input = new { path = id } } },
            })));
            messages.Add(ContextMessage.FromJson(JsonSerializer.SerializeToElement(new
            {
                role = "user",
                content = new object[] { new { type = "tool_result", tool_use_id = id, content = new string('x', 2000) } },
            })));
        }

        return messages;
    }

    [Fact]
    public async Task ServerSide_SendsTheConfigurationAndItsBeta_AndTheConversationUnedited()
    {
        var builder = Builder(ContextEditingSide.Server);
        var request = builder.Unedited(Conversation());

        var (parameters, sent, edits, _, _) = await builder.BuildAsync(request, Ct);

        edits.ShouldBeNull();
        sent.ShouldBeSameAs(request);
        var body = parameters.RawBodyData;
        body["context_management"].GetProperty("edits")[0].GetProperty("exclude_tools").EnumerateArray().Select(e => e.GetString()).ShouldBe(["memory"]);
        body["system"].GetString().ShouldBe("You review code.\n\n" + AgentSession.DefaultMemoryProtocol.Trim());
        body["tools"].EnumerateArray().Select(tool => tool.GetProperty("name").GetString()).ShouldBe(["memory", "read_file"]);
        body["messages"].GetRawText().ShouldNotContain("Content cleared");
        parameters.RawHeaderData["anthropic-beta"].EnumerateArray().Select(e => e.GetString()).ShouldBe([AgentSession.ContextManagementBeta]);
    }

    [Fact]
    public async Task ClientSide_EditsACopyHere_AndSendsNoConfiguration()
    {
        var builder = Builder(ContextEditingSide.Client, memory: false);
        var conversation = Conversation();

        var (parameters, sent, edits, _, _) = await builder.BuildAsync(builder.Unedited(conversation), Ct);

        edits!.Single().ClearedToolUses.ShouldBe(2);
        parameters.RawBodyData.ContainsKey("context_management").ShouldBeFalse();
        parameters.RawHeaderData.ContainsKey("anthropic-beta").ShouldBeFalse("nothing here needs the beta: no memory tool, no server editing");
        parameters.RawBodyData["system"].GetString().ShouldBe("You review code.", "the memory protocol goes only with a memory tool");
        parameters.RawBodyData["messages"].GetArrayLength().ShouldBe(conversation.Count);
        parameters.RawBodyData["messages"][2].GetRawText().ShouldNotContain("xxxx");
        sent.Messages.Count.ShouldBe(conversation.Count);
        conversation[2].Json.GetRawText().ShouldContain("xxxx", Case.Sensitive, "the history is never edited");
    }

    [Fact]
    public void AConfigurationTheRequestBreaks_IsRefusedNamingTheOption()
    {
        Should.Throw<ArgumentException>(() => Builder(ContextEditingSide.Server, configure: options =>
            options.ContextManagement = ContextManagementConfig.Parse("""{"edits":[{"type":"clear_thinking_20251015"}]}""")))
            .Message.ShouldStartWith("AgentSessionOptions.ContextManagement: ");
    }
}
