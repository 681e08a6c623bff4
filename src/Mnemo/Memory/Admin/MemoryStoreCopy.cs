namespace Mnemo.Memory;

/// <summary>What copying one file from a store to another does.</summary>
public enum MemoryCopyAction
{
    /// <summary>The target has no file there: it is created.</summary>
    Create,

    /// <summary>The target's file differs: its content is replaced.</summary>
    Update,

    /// <summary>The target's file is the same: nothing is written.</summary>
    Same,

    /// <summary>The target has a file the source does not (with pruning): it is deleted.</summary>
    Delete,

    /// <summary>The file cannot be copied (too large for the target, a folder in the way, text only): nothing is written.</summary>
    Skip,
}

/// <summary>One file of a copy: where, what is done with it, how many bytes, and why it was skipped.</summary>
/// <param name="Path">The file.</param>
/// <param name="Action">What is done.</param>
/// <param name="Bytes">The source's size (the target's for a delete).</param>
/// <param name="Reason">Why it was skipped, in one line; <see langword="null"/> otherwise.</param>
public sealed record MemoryCopyItem(MemoryPath Path, MemoryCopyAction Action, long Bytes, string? Reason = null);

/// <summary>
/// Copies every file of one memory store into another, of any backend (a folder, PostgreSQL, a memory server, a managed
/// memory store): a plan first, then the writes, each through the target's own writes (so into its history, with the
/// source named). A second run changes nothing; a file the target cannot take is reported and skipped, never cut.
/// </summary>
public static class MemoryStoreCopy
{
    /// <summary>How deep a store is walked; deeper folders than this are not memory anyone reads.</summary>
    private const int Depth = 64;

    /// <summary>Says what a copy would do, writing nothing.</summary>
    /// <param name="source">The store copied from.</param>
    /// <param name="target">The store copied into.</param>
    /// <param name="prune">Whether the target's files that the source does not have are deleted.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <param name="include">Which files the copy takes (on either side); every file when <see langword="null"/>.</param>
    /// <returns>One item per file, in path order.</returns>
    public static async Task<IReadOnlyList<MemoryCopyItem>> PlanAsync(
        IMemoryStore source, IMemoryStore target, bool prune, CancellationToken cancellationToken = default, Func<MemoryPath, bool>? include = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var plan = new List<MemoryCopyItem>();
        var sourceFiles = (await FilesAsync(source, cancellationToken).ConfigureAwait(false)).Where(path => include?.Invoke(path) != false).ToList();
        foreach (var path in sourceFiles)
        {
            if (await source.ReadAsync(path, cancellationToken).ConfigureAwait(false) is not { Kind: MemoryEntryKind.File } file)
            {
                continue; // gone since it was listed
            }

            var there = await target.ReadAsync(path, cancellationToken).ConfigureAwait(false);
            plan.Add(there switch
            {
                null => new MemoryCopyItem(path, MemoryCopyAction.Create, file.Content.Length),
                { Kind: MemoryEntryKind.Directory } => new MemoryCopyItem(path, MemoryCopyAction.Skip, file.Content.Length, "the target has a folder there"),
                _ when there.Content.Span.SequenceEqual(file.Content.Span) => new MemoryCopyItem(path, MemoryCopyAction.Same, file.Content.Length),
                _ => new MemoryCopyItem(path, MemoryCopyAction.Update, file.Content.Length),
            });
        }

        if (prune)
        {
            var kept = sourceFiles.Select(path => path.Normalized).ToHashSet(StringComparer.Ordinal);
            foreach (var path in (await FilesAsync(target, cancellationToken).ConfigureAwait(false)).Where(path => include?.Invoke(path) != false))
            {
                if (!kept.Contains(path.Normalized) && await target.ReadAsync(path, cancellationToken).ConfigureAwait(false) is { Kind: MemoryEntryKind.File } doomed)
                {
                    plan.Add(new MemoryCopyItem(path, MemoryCopyAction.Delete, doomed.Content.Length));
                }
            }
        }

        return [.. plan.OrderBy(item => item.Path.Normalized, StringComparer.Ordinal)];
    }

