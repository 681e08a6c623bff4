using System.CommandLine;
using Mnemo.Anthropic.Agents;
using Mnemo.Cli.CodeReview;
using Mnemo.Context;

namespace Mnemo.Cli.Agents;

/// <summary><c>mnemo review --diff</c>: a change reviewed against the repository it belongs to, with its findings as text, JSON or a GitHub review.</summary>
internal static partial class ReviewCommands
{
    private sealed record DiffOptions(Option<string?> Spec, Option<bool> Json, Option<string?> Format, Option<string?> Label, Option<long?> Budget);

    private static DiffOptions AddDiffOptions(Command command, Shared shared)
    {
        var options = new DiffOptions(
            new Option<string?>("--diff")
            {
                Description = "Review a change instead of files: BASE...HEAD (from their merge base, as a pull request shows it), BASE..HEAD, a patch file, or - for a diff on standard input. Run it in the repository.",
            },
            new Option<bool>("--json") { Description = "With --diff, write the findings as JSON (file, line, severity, title, body, pattern); the same as --format json." },
            new Option<string?>("--format") { Description = "With --diff: text (the default), json, or github (the body of a GitHub pull-request review, to post)." },
            new Option<string?>("--label") { Description = "With --diff, what to call the change in memory and in the review, such as \"PR #42\"; the range or the patch's name by default." },
            new Option<long?>("--diff-budget")
            {
                Description = $"With --diff, the most tokens of diff sent in one request (estimated); a larger diff is reviewed file by file in one session. Default {DiffReviewOptions.DefaultDiffBudget:N0}.",
            });
        command.Add(options.Spec);
        command.Add(options.Json);
        command.Add(options.Format);
        command.Add(options.Label);
        command.Add(options.Budget);
        foreach (var place in new Option[] { shared.Place.Server, shared.Place.Store, shared.Place.Key, shared.Place.Postgres, shared.Place.AnthropicStore, shared.Place.AnthropicPrefix })
        {
            command.Add(place);
        }

        return options;
    }

