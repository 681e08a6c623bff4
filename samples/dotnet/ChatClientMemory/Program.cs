// Mnemo in a Microsoft.Extensions.AI pipeline from dependency injection: any IChatClient (here Anthropic's, from the
// official SDK) gets the memory tool and protocol, function calling, and context editing with the warning to save
// before a clearing.
//
//   dotnet run --project samples/dotnet/ChatClientMemory -- MEMORY_FOLDER "What do you remember?"
//
// Needs ANTHROPIC_API_KEY (ANTHROPIC_BASE_URL points it at the emulator instead; ANTHROPIC_MODEL picks the model).
using Anthropic;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

var folder = args.Length > 0 ? args[0] : "memories";
var prompt = args.Length > 1 ? args[1] : "What do you remember?";
var model = Environment.GetEnvironmentVariable("ANTHROPIC_MODEL") is { Length: > 0 } named ? named : "claude-sonnet-4-5";

var services = new ServiceCollection();
services.AddMnemoMemory().WithFileSystemStore(folder).WithActor("chat-sample");
services.AddMnemoContextEditing(configure: editing => editing.Profile = "development");
services.AddChatClient(new AnthropicClient().AsIChatClient(model, 2048))
    .UseMnemoMemory()
    .UseFunctionInvocation()
    .UseContextEditing(step => Console.Error.WriteLine($"[context] {step}"));

await using var provider = services.BuildServiceProvider();
var chat = provider.GetRequiredService<IChatClient>();
var response = await chat.GetResponseAsync(prompt);
Console.WriteLine(response.Text);
