using System.CommandLine;
using Mnemo.Cli;

var root = new RootCommand("Mnemo: memory and context management for agents built on Claude.")
{
    MemoryCommands.Create(),
    ContextCommands.Create(),
    EmulateCommand.Create(),
};

return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
