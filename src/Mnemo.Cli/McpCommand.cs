using System.CommandLine;
using Mnemo.Mcp;
using Mnemo.Memory;

namespace Mnemo.Cli;

/// <summary><c>mnemo mcp</c>: the memory as a Model Context Protocol server over standard input and output.</summary>
internal static class McpCommand
{
    public static Command Create()
    {
        var place = new StoreSelection();
        var actor = new Option<string>("--actor")
        {
            Description = "Who the store's history names for this client's writes (the client's name follows after a slash).",
            DefaultValueFactory = _ => "mcp",
        };
        var poll = new Option<double>("--poll")
        {
            Description = "Seconds between looks at the store for changes made elsewhere, for resource notifications; 0 for none.",
            DefaultValueFactory = _ => 2,
        };
        var command = new Command("mcp", "Serve the memory to an MCP client (Claude Code, Claude Desktop, VS Code) over stdio: the memory tool, files as resources, the memory protocol as a prompt.")
        {
            actor,
            poll,
        };
        foreach (var option in place.All.Append(place.Server).Append(place.Key).Append(place.Safety))
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            // Standard output is the protocol's alone: anything else written to the console goes to standard error.
            var protocol = Console.Out;
            Console.SetOut(Console.Error);
            if (parseResult.GetValue(poll) is var seconds && (double.IsNaN(seconds) || seconds < 0))
            {
                await Console.Error.WriteLineAsync("mnemo: --poll must be 0 or more seconds.").ConfigureAwait(false);
                return MemoryAdminCommands.Usage;
            }

            var (exitCode, store) = await place.TryOpenForCommandsAsync(parseResult, durable: true, history: true).ConfigureAwait(false);
            if (store is null)
            {
                Console.SetOut(protocol);
                return exitCode;
            }

            using ((IDisposable)store)
            {
                Mnemo.Memory.Safety.MemorySafety? safety;
                try
                {
                    safety = place.SafetyFor(parseResult, (store as Mnemo.Memory.FileSystem.FileSystemMemoryStore)?.RootDirectory);
                }
                catch (UsageException exception)
                {
                    await Console.Error.WriteLineAsync($"mnemo: {exception.Message}").ConfigureAwait(false);
                    Console.SetOut(protocol);
                    return MemoryAdminCommands.Usage;
                }

                var interval = parseResult.GetValue(poll);
                var server = new MemoryMcpServer(store, new MemoryMcpServerOptions
                {
                    Actor = parseResult.GetValue(actor) is { Length: > 0 } named ? named : "mcp",
                    PollInterval = interval > 0 ? TimeSpan.FromSeconds(interval) : null,
                    Safety = safety,
                });
                try
                {
                    await server.RunStdioAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // Stopped by a signal: the session is over.
                }
                finally
                {
                    Console.SetOut(protocol);
                }

                return 0;
            }
        });
        return command;
    }
}
