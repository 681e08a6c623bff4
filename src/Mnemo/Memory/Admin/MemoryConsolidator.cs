using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Mnemo.Memory;

/// <summary>What a proposed change of a consolidation is.</summary>
public enum ConsolidationKind
{
    /// <summary>Files with the same text: all but one deleted.</summary>
    ExactDuplicate,

    /// <summary>Files that say nearly the same: merged into one.</summary>
    NearDuplicate,

    /// <summary>A value that a later dated (or versioned) line replaces: the earlier line removed.</summary>
    Superseded,

    /// <summary>A setting given different values with nothing to say which holds: flagged, not changed.</summary>
    Contradiction,

    /// <summary>A file past the size a note should have: split at its headings.</summary>
    Oversized,

    /// <summary>A file nobody read or wrote for a long time: listed for expiry.</summary>
    Stale,
}

/// <summary>One file edit of a change: a new text for the file, or its deletion.</summary>
/// <param name="Path">The file.</param>
/// <param name="OldText">The text it has now; <see langword="null"/> for a file the change creates.</param>
/// <param name="NewText">The text it gets; <see langword="null"/> to delete it.</param>
public sealed record ConsolidationEdit(MemoryPath Path, string? OldText, string? NewText);

/// <summary>One proposed change, with the evidence for it.</summary>
/// <param name="Number">Its number in the proposal, from 1.</param>
/// <param name="Kind">What it is.</param>
/// <param name="Title">What it does, in one line.</param>
/// <param name="Evidence">Why: the files and lines it rests on.</param>
/// <param name="Edits">The edits; none for a change that only flags.</param>
public sealed record ConsolidationChange(int Number, ConsolidationKind Kind, string Title, string Evidence, IReadOnlyList<ConsolidationEdit> Edits)
{
    /// <summary>Gets what proposed it: <c>rules</c> (the deterministic engine) or <c>model</c> (<see cref="ChatClientConsolidationEngine"/>).</summary>
    public string ProposedBy { get; init; } = "rules";

    /// <summary>The change as a unified diff of each file it edits.</summary>
    public string Diff() => string.Concat(Edits.Select(edit =>
        LineDiff.Unified(edit.OldText ?? string.Empty, edit.NewText ?? string.Empty,
            edit.OldText is null ? "(new file)" : edit.Path.Normalized, edit.NewText is null ? "(deleted)" : edit.Path.Normalized)));
}

/// <summary>A consolidation's proposal: changes to make the store smaller and truer, none of them made yet.</summary>
/// <param name="FilesRead">How many files were read.</param>
/// <param name="Changes">The changes, numbered.</param>
public sealed record ConsolidationProposal(int FilesRead, IReadOnlyList<ConsolidationChange> Changes)
{
    /// <summary>Gets what the reader should know of how it was made: what the model saw, and each of its changes left out and why.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>Options of a <see cref="MemoryConsolidator"/>.</summary>
public sealed record ConsolidationOptions
{
    /// <summary>Gets the share of lines two files must share to be near duplicates; 0.8 by default.</summary>
    public double NearDuplicateSimilarity { get; init; } = 0.8;

    /// <summary>Gets the size past which a file is split at its headings; 16 KiB by default.</summary>
    public int OversizedBytes { get; init; } = 16 * 1024;

    /// <summary>Gets how long a file may sit unread and unwritten before it is listed for expiry; 90 days by default.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromDays(90);

    /// <summary>Gets the model-driven engine, which proposes what the rules miss after them; <see langword="null"/> (the
    /// default) for the rules alone, offline.</summary>
    public ChatClientConsolidationEngine? Model { get; init; }
}

/// <summary>
/// Consolidates a memory store offline and deterministically: exact and near duplicates merged, values that later dated
/// or versioned notes supersede removed, contradictions flagged, oversized files split at their headings, files unread
/// for long listed for expiry. It proposes; nothing changes until the proposal (or part of it) is applied, and every
/// applied edit goes through the store's history with the actor <c>consolidate</c>, so it can be restored.
/// </summary>
public sealed partial class MemoryConsolidator(MemoryAdmin admin, ConsolidationOptions? options = null, TimeProvider? time = null)
{
    /// <summary>The actor applied changes are recorded under.</summary>
    public const string Actor = "consolidate";

    private readonly MemoryAdmin _admin = admin ?? throw new ArgumentNullException(nameof(admin));
    private readonly ConsolidationOptions _options = options ?? new ConsolidationOptions();
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Reads the store and proposes the changes.</summary>
    public ValueTask<ConsolidationProposal> ProposeAsync(CancellationToken cancellationToken = default) => ProposeAsync(null, cancellationToken);

