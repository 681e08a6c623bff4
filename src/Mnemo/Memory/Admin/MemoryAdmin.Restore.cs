using Mnemo.Memory.Safety;

namespace Mnemo.Memory;

/// <summary>Restore: a recorded version brought back, judged as a write is when <see cref="Safety"/> is set.</summary>
public sealed partial class MemoryAdmin
{
    /// <summary>Brings a file back to a recorded version, recreating it if it was deleted; recorded as a change itself.</summary>
    /// <param name="path">The file.</param>
    /// <param name="sequence">The change whose version to bring back; <see langword="null"/> for the last version that had content
    /// before the file's latest change (the one before an edit, or the deleted content).</param>
    /// <param name="context">Who restores; the reason defaults to <c>restore</c>.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The version restored and what the write did.</returns>
    /// <exception cref="MemoryException">No such version, its content was redacted, or <see cref="Safety"/> refuses what it holds.</exception>
    public async ValueTask<(MemoryChange Change, MemoryWriteOutcome Outcome)> RestoreAsync(
        MemoryPath path, long? sequence = null, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        var history = await HistoryAsync(path, cancellationToken).ConfigureAwait(false);
        var current = await Store.ReadAsync(path, cancellationToken).ConfigureAwait(false);
        var currentHash = current is { Kind: MemoryEntryKind.File } ? MemoryHash.Sha256(current.Content.Span) : null;
        MemoryChange? chosen = null;
        MemoryFileVersion? version = null;
        for (var i = history.Count - 1; i >= 0 && chosen is null; i--)
        {
            var candidate = MemoryHistoryQueries.VersionIn(history[i], path);
            var wanted = sequence is { } exact
                ? history[i].Sequence == exact
                : candidate is not null && (history[i].Kind == MemoryChangeKind.Delete || candidate.Hash != currentHash);
            if (wanted)
            {
                (chosen, version) = (history[i], candidate);
            }
        }

        if (chosen is null || version is null)
        {
            throw new MemoryException(sequence is { } missing
                ? $"No change {missing} recorded a version of {path.Normalized}; run `history` to see its versions."
                : $"No earlier version of {path.Normalized} is recorded.");
        }

        if (version.Content is not { } content)
        {
            throw new MemoryException($"Version {chosen.Sequence} of {path.Normalized} was redacted; its content is gone.");
        }

        if (Safety is { } safety)
        {
            content = Screened(safety, path, chosen.Sequence, content);
        }

        var outcome = await WriteAsync(path, content, null, WithReason(context, "restore"), cancellationToken).ConfigureAwait(false);
        return (chosen, outcome);
    }

    /// <summary>A version as a restore may bring it back: with secrets masked, or refused in one line.</summary>
    private static ReadOnlyMemory<byte> Screened(MemorySafety safety, MemoryPath path, long sequence, ReadOnlyMemory<byte> content)
    {
        if (!System.Text.Unicode.Utf8.IsValid(content.Span))
        {
            return content; // not text; the scanner reads text
        }

        var screening = safety.Screen(new CreateMemoryCommand(path.Normalized, System.Text.Encoding.UTF8.GetString(content.Span)));
        if (screening.Action is MemorySafetyAction.Reject or MemorySafetyAction.Quarantine)
        {
            var decisive = screening.Findings.First(finding => safety.Policy.For(finding) >= MemorySafetyAction.Reject);
            throw new MemoryException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"The version of change {sequence} of {path.Normalized} holds {decisive.KindName} text ({decisive.Rule}, at character {decisive.Start}) that the safety policy keeps out of memory; it was not restored."));
        }

        return screening is { Action: MemorySafetyAction.Redact, Command: CreateMemoryCommand masked } ? System.Text.Encoding.UTF8.GetBytes(masked.FileText) : content;
    }
}
