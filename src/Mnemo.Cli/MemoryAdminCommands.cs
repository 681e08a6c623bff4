using System.CommandLine;
using static Mnemo.Cli.AdminOutput;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;
using Mnemo.Memory.Safety;

namespace Mnemo.Cli;

/// <summary>The <c>mnemo memory</c> verbs for people: look at a store, its history, and put things right.</summary>
/// <remarks>Exit codes: 0 done; 1 the verb could not do its job (nothing there, a conflict, a damaged archive); 2 bad usage.</remarks>
internal static partial class MemoryAdminCommands
{
    public const int Failed = 1;
    public const int Usage = 2;

    public static IEnumerable<Command> Create(StoreSelection place)
    {
        var json = new Option<bool>("--json") { Description = "Write JSON for scripts instead of a table." };
        var actor = new Option<string?>("--actor") { Description = "Who the history names for this change; the user's login name by default." };
        var path = new Argument<string>("PATH") { Description = "A memory path, such as /memories/notes.md (the /memories prefix may be left out)." };
        var optionalPath = new Argument<string?>("PATH") { Description = "A memory path; the whole store when left out.", Arity = ArgumentArity.ZeroOrOne };
        var version = new Option<long?>("--version") { Description = "The change number (from `history`) whose version to use." };

        var ls = new Command("ls", "List the files under a folder with their sizes and when each was last written and read.") { optionalPath, json };
        ls.SetAction((result, ct) => Run(result, place, mustExist: true, async admin =>
        {
            var under = ParsePath(result.GetValue(optionalPath));
            if (await admin.Store.ReadAsync(under, ct).ConfigureAwait(false) is null)
            {
                throw new MemoryException($"{under.Normalized} does not exist.");
            }

            var activity = await ((IVersionedMemoryStore)admin.Store).ReadActivityAsync(ct).ConfigureAwait(false);
            var files = activity.Where(file => under.IsSameOrAncestorOf(file.Path)).OrderBy(file => file.Path.Normalized, StringComparer.Ordinal).ToList();
            if (result.GetValue(json))
            {
                WriteJson(files.Select(file => new { path = file.Path.Normalized, size = file.Size, written = file.LastWrite, read = file.LastRead }));
            }
            else
            {
                Table(["SIZE", "WRITTEN", "READ", "PATH"], files.Select(file => new[] { Size(file.Size), Time(file.LastWrite), Time(file.LastRead), file.Path.Normalized }), rightAligned: 0);
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{files.Count} files, {Size(files.Sum(file => file.Size))}"));
            }

            return 0;
        }));

        var cat = new Command("cat", "Print a file, or one of its recorded versions.") { path, version };
        cat.SetAction((result, ct) => Run(result, place, mustExist: true, async admin =>
        {
            var file = ParsePath(result.GetValue(path));
            ReadOnlyMemory<byte> content;
            if (result.GetValue(version) is { } sequence)
            {
                var found = await admin.GetVersionAsync(file, sequence, ct).ConfigureAwait(false)
                    ?? throw new MemoryException($"No change {sequence} recorded a version of {file.Normalized}; run `mnemo memory history {file.Normalized}` to see its versions.");
                content = found.Content ?? throw new MemoryException($"Version {sequence} of {file.Normalized} was redacted; its content is gone.");
            }
            else
            {
                var item = await admin.Store.ReadAsync(file, ct).ConfigureAwait(false);
                content = item switch
                {
                    null => throw new MemoryException($"{file.Normalized} does not exist; `mnemo memory history --deleted` lists deleted files."),
                    { Kind: MemoryEntryKind.Directory } => throw new MemoryException($"{file.Normalized} is a folder; use `mnemo memory ls {file.Normalized}`."),
                    _ => item.Content,
                };
            }

            using var stdout = Console.OpenStandardOutput();
            await stdout.WriteAsync(content, ct).ConfigureAwait(false);
            return 0;
        }));

        var deleted = new Option<bool>("--deleted") { Description = "List the files deleted and not written since, with the change to restore each from." };
        var history = new Command("history", "Show the changes to a file (following renames) or to the whole store.") { optionalPath, deleted, json };
        history.SetAction((result, ct) => Run(result, place, mustExist: true, async admin =>
        {
            if (result.GetValue(deleted))
            {
                var gone = await admin.DeletedFilesAsync(ct).ConfigureAwait(false);
                if (result.GetValue(json))
                {
                    WriteJson(gone.Select(d => new { path = d.File.Path, change = d.DeletedBy.Sequence, time = d.DeletedBy.Time, actor = d.DeletedBy.Actor, reason = d.DeletedBy.Reason, size = d.File.Size }));
                }
                else
                {
                    Table(["CHANGE", "DELETED", "BY", "WHY", "SIZE", "PATH"],
                        gone.Select(d => new[] { Number(d.DeletedBy.Sequence), Time(d.DeletedBy.Time), d.DeletedBy.Actor ?? "-", d.DeletedBy.Reason ?? "-", Size(d.File.Size), d.File.Path }),
                        rightAligned: 0);
                }

                return 0;
            }

            var changes = await admin.HistoryAsync(ParsePath(result.GetValue(optionalPath)), ct).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                WriteJson(changes.Select(c => new
                {
                    change = c.Sequence, time = c.Time, op = c.Kind.ToString().ToLowerInvariant(), path = c.Path, from = c.From, actor = c.Actor, reason = c.Reason,
                    files = c.Files.Select(f => new { path = f.Path, sha256 = f.Hash, size = f.Size, redacted = f.Content is null }),
                    redacted = c.RedactedHash,
                }));
            }
            else
            {
                WriteHistory(changes);
            }

            return 0;
        }));

