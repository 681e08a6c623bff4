namespace Mnemo.Memory;

/// <summary>Represents a store that keeps every change in an append-only history, from which files can be brought back.</summary>
/// <remarks>
/// <para>The history is the store's own: it never shows up under <c>/memories</c> and no memory-tool command reaches it.
/// Each write records its change before the content changes and settles it after, so a crash leaves neither a recorded
/// version whose content was never written nor written content with no version.</para>
/// <para><see cref="MemoryAdmin"/> builds restore, recovery, diff, export and statistics on these primitives, the same
/// way for every backend.</para>
/// </remarks>
public interface IVersionedMemoryStore : IMemoryStore
{
    /// <summary>Gets how long a file may go unread and unwritten before <see cref="SweepAsync"/> removes it.</summary>
    /// <value><see langword="null"/> when files never expire.</value>
    TimeSpan? ExpireAfter { get; }

    /// <summary>Reads the whole history, oldest change first, with every version's content unless it was redacted.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The changes that took effect; changes a crash interrupted before they took effect are left out.</returns>
    ValueTask<IReadOnlyList<MemoryChange>> ReadHistoryAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes a content from every version that holds it, keeping the records; recorded as a change of its own.</summary>
    /// <param name="hash">The SHA-256 of the content, in lowercase hex.</param>
    /// <param name="context">Who redacts and why.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>How many versions lost their content; 0 when no version holds it.</returns>
    ValueTask<int> RedactAsync(string hash, MemoryWriteContext? context = null, CancellationToken cancellationToken = default);

    /// <summary>Reads when each file was last written and last read.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>One entry per file the store holds.</returns>
    ValueTask<IReadOnlyList<MemoryFileActivity>> ReadActivityAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes the files not read or written for longer than <paramref name="maxIdle"/>, recording each delete.</summary>
    /// <param name="maxIdle">How long a file may sit untouched.</param>
    /// <param name="context">Who sweeps; the reason defaults to <c>expire</c>.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The files deleted; each can be restored from its delete record.</returns>
    ValueTask<IReadOnlyList<MemoryPath>> SweepAsync(TimeSpan maxIdle, MemoryWriteContext? context = null, CancellationToken cancellationToken = default);

    /// <summary>Loads a whole store, history included, into this store, which must hold no file and no history.</summary>
    /// <param name="snapshot">What to load; its history is kept as it is (sequence numbers, times, actors, redactions).</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <exception cref="MemoryStoreException">This store is not empty.</exception>
    ValueTask ImportAsync(MemorySnapshot snapshot, CancellationToken cancellationToken = default);
}

/// <summary>Says what a change did.</summary>
public enum MemoryChangeKind
{
    /// <summary>A file was created.</summary>
    Create,

    /// <summary>A file's content was replaced.</summary>
    Edit,

    /// <summary>A file or a folder was deleted; the record holds each file's last content.</summary>
    Delete,

    /// <summary>A file or a folder was moved; the record holds each file's content at its new path.</summary>
    Rename,

    /// <summary>A content was removed from the versions that held it.</summary>
    Redact,
}

/// <summary>Represents one change in a store's history.</summary>
/// <param name="Sequence">The change's number, from 1, in the order the store applied changes.</param>
/// <param name="Time">When the store applied it, from the store's <see cref="TimeProvider"/>.</param>
/// <param name="Kind">What it did.</param>
/// <param name="Path">The file or folder it names (the destination for a rename); <see langword="null"/> for a redaction.</param>
/// <param name="Files">The version of each file the change leaves, or for a delete each file's last version.</param>
public sealed record MemoryChange(long Sequence, DateTimeOffset Time, MemoryChangeKind Kind, string? Path, IReadOnlyList<MemoryFileVersion> Files)
{
    /// <summary>Gets the source of a rename.</summary>
    public string? From { get; init; }

    /// <summary>Gets who made the change.</summary>
    public string? Actor { get; init; }

    /// <summary>Gets what caused it: a memory-tool command, or <c>restore</c>, <c>expire</c>, <c>import</c> and the like.</summary>
    public string? Reason { get; init; }

    /// <summary>Gets, for a redaction, the SHA-256 of the content removed.</summary>
    public string? RedactedHash { get; init; }

    /// <summary>Gets the idempotency key the write carried (<see cref="MemoryWriteContext.RequestId"/>), if any.</summary>
    public string? RequestId { get; init; }
}

/// <summary>Represents one file's content as a change left it.</summary>
/// <param name="Path">The file.</param>
/// <param name="Hash">The SHA-256 of its content, in lowercase hex; kept when the content is redacted.</param>
/// <param name="Size">The content's length in bytes.</param>
/// <param name="Content">The content; <see langword="null"/> once redacted.</param>
public sealed record MemoryFileVersion(string Path, string Hash, long Size, ReadOnlyMemory<byte>? Content);

/// <summary>Represents when a file was last written and read.</summary>
/// <param name="Path">The file.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="LastWrite">When it was last written; from its history, or the file system when it has none.</param>
/// <param name="LastRead">When it was last read; <see langword="null"/> when never read since tracking began.</param>
public sealed record MemoryFileActivity(MemoryPath Path, long Size, DateTimeOffset LastWrite, DateTimeOffset? LastRead)
{
    /// <summary>Gets when the file was last touched, read or written.</summary>
    public DateTimeOffset LastAccess => LastRead is { } read && read > LastWrite ? read : LastWrite;
}

/// <summary>Represents a whole store: its files, its empty folders and its history.</summary>
/// <param name="Files">Every file with its content.</param>
/// <param name="Directories">Folders that hold no file (folders with files are implied by them).</param>
/// <param name="History">Every change, oldest first.</param>
public sealed record MemorySnapshot(
    IReadOnlyList<MemorySnapshotFile> Files, IReadOnlyList<MemoryPath> Directories, IReadOnlyList<MemoryChange> History);

/// <summary>Represents one file of a <see cref="MemorySnapshot"/>.</summary>
/// <param name="Path">The file.</param>
/// <param name="Content">Its content.</param>
public sealed record MemorySnapshotFile(MemoryPath Path, ReadOnlyMemory<byte> Content);

/// <summary>Represents a store that can read a file the way an administrator does: without counting it as a read, so
/// admin tools (<see cref="MemoryConsolidator"/>) do not make every file look in use to the staleness rules and expiry.</summary>
public interface IUntrackedMemoryReader
{
    /// <summary>Reads a file or folder as <see cref="IMemoryStore.ReadAsync"/> does, leaving its last-read time as it was.</summary>
    /// <param name="path">The path.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The item; <see langword="null"/> when nothing is there.</returns>
    ValueTask<MemoryItem?> ReadUntrackedAsync(MemoryPath path, CancellationToken cancellationToken = default);
}
