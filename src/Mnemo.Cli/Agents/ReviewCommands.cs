using System.CommandLine;
using System.Globalization;
using Anthropic.Exceptions;
using Mnemo.Anthropic.Agents;
using Mnemo.Cli.CodeReview;
using Mnemo.Context;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;
using Mnemo.Memory.Safety;

namespace Mnemo.Cli.Agents;

/// <summary>The <c>mnemo review</c> and <c>mnemo demo</c> commands: the code-review assistant, with memory across runs.</summary>
internal static partial class ReviewCommands
{
    /// <summary>The demo's clearing trigger against the emulator, in its token estimate: session 3's second file, a large one, takes it from half the trigger to past it in one step.</summary>
    public const long OfflineDemoTrigger = 3200;

    /// <summary>The demo's clearing trigger with Claude: a few files' worth above the prompt and tool definitions.</summary>
    public const long LiveDemoTrigger = 6000;

    private sealed record Shared(
        StoreSelection Place,
        Option<string?> Model,
        Option<long?> Trigger,
        Option<long?> Keep,
        Option<bool> ClientSide,
        Option<string?> Profile,
        Option<bool> Adaptive,
        Option<bool> Stream,
        Option<FileInfo?> Script,
        Option<int> MaxTokens);

    public static Command CreateReview()
    {
        var shared = SharedOptions();
        var files = new Argument<FileInfo[]>("FILE") { Description = "The files to review (or --diff for a change).", Arity = ArgumentArity.ZeroOrMore };
        var report = new Option<FileInfo?>("--report") { Description = "Also write what the review preserved and lost as JSON to this file." };
        var transcript = new Option<FileInfo?>("--transcript") { Description = "Also save the session (every request, its time and usage) to this file, for mnemo context replay." };
        var records = new Option<DirectoryInfo?>("--records") { Description = $"Where the session's record goes, for mnemo dashboard (sizes, names and token counts; no content); {Mnemo.Sessions.SessionRecords.DefaultFolder} by default." };
        var noRecords = new Option<bool>("--no-records") { Description = "Keep no session record." };
        var command = new Command("review", "Review files, or a change (--diff), with the code-review assistant; the patterns it learns are kept in memory for the next review.")
        {
            files,
            report,
            transcript,
            records,
            noRecords,
        };
        Add(command, shared);
        var diff = AddDiffOptions(command, shared);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var after = new AfterRun(parseResult.GetValue(report), parseResult.GetValue(transcript),
                parseResult.GetValue(noRecords) ? null : parseResult.GetValue(records)?.FullName ?? Path.GetFullPath(Mnemo.Sessions.SessionRecords.DefaultFolder));
            if (parseResult.GetValue(diff.Spec) is not null || parseResult.GetRequiredValue(files).Length == 0)
            {
                return await ReviewDiffAsync(parseResult, shared, diff, parseResult.GetRequiredValue(files), after, cancellationToken).ConfigureAwait(false);
            }

            if (after.UnwritableFile() is { } unwritable)
            {
                return await FailAsync(unwritable).ConfigureAwait(false);
            }

            var reviewFiles = new List<ReviewFile>();
            foreach (var file in parseResult.GetRequiredValue(files))
            {
                try
                {
                    reviewFiles.Add(new ReviewFile(DisplayName(file), await File.ReadAllTextAsync(file.FullName, cancellationToken).ConfigureAwait(false)));
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    var reason = exception switch
                    {
                        _ when Directory.Exists(file.FullName) => "it is a folder; name the files in it",
                        FileNotFoundException or DirectoryNotFoundException => "no such file",
                        UnauthorizedAccessException => "permission denied",
                        _ => exception.Message,
                    };
                    return await FailAsync($"{DisplayName(file)}: cannot read the file ({reason})").ConfigureAwait(false);
                }
            }

            if (reviewFiles.Select(file => file.Name).Distinct(StringComparer.Ordinal).Count() != reviewFiles.Count)
            {
                return await FailAsync("a file is named twice").ConfigureAwait(false);
            }

            var memoryFolder = MemoryFolder(parseResult, shared);
            return await RunAsync(parseResult, shared, memoryFolder, parseResult.GetValue(shared.Trigger) ?? ContextTrigger.Default.Value, null, Console.Out,
                async (backend, configure, output) =>
                {
                    var assistant = new CodeReviewAssistant(backend.Client, options =>
                    {
                        configure(options);
                        after.Record(options, StoreName(parseResult, shared, memoryFolder));
                    });
                    var session = assistant.CreateSession(reviewFiles);
                    var result = await session.RunAsync(CodeReviewAssistant.Request(reviewFiles), cancellationToken).ConfigureAwait(false);
                    var failed = await after.FinishAsync(session, result.Summary, output, cancellationToken).ConfigureAwait(false);
                    return failed ?? (result.Completed ? 0 : 2);
                }, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    public static Command CreateDemo()
    {
        var shared = SharedOptions();
        var command = new Command("demo",
            "Run the code-review assistant's three sessions: learn a bug pattern, apply it in a new conversation, and a long review whose context is cleared after the model saved its progress.");
        Add(command, shared);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var chosen = parseResult.GetValue(shared.Place.Directory)?.FullName;
            var memoryFolder = chosen ?? Path.Combine(Directory.CreateTempSubdirectory("mnemo-demo-").FullName, "memories");
            var live = Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY") is { Length: > 0 } && parseResult.GetValue(shared.Script) is null;
            var trigger = parseResult.GetValue(shared.Trigger) ?? (live ? LiveDemoTrigger : OfflineDemoTrigger);
            return await RunAsync(parseResult, shared, memoryFolder, trigger, null, Console.Out, async (backend, configure, output) =>
            {
                var c = CultureInfo.InvariantCulture;
                output.WriteLine(chosen is null
                    ? $"Memory: a new folder, {memoryFolder}"
                    : $"Memory: {memoryFolder}{(HoldsMemory(memoryFolder) ? " (not empty: the sessions will find what is there)" : string.Empty)}");
                var assistant = new CodeReviewAssistant(backend.Client, configure);
                var sessions = new (string Title, string[] Files)[]
                {
                    ("Session 1: review a multi-threaded scraper, and store the bug pattern it shows", ["scraper.py"]),
                    ("Session 2: a new conversation reviews async code with the same class of bug", ["async_fetcher.py"]),
                    (string.Create(c, $"Session 3: a long review of five files, one of them large; old tool results are cleared past {trigger:N0} input tokens"),
                        ["accounts.py", "payments.py", "notifications.py", "inventory.py", "report.py"]),
                };

                AgentRunResult? last = null;
                foreach (var (title, names) in sessions)
                {
                    output.WriteLine();
                    output.WriteLine($"== {title}");
                    last = await assistant.ReviewAsync([.. names.Select(name => new ReviewFile(name, Samples.Read(name)))], cancellationToken)
                        .ConfigureAwait(false);
                    if (!last.Completed)
                    {
                        return 2;
                    }
                }

                output.WriteLine();
                output.WriteLine("== What session 3 did");
                output.WriteLine(last!.Summary.Format());
                output.WriteLine();
                output.WriteLine("== The memory after the three sessions");
                await PrintMemoryAsync(memoryFolder, output, cancellationToken).ConfigureAwait(false);
                return 0;
            }, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static Shared SharedOptions() => new(
        new StoreSelection("--memory", "The memory folder (/memories); created if missing. review: .mnemo/memories; demo: a new folder."),
        new Option<string?>("--model") { Description = $"The model; default ANTHROPIC_MODEL, else {AssistantBackend.DefaultModel}." },
        new Option<long?>("--trigger") { Description = "Clear old tool results past this many input tokens (review: 100,000, with --diff the code-review profile's; demo: low, to show it)." },
        new Option<long?>("--keep") { Description = "How many recent tool uses clearing keeps (review: 3, with --diff 12 as the code-review profile; demo: 1)." },
        new Option<bool>("--client-side") { Description = "Edit the context here before sending, instead of asking the API to." },
        new Option<string?>("--profile") { Description = $"Start from a context-editing profile: {string.Join(", ", ContextPresets.Names)}; --trigger and --keep override its values." },
        new Option<bool>("--adaptive") { Description = "Adaptive mode: keep and exclude_tools follow what the model needs again of what is cleared, and clearing comes in batches that pay for the cache they break." },
        new Option<bool>("--stream") { Description = "Stream the assistant's text as it is written." },
        new Option<FileInfo?>("--script") { Description = "Run against the emulator with this script even when ANTHROPIC_API_KEY is set." },
        new Option<int>("--max-tokens") { Description = "The most tokens a response may hold.", DefaultValueFactory = _ => 8192 });

    private static void Add(Command command, Shared shared)
    {
        command.Add(shared.Place.Directory);
        command.Add(shared.Model);
        command.Add(shared.Trigger);
        command.Add(shared.Keep);
        command.Add(shared.ClientSide);
        command.Add(shared.Profile);
        command.Add(shared.Adaptive);
        command.Add(shared.Stream);
        command.Add(shared.Script);
        command.Add(shared.MaxTokens);
    }

    /// <summary>Opens the memory and the backend, sets up the sessions' options, runs the work, and turns failures into one line.</summary>
    /// <remarks>
    /// The memory folder is <see langword="null"/> for a store the other options name (a server, a database); the default
    /// profile applies when --profile names none; the trace is where the session's events go (standard error when the
    /// output is the review itself).
    /// </remarks>
    private static async Task<int> RunAsync(
        ParseResult parseResult, Shared shared, string? memoryFolder, long trigger, string? defaultProfile, TextWriter trace,
        Func<AssistantBackend, Action<AgentSessionOptions>, TextWriter, Task<int>> work, CancellationToken cancellationToken)
    {
        var demo = parseResult.CommandResult.Command.Name == "demo";
        ClearToolUsesEdit? profile = null;
        if ((parseResult.GetValue(shared.Profile) ?? defaultProfile) is { } name)
        {
            profile = ContextPresets.Find(name)?.Edits.OfType<ClearToolUsesEdit>().Single();
            if (profile is null)
            {
                return await FailAsync($"--profile {name}: no such profile; the profiles are {string.Join(", ", ContextPresets.Names)}").ConfigureAwait(false);
            }

            trigger = parseResult.GetValue(shared.Trigger) ?? profile.EffectiveTrigger.Value;
        }

        var keep = parseResult.GetValue(shared.Keep) ?? profile?.EffectiveKeep ?? (demo ? 1 : 3);
        if (trigger < 1)
        {
            return await FailAsync("--trigger must be a positive number of tokens").ConfigureAwait(false);
        }

        if (keep < 0)
        {
            return await FailAsync("--keep must be 0 or more").ConfigureAwait(false);
        }

        if (parseResult.GetValue(shared.MaxTokens) < 1)
        {
            return await FailAsync("--max-tokens must be at least 1").ConfigureAwait(false);
        }

        ContextManagementConfig config;
        try
        {
            config = new ContextManagementConfig([new ClearToolUsesEdit
            {
                Trigger = new ContextTrigger(ContextTriggerKind.InputTokens, trigger),
                Keep = keep,
                ClearAtLeast = profile?.ClearAtLeast,
                ExcludeTools = profile?.ExcludeTools,
            }]);
        }
        catch (ContextFormatException exception)
        {
            return await FailAsync(exception.Message).ConfigureAwait(false);
        }

        // A run that fails before anything is remembered leaves no folder behind that it made itself.
        var made = memoryFolder is null ? null : FirstMissing(memoryFolder);
        var status = await RunInAsync(parseResult, shared, memoryFolder, config, trace, work, cancellationToken).ConfigureAwait(false);
        if (status != 0 && made is not null && Directory.Exists(made) && !HoldsMemory(memoryFolder!))
        {
            Directory.Delete(made, recursive: true);
        }

        return status;
    }

    /// <summary>The outermost folder on the way to <paramref name="folder"/> that does not exist yet; <see langword="null"/> when it exists.</summary>
    private static string? FirstMissing(string folder)
    {
        string? missing = null;
        for (var at = Path.GetFullPath(folder); at is not null && !Directory.Exists(at); at = Path.GetDirectoryName(at))
        {
            missing = at;
        }

        return missing;
    }

    private static async Task<int> RunInAsync(
        ParseResult parseResult, Shared shared, string? memoryFolder, ContextManagementConfig config, TextWriter trace,
        Func<AssistantBackend, Action<AgentSessionOptions>, TextWriter, Task<int>> work, CancellationToken cancellationToken)
    {
        var demo = parseResult.CommandResult.Command.Name == "demo";
        IMemoryStore store;
        if (memoryFolder is null)
        {
            var (exitCode, opened) = await shared.Place.TryOpenForCommandsAsync(parseResult, durable: true, history: true).ConfigureAwait(false);
            if (opened is null)
            {
                return exitCode;
            }

            store = opened;
        }
        else
        {
            try
            {
                store = new FileSystemMemoryStore(memoryFolder);
            }
            catch (Exception exception) when (exception is MemoryException or PlatformNotSupportedException)
            {
                return await FailAsync($"cannot open the memory folder: {exception.Message}").ConfigureAwait(false);
            }
        }

        using (store as IDisposable)
        {
            AssistantBackend backend;
            try
            {
                backend = await AssistantBackend.StartAsync(parseResult.GetValue(shared.Model), parseResult.GetValue(shared.Script), cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is CommandException or IOException)
            {
                return await FailAsync(exception.Message).ConfigureAwait(false);
            }

            await using (backend.ConfigureAwait(false))
            {
                var output = Console.Out;
                var streaming = parseResult.GetValue(shared.Stream);
                var console = new AgentConsole(trace, backend.IsScripted, streaming);
                trace.WriteLine(backend.Banner());
                Action<MemoryCommand, Exception> unexpectedError = (command, error) => Console.Error.WriteLine($"mnemo: memory {command.Name} failed: {error.Message}");
                var memory = new MemoryTool(store, new MemoryToolOptions { UnexpectedError = unexpectedError }).AsBuilder()
                    .UseActor(demo ? "demo" : "review")
                    .UseScreening(unexpectedError: unexpectedError)
                    .Build();
                void Configure(AgentSessionOptions options)
                {
                    options.Model = backend.Model;
                    options.MaxTokens = parseResult.GetValue(shared.MaxTokens);
                    options.Memory = memory;
                    options.ContextManagement = config;
                    options.ContextEditing = parseResult.GetValue(shared.ClientSide) ? ContextEditingSide.Client : ContextEditingSide.Server;
                    options.Adaptive = parseResult.GetValue(shared.Adaptive) ? new AdaptiveClearingOptions() : null;
                    options.Streaming = streaming;
                    options.MaxTurns = 40;
                    options.OnEvent = console.Write;
                }

                try
                {
                    return await work(backend, Configure, output).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is AnthropicException or HttpRequestException)
                {
                    return await FailAsync(backend.Describe(exception)).ConfigureAwait(false);
                }
                catch (ArgumentException exception)
                {
                    // A bad option, such as a blank --model: the message names it; the parameter name means nothing here.
                    return await FailAsync(exception.Message.Replace($" (Parameter '{exception.ParamName}')", string.Empty, StringComparison.Ordinal))
                        .ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Prints the memory files (hidden names, the store's own folder among them, left out) and then the history.</summary>
    private static async Task PrintMemoryAsync(string folder, TextWriter output, CancellationToken cancellationToken)
    {
        using var store = new FileSystemMemoryStore(folder);
        var admin = new MemoryAdmin(store);
        foreach (var file in (await store.ReadActivityAsync(cancellationToken).ConfigureAwait(false))
            .Where(file => !file.Path.Segments.Any(name => name.StartsWith('.'))).OrderBy(file => file.Path.Normalized, StringComparer.Ordinal))
        {
            var item = await store.ReadAsync(file.Path, cancellationToken).ConfigureAwait(false);
            output.WriteLine($"--- {file.Path.Normalized}");
            output.WriteLine(System.Text.Encoding.UTF8.GetString(item!.Content.Span).TrimEnd('\n'));
        }

        output.WriteLine();
        output.WriteLine($"== Its history (`mnemo memory history --dir {folder}`)");
        output.Flush();
        AdminOutput.WriteHistory(await admin.HistoryAsync(MemoryPath.RootPath, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Whether a folder holds any memory: a name that is not hidden (the store keeps its own data in <c>.mnemo</c>).</summary>
    private static bool HoldsMemory(string folder) =>
        Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any(entry => !Path.GetFileName(entry).StartsWith('.'));

    private static string DisplayName(FileInfo file)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, file.FullName);
        return (relative.StartsWith("..", StringComparison.Ordinal) ? file.FullName : relative).Replace('\\', '/');
    }

    private static async Task<int> FailAsync(string message)
    {
        await Console.Error.WriteLineAsync($"mnemo: {message}").ConfigureAwait(false);
        return 1;
    }
}
