using System.Globalization;
using System.Text;

namespace Mnemo.Memory;

/// <summary>Represents the limits a store puts on what it holds; every write that would pass one is refused whole.</summary>
/// <remarks>
/// A write that does not make things worse is allowed even where a limit is already passed (a file over the size limit
/// may shrink; a store over its file limit may delete), so an agent can always tidy its way back under the limits.
/// </remarks>
public sealed class MemoryQuotas
{
    /// <summary>Gets or sets the largest file, in bytes.</summary>
    /// <value>100 KiB by default: a memory file is read back into the model's context, and one of this size is already about 25,000 tokens.</value>
    public long MaxFileBytes { get; set; } = 100 * 1024;

    /// <summary>Gets or sets the most lines a file may have.</summary>
    /// <value>10,000 by default.</value>
    public long MaxFileLines { get; set; } = 10_000;

    /// <summary>Gets or sets the most files the store may hold.</summary>
    /// <value>10,000 by default.</value>
    public long MaxFiles { get; set; } = 10_000;

    /// <summary>Gets or sets the most bytes all files together may hold.</summary>
    /// <value>100 MiB by default.</value>
    public long MaxTotalBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>Gets or sets the longest path, in UTF-8 bytes, counting the leading <c>/memories</c>.</summary>
    /// <value>1,024 by default.</value>
    public int MaxPathBytes { get; set; } = 1024;

    /// <summary>Gets limits that are never reached, for stores that must take whatever they are given.</summary>
    public static MemoryQuotas Unlimited => new()
    {
        MaxFileBytes = long.MaxValue,
        MaxFileLines = long.MaxValue,
        MaxFiles = long.MaxValue,
        MaxTotalBytes = long.MaxValue,
        MaxPathBytes = MemoryPath.MaxPathBytes,
    };

    /// <summary>Gets a value indicating whether the store's totals are limited, so a write must know them.</summary>
    internal bool LimitsTotals => MaxFiles != long.MaxValue || MaxTotalBytes != long.MaxValue;

    /// <summary>Checks the limits eagerly, naming the property at fault.</summary>
    /// <returns>These quotas.</returns>
    public MemoryQuotas Validated()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFileBytes, 1, nameof(MaxFileBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFileLines, 1, nameof(MaxFileLines));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFiles, 1, nameof(MaxFiles));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTotalBytes, 1, nameof(MaxTotalBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPathBytes, MemoryPath.Root.Length + 2, nameof(MaxPathBytes));
        return this;
    }

    /// <summary>Checks a path against <see cref="MaxPathBytes"/>.</summary>
    /// <param name="path">The path a write would create.</param>
    /// <exception cref="MemoryQuotaExceededException">The path is too long.</exception>
    public void CheckPath(MemoryPath path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var bytes = Encoding.UTF8.GetByteCount(path.Normalized);
        if (bytes > MaxPathBytes)
        {
            throw new MemoryQuotaExceededException(MemoryQuotaKind.PathBytes, path, MaxPathBytes, bytes);
        }
    }

    /// <summary>Checks a file's new content against the per-file limits.</summary>
    /// <param name="path">The file.</param>
    /// <param name="content">The content a write would leave.</param>
    /// <param name="previous">The content it replaces; empty for a new file.</param>
    /// <exception cref="MemoryQuotaExceededException">The content is too large or has too many lines, and more than before.</exception>
    public void CheckFile(MemoryPath path, ReadOnlySpan<byte> content, ReadOnlySpan<byte> previous)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (content.Length > MaxFileBytes && content.Length > previous.Length)
        {
            throw new MemoryQuotaExceededException(MemoryQuotaKind.FileBytes, path, MaxFileBytes, content.Length);
        }

        if (content.Length > MaxFileLines)
        {
            var lines = CountLines(content);
            if (lines > MaxFileLines && lines > CountLines(previous))
            {
                throw new MemoryQuotaExceededException(MemoryQuotaKind.FileLines, path, MaxFileLines, lines);
            }
        }
    }

    /// <summary>Checks the store's totals after a write against <see cref="MaxFiles"/> and <see cref="MaxTotalBytes"/>.</summary>
    /// <param name="path">The file the write names.</param>
    /// <param name="files">How many files the store would hold.</param>
    /// <param name="addedFiles">How many of those the write adds.</param>
    /// <param name="totalBytes">How many bytes the store would hold.</param>
    /// <param name="addedBytes">How many of those the write adds; negative when it frees some.</param>
    /// <exception cref="MemoryQuotaExceededException">A total would pass its limit and grow.</exception>
    public void CheckTotals(MemoryPath path, long files, long addedFiles, long totalBytes, long addedBytes)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (addedFiles > 0 && files > MaxFiles)
        {
            throw new MemoryQuotaExceededException(MemoryQuotaKind.Files, path, MaxFiles, files);
        }

        if (addedBytes > 0 && totalBytes > MaxTotalBytes)
        {
            throw new MemoryQuotaExceededException(MemoryQuotaKind.TotalBytes, path, MaxTotalBytes, totalBytes);
        }
    }

    /// <summary>Counts lines as an editor shows them: line breaks, plus one for text after the last break.</summary>
    /// <param name="content">UTF-8 text.</param>
    /// <returns>The number of lines.</returns>
    public static long CountLines(ReadOnlySpan<byte> content) =>
        content.Count((byte)'\n') + (content.Length > 0 && content[^1] != (byte)'\n' ? 1 : 0);

    internal static string Format(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}

/// <summary>Names a limit of <see cref="MemoryQuotas"/>.</summary>
public enum MemoryQuotaKind
{
    /// <summary>The size of one file.</summary>
    FileBytes,

    /// <summary>The lines of one file.</summary>
    FileLines,

    /// <summary>The number of files in the store.</summary>
    Files,

    /// <summary>The bytes of all files together.</summary>
    TotalBytes,

    /// <summary>The length of a path.</summary>
    PathBytes,
}
