using System.CommandLine;
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
        var consolidate = new Command("consolidate",
            "Propose a consolidated memory: duplicates merged, superseded values removed, contradictions flagged, oversized files split, stale files listed. Nothing changes until you accept; what you accept is recorded under the actor consolidate.")
        {
            apply, review, staleDays,
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

            var consolidator = new MemoryConsolidator(admin, new ConsolidationOptions { StaleAfter = TimeSpan.FromDays(result.GetValue(staleDays)) });
            var proposal = await consolidator.ProposeAsync(ct).ConfigureAwait(false);
            var output = Console.Out;
            output.WriteLine(proposal.Changes.Count == 0
                ? $"Read {proposal.FilesRead} file(s); nothing to consolidate."
                : $"Read {proposal.FilesRead} file(s); {proposal.Changes.Count} change(s) proposed:");
            foreach (var change in proposal.Changes)
            {
                output.WriteLine();
                output.WriteLine($"{change.Number}. {MemoryConsolidator.Words(change.Kind)}: {change.Title}");
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