        var asRecorded = new Option<bool>("--as-recorded")
        {
            Description = "Restore the version byte for byte, without the safety checks a write gets (secrets masked, injections refused).",
        };
        var restore = new Command("restore", "Bring a file back to a recorded version, or recover it after a delete; the restore is recorded too.")
        {
            path, version, actor, asRecorded,
        };
        restore.SetAction((result, ct) => Run(result, place, mustExist: true, async given =>
        {
            var admin = result.GetValue(asRecorded) ? given : new MemoryAdmin(given.Store) { Safety = Mnemo.Memory.Safety.MemorySafety.Default };
            var file = ParsePath(result.GetValue(path));
            var (change, outcome) = await admin.RestoreAsync(file, result.GetValue(version), Context(result, actor), ct).ConfigureAwait(false);
            Console.Out.WriteLine(outcome == MemoryWriteOutcome.Unchanged
                ? $"{file.Normalized} already holds the version of change {change.Sequence}; nothing written."
                : $"{(outcome == MemoryWriteOutcome.Created ? "Recovered" : "Restored")} {file.Normalized} to the version of change {change.Sequence} ({Time(change.Time)}).");
            var recorded = await admin.GetVersionAsync(file, change.Sequence, ct).ConfigureAwait(false);
            if (outcome != MemoryWriteOutcome.Unchanged && await admin.Store.ReadAsync(file, ct).ConfigureAwait(false) is { Kind: MemoryEntryKind.File } now &&
                recorded?.Hash is { Length: > 0 } hash && MemoryHash.Sha256(now.Content.Span) != hash)
            {
                Console.Out.WriteLine("Secrets in it were masked as it was restored; --as-recorded restores it byte for byte.");
            }

            return 0;
        }));

        var from = new Option<long?>("--from") { Description = "The older version's change number; the version before --to by default." };
        var to = new Option<long?>("--to") { Description = "The newer version's change number; the file as it is now by default." };
        var diff = new Command("diff", "Show what changed in a file between two versions, as a unified diff.") { path, from, to };
        diff.SetAction((result, ct) => Run(result, place, mustExist: true, async admin =>
        {
            Console.Out.Write(await admin.DiffAsync(ParsePath(result.GetValue(path)), result.GetValue(from), result.GetValue(to), ct).ConfigureAwait(false));
            return 0;
        }));

        var file = new Argument<string>("FILE") { Description = "The archive file, or - for standard output or input." };
        var export = new Command("export", "Write the whole store, history included, to one portable archive (JSON lines).") { file };
        export.SetAction((result, ct) => Run(result, place, mustExist: true, async admin =>
        {
            var target = result.GetValue(file)!;
            await using var stream = target == "-" ? Console.OpenStandardOutput() : AdminArguments.OpenArchive(target, write: true);
            var (files, changes) = await admin.ExportAsync(stream, ct).ConfigureAwait(false);
            await Console.Error.WriteLineAsync($"Exported {files} files and {changes} changes.").ConfigureAwait(false);
            return 0;
        }));

