using System.CommandLine;
using Microsoft.Extensions.AI;
using Mnemo.Memory;

namespace Mnemo.Cli;

/// <summary><c>mnemo memory consolidate</c>: a proposal with its evidence, and the changes the user takes.</summary>
internal static partial class MemoryAdminCommands
{
    private static Command Consolidate(StoreSelection place)
    {
        var apply = new Option<bool>("--apply") { Description = "Make every proposed change." };
        var review = new Option<bool>("--review") { Description = "Show the whole proposal as a diff, then ask which changes to make: all, none, or their numbers." };
        var staleDays = new Option<int>("--stale-days") { Description = "List for expiry the files not read or written for this many days.", DefaultValueFactory = _ => 90 };
        var sessions = new Option<string[]>("--sessions")
        {
            Description = "Session transcripts (files, or folders of .json and .jsonl files) whose memory calls are evidence: values they wrote are dated by them, files they touched lately are not stale.",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = true,
        };
        var model = new Option<string?>("--model") { Description = "Also ask this model for what the rules miss (ANTHROPIC_API_KEY; or --script to run against the emulator). It proposes; you still choose." };
        var script = new Option<FileInfo?>("--script") { Description = "With --model: the emulator plays this script instead of calling the API." };
        var consolidate = new Command("consolidate",
            "Propose a consolidated memory: duplicates merged, superseded values removed, contradictions flagged, oversized files split, stale files listed. Nothing changes until you accept; what you accept is recorded under the actor consolidate.")
        {
            apply, review, staleDays, sessions, model, script,
        };
        consolidate.SetAction((result, ct) => Run(result, place, mustExist: true, async admin =>
        {
            if (result.GetValue(apply) && result.GetValue(review))
            {
                throw new UsageException("give --apply or --review, not both.");
            }

            if (result.GetValue(staleDays) < 1)
            {
                throw new UsageException("--stale-days must be at least 1.");
            }

            if (result.GetValue(script) is not null && result.GetValue(model) is null)
            {
                throw new UsageException("--script runs the model of --model against the emulator; give --model too.");
            }

            var evidence = await ReadSessionsAsync(result.GetValue(sessions), ct).ConfigureAwait(false);
            await using var backend = result.GetValue(model) is { } modelName ? await StartModelAsync(modelName, result.GetValue(script), ct).ConfigureAwait(false) : null;
            var consolidator = new MemoryConsolidator(admin, new ConsolidationOptions
            {
                StaleAfter = TimeSpan.FromDays(result.GetValue(staleDays)),
                Model = backend is null ? null : new ChatClientConsolidationEngine(backend.Client.AsIChatClient(backend.Model, 8192)),
            });
            var proposal = await consolidator.ProposeAsync(evidence, ct).ConfigureAwait(false);
            var output = Console.Out;
            output.WriteLine(proposal.Changes.Count == 0
                ? $"Read {proposal.FilesRead} file(s){Evidence(evidence)}; nothing to consolidate."
                : $"Read {proposal.FilesRead} file(s){Evidence(evidence)}; {proposal.Changes.Count} change(s) proposed:");
            foreach (var note in proposal.Notes)
            {
                output.WriteLine($"note: {note}");
            }

            foreach (var change in proposal.Changes)
            {
                output.WriteLine();
                output.WriteLine($"{change.Number}. {MemoryConsolidator.Words(change.Kind)}{(change.ProposedBy == "model" ? " (proposed by the model)" : string.Empty)}: {change.Title}");
                output.WriteLine($"   evidence: {change.Evidence}");
                if (change.Edits.Count == 0)
                {
                    output.WriteLine("   (flagged only: nothing to change without you)");
                }
                else if (result.GetValue(review))
                {
                    output.Write(change.Diff());
                }
            }

            var changeable = proposal.Changes.Where(change => change.Edits.Count > 0).Select(change => change.Number).ToList();
            IReadOnlyList<int> chosen = [];
            if (result.GetValue(apply))
            {
                chosen = changeable;
            }
            else if (result.GetValue(review) && changeable.Count > 0)
            {
                output.WriteLine();
                output.Write("Make which changes? all, none, or their numbers (such as 1,3): ");
                chosen = ParseChoice(await Console.In.ReadLineAsync(ct).ConfigureAwait(false), changeable);
            }
            else if (changeable.Count > 0)
            {
                output.WriteLine();
                output.WriteLine("Nothing was changed: --review to choose among them, --apply to make them all.");
                return 0;
            }

            if (chosen.Count == 0)
            {
                output.WriteLine(changeable.Count == 0 ? string.Empty : "Nothing was changed.");
                return 0;
            }

            output.WriteLine();
            foreach (var (change, notApplied) in await consolidator.ApplyAsync(proposal, chosen, ct).ConfigureAwait(false))
            {
                output.WriteLine(notApplied is null ? $"made {change.Number}: {change.Title}" : $"not made {change.Number}: {notApplied}");
            }

            output.WriteLine("Each change is in the history under the actor consolidate; `mnemo memory restore` undoes any of them.");
            return 0;
        }));

        return consolidate;
    }

