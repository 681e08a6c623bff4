using System.CommandLine;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Cli;

/// <summary>The <c>mnemo memory</c> commands.</summary>
internal static class MemoryCommands
{
    public static Command Create()
    {
        var directory = new Option<DirectoryInfo>("--dir")
        {
            Description = "The folder that /memories maps to; created if missing.",
            Required = true,
        };
        var noSync = new Option<bool>("--no-sync")
        {
            Description = "Skip flushing each write to disk: writes stay atomic, but the last ones may be lost on a power cut.",
        };
        var exec = new Command("exec", "Run memory-tool commands: one JSON object a line on stdin, one result a line on stdout.")
        {
            directory,
            noSync,
        };
        exec.SetAction(async (parseResult, cancellationToken) =>
        {
            var folder = parseResult.GetRequiredValue(directory);
            FileSystemMemoryStore store;
            try
            {
                store = new FileSystemMemoryStore(folder.FullName, new FileSystemMemoryStoreOptions { Durable = !parseResult.GetValue(noSync) });
            }
            catch (Exception exception) when (exception is MemoryException or PlatformNotSupportedException)
            {
                await Console.Error.WriteLineAsync($"mnemo: cannot open the memory folder: {exception.Message}").ConfigureAwait(false);
                return 1;
            }

            using (store)
            {
                var tool = new MemoryTool(store, new MemoryToolOptions
                {
                    UnexpectedError = (command, error) => Console.Error.WriteLine($"mnemo: {command.Name} failed: {error}"),
                });
                await using var input = new SynchronousStream(Console.OpenStandardInput());
                await using var output = new SynchronousStream(Console.OpenStandardOutput());
                await new JsonLinesMemoryExecutor(tool).RunAsync(input, output, cancellationToken).ConfigureAwait(false);
                return 0;
            }
        });

        return new Command("memory", "Work with a memory folder.") { exec };
    }
}