        var import = new Command("import", "Load an archive made by `export` into an empty store (no files, no history), history included.") { file };
        import.SetAction((result, ct) => Run(result, place, mustExist: false, async admin =>
        {
            var source = result.GetValue(file)!;
            await using var stream = source == "-" ? Console.OpenStandardInput() : AdminArguments.OpenArchive(source, write: false);
            var (files, changes) = await admin.ImportAsync(stream, ct).ConfigureAwait(false);
            Console.Out.WriteLine($"Imported {files} files and {changes} changes.");
            return 0;
        }));

        var top = new Option<int>("--top") { Description = "How many of the largest and stalest files to name.", DefaultValueFactory = _ => 5 };
        var stats = new Command("stats", "Count files and bytes, show growth, and name the largest and stalest files.") { top, json };
        stats.SetAction((result, ct) => Run(result, place, mustExist: true, async admin =>
        {
            var count = result.GetValue(top);
            if (count < 0)
            {
                throw new UsageException("--top must be 0 or more.");
            }

            var s = await admin.StatsAsync(count, ct).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                WriteJson(new
                {
                    files = s.Files, bytes = s.Bytes, changes = s.Changes,
                    growth = new { day = s.GrowthLastDay, week = s.GrowthLastWeek, month = s.GrowthLastMonth },
                    last_access = s.LastAccess,
                    largest = s.Largest.Select(f => new { path = f.Path.Normalized, size = f.Size }),
                    stalest = s.Stalest.Select(f => new { path = f.Path.Normalized, last_access = f.LastAccess }),
                });
                return 0;
            }

            Table(["", ""],
            [
                ["files", Number(s.Files)],
                ["bytes", $"{Number(s.Bytes)} ({Size(s.Bytes)})"],
                ["changes", Number(s.Changes)],
                ["growth, last day", Signed(s.GrowthLastDay)],
                ["growth, last 7 days", Signed(s.GrowthLastWeek)],
                ["growth, last 30 days", Signed(s.GrowthLastMonth)],
                ["last access", Time(s.LastAccess)],
            ], header: false);
            Console.Out.WriteLine();
            Console.Out.WriteLine("Largest files");
            Table(["SIZE", "PATH"], s.Largest.Select(f => new[] { Size(f.Size), f.Path.Normalized }), rightAligned: 0);
            Console.Out.WriteLine();
            Console.Out.WriteLine("Stalest files");
            Table(["LAST ACCESS", "PATH"], s.Stalest.Select(f => new[] { Time(f.LastAccess), f.Path.Normalized }));
            return 0;
        }));

        var olderThan = new Option<string?>("--older-than") { Description = "Delete files not read or written for this long: 30d, 12h, 90m or a time span like 7.00:00:00." };
        var sweep = new Command("sweep", "Delete the files nobody read or wrote for a while; each delete is recorded and can be restored.") { olderThan, actor };
        sweep.SetAction((result, ct) => Run(result, place, mustExist: true, async admin =>
        {
            var idle = AdminArguments.ParseDuration(result.GetValue(olderThan) ?? throw new UsageException("sweep needs --older-than, such as --older-than 30d."));
            var swept = await admin.SweepAsync(idle, Context(result, actor), ct).ConfigureAwait(false);
            foreach (var gone in swept)
            {
                Console.Out.WriteLine($"expired {gone.Normalized}");
            }

            Console.Out.WriteLine($"{swept.Count} files expired; `mnemo memory history --deleted` lists them for restoring.");
            return 0;
        }));

        var yes = new Option<bool>("--yes") { Description = "Confirm: delete every memory file (each delete is recorded and can be restored)." };
        var clear = new Command("clear", "Delete everything under /memories; the deletes are recorded, so files can be restored.") { yes, actor };
        clear.SetAction((result, ct) => Run(result, place, mustExist: true, async admin =>
        {
            if (!result.GetValue(yes))
            {
                throw new UsageException("clear deletes every memory file; run it again with --yes to confirm.");
            }

            var count = await admin.ClearAsync(Context(result, actor), ct).ConfigureAwait(false);
            Console.Out.WriteLine($"Deleted {count} entries under /memories; `mnemo memory history --deleted` lists them for restoring.");
            return 0;
        }));

        var template = new Option<string>("--template")
        {
            Description = $"The layout to seed: {string.Join(", ", MemoryTemplate.BuiltIn.Select(t => t.Name))}, or a folder of your own whose files are copied in.",
            DefaultValueFactory = _ => MemoryTemplate.Development.Name,
        };
        var list = new Option<bool>("--list") { Description = "List the templates and their files, and create nothing." };
        var init = new Command("init", "Create a memory folder, seeded with a template's layout and starter files; existing files are kept.") { template, list, actor };
        init.SetAction(async (result, ct) =>
        {
            if (result.GetValue(list))
            {
                foreach (var builtIn in MemoryTemplate.BuiltIn)
                {
                    Console.Out.WriteLine($"{builtIn.Name}: {builtIn.Description}");
                    foreach (var (file, _) in builtIn.Files)
                    {
                        Console.Out.WriteLine($"  /memories/{file}");
                    }
                }

                Console.Out.WriteLine("--template FOLDER seeds from a folder of your own.");
                return 0;
            }

            return await InitAsync(result, ct).ConfigureAwait(false);
        });

        Task<int> InitAsync(ParseResult result, CancellationToken ct) => Run(result, place, mustExist: false, async admin =>
        {
            var name = result.GetValue(template)!;
            var chosen = MemoryTemplate.Find(name)
                ?? (Directory.Exists(name) ? MemoryTemplate.FromFolder(name) : null)
                ?? throw new UsageException($"no template named {name}, and no such folder; the templates are: {string.Join(", ", MemoryTemplate.BuiltIn.Select(t => t.Name))}.");
            var created = await admin.InitAsync(chosen, Context(result, actor), ct).ConfigureAwait(false);
            foreach (var made in created)
            {
                Console.Out.WriteLine($"created {made.Normalized}");
            }

            Console.Out.WriteLine($"{created.Count} of {chosen.Files.Count} starter files created from the {chosen.Name} template.");
            return 0;
        });

        var redact = new Command("redact", "Remove a version's content from history everywhere it occurs (a leaked secret, say), keeping the record.")
        {
            path, version, actor,
        };
        redact.SetAction((result, ct) => Run(result, place, mustExist: true, async admin =>
        {
            var target = ParsePath(result.GetValue(path));
            var sequence = result.GetValue(version) ?? throw new UsageException("redact needs --version, the change number from `history`.");
            var found = await admin.GetVersionAsync(target, sequence, ct).ConfigureAwait(false)
                ?? throw new MemoryException($"No change {sequence} recorded a version of {target.Normalized}.");
            var count = await ((IVersionedMemoryStore)admin.Store).RedactAsync(found.Hash, Context(result, actor), ct).ConfigureAwait(false);
            Console.Out.WriteLine(count == 0
                ? $"Version {sequence} of {target.Normalized} was already redacted."
                : $"Redacted sha256 {found.Hash[..12]} from {count} versions; the records remain.");
            return 0;
        }));

        var held = new Option<bool>("--held") { Description = "Also list the writes held in quarantine (.mnemo/quarantine.jsonl of a memory folder)." };
        var scan = new Command("scan", "Look for secrets, instructions aimed at the model and hidden characters in every file; exit code 3 when anything is found.")
        {
            optionalPath, json, held, place.Safety,
        };
        scan.SetAction((result, ct) => Run(result, place, mustExist: true, admin => ScanAsync(
            admin, ParsePath(result.GetValue(optionalPath)), result.GetValue(json), result.GetValue(held), place.SafetyFor(result, null)?.Policy ?? new MemorySafetyPolicy(), ct)));

        var consolidate = Consolidate(place);

        Command[] verbs = [ls, cat, history, restore, diff, export, import, stats, sweep, clear, init, redact, scan, consolidate];
        foreach (var verb in verbs)
        {
            foreach (var option in place.All)
            {
                verb.Options.Add(option);
            }
        }

        return verbs;
    }

    /// <summary>Exit code of <c>scan</c> when it found something: distinct from a scan that could not run (1) and bad usage (2).</summary>
    public const int Found = 3;

    private static async Task<int> ScanAsync(MemoryAdmin admin, MemoryPath under, bool json, bool held, MemorySafetyPolicy policy, CancellationToken ct)
    {
        var (files, _) = await admin.ListAllAsync(ct).ConfigureAwait(false);
        var rows = new List<(string Path, int Line, int Column, MemoryFinding Finding, string Excerpt)>();
        var skipped = new List<string>();
        var scanned = 0;
        foreach (var (path, _) in files.Where(file => under.IsSameOrAncestorOf(file.Path)).OrderBy(file => file.Path.Normalized, StringComparer.Ordinal))
        {
            if (await admin.Store.ReadAsync(path, ct).ConfigureAwait(false) is not { Kind: MemoryEntryKind.File } item)
            {
                continue;
            }

            if (!System.Text.Unicode.Utf8.IsValid(item.Content.Span))
            {
                skipped.Add(path.Normalized);
                continue;
            }

            scanned++;
            var text = Encoding.UTF8.GetString(item.Content.Span);
            foreach (var finding in MemoryScanner.Default.Scan(text))
            {
                var line = text.AsSpan(0, finding.Start).Count('\n') + 1;
                var column = finding.Start - (finding.Start == 0 ? 0 : text.LastIndexOf('\n', finding.Start - 1) + 1) + 1;
                // A report names where a secret is, never the secret.
                var excerpt = finding.Kind is MemoryFindingKind.Secret or MemoryFindingKind.HiddenCharacter or MemoryFindingKind.PersonalData
                    ? string.Empty
                    : text.Substring(finding.Start, Math.Min(finding.Length, 60)).ReplaceLineEndings(" ");
                rows.Add((path.Normalized, line, column, finding, excerpt));
            }
        }

        var quarantined = held && admin.Store is FileSystemMemoryStore folder
            ? await new JsonLinesMemoryQuarantine(Path.Combine(folder.MetaDirectory, "quarantine.jsonl")).ReadAsync(ct).ConfigureAwait(false)
            : [];
        if (json)
        {
            WriteJson(new
            {
                files_scanned = scanned,
                not_utf8 = skipped,
                findings = rows.Select(row => new
                {
                    path = row.Path,
                    line = row.Line,
                    column = row.Column,
                    start = row.Finding.Start,
                    length = row.Finding.Length,
                    kind = row.Finding.KindName,
                    rule = row.Finding.Rule,
                    confidence = row.Finding.Confidence.ToString().ToLowerInvariant(),
                    policy = policy.For(row.Finding).ToString().ToLowerInvariant(),
                    excerpt = row.Excerpt,
                }),
                held = quarantined.Select(write => new { time = write.Time, actor = write.Actor, command = write.Command, path = write.Path, rules = write.Findings.Select(f => f.Rule) }),
            });
        }
        else
        {
            if (rows.Count > 0)
            {
                Table(["WHERE", "KIND", "RULE", "CONFIDENCE", "ON WRITE", "TEXT"], rows.Select(row => new[]
                {
                    string.Create(CultureInfo.InvariantCulture, $"{row.Path}:{row.Line}:{row.Column}"), row.Finding.KindName, row.Finding.Rule,
                    row.Finding.Confidence.ToString().ToLowerInvariant(), policy.For(row.Finding).ToString().ToLowerInvariant(), row.Excerpt,
                }));
            }
            foreach (var write in quarantined)
            {
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"held: {Time(write.Time)} {write.Actor ?? "-"} {write.Command} {write.Path} ({string.Join(", ", write.Findings.Select(f => f.Rule).Distinct())})"));
            }

            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{rows.Count} findings in {rows.Select(row => row.Path).Distinct().Count()} of {scanned} files{(skipped.Count > 0 ? $"; {skipped.Count} not UTF-8, not scanned" : string.Empty)}{(held ? $"; {quarantined.Count} writes held" : string.Empty)}."));
        }

        return rows.Count > 0 ? Found : 0;
    }

    private static async Task<int> Run(ParseResult result, StoreSelection place, bool mustExist, Func<MemoryAdmin, Task<int>> action)
    {
        try
        {
            var store = place.Open(result, mustExist);
            using ((IDisposable)store)
            {
                return await action(new MemoryAdmin(store)).ConfigureAwait(false);
            }
        }
        catch (UsageException exception)
        {
            await Console.Error.WriteLineAsync($"mnemo: {exception.Message}").ConfigureAwait(false);
            return Usage;
        }
        catch (Exception exception) when (exception is MemoryException or IOException or UnauthorizedAccessException or PlatformNotSupportedException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"mnemo: {OneLine(exception.Message)}").ConfigureAwait(false);
            return Failed;
        }
    }

    private static MemoryWriteContext Context(ParseResult result, Option<string?> actor) =>
        new(result.GetValue(actor) is { Length: > 0 } named ? named : Environment.UserName);

    /// <summary>Parses a memory path, allowing the <c>/memories</c> prefix to be left out.</summary>
    private static MemoryPath ParsePath(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return MemoryPath.RootPath;
        }

        var full = text.StartsWith(MemoryPath.Root, StringComparison.Ordinal) ? text : MemoryPath.Root + "/" + text.TrimStart('/');
        return MemoryPath.TryParse(full, out var path, out _) ? path : throw new UsageException($"{text} is not a memory path.");
    }
}
