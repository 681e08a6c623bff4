using Npgsql;

namespace Mnemo.PostgreSql;

/// <summary>Where the store's connections come from: a data source of its own, from the connection string, or the
/// application's.</summary>
public sealed partial class PostgreSqlMemoryStore
{
    private static PostgreSqlMemoryStoreOptions Validate(PostgreSqlMemoryStoreOptions options, bool needsConnectionString = true)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Validated(needsConnectionString);
    }

    /// <summary>A data source of the store's own: the same few statements go over and over, so they are prepared once per
    /// connection and PostgreSQL skips parsing and planning them; a connection string that sets Max Auto Prepare itself
    /// keeps its own choice.</summary>
    private static NpgsqlDataSource OwnDataSource(PostgreSqlMemoryStoreOptions options)
    {
        var connection = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        if (!options.ConnectionString.Replace(" ", string.Empty, StringComparison.Ordinal).Contains("AutoPrepare", StringComparison.OrdinalIgnoreCase))
        {
            connection.MaxAutoPrepare = 32;
        }

        return NpgsqlDataSource.Create(connection.ConnectionString);
    }
}
