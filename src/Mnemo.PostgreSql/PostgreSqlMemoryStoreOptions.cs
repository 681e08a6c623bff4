using Mnemo.Memory;

namespace Mnemo.PostgreSql;

/// <summary>Represents the options of a <see cref="PostgreSqlMemoryStore"/>.</summary>
public sealed class PostgreSqlMemoryStoreOptions : VersionedMemoryStoreOptions
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

    internal PostgreSqlMemoryStoreOptions Validated(bool needsConnectionString = true)
    {
        ValidateVersioned();
        if (needsConnectionString)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(ConnectionString, nameof(ConnectionString));
        }

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
