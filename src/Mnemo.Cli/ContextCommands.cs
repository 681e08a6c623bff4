using System.CommandLine;
using System.Globalization;
using System.Text;
using Mnemo.Context;

namespace Mnemo.Cli;

/// <summary>The <c>mnemo context</c> commands.</summary>
internal static class ContextCommands
{
    public static Command Create()
    {
        var transcript = new Argument<FileInfo>("TRANSCRIPT.json")
        {
            Description = "A Messages API request body, or a list of messages.",
        };
        var config = new Option<FileInfo?>("--config")
        {
            Description = "The context_management configuration ({\"edits\": [...]}); else the request's own, else the API's default.",
        };
        var output = new Option<FileInfo?>("--out")
        {
            Description = "Where to write the edited request (without context_management, since its edits are done).",
        };
        var simulate = new Command("simulate", "Apply context editing to a request offline: what each strategy clears and the tokens before and after.")
        {
            transcript,
            config,
            output,
        };
        simulate.SetAction(async (parseResult, cancellationToken) =>
        {
            var transcriptFile = parseResult.GetRequiredValue(transcript);
            var configFile = parseResult.GetValue(config);
            var outFile = parseResult.GetValue(output);
            try
            {
                var request = ContextRequest.Parse(await Read(transcriptFile, cancellationToken).ConfigureAwait(false));
                var settings = configFile is not null
                    ? ContextManagementConfig.Parse(Encoding.UTF8.GetString(await Read(configFile, cancellationToken).ConfigureAwait(false)))
                    : request.ContextManagement is { } own ? ContextManagementConfig.FromJson(own) : ContextManagementConfig.Default;
                var result = await new ContextEditor().EditAsync(request, settings, cancellationToken).ConfigureAwait(false);
                Console.Out.Write(Describe(result, request.Model));
                if (outFile is not null)
                {
                    await File.WriteAllTextAsync(outFile.FullName, result.Request.ToJsonString(withoutContextManagement: true), cancellationToken)
                        .ConfigureAwait(false);
                }

                return 0;
            }
            catch (ContextFormatException exception)
            {
                var file = configFile is not null && exception.Message.StartsWith("context_management", StringComparison.Ordinal) ? configFile : transcriptFile;
                await Console.Error.WriteLineAsync($"mnemo: {file.Name}: {exception.Message}").ConfigureAwait(false);
                return 1;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"mnemo: {exception.Message}").ConfigureAwait(false);
                return 1;
            }
        });

        return new Command("context", "Preview context editing: on one request, or replayed over a whole session; list the profiles.")
        {
            simulate, ContextReplayCommand.Create(), CreateProfiles(),
        };
    }

    /// <summary><c>mnemo context profiles [NAME]</c>: each profile's <c>context_management</c>, as the API takes it, to send
    /// with requests (the API edits) or to give as a <c>--config</c> file.</summary>
    private static Command CreateProfiles()
    {
        var name = new Argument<string?>("NAME") { Description = "One profile; all when left out.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("profiles", "Print the named context-editing profiles as the context_management configuration the API takes.") { name };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var chosen = parseResult.GetValue(name);
            if (chosen is not null && ContextPresets.Find(chosen) is null)
            {
                await Console.Error.WriteLineAsync($"mnemo: {chosen}: no such profile; the profiles are {string.Join(", ", ContextPresets.Names)}").ConfigureAwait(false);
                return 1;
            }

            foreach (var profile in chosen is null ? ContextPresets.Names : [chosen])
            {
                using var buffer = new MemoryStream();
                using (var writer = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { Indented = true }))
                {
                    ContextPresets.Find(profile)!.WriteTo(writer);
                }

                if (chosen is null)
                {
                    await Console.Out.WriteLineAsync($"# {profile}").ConfigureAwait(false);
                }

                await Console.Out.WriteLineAsync(Encoding.UTF8.GetString(buffer.ToArray())).ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }

    private static async Task<byte[]> Read(FileInfo file, CancellationToken cancellationToken) =>
        file.Exists
            ? await File.ReadAllBytesAsync(file.FullName, cancellationToken).ConfigureAwait(false)
            : throw new FileNotFoundException($"{file.Name}: no such file");

    private static string Describe(ContextEditResult result, string? model)
    {
        var text = new StringBuilder();
        var culture = CultureInfo.InvariantCulture;
        if (result.AppliedEdits.Count == 0)
        {
            text.AppendLine("no edit applied: nothing reached its trigger or had anything to clear");
        }

        foreach (var edit in result.AppliedEdits)
        {
            text.AppendLine(edit.Type == ClearThinkingEdit.TypeName
                ? string.Create(culture, $"{edit.Type}: cleared the thinking of {edit.ClearedThinkingTurns} turn(s), {edit.ClearedInputTokens:N0} tokens")
                : string.Create(culture, $"{edit.Type}: cleared {edit.ClearedToolUses} tool use(s), {edit.ClearedInputTokens:N0} tokens"));
        }

        if (result.Compaction is { } compaction)
        {
            text.AppendLine(compaction.Succeeded
                ? string.Create(culture, $"{CompactEdit.TypeName}: {compaction.CompactedMessages} message(s) became a summary of {compaction.Summary!.Length:N0} characters")
                : $"{CompactEdit.TypeName}: the summary failed; nothing was compacted");
        }

        if (result.ThinkingBinding is { } binding)
        {
            text.AppendLine(binding.DeferredEdits.Count > 0
                ? $"held back ({string.Join(", ", binding.DeferredEdits)}): {binding.Reason}"
                : $"removed thinking {string.Join(", ", binding.RemovedBlocks)}: {binding.Reason}");
        }

        text.AppendLine(string.Create(culture,
            $"input tokens (local estimate): {result.OriginalInputTokens:N0} before, {result.InputTokens:N0} after"));
        if (model is not null)
        {
            // What the input costs at list price, uncached, by the model table (or the rules it falls back to, said so).
            var lookup = ClaudeModels.Find(model);
            var prices = lookup.Model.Prices;
            text.AppendLine(string.Create(culture,
                $"input cost at {lookup.Model.DisplayName} list price (${prices.Input:0.##}/MTok, uncached): ${prices.Cost(result.OriginalInputTokens, 0):0.0000} before, ${prices.Cost(result.InputTokens, 0):0.0000} after{(lookup.IsKnown ? string.Empty : $" ({lookup.Warning})")}"));
        }

        return text.ToString();
    }
}