    /// <summary>Copies: makes the plan, then carries it out, one file at a time.</summary>
    /// <param name="source">The store copied from.</param>
    /// <param name="target">The store copied into.</param>
    /// <param name="prune">Whether the target's files that the source does not have are deleted.</param>
    /// <param name="context">Who copies and why, for the target's history (such as <c>copy from memstore_…</c>).</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <param name="include">Which files the copy takes (on either side); every file when <see langword="null"/>.</param>
    /// <returns>What was done with each file: a create or update the target refused is a <see cref="MemoryCopyAction.Skip"/> with its reason.</returns>
    public static async Task<IReadOnlyList<MemoryCopyItem>> CopyAsync(
        IMemoryStore source, IMemoryStore target, bool prune, MemoryWriteContext? context = null, CancellationToken cancellationToken = default,
        Func<MemoryPath, bool>? include = null)
    {
        var done = new List<MemoryCopyItem>();
        foreach (var item in await PlanAsync(source, target, prune, cancellationToken, include).ConfigureAwait(false))
        {
            done.Add(item.Action switch
            {
                MemoryCopyAction.Create or MemoryCopyAction.Update => await WriteAsync(source, target, item, context, cancellationToken).ConfigureAwait(false),
                MemoryCopyAction.Delete => await target.DeleteAsync(item.Path, context, cancellationToken).ConfigureAwait(false) == MemoryDeleteOutcome.Deleted
                    ? item
                    : item with { Action = MemoryCopyAction.Same },
                _ => item,
            });
        }

        return done;
    }

    /// <summary>What copying a file would change in the target, as a unified diff from the target's file (or nothing) to
    /// the source's (or nothing).</summary>
    /// <param name="source">The store copied from.</param>
    /// <param name="target">The store copied into.</param>
    /// <param name="path">The file.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The diff; empty when the two are the same.</returns>
    public static async Task<string> DiffAsync(IMemoryStore source, IMemoryStore target, MemoryPath path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        static string Text(MemoryItem? item) => item is { Kind: MemoryEntryKind.File } file ? System.Text.Encoding.UTF8.GetString(file.Content.Span) : string.Empty;
        var before = await target.ReadAsync(path, cancellationToken).ConfigureAwait(false);
        var after = await source.ReadAsync(path, cancellationToken).ConfigureAwait(false);
        return LineDiff.Unified(Text(before), Text(after), before is null ? "/dev/null" : "a" + path.Normalized, after is null ? "/dev/null" : "b" + path.Normalized);
    }

    private static async Task<MemoryCopyItem> WriteAsync(IMemoryStore source, IMemoryStore target, MemoryCopyItem item, MemoryWriteContext? context, CancellationToken cancellationToken)
    {
        if (await source.ReadAsync(item.Path, cancellationToken).ConfigureAwait(false) is not { Kind: MemoryEntryKind.File } file)
        {
            return item with { Action = MemoryCopyAction.Skip, Reason = "it was deleted from the source during the copy" };
        }

        try
        {
            for (var attempt = 0; attempt < 3; attempt++)
            {
                var there = await target.ReadAsync(item.Path, cancellationToken).ConfigureAwait(false);
                if (there is { Kind: MemoryEntryKind.Directory })
                {
                    return item with { Action = MemoryCopyAction.Skip, Reason = "the target has a folder there" };
                }

                if (there is not null && there.Content.Span.SequenceEqual(file.Content.Span))
                {
                    return item with { Action = MemoryCopyAction.Same };
                }

                var written = there is null
                    ? await target.CreateFileAsync(item.Path, file.Content, context, cancellationToken).ConfigureAwait(false)
                    : await target.ReplaceFileAsync(item.Path, file.Content, there, context, cancellationToken).ConfigureAwait(false);
                if (written)
                {
                    return item with { Action = there is null ? MemoryCopyAction.Create : MemoryCopyAction.Update, Bytes = file.Content.Length };
                }
            }

            return item with { Action = MemoryCopyAction.Skip, Reason = "the target's file kept changing during the copy; run it again" };
        }
        catch (MemoryQuotaExceededException exception)
        {
            return item with { Action = MemoryCopyAction.Skip, Reason = $"too large for the target: {exception.Message}" };
        }
        catch (MemoryParentNotDirectoryException)
        {
            return item with { Action = MemoryCopyAction.Skip, Reason = "the target has a file where the source has a folder above it" };
        }
        catch (MemoryStoreException exception) when (!exception.IsTransient)
        {
            return item with { Action = MemoryCopyAction.Skip, Reason = exception.Message };
        }
    }

    /// <summary>Every file of a store, walked from the root.</summary>
    private static async Task<List<MemoryPath>> FilesAsync(IMemoryStore store, CancellationToken cancellationToken)
    {
        var files = new List<MemoryPath>();
        Walk(MemoryPath.RootPath, await store.ListAsync(MemoryPath.RootPath, Depth, cancellationToken).ConfigureAwait(false) ?? []);
        return files;

        void Walk(MemoryPath folder, IReadOnlyList<MemoryEntry> entries)
        {
            foreach (var entry in entries)
            {
                var path = folder.Child(entry.Name);
                if (entry.Kind == MemoryEntryKind.File)
                {
                    files.Add(path);
                }
                else
                {
                    Walk(path, entry.Children ?? []);
                }
            }
        }
    }
}