    private static string Evidence(ConsolidationEvidence? evidence) => evidence is null ? string.Empty
        : $" and {evidence.Sessions} session(s) with {evidence.Calls.Count} memory call(s)";

    /// <summary>The memory calls of the transcripts given: each file, or each <c>.json</c> and <c>.jsonl</c> file of a folder.</summary>
    private static async Task<ConsolidationEvidence?> ReadSessionsAsync(string[]? paths, CancellationToken cancellationToken)
    {
        if (paths is null || paths.Length == 0)
        {
            return null;
        }

        var read = new List<(string, Mnemo.Context.Replay.ReplaySession)>();
        foreach (var given in paths)
        {
            var files = Directory.Exists(given)
                ? Directory.EnumerateFiles(given).Where(file => file.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToList()
                : File.Exists(given) ? [given] : throw new UsageException($"--sessions {given}: no such file or folder.");
            foreach (var file in files)
            {
                try
                {
                    read.Add((Path.GetFileName(file), Mnemo.Context.Replay.SessionTranscripts.Read(await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false))));
                }
                catch (Mnemo.Context.ContextFormatException exception)
                {
                    throw new UsageException($"--sessions {Path.GetFileName(file)}: not a session transcript ({exception.Message}).");
                }
            }
        }

        return ConsolidationEvidence.FromSessions(read);
    }

    /// <summary>The model of <c>--model</c>: the API with <c>ANTHROPIC_API_KEY</c>, or the emulator playing <c>--script</c>.</summary>
    private static async Task<Agents.AssistantBackend> StartModelAsync(string model, FileInfo? script, CancellationToken cancellationToken)
    {
        if (script is null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY")))
        {
            throw new UsageException("--model needs ANTHROPIC_API_KEY set, or --script FILE to run against the emulator.");
        }

        try
        {
            return await Agents.AssistantBackend.StartAsync(model, script, cancellationToken).ConfigureAwait(false);
        }
        catch (Agents.CommandException exception)
        {
            throw new UsageException(exception.Message);
        }
    }

    /// <summary>The changes a reviewer chose: all, none, or numbers separated by commas or spaces.</summary>
    private static List<int> ParseChoice(string? answer, IReadOnlyList<int> changeable)
    {
        var text = (answer ?? string.Empty).Trim();
        if (text.Length == 0 || text.Equals("none", StringComparison.OrdinalIgnoreCase) || text.Equals("n", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }

        if (text.Equals("all", StringComparison.OrdinalIgnoreCase) || text.Equals("a", StringComparison.OrdinalIgnoreCase))
        {
            return [.. changeable];
        }

        var chosen = new List<int>();
        foreach (var part in text.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) || !changeable.Contains(number))
            {
                throw new UsageException($"'{part}' is not one of the changes that can be made ({string.Join(", ", changeable)}); nothing was changed.");
            }

            chosen.Add(number);
        }

        return chosen;
    }
}
