namespace Mnemo.Memory;

/// <summary>Represents what every store with history is configured by: history, quotas, expiry, read tracking and time.</summary>
/// <remarks>Each backend's options derive from this and add their own (a folder's durability, a database's connection).</remarks>
public abstract class VersionedMemoryStoreOptions
{
    /// <summary>Gets or sets a value indicating whether every change is recorded in the store's history.</summary>
    /// <value><see langword="true"/> by default. The history is out of the model's reach and written with the change itself.</value>
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

    /// <summary>Checks the shared options eagerly, naming the property at fault.</summary>
    protected void ValidateVersioned()
    {
        ArgumentNullException.ThrowIfNull(Quotas, nameof(Quotas));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        Quotas.Validated();
        if (ExpireAfter is { } expiry)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(expiry, TimeSpan.Zero, nameof(ExpireAfter));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(ReadTrackingResolution, TimeSpan.Zero, nameof(ReadTrackingResolution));
    }
}
