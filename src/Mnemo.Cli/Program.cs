using System.CommandLine;
using Mnemo.Cli;
using Mnemo.Cli.Agents;

var root = new RootCommand("Mnemo: memory and context management for agents built on Claude.")
{
    MemoryCommands.Create(),
    ContextCommands.Create(),
    EmulateCommand.Create(),
    ReviewCommands.CreateReview(),
    ReviewCommands.CreateDemo(),
};

return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
