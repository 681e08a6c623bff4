using System.CommandLine;
using Mnemo.Cli;
using Mnemo.Cli.Agents;

var root = new RootCommand("Mnemo: memory and context management for agents built on Claude.")
{
    MemoryCommands.Create(),
    ContextCommands.Create(),
    EmulateCommand.Create(),
    ServeCommands.Create(),
    McpCommand.Create(),
    DashboardCommand.Create(),
    ReviewCommands.CreateReview(),
    ReviewCommands.CreateDemo(),
};

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    // Bad usage gets its own exit code, 2, so scripts can tell it from a command that ran and failed (1), and one line.
    await Console.Error.WriteLineAsync($"mnemo: {UsageErrors.Describe(parsed)}").ConfigureAwait(false);
    return 2;
}

return await parsed.InvokeAsync().ConfigureAwait(false);
