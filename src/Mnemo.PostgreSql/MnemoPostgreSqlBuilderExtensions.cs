using Microsoft.Extensions.Options;
using Mnemo.Hosting;
using Mnemo.PostgreSql;
using Mnemo.Memory;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The PostgreSQL store for <c>AddMnemoMemory</c>.</summary>
public static class MnemoPostgreSqlBuilderExtensions
{
    /// <summary>Keeps the memory in PostgreSQL (<see cref="PostgreSqlMemoryStore"/>): on the application's
    /// <see cref="NpgsqlDataSource"/> when one is registered (its pooling, logging and authentication), else on a
    /// connection string: the one given, or the options' <c>ConnectionString</c> (<c>Mnemo:ConnectionString</c>).</summary>
    /// <param name="builder">The memory.</param>
    /// <param name="connectionString">The connection string; the options' when <see langword="null"/>.</param>
    /// <param name="configure">Sets the store's own options (schema, quotas, retries).</param>
    /// <returns>The builder.</returns>
    public static IMnemoMemoryBuilder WithPostgreSqlStore(this IMnemoMemoryBuilder builder, string? connectionString = null, Action<PostgreSqlMemoryStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var name = builder.Key ?? Options.Options.DefaultName;
        var section = builder.Key is null ? MnemoMemoryOptions.SectionName : $"{MnemoMemoryOptions.SectionName}:Stores:{builder.Key}";
        IMemoryStore Open(IServiceProvider provider, string? scope)
        {
            var memory = provider.GetRequiredService<IOptionsMonitor<MnemoMemoryOptions>>().Get(name);
            var options = new PostgreSqlMemoryStoreOptions { Store = memory.StoreName ?? "default" };
            configure?.Invoke(options);
            if (scope is not null)
            {
                options.Store = scope;
            }

            if (connectionString is null && (builder.Key is null ? provider.GetService<NpgsqlDataSource>() : provider.GetKeyedService<NpgsqlDataSource>(builder.Key) ?? provider.GetService<NpgsqlDataSource>()) is { } dataSource)
            {
                return new PostgreSqlMemoryStore(dataSource, options);
            }

            options.ConnectionString = connectionString ?? memory.ConnectionString
                ?? throw new InvalidOperationException($"{section}:ConnectionString is required for a postgresql store, unless the application registers an NpgsqlDataSource.");
            return new PostgreSqlMemoryStore(options);
        }

        builder.Configure(options => (options.Store, options.NamedStoreFactory) = ("postgresql", (provider, scope) => Open(provider, scope)));
        return builder.WithStore(provider => Open(provider, null));
    }

    /// <summary>Keeps the memory in PostgreSQL on a data source the application made; the store does not dispose it.</summary>
    /// <param name="builder">The memory.</param>
    /// <param name="dataSource">The data source.</param>
    /// <param name="configure">Sets the store's own options (name, schema, quotas, retries).</param>
    /// <returns>The builder.</returns>
    public static IMnemoMemoryBuilder WithPostgreSqlStore(this IMnemoMemoryBuilder builder, NpgsqlDataSource dataSource, Action<PostgreSqlMemoryStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        IMemoryStore Open(string? scope)
        {
            var options = new PostgreSqlMemoryStoreOptions();
            configure?.Invoke(options);
            if (scope is not null)
            {
                options.Store = scope;
            }

            return new PostgreSqlMemoryStore(dataSource, options);
        }

        builder.Configure(options => (options.Store, options.NamedStoreFactory) = ("postgresql", (_, scope) => Open(scope)));
        return builder.WithStore(_ => Open(null));
    }
}
