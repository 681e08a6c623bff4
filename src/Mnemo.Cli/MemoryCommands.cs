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
        var actor = new Option<string?>("--actor")
        {
            Description = "Who the store's history and audit log name for these commands; the user's login name by default.",
        };
        var noHistory = new Option<bool>("--no-history")
        {
            Description = "Keep no history of these commands' changes (nothing to restore them from); the folder's existing history stays.",
        };
        var noAudit = new Option<bool>("--no-audit")
        {
            Description = "Do not append each command, its caller and outcome to .mnemo/audit.jsonl in the memory folder.",
        };
        var exec = new Command("exec", "Run memory-tool commands: one JSON object a line on stdin, one result a line on stdout.")
        {
            directory,
            noSync,
            actor,
            noHistory,
            noAudit,
        };
        exec.SetAction(async (parseResult, cancellationToken) =>
        {
            var folder = parseResult.GetRequiredValue(directory);
            FileSystemMemoryStore store;
            try
            {
                store = new FileSystemMemoryStore(folder.FullName, new FileSystemMemoryStoreOptions { Durable = !parseResult.GetValue(noSync), History = !parseResult.GetValue(noHistory) });
            }
            catch (Exception exception) when (exception is MemoryException or PlatformNotSupportedException)
            {
                await Console.Error.WriteLineAsync($"mnemo: cannot open the memory folder: {exception.Message}").ConfigureAwait(false);
                return 1;
            }

            using (store)
            {
                using var audit = parseResult.GetValue(noAudit) ? null : new JsonLinesMemoryAuditLog(Path.Combine(store.MetaDirectory, "audit.jsonl"));
                var tool = new MemoryTool(store, new MemoryToolOptions
                {
                    Actor = parseResult.GetValue(actor) is { Length: > 0 } named ? named : Environment.UserName,
                    AuditLog = audit,
                    UnexpectedError = (command, error) => Console.Error.WriteLine($"mnemo: {command.Name} failed: {error}"),
                });
                await using var input = new SynchronousStream(Console.OpenStandardInput());
                await using var output = new SynchronousStream(Console.OpenStandardOutput());
                await new JsonLinesMemoryExecutor(tool).RunAsync(input, output, cancellationToken).ConfigureAwait(false);
                return 0;
            }
        });

        var memory = new Command("memory", "Work with a memory folder: run commands, look at it and its history, put things right.") { exec };
        foreach (var verb in MemoryAdminCommands.Create(directory))
        {
            memory.Subcommands.Add(verb);
        }

        return memory;
    }
}