    /// <summary>Reviews the change <c>--diff</c> names; bad input is one line and exit code 2, with nothing opened or written.</summary>
    private static async Task<int> ReviewDiffAsync(
        ParseResult parseResult, Shared shared, DiffOptions diff, FileInfo[] files, AfterRun after, CancellationToken cancellationToken)
    {
        var spec = parseResult.GetValue(diff.Spec);
        if (spec is null)
        {
            return await UsageAsync("name the files to review, or a change with --diff BASE...HEAD (or a patch file, or - for standard input)").ConfigureAwait(false);
        }

        if (files.Length > 0)
        {
            return await UsageAsync($"give files or --diff, not both ({files[0].Name} and --diff {spec})").ConfigureAwait(false);
        }

        var format = parseResult.GetValue(diff.Format)?.ToLowerInvariant();
        if (parseResult.GetValue(diff.Json))
        {
            if (format is not (null or "json"))
            {
                return await UsageAsync($"--json and --format {format} ask for two outputs; give one").ConfigureAwait(false);
            }

            format = "json";
        }

        if (format is not (null or "text" or "json" or "github"))
        {
            return await UsageAsync($"--format takes text, json or github, not {format}").ConfigureAwait(false);
        }

        if (parseResult.GetValue(diff.Budget) is < 1)
        {
            return await UsageAsync("--diff-budget must be a positive number of tokens").ConfigureAwait(false);
        }

        if (after.UnwritableFile() is { } unwritable)
        {
            return await UsageAsync(unwritable).ConfigureAwait(false);
        }

        // The change is read and checked before the memory or the model is touched: bad input writes nothing.
        ReviewedChange change;
        try
        {
            change = await ReviewedChange.OpenAsync(spec, parseResult.GetValue(diff.Label), Console.In, Environment.CurrentDirectory, cancellationToken).ConfigureAwait(false);
        }
        catch (ReviewInputException exception)
        {
            return await UsageAsync(exception.Message).ConfigureAwait(false);
        }
        catch (CommandException exception)
        {
            return await FailAsync(exception.Message).ConfigureAwait(false);
        }

        foreach (var binary in change.Diff.Files.Where(file => file.IsBinary))
        {
            await Console.Error.WriteLineAsync($"mnemo: {binary.Name} is binary; the review leaves it out").ConfigureAwait(false);
        }

        var memoryFolder = MemoryFolder(parseResult, shared);
        return await RunAsync(parseResult, shared, memoryFolder, parseResult.GetValue(shared.Trigger) ?? ContextTrigger.Default.Value, "code-review", Console.Error,
            async (backend, configure, output) =>
            {
                var review = new DiffReview(backend.Client, options =>
                {
                    configure(options);
                    after.Record(options, StoreName(parseResult, shared, memoryFolder));
                }, new DiffReviewOptions
                {
                    DiffBudget = parseResult.GetValue(diff.Budget) ?? DiffReviewOptions.DefaultDiffBudget,
                    Progress = line => Console.Error.WriteLine($"mnemo: {line}"),
                });
                var (session, findings) = review.CreateSession(change);
                var result = await review.RunAsync(session, findings, change, cancellationToken).ConfigureAwait(false);
                var failed = await after.FinishAsync(session, result.Run.Summary, Console.Error, cancellationToken).ConfigureAwait(false);
                if (failed is not null)
                {
                    return failed.Value;
                }

                if (!result.Run.Completed)
                {
                    // An unfinished review is not posted as if it were whole.
                    return await FailAsync($"the review did not finish ({result.Run.Message ?? result.Run.StopCause.ToString()}); no findings are written").ConfigureAwait(false);
                }

                await output.WriteAsync(format switch
                {
                    "json" => ReviewOutput.Json(result),
                    "github" => ReviewOutput.GitHub(result),
                    _ => ReviewOutput.Text(result),
                }).ConfigureAwait(false);
                return 0;
            }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The memory folder: --memory, or .mnemo/memories; <see langword="null"/> when a server, a database or a managed store is named instead.</summary>
    private static string? MemoryFolder(ParseResult parseResult, Shared shared) =>
        parseResult.GetValue(shared.Place.Server) is not null || parseResult.GetValue(shared.Place.Postgres) is not null || parseResult.GetValue(shared.Place.AnthropicStore) is not null
            ? null
            : parseResult.GetValue(shared.Place.Directory)?.FullName ?? Path.GetFullPath(Path.Combine(".mnemo", "memories"));

    /// <summary>The store's name in session records: the folder's name, or the store's.</summary>
    private static string StoreName(ParseResult parseResult, Shared shared, string? memoryFolder) =>
        memoryFolder is not null ? Path.GetFileName(memoryFolder)
        : parseResult.GetValue(shared.Place.AnthropicStore) ?? parseResult.GetValue(shared.Place.Store) ?? "default";

    private static async Task<int> UsageAsync(string message)
    {
        await Console.Error.WriteLineAsync($"mnemo: {message}").ConfigureAwait(false);
        return 2;
    }

    /// <summary>What a review keeps besides its output: a report, a transcript, a session record.</summary>
    private sealed class AfterRun(FileInfo? report, FileInfo? transcript, string? recordsFolder)
    {
        /// <summary>Says which file cannot be written, before the review runs: no review is spent on a report that cannot be kept.</summary>
        public string? UnwritableFile() =>
            report is { Directory.Exists: false } ? $"{report.Name}: cannot write the report (its folder does not exist)"
            : transcript is { Directory.Exists: false } ? $"{transcript.Name}: cannot save the transcript (its folder does not exist)"
            : null;

        /// <summary>Adds the session record to a session's options, unless --no-records.</summary>
        public void Record(AgentSessionOptions options, string store)
        {
            if (recordsFolder is not null)
            {
                options.Records = new Mnemo.Sessions.FolderSessionRecords(recordsFolder);
                options.RecordInfo = new Mnemo.Sessions.SessionInfo { Agent = "code-review", Store = store };
            }
        }

        /// <summary>Saves the transcript, prints the session's figures and writes the report.</summary>
        /// <returns><see langword="null"/> when all is kept; the exit code when a file could not be written.</returns>
        public async Task<int?> FinishAsync(AgentSession session, AgentSessionSummary summary, TextWriter output, CancellationToken cancellationToken)
        {
            if (transcript is not null)
            {
                try
                {
                    await session.SaveTranscriptAsync(transcript.FullName, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    return await FailAsync($"{transcript.Name}: cannot save the transcript ({Reason(exception)})").ConfigureAwait(false);
                }
            }

            await output.WriteLineAsync().ConfigureAwait(false);
            await output.WriteLineAsync(summary.Format()).ConfigureAwait(false);
            if (report is not null)
            {
                try
                {
                    await WriteReportAsync(report, summary, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    return await FailAsync($"{report.Name}: cannot write the report ({Reason(exception)})").ConfigureAwait(false);
                }
            }

            return null;
        }

        private static string Reason(Exception exception) => exception is UnauthorizedAccessException ? "permission denied" : exception.Message;

        /// <summary>Writes the session's report as JSON, whole or not at all: through a file beside it, then moved in place.</summary>
        private static async Task WriteReportAsync(FileInfo file, AgentSessionSummary summary, CancellationToken cancellationToken)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var writer = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { Indented = true }))
            {
                AgentSessionReport.Write(summary, writer);
            }

            var temporary = file.FullName + ".tmp";
            await File.WriteAllBytesAsync(temporary, buffer.WrittenMemory.ToArray(), cancellationToken).ConfigureAwait(false);
            File.Move(temporary, file.FullName, overwrite: true);
        }
    }
}
