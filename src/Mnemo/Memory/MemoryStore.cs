namespace Mnemo.Memory;

/// <summary>Represents the storage beneath the memory tool: files and folders under one root, with compare-and-swap writes.</summary>
/// <remarks>
/// <para>A store knows storage only; every result string the model reads is made by <see cref="MemoryTool"/>. Paths are
/// already validated and lexically normalised; a store that has symbolic links (or anything like them) resolves them
/// and throws <see cref="MemoryPathEscapeException"/> when resolution leaves the root.</para>
/// <para>Implementations are thread-safe. Writes are atomic: a reader sees a file's old content or its new content,
/// never a mix. <see cref="ReplaceFileAsync"/> writes only when the file is unchanged since it was read, which is what
/// makes read-modify-write commands free of lost updates across threads, processes and machines.</para>
/// </remarks>
public interface IMemoryStore
{
    /// <summary>Reads what a path names: a file's content and version, or the fact that it is a folder.</summary>
    /// <param name="path">The path to read.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The item, or <see langword="null"/> when nothing exists at <paramref name="path"/>.</returns>
    ValueTask<MemoryItem?> ReadAsync(MemoryPath path, CancellationToken cancellationToken = default);

    /// <summary>Lists a folder's entries, and the entries of its sub-folders down to <paramref name="depth"/> levels.</summary>
    /// <param name="directory">The folder to list.</param>
    /// <param name="depth">How many levels to list; 1 lists the folder's own entries only.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The entries in no particular order, or <see langword="null"/> when <paramref name="directory"/> is not a folder.</returns>
    /// <remarks>Entries that a store cannot show (a link leading out of the root, a name that is not valid UTF-8) are left out.</remarks>
    ValueTask<IReadOnlyList<MemoryEntry>?> ListAsync(MemoryPath directory, int depth, CancellationToken cancellationToken = default);

    /// <summary>Creates a file exclusively, with any missing parent folders.</summary>
    /// <param name="path">The file to create.</param>
    /// <param name="content">The file's bytes.</param>
    /// <param name="context">Who writes and why, for the store's history; <see langword="null"/> when unknown.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns><see langword="true"/> when the file was created; <see langword="false"/> when anything already exists there.</returns>
    /// <exception cref="MemoryParentNotDirectoryException">A parent of <paramref name="path"/> is a file.</exception>
    /// <exception cref="MemoryQuotaExceededException">The write would pass one of the store's quotas; nothing was written.</exception>
    ValueTask<bool> CreateFileAsync(
        MemoryPath path, ReadOnlyMemory<byte> content, MemoryWriteContext? context = null, CancellationToken cancellationToken = default);

    /// <summary>Replaces a file's content if the file is unchanged since it was read (compare-and-swap).</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="content">The new bytes.</param>
    /// <param name="expected">The file as it was read, whose <see cref="MemoryItem.Version"/> must still be current.</param>
    /// <param name="context">Who writes and why, for the store's history; <see langword="null"/> when unknown.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns><see langword="true"/> when written; <see langword="false"/> when the file changed or went away since it was read.</returns>
    /// <exception cref="MemoryQuotaExceededException">The write would pass one of the store's quotas; nothing was written.</exception>
    ValueTask<bool> ReplaceFileAsync(
        MemoryPath path,
        ReadOnlyMemory<byte> content,
        MemoryItem expected,
        MemoryWriteContext? context = null,
        CancellationToken cancellationToken = default);

    /// <summary>Deletes a file, or a folder with everything in it.</summary>
    /// <param name="path">The file or folder to delete.</param>
    /// <param name="context">Who deletes and why, for the store's history; <see langword="null"/> when unknown.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>What happened.</returns>
    ValueTask<MemoryDeleteOutcome> DeleteAsync(MemoryPath path, MemoryWriteContext? context = null, CancellationToken cancellationToken = default);