    /// <summary>Reads the store, and what sessions did with it, and proposes the changes: a value the notes leave undated
    /// is dated by the session that wrote it, and a file a session touched within the staleness limit is not listed for
    /// expiry. Each change that rests on a session cites its transcript and message.</summary>
    /// <param name="sessions">What the sessions' transcripts show; <see langword="null"/> for the store alone.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    public async ValueTask<ConsolidationProposal> ProposeAsync(ConsolidationEvidence? sessions, CancellationToken cancellationToken = default)
    {
        // Activity first: where the store cannot read untracked, reading the files for the proposal is itself a read.
        var activities = _admin.Store is IVersionedMemoryStore versioned
            ? await versioned.ReadActivityAsync(cancellationToken).ConfigureAwait(false)
            : [];
        var (listed, _) = await _admin.ListAllAsync(cancellationToken).ConfigureAwait(false);
        var strict = new UTF8Encoding(false, true);
        var files = new List<(MemoryPath Path, string Text)>();
        foreach (var (path, _) in listed)
        {
            // Read as an administrator: a consolidation (or the next one, with --apply) must not make every file look in use.
            var read = _admin.Store is IUntrackedMemoryReader untracked
                ? untracked.ReadUntrackedAsync(path, cancellationToken)
                : _admin.Store.ReadAsync(path, cancellationToken);
            if (await read.ConfigureAwait(false) is { Kind: MemoryEntryKind.File } item)
            {
                try
                {
                    files.Add((path, strict.GetString(item.Content.Span)));
                }
                catch (DecoderFallbackException)
                {
                    // Not text: nothing to consolidate in it.
                }
            }
        }

        var changes = new List<(ConsolidationKind, string, string, IReadOnlyList<ConsolidationEdit>)>();
        var gone = new HashSet<string>(StringComparer.Ordinal);
        Duplicates(files, changes, gone);
        Supersessions(files.Where(file => !gone.Contains(file.Path.Normalized)).ToList(), changes, sessions);
        Oversized(files.Where(file => !gone.Contains(file.Path.Normalized)).ToList(), changes, gone);
        var now = _time.GetUtcNow();
        foreach (var activity in activities.OrderBy(a => a.Path.Normalized, StringComparer.Ordinal))
        {
            if (now - activity.LastAccess > _options.StaleAfter && !gone.Contains(activity.Path.Normalized) &&
                files.FirstOrDefault(file => file.Path.Normalized == activity.Path.Normalized) is { Text: { } text })
            {
                var touched = sessions?.LastTouched(activity.Path);
                if (touched?.At is { } at && now - at <= _options.StaleAfter)
                {
                    // A session read or wrote it lately, through another copy of the store: it is in use.
                    continue;
                }

                var seen = sessions is null ? string.Empty
                    : touched is null ? string.Create(CultureInfo.InvariantCulture, $"; none of the {sessions.Sessions} session(s) given reads or writes it")
                    : $"; a session last touched it in {touched.Cite()}";
                changes.Add((ConsolidationKind.Stale, $"expire {activity.Path.Normalized}",
                    string.Create(CultureInfo.InvariantCulture, $"not read or written since {activity.LastAccess.UtcDateTime:yyyy-MM-dd} ({(now - activity.LastAccess).TotalDays:0} days; the limit is {_options.StaleAfter.TotalDays:0}){seen}"),
                    [new ConsolidationEdit(activity.Path, text, null)]));
            }
        }

        var byRules = changes.Count;
        List<string> notes = [];
        if (_options.Model is { } model)
        {
            var (more, said) = await model.ProposeAsync(files, changes, sessions, cancellationToken).ConfigureAwait(false);
            changes.AddRange(more);
            notes = said;
        }

        return new ConsolidationProposal(files.Count, [.. changes.Select((change, i) =>
            new ConsolidationChange(i + 1, change.Item1, change.Item2, change.Item3, change.Item4) { ProposedBy = i < byRules ? "rules" : "model" })])
        {
            Notes = notes,
        };
    }

    /// <summary>Applies some of a proposal's changes. A file that changed since the proposal was made is left alone, and the
    /// change that needed it is reported not applied; the others go ahead.</summary>
    /// <param name="proposal">The proposal.</param>
    /// <param name="numbers">The changes to apply.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>Each change asked for, and why it was not applied (<see langword="null"/> when it was).</returns>
    public async ValueTask<IReadOnlyList<(ConsolidationChange Change, string? NotApplied)>> ApplyAsync(
        ConsolidationProposal proposal, IEnumerable<int> numbers, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        ArgumentNullException.ThrowIfNull(numbers);
        var results = new List<(ConsolidationChange, string?)>();
        foreach (var number in numbers.Distinct().Order())
        {
            var change = proposal.Changes.FirstOrDefault(c => c.Number == number)
                ?? throw new ArgumentException($"The proposal has no change {number}.", nameof(numbers));
            var context = new MemoryWriteContext(Actor, "consolidate: " + Words(change.Kind));
            string? failure = null;
            foreach (var edit in change.Edits)
            {
                var expected = edit.OldText is null ? MemoryAdmin.NoFile : MemoryHash.Sha256(Encoding.UTF8.GetBytes(edit.OldText));
                try
                {
                    if (edit.NewText is null)
                    {
                        await _admin.DeleteFileAsync(edit.Path, expected, context, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await _admin.WriteAsync(edit.Path, Encoding.UTF8.GetBytes(edit.NewText), expected, context, cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (MemoryConflictException)
                {
                    failure = $"{edit.Path.Normalized} changed since the proposal was made; propose again";
                    break;
                }
            }

            results.Add((change, failure));
        }

        return results;
    }

    /// <summary>The kind in words.</summary>
    public static string Words(ConsolidationKind kind) => kind switch
    {
        ConsolidationKind.ExactDuplicate => "exact duplicate",
        ConsolidationKind.NearDuplicate => "near duplicate",
        ConsolidationKind.Superseded => "superseded",
        ConsolidationKind.Contradiction => "contradiction",
        ConsolidationKind.Oversized => "oversized",
        _ => "stale",
    };
}
