// A Microsoft Agent Framework agent with Mnemo: memory through the framework's context provider, context editing (and
// the warning to save before a clearing) through the agent's chat client.
//
//   dotnet run --project samples/dotnet/AgentFrameworkMemory -- MEMORY_FOLDER "What do you remember?"
//
// Needs ANTHROPIC_API_KEY (ANTHROPIC_BASE_URL points it at the emulator instead; ANTHROPIC_MODEL picks the model).
using Anthropic;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Mnemo.AgentFramework;
using Mnemo.Context;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;
using Mnemo.Memory.Safety;

var folder = args.Length > 0 ? args[0] : "memories";
var prompt = args.Length > 1 ? args[1] : "What do you remember?";
var model = Environment.GetEnvironmentVariable("ANTHROPIC_MODEL") is { Length: > 0 } named ? named : "claude-sonnet-4-5";

using var store = new FileSystemMemoryStore(folder);
var agent = new AnthropicClient().AsIChatClient(model, 2048).AsMnemoAgent(
    new MemoryTool(store).AsBuilder().UseActor("agent-sample").UseScreening().Build(),
    ContextPresets.Development,
    new ChatClientAgentOptions { Name = "assistant", ChatOptions = new ChatOptions { Instructions = "You are a helpful assistant." } });

var session = await agent.CreateSessionAsync();
var response = await agent.RunAsync(prompt, session);
Console.WriteLine(response.Text);
