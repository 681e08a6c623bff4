using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mnemo.Context;
using Mnemo.Hosting;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;
using Mnemo.Memory.Remote;
using Mnemo.Memory.Safety;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>A memory being registered: the services, and its key when it is one of several.</summary>
public interface IMnemoMemoryBuilder
{
    /// <summary>Gets the services it is registered in.</summary>
    IServiceCollection Services { get; }

    /// <summary>Gets its key (<c>[FromKeyedServices(key)]</c>); <see langword="null"/> for the default memory.</summary>
    string? Key { get; }
}

/// <summary>Registers Mnemo's memory in a service collection: the store, the memory tool with its stages, and the tool
/// as an <see cref="AIFunction"/> for chat clients.</summary>
public static class MnemoServiceCollectionExtensions
{
    /// <summary>Registers the default memory: <see cref="IMemoryStore"/>, <see cref="IMemoryTool"/> and
    /// <see cref="MemoryToolFunction"/>, singletons made on first use. Its options are checked when the application starts.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options, after any configuration bound.</param>
    /// <returns>A builder to choose the store and stages with.</returns>
    public static IMnemoMemoryBuilder AddMnemoMemory(this IServiceCollection services, Action<MnemoMemoryOptions>? configure = null) =>
        Add(services, null, null, configure);

    /// <summary>Registers the default memory with its options bound from configuration (the section <c>Mnemo</c>:
    /// <c>Store</c>, <c>Path</c>, <c>ConnectionString</c>, <c>StoreName</c>, <c>Url</c>, <c>ApiKey</c>, <c>Actor</c>,
    /// <c>Screening</c>, <c>AuditLog</c>).</summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The application's configuration.</param>
    /// <param name="configure">Sets the options, after the configuration.</param>
    /// <returns>A builder to choose the store and stages with.</returns>
    public static IMnemoMemoryBuilder AddMnemoMemory(this IServiceCollection services, IConfiguration configuration, Action<MnemoMemoryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return Add(services, null, configuration.GetSection(MnemoMemoryOptions.SectionName), configure);
    }

    /// <summary>Registers a memory under a key, one of several (a team's and an agent's, say), bound from
    /// <c>Mnemo:Stores:KEY</c> when a configuration is given.</summary>
    /// <param name="services">The services.</param>
    /// <param name="key">The key.</param>
    /// <param name="configuration">The application's configuration; <see langword="null"/> for none.</param>
    /// <param name="configure">Sets the options, after the configuration.</param>
    /// <returns>A builder to choose the store and stages with.</returns>
    public static IMnemoMemoryBuilder AddKeyedMnemoMemory(this IServiceCollection services, string key, IConfiguration? configuration = null, Action<MnemoMemoryOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        return Add(services, key, configuration?.GetSection($"{MnemoMemoryOptions.SectionName}:Stores:{key}"), configure);
    }

