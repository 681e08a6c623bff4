namespace Mnemo.Memory.FileSystem;

/// <summary>Represents the options of a <see cref="FileSystemMemoryStore"/>.</summary>
public sealed class FileSystemMemoryStoreOptions
{
    /// <summary>Gets or sets a value indicating whether every write is flushed to the disk (fsync) before it is reported done.</summary>
    /// <value>
    /// <see langword="true"/> by default: a write that succeeded survives a power cut. <see langword="false"/> keeps writes
    /// atomic (a crash leaves the old or the new file, never a torn one) but may lose the last writes on a power cut.
    /// </value>
    public bool Durable { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether every change is recorded in the store's history.</summary>
    /// <value><see langword="true"/> by default. The history lives in the folder's <c>.mnemo</c> folder, out of the model's reach.</value>
    public bool History { get; set; } = true;

    /// <summary>Gets or sets the limits on what the store holds.</summary>
    /// <value>The defaults of <see cref="MemoryQuotas"/>.</value>
    public MemoryQuotas Quotas { get; set; } = new();

    /// <summary>Gets or sets how long a file may go unread and unwritten before a sweep removes it.</summary>
    /// <value><see langword="null"/> by default: files never expire.</value>
    public TimeSpan? ExpireAfter { get; set; }

    /// <summary>Gets or sets how often, at most, a read of the same file is written down for expiry and statistics.</summary>
    /// <value>One hour by default: reads take no lock and write nothing in between, and a last-read time is exact to this much.</value>
    public TimeSpan ReadTrackingResolution { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Gets or sets where the times in history and activity come from.</summary>
    /// <value><see cref="TimeProvider.System"/> by default.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal FileSystemMemoryStoreOptions Validated()
    {
        ArgumentNullException.ThrowIfNull(Quotas, nameof(Quotas));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        Quotas.Validated();
        if (ExpireAfter is { } expiry)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(expiry, TimeSpan.Zero, nameof(ExpireAfter));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(ReadTrackingResolution, TimeSpan.Zero, nameof(ReadTrackingResolution));
        return this;
    }
}
