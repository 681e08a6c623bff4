using Mnemo.Memory;

namespace Mnemo.PostgreSql;

/// <summary>Represents the options of a <see cref="PostgreSqlMemoryStore"/>.</summary>
public sealed class PostgreSqlMemoryStoreOptions
{
    /// <summary>Gets or sets the Npgsql connection string of the database that holds the stores.</summary>
    /// <value>Required.</value>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>Gets or sets the name of the store: one database holds many, each with its own <c>/memories</c>.</summary>
    /// <value><c>default</c> by default. At most 200 characters, none of them a control character.</value>
    public string Store { get; set; } = "default";

    /// <summary>Gets or sets the database schema Mnemo's tables live in; the store creates and migrates it.</summary>
    /// <value><c>mnemo</c> by default.</value>
    public string Schema { get; set; } = "mnemo";

    /// <summary>Gets or sets how many times an operation is tried again after a transient failure (a dropped connection, a
    /// deadlock) that happened before it could have taken effect.</summary>
    /// <value>4 by default, with a growing pause between tries. A failure during the commit itself is never retried: the
    /// write may have been applied, and trying it again could apply it twice.</value>
    public int MaxRetries { get; set; } = 4;

    /// <summary>Gets or sets a value indicating whether every change is recorded in the store's history.</summary>
    /// <value><see langword="true"/> by default. The history is written in the same transaction as the change.</value>
    public bool History { get; set; } = true;

    /// <summary>Gets or sets the limits on what the store holds.</summary>
    /// <value>The defaults of <see cref="MemoryQuotas"/>.</value>
    public MemoryQuotas Quotas { get; set; } = new();

    /// <summary>Gets or sets how long a file may go unread and unwritten before a sweep removes it.</summary>
    /// <value><see langword="null"/> by default: files never expire.</value>
    public TimeSpan? ExpireAfter { get; set; }

    /// <summary>Gets or sets how often, at most, this process writes down a read of the same file, for expiry and statistics.</summary>
    /// <value>One hour by default.</value>
    public TimeSpan ReadTrackingResolution { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Gets or sets where the times in history and activity come from.</summary>
    /// <value><see cref="TimeProvider.System"/> by default.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal PostgreSqlMemoryStoreOptions Validated()
    {
        ArgumentNullException.ThrowIfNull(Quotas, nameof(Quotas));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        Quotas.Validated();
        ArgumentException.ThrowIfNullOrWhiteSpace(ConnectionString, nameof(ConnectionString));
        ArgumentException.ThrowIfNullOrEmpty(Store, nameof(Store));
        if (Store.Length > 200 || Store.Any(char.IsControl))
        {
            throw new ArgumentException("PostgreSqlMemoryStoreOptions.Store: a store name has 1 to 200 characters and no control character.", nameof(Store));
        }

        if (Schema.Length is 0 or > 63 || !Schema.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_') || char.IsDigit(Schema[0]))
        {
            throw new ArgumentException("PostgreSqlMemoryStoreOptions.Schema: use 1 to 63 lowercase letters, digits or underscores, not starting with a digit.", nameof(Schema));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(MaxRetries, nameof(MaxRetries));
        return this;
    }
}