    /// <summary>Registers context editing: the <see cref="ContextManagementConfig"/> its options make (a profile, and
    /// what is changed of it), the options for <c>UseContextEditing()</c>, and a token counter when none is registered.
    /// The options are checked when the application starts.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The application's configuration, whose <c>Mnemo:ContextEditing</c> section is bound; <see langword="null"/> for none.</param>
    /// <param name="configure">Sets the options, after the configuration.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddMnemoContextEditing(this IServiceCollection services, IConfiguration? configuration = null, Action<MnemoContextEditingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<MnemoContextEditingOptions>();
        if (configuration is not null)
        {
            options.Bind(configuration.GetSection(MnemoContextEditingOptions.SectionName));
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MnemoContextEditingOptions>, MnemoContextEditingOptionsValidator>());
        services.TryAddSingleton(provider => provider.GetRequiredService<IOptions<MnemoContextEditingOptions>>().Value.ToConfig());
        services.TryAddSingleton<Mnemo.Tokens.ITokenCounter>(Mnemo.Tokens.EstimatingTokenCounter.Instance);
        return services;
    }

    /// <summary>Keeps the memory in a folder (<see cref="FileSystemMemoryStore"/>).</summary>
    /// <param name="builder">The memory.</param>
    /// <param name="path">The folder that <c>/memories</c> maps to; created if missing.</param>
    /// <returns>The builder.</returns>
    public static IMnemoMemoryBuilder WithFileSystemStore(this IMnemoMemoryBuilder builder, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return builder.Configure(options => (options.Store, options.Path, options.StoreFactory) = ("folder", path, null));
    }

    /// <summary>Keeps the memory on a memory server (<see cref="HttpMemoryStore"/>).</summary>
    /// <param name="builder">The memory.</param>
    /// <param name="url">The server's address.</param>
    /// <param name="apiKey">An API key the server gives access to the store with.</param>
    /// <param name="store">The store's name on the server; <c>default</c> when <see langword="null"/>.</param>
    /// <returns>The builder.</returns>
    public static IMnemoMemoryBuilder WithHttpStore(this IMnemoMemoryBuilder builder, Uri url, string apiKey, string? store = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        return builder.Configure(options => (options.Store, options.Url, options.ApiKey, options.StoreName, options.StoreFactory) = ("http", url, apiKey, store, null));
    }

    /// <summary>Keeps the memory in a store of the application's own making.</summary>
    /// <param name="builder">The memory.</param>
    /// <param name="factory">Makes the store, once, from the application's services.</param>
    /// <returns>The builder.</returns>
    public static IMnemoMemoryBuilder WithStore(this IMnemoMemoryBuilder builder, Func<IServiceProvider, IMemoryStore> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return builder.Configure(options => options.StoreFactory = factory);
    }

    /// <summary>Screens what is written with a policy of the application's own (<see cref="MemorySafety"/>).</summary>
    /// <param name="builder">The memory.</param>
    /// <param name="safety">The screening.</param>
    /// <returns>The builder.</returns>
    public static IMnemoMemoryBuilder WithSafety(this IMnemoMemoryBuilder builder, MemorySafety safety)
    {
        ArgumentNullException.ThrowIfNull(safety);
        return builder.Configure(options => (options.Screening, options.Safety) = (true, safety));
    }

    /// <summary>Writes every command to a JSON-lines audit log (<see cref="JsonLinesMemoryAuditLog"/>).</summary>
    /// <param name="builder">The memory.</param>
    /// <param name="path">The log's file.</param>
    /// <returns>The builder.</returns>
    public static IMnemoMemoryBuilder WithAudit(this IMnemoMemoryBuilder builder, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return builder.Configure(options => options.AuditLog = path);
    }

    /// <summary>Keeps the memory one store per <see cref="MemoryScope"/> (a user's, a user's project's, an agent's):
    /// <see cref="IMemoryScopes"/> (keyed like the memory) opens each scope's store and tool. A folder store's path is then
    /// the folder that holds every scope's folder; a PostgreSQL or memory server store is named after the scope. The
    /// memory's plain <see cref="IMemoryStore"/> and <see cref="IMemoryTool"/> are refused, so nothing sees every scope at once.</summary>
    /// <param name="builder">The memory.</param>
    /// <returns>The builder.</returns>
    public static IMnemoMemoryBuilder WithScopes(this IMnemoMemoryBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Configure(options => options.Scopes = true);
        return builder;
    }

    /// <summary>Names who makes the model's writes, in the store's history and the audit log.</summary>
    /// <param name="builder">The memory.</param>
    /// <param name="actor">The actor: an agent, a user, a service.</param>
    /// <returns>The builder.</returns>
    public static IMnemoMemoryBuilder WithActor(this IMnemoMemoryBuilder builder, string actor)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        return builder.Configure(options => options.Actor = actor);
    }

    /// <summary>Sets the memory's options.</summary>
    /// <param name="builder">The memory.</param>
    /// <param name="configure">Sets them.</param>
    /// <returns>The builder.</returns>
    public static IMnemoMemoryBuilder Configure(this IMnemoMemoryBuilder builder, Action<MnemoMemoryOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(builder.Key ?? Options.Options.DefaultName, configure);
        return builder;
    }

    private static IMnemoMemoryBuilder Add(IServiceCollection services, string? key, IConfiguration? section, Action<MnemoMemoryOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        var name = key ?? Options.Options.DefaultName;
        var options = services.AddOptions<MnemoMemoryOptions>(name);
        if (section is not null)
        {
            options.Bind(section);
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MnemoMemoryOptions>>(new MnemoMemoryOptionsValidator(MnemoMemoryOptions.SectionName)));
        Func<IServiceProvider, object?, MemoryScopes> scopes = (provider, _) =>
        {
            var memory = provider.GetRequiredService<IOptionsMonitor<MnemoMemoryOptions>>().Get(name);
            return new MemoryScopes(scope => MakeStore(provider, memory, scope), store => MakeTool(provider, store, memory));
        };
        if (key is null)
        {
            services.TryAddSingleton<IMemoryScopes>(provider => scopes(provider, null));
            services.TryAddSingleton(provider => MakeStore(provider, provider.GetRequiredService<IOptionsMonitor<MnemoMemoryOptions>>().Get(name)));
            services.TryAddSingleton(provider => MakeTool(provider, provider.GetRequiredService<IMemoryStore>(), provider.GetRequiredService<IOptionsMonitor<MnemoMemoryOptions>>().Get(name)));
            services.TryAddSingleton(provider => new MemoryToolFunction(provider.GetRequiredService<IMemoryTool>()));
        }
        else
        {
            services.TryAddKeyedSingleton<IMemoryScopes>(key, (provider, serviceKey) => scopes(provider, serviceKey));
            services.TryAddKeyedSingleton(key, (provider, _) => MakeStore(provider, provider.GetRequiredService<IOptionsMonitor<MnemoMemoryOptions>>().Get(name)));
            services.TryAddKeyedSingleton(key, (provider, _) => MakeTool(provider, provider.GetRequiredKeyedService<IMemoryStore>(key), provider.GetRequiredService<IOptionsMonitor<MnemoMemoryOptions>>().Get(name)));
            services.TryAddKeyedSingleton(key, (provider, _) => new MemoryToolFunction(provider.GetRequiredKeyedService<IMemoryTool>(key)));
        }

        return new MnemoMemoryBuilder(services, key);
    }

    /// <summary>Opens the memory's store, or, for a memory per scope, a scope's (<paramref name="scope"/> is its name).</summary>
    private static IMemoryStore MakeStore(IServiceProvider provider, MnemoMemoryOptions options, string? scope = null)
    {
        if (options.Scopes && scope is null)
        {
            throw new InvalidOperationException("This memory is kept per scope (WithScopes): open a scope's store or tool through IMemoryScopes.");
        }

        if (scope is not null)
        {
            return options.NamedStoreFactory?.Invoke(provider, scope) ?? options.Store switch
            {
                "http" => new HttpMemoryStore(new HttpMemoryStoreOptions { Endpoint = options.Url, ApiKey = options.ApiKey, Store = scope }),
                _ => new FileSystemMemoryStore(Path.Combine(options.Path!, scope)),
            };
        }

        return options.StoreFactory?.Invoke(provider) ?? options.Store switch
        {
            "http" => new HttpMemoryStore(new HttpMemoryStoreOptions { Endpoint = options.Url, ApiKey = options.ApiKey, Store = options.StoreName }),
            _ => new FileSystemMemoryStore(options.Path!),
        };
    }

    private static IMemoryTool MakeTool(IServiceProvider provider, IMemoryStore store, MnemoMemoryOptions options)
    {
        // What fails unexpectedly (a store's own fault, an audit log that cannot take an entry) goes to the application's
        // logs, by command and kind of error; the model is told only that the command failed.
        var logger = provider.GetService<Logging.ILoggerFactory>()?.CreateLogger(MnemoLog.Category);
        Action<MemoryCommand, Exception>? Failed(string stage) => logger is null ? null
            : (command, exception) => MnemoLog.CommandFailed(logger, command.Name, stage, exception.GetType().Name, exception);
        var builder = new MemoryTool(store, new MemoryToolOptions { UnexpectedError = Failed("store") }).AsBuilder().UseTracing();
        if (options.Actor is { Length: > 0 } actor)
        {
            builder.UseActor(actor);
        }

        if (options.AuditLog is { Length: > 0 } log)
        {
            builder.UseAudit(new JsonLinesMemoryAuditLog(log), unexpectedError: Failed("audit log"));
        }

        if (options.Screening)
        {
            builder.UseScreening(options.Safety, unexpectedError: Failed("screening"));
        }

        return builder.Build();
    }

    private sealed record MnemoMemoryBuilder(IServiceCollection Services, string? Key) : IMnemoMemoryBuilder;
}
