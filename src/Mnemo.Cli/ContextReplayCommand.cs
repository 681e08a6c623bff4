using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Mnemo.Context;
using Mnemo.Context.Replay;

namespace Mnemo.Cli;

/// <summary><c>mnemo context replay</c>: what context editing would have saved, and cost in cache writes, on a whole session.</summary>
internal static class ContextReplayCommand
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "A Claude Code session transcript (.jsonl), a Messages API request body, or a session saved by mnemo review --transcript." };
        var configs = new Option<string[]>("--config") { Description = "A context_management configuration, as JSON or a file holding it; give several to compare them.", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        var presets = new Option<string[]>("--preset") { Description = $"A preset: {string.Join(", ", ContextPresets.Names)}.", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        var model = new Option<string?>("--model") { Description = "The model whose prices count; the transcript's by default." };
        var prices = new Option<FileInfo?>("--prices") { Description = "Prices to count at instead of the model's list prices: {\"input\": 3, \"output\": 15, \"cache_write\": 3.75, \"cache_read\": 0.3} in US dollars per million tokens." };
        var preamble = new Option<string>("--preamble-tokens") { Description = "Tokens each request held that the transcript does not (system prompt, tools): a number, or auto (inferred from the first request's real usage).", DefaultValueFactory = _ => "auto" };
        var json = new Option<bool>("--json") { Description = "Write the figures as JSON, every request included." };
        var requests = new Option<bool>("--requests") { Description = "Add a table of every request to the text output." };
        var chart = new Option<FileInfo?>("--chart") { Description = "Draw input tokens per request, with and without each configuration, as an SVG file." };
        var record = new Option<DirectoryInfo?>("--record") { Description = $"Save each configuration's replay as a session record in this folder ({Mnemo.Sessions.SessionRecords.DefaultFolder} when given no folder), for mnemo dashboard.", Arity = ArgumentArity.ZeroOrOne };
        var adaptive = new Option<string?>("--adaptive") { Description = "Also replay adaptive mode, starting from this preset (keep, exclude_tools and clear_at_least adjusted between requests; a call that fetches a cleared result again counts as a recall).", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("replay", "Replay a whole session with context-editing configurations: input tokens, clearings, prompt-cache writes and reads, and cost per request and in total, against no editing.")
        {
            file, configs, presets, model, prices, preamble, json, requests, chart, adaptive, record,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var source = parseResult.GetRequiredValue(file);
            try
            {
                var chosen = new List<(string Name, ContextManagementConfig Config)>();
                var index = 0;
                foreach (var text in parseResult.GetValue(configs) ?? [])
                {
                    index++;
                    chosen.Add(await ReadConfigAsync(text, index, cancellationToken).ConfigureAwait(false));
                }

                foreach (var name in parseResult.GetValue(presets) ?? [])
                {
                    chosen.Add((name, ContextPresets.Find(name) ?? throw new ReplayInputException($"--preset {name}: no such preset; the presets are {string.Join(", ", ContextPresets.Names)}")));
                }

                if (chosen.Count == 0)
                {
                    chosen.AddRange(ContextPresets.Names.Select(name => (name, ContextPresets.Find(name)!)));
                }

                foreach (var (name, config) in chosen)
                {
                    try
                    {
                        ContextReplay.Validate(config);
                    }
                    catch (ContextFormatException exception)
                    {
                        throw new ReplayInputException($"{name}: {exception.Message}");
                    }
                }

                if (!source.Exists)
                {
                    throw new ReplayInputException(Directory.Exists(source.FullName)
                        ? $"{source.Name}: it is a folder; name a session file in it (Claude Code keeps one .jsonl per session)"
                        : $"{source.Name}: no such file");
                }

                var large = source.Length > 20_000_000;
                if (large)
                {
                    await Console.Error.WriteLineAsync(string.Create(C, $"reading {source.Name} ({source.Length / 1_000_000.0:0} MB)")).ConfigureAwait(false);
                }

                ReplaySession session;
                try
                {
                    session = SessionTranscripts.Read(await File.ReadAllBytesAsync(source.FullName, cancellationToken).ConfigureAwait(false));
                }
                catch (ContextFormatException exception)
                {
                    throw new ReplayInputException($"{source.Name}: {exception.Message}");
                }

                // A session that records the configuration it ran with is replayed with it too: its real usage is set beside it.
                var asRun = false;
                if (session.Segments[0].Conversation.ContextManagement is { } own)
                {
                    try
                    {
                        var config = ContextManagementConfig.FromJson(own);
                        ContextReplay.Validate(config);
                        if (session.Adaptive is null)
                        {
                            chosen.Insert(0, ("as run", config));
                        }

                        asRun = true;
                    }
                    catch (ContextFormatException)
                    {
                        // Not replayable (compaction, thinking): the alternatives still are.
                    }
                }

                var lookup = ClaudeModels.Find(parseResult.GetValue(model) ?? session.Model);
                var modelPrices = parseResult.GetValue(prices) is { } pricesFile ? await ReadPricesAsync(pricesFile, cancellationToken).ConfigureAwait(false) : lookup.Model.Prices;
                var options = new ReplayOptions { Prices = modelPrices };
                var preambleText = parseResult.GetValue(preamble)!;
                long? inferred = null;
                if (preambleText == "auto")
                {
                    inferred = InferPreamble(session, options);
                    options = options with { PreambleTokens = inferred ?? 0 };
                }
                else if (long.TryParse(preambleText, NumberStyles.None, C, out var tokens))
                {
                    options = options with { PreambleTokens = tokens };
                }
                else
                {
                    throw new ReplayInputException($"--preamble-tokens {preambleText}: expected a number of tokens or auto");
                }

                if (large || session.RequestCount > 1000)
                {
                    await Console.Error.WriteLineAsync(string.Create(C, $"replaying {session.RequestCount:N0} requests with {chosen.Count + 1} configuration(s)")).ConfigureAwait(false);
                }

                var results = ContextReplay.Run(session, chosen, options).ToList();
                if (asRun && session.Adaptive is { } ranAdaptive)
                {
                    // The session ran in adaptive mode: "as run" is adaptive from its configuration, with its bounds.
                    var config = ContextManagementConfig.FromJson(session.Segments[0].Conversation.ContextManagement!.Value);
                    results.Insert(1, ContextReplay.Adaptive(session, "as run (adaptive)", config, options, ranAdaptive).Result);
                    chosen.Insert(0, ("as run (adaptive)", config));
                }

                IReadOnlyList<AdaptiveChange> changes = [];
                int? held = null;
                if (parseResult.GetResult(adaptive) is not null)
                {
                    var from = parseResult.GetValue(adaptive) ?? "development";
                    var start = ContextPresets.Find(from) ?? throw new ReplayInputException($"--adaptive {from}: no such preset; the presets are {string.Join(", ", ContextPresets.Names)}");
                    var run = ContextReplay.Adaptive(session, $"adaptive from {from}", start, options);
                    results.Add(run.Result);
                    chosen.Add((run.Result.Name, start));
                    changes = run.Changes;
                    held = run.Held;
                }

                var report = new ReplayReport(source.Name, session, chosen, results, lookup, modelPrices, parseResult.GetValue(prices) is not null, options.PreambleTokens, inferred, asRun ? 1 : 0)
                {
                    AdaptiveChanges = changes,
                    AdaptiveHeld = held,
                };
                if (parseResult.GetValue(chart) is { } chartFile)
                {
                    try
                    {
                        await File.WriteAllTextAsync(chartFile.FullName, ReplayChart.Svg(report), cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                    {
                        throw new ReplayInputException($"{chartFile.Name}: cannot write the chart ({(exception is UnauthorizedAccessException ? "permission denied" : exception is DirectoryNotFoundException ? "its folder does not exist" : exception.Message)})");
                    }
                }

                if (parseResult.GetResult(record) is not null)
                {
                    var folder = parseResult.GetValue(record)?.FullName ?? Path.GetFullPath(Mnemo.Sessions.SessionRecords.DefaultFolder);
                    var ids = await ReplayRecords.WriteAsync(new Mnemo.Sessions.FolderSessionRecords(folder), source.Name, session, results, lookup.Model.Alias, cancellationToken).ConfigureAwait(false);
                    await Console.Error.WriteLineAsync(string.Create(C, $"mnemo: recorded {ids.Count} replays in {folder} for mnemo dashboard.")).ConfigureAwait(false);
                }

                Console.Out.Write(parseResult.GetValue(json) ? report.Json() : report.Text(parseResult.GetValue(requests)));
                return 0;
            }
            catch (ReplayInputException exception)
            {
                await Console.Error.WriteLineAsync($"mnemo: {exception.Message}").ConfigureAwait(false);
                return 1;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"mnemo: {source.Name}: cannot read it ({(exception is UnauthorizedAccessException ? "permission denied" : exception.Message)})").ConfigureAwait(false);
                return 1;
            }
        });
        return command;
    }

    /// <summary>The tokens the transcript leaves out of every request, from the first request the API counted: what it
    /// counted less what the transcript holds; <see langword="null"/> without usage.</summary>
    private static long? InferPreamble(ReplaySession session, ReplayOptions options)
    {
        var first = session.Segments[0].Requests[0];
        if (first.Usage is not { } usage)
        {
            return null;
        }

        var estimated = ContextReplay.Run(new ReplaySession(session.Format, session.Model, [session.Segments[0] with { Requests = [first] }]), [], options)[0].Rows[0].InputTokens;
        return Math.Max(0, usage.TotalInputTokens - estimated);
    }

    private static async Task<(string, ContextManagementConfig)> ReadConfigAsync(string text, int index, CancellationToken cancellationToken)
    {
        var trimmed = text.TrimStart();
        var (name, json) = trimmed.StartsWith('{') || trimmed.StartsWith('[')
            ? (string.Create(C, $"config {index}"), text)
            : File.Exists(text)
                ? (Path.GetFileNameWithoutExtension(text), await File.ReadAllTextAsync(text, cancellationToken).ConfigureAwait(false))
                : throw new ReplayInputException($"--config {Path.GetFileName(text)}: no such file, and not JSON");
        try
        {
            return (name, ContextManagementConfig.Parse(json));
        }
        catch (ContextFormatException exception)
        {
            throw new ReplayInputException($"{name}: {exception.Message}");
        }
    }

    private static async Task<ModelPrices> ReadPricesAsync(FileInfo file, CancellationToken cancellationToken)
    {
        if (!file.Exists)
        {
            throw new ReplayInputException($"{file.Name}: no such file");
        }

        try
        {
            using var document = JsonDocument.Parse(await File.ReadAllBytesAsync(file.FullName, cancellationToken).ConfigureAwait(false));
            var root = document.RootElement;
            decimal Price(string name, decimal? fallback)
            {
                if (root.TryGetProperty(name, out var value))
                {
                    return value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var price) && price >= 0
                        ? price
                        : throw new ReplayInputException($"{file.Name}: {name}: expected a price in US dollars per million tokens, 0 or more");
                }

                return fallback ?? throw new ReplayInputException($"{file.Name}: {name} is required");
            }

            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ReplayInputException($"{file.Name}: expected an object of prices");
            }

            var input = Price("input", null);
            return new ModelPrices(input, Price("output", null), Price("cache_write", input * 1.25m), Price("cache_write_1h", input * 2m), Price("cache_read", input * 0.1m));
        }
        catch (JsonException exception)
        {
            throw new ReplayInputException(string.Create(C, $"{file.Name}: not valid JSON at line {exception.LineNumber + 1}"));
        }
    }
}

/// <summary>A replay's input that cannot be used; the message is the one line the user sees.</summary>
internal sealed class ReplayInputException(string message) : Exception(message);
