// Mnemo's own agent loop, AgentSession, on the official Anthropic SDK: memory, context editing on the API's side, the
// warning before a clearing and the record of whether the model saved.
//
//   dotnet run --project samples/dotnet/SessionMemory -- MEMORY_FOLDER "What do you remember?"
//
// Needs ANTHROPIC_API_KEY (ANTHROPIC_BASE_URL points it at the emulator instead; ANTHROPIC_MODEL picks the model).
using Anthropic;
using Mnemo.Anthropic.Agents;
using Mnemo.Context;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;
using Mnemo.Memory.Safety;

var folder = args.Length > 0 ? args[0] : "memories";
var prompt = args.Length > 1 ? args[1] : "What do you remember?";
var model = Environment.GetEnvironmentVariable("ANTHROPIC_MODEL") is { Length: > 0 } named ? named : "claude-sonnet-4-5";

using var store = new FileSystemMemoryStore(folder);
var session = new AgentSession(new AnthropicClient(), new AgentSessionOptions
{
    Model = model,
    Memory = new MemoryTool(store).AsBuilder().UseActor("session-sample").UseScreening().Build(),
    ContextManagement = ContextPresets.Development,
});

var result = await session.RunAsync(prompt);
Console.WriteLine(result.Text);
Console.Error.WriteLine(result.Summary.Format());
