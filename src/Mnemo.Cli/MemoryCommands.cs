using System.CommandLine;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;
using Mnemo.Memory.Safety;

namespace Mnemo.Cli;

/// <summary>The <c>mnemo memory</c> commands.</summary>
internal static class MemoryCommands
{
    public static Command Create()
    {
        var place = new StoreSelection();
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
            Description = "Do not append each command, its caller and outcome to the audit log (.mnemo/audit.jsonl in a memory folder).",
        };
        var auditFile = new Option<FileInfo?>("--audit")
        {
            Description = "Where to append the audit log; a memory folder's .mnemo/audit.jsonl by default, none for --postgres.",
        };
        var exec = new Command("exec", "Run memory-tool commands: one JSON object a line on stdin, one result a line on stdout.")
        {
            noSync,
            actor,
            noHistory,
            noAudit,
            auditFile,
        };
        foreach (var option in place.All)
        {
            exec.Options.Add(option);
        }

        exec.Options.Add(place.Server);
        exec.Options.Add(place.Key);
        exec.Options.Add(place.Safety);

        exec.SetAction(async (parseResult, cancellationToken) =>
        {
            var (exitCode, store) = await place.TryOpenForCommandsAsync(parseResult, durable: !parseResult.GetValue(noSync), history: !parseResult.GetValue(noHistory))
                .ConfigureAwait(false);
            if (store is null)
            {
                return exitCode;
            }

            using ((IDisposable)store)
            {
                MemorySafety? safety;
                try
                {
                    safety = place.SafetyFor(parseResult, (store as FileSystemMemoryStore)?.RootDirectory);
                }
                catch (UsageException exception)
                {
                    await Console.Error.WriteLineAsync($"mnemo: {exception.Message}").ConfigureAwait(false);
                    return MemoryAdminCommands.Usage;
                }

                var auditPath = parseResult.GetValue(noAudit) ? null : parseResult.GetValue(auditFile)?.FullName ?? StoreSelection.DefaultAuditPath(store);
                using var audit = auditPath is null ? null : new JsonLinesMemoryAuditLog(auditPath);
                // One line a failure, in words: the store's own reason, never a stack trace.
                Action<MemoryCommand, Exception> unexpectedError = (command, error) => Console.Error.WriteLine(
                    $"mnemo: {command.Name} failed: {(error is MemoryException ? error.Message : $"{error.GetType().Name}: {error.Message}").ReplaceLineEndings(" ")}");
                var tool = new MemoryTool(store, new MemoryToolOptions { UnexpectedError = unexpectedError }).AsBuilder()
                    .UseActor(parseResult.GetValue(actor) is { } named && !string.IsNullOrWhiteSpace(named) ? named
                        : string.IsNullOrWhiteSpace(Environment.UserName) ? "mnemo" : Environment.UserName);
                if (audit is not null)
                {
                    tool.UseAudit(audit, unexpectedError: unexpectedError);
                }

                if (safety is not null)
                {
                    tool.UseScreening(safety, unexpectedError: unexpectedError);
                }

                await using var input = new SynchronousStream(Console.OpenStandardInput());
                await using var output = new SynchronousStream(Console.OpenStandardOutput());
                await new JsonLinesMemoryExecutor(tool.Build()).RunAsync(input, output, cancellationToken).ConfigureAwait(false);
                return 0;
            }
        });

        var memory = new Command("memory", "Work with a memory folder: run commands, look at it and its history, put things right.") { exec };
        foreach (var verb in MemoryAdminCommands.Create(place))
        {
            memory.Subcommands.Add(verb);
        }

        memory.Subcommands.Add(MemoryCopyCommand.Create());
        memory.Subcommands.Add(MemoryDreamCommand.Create());

        return memory;
    }
}