    /// <summary>Moves a file or folder, creating the destination's missing parent folders; never overwrites.</summary>
    /// <param name="source">The file or folder to move.</param>
    /// <param name="destination">Where to move it.</param>
    /// <param name="context">Who moves it and why, for the store's history; <see langword="null"/> when unknown.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>What happened; the checks run in the order of <see cref="MemoryRenameOutcome"/>'s members.</returns>
    /// <exception cref="MemoryParentNotDirectoryException">A parent of <paramref name="destination"/> is a file.</exception>
    /// <exception cref="MemoryQuotaExceededException">A path the move makes would pass the store's path quota; nothing moved.</exception>
    ValueTask<MemoryRenameOutcome> RenameAsync(
        MemoryPath source, MemoryPath destination, MemoryWriteContext? context = null, CancellationToken cancellationToken = default);
}

/// <summary>Represents what a path names in a store: a file with its content and version, or a folder.</summary>
public sealed class MemoryItem
{
    private MemoryItem(MemoryEntryKind kind, ReadOnlyMemory<byte> content, MemoryVersion version)
    {
        Kind = kind;
        Content = content;
        Version = version;
    }

    /// <summary>Gets whether the item is a file or a folder.</summary>
    public MemoryEntryKind Kind { get; }

    /// <summary>Gets a file's bytes; empty for a folder.</summary>
    public ReadOnlyMemory<byte> Content { get; }

    /// <summary>Gets the version a compare-and-swap write must match; default for a folder.</summary>
    public MemoryVersion Version { get; }

    /// <summary>Creates a file item.</summary>
    /// <param name="content">The file's bytes.</param>
    /// <param name="version">The file's current version.</param>
    /// <returns>The item.</returns>
    public static MemoryItem File(ReadOnlyMemory<byte> content, MemoryVersion version) => new(MemoryEntryKind.File, content, version);

    /// <summary>Gets the item that stands for a folder.</summary>
    public static MemoryItem Directory { get; } = new(MemoryEntryKind.Directory, ReadOnlyMemory<byte>.Empty, default);
}

/// <summary>Represents a store's version of a file: an opaque token that changes whenever the file does.</summary>
/// <param name="Value">The token; stores choose its form (an ETag, a row version, a file identity).</param>
public readonly record struct MemoryVersion(string? Value)
{
    /// <inheritdoc/>
    public override string ToString() => Value ?? string.Empty;
}

/// <summary>Says whether an entry is a file or a folder.</summary>
public enum MemoryEntryKind
{
    /// <summary>A regular file.</summary>
    File,

    /// <summary>A folder.</summary>
    Directory,
}

/// <summary>Represents one entry of a folder listing.</summary>
/// <param name="Name">The entry's name within its folder.</param>
/// <param name="Kind">Whether the entry is a file or a folder.</param>
/// <param name="Size">A file's size in bytes; 0 for a folder.</param>
/// <param name="Children">A folder's own entries when the listing went that deep; otherwise <see langword="null"/>.</param>
public sealed record MemoryEntry(string Name, MemoryEntryKind Kind, long Size, IReadOnlyList<MemoryEntry>? Children = null);

/// <summary>Says what a delete did.</summary>
public enum MemoryDeleteOutcome
{
    /// <summary>The file or folder was deleted.</summary>
    Deleted,

    /// <summary>Nothing exists at the path.</summary>
    NotFound,

    /// <summary>The path resolves to the root, which is never deleted.</summary>
    Root,
}

/// <summary>Says what a rename did, in the order a store checks.</summary>
public enum MemoryRenameOutcome
{
    /// <summary>The source was moved to the destination.</summary>
    Renamed,

    /// <summary>One of the paths resolves to the root, which is never moved or replaced.</summary>
    Root,

    /// <summary>Something already exists at the destination.</summary>
    DestinationExists,

    /// <summary>Nothing exists at the source.</summary>
    SourceNotFound,

    /// <summary>The source is a folder and the destination lies inside it.</summary>
    DestinationInsideSource,
}
