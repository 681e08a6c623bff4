using Anthropic;
using Mnemo.Anthropic.ManagedMemory;
using Mnemo.Memory;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Anthropic's managed memory stores for <c>AddMnemoMemory</c>.</summary>
public static class MnemoAnthropicBuilderExtensions
{
    /// <summary>Keeps the memory in a managed memory store (<see cref="AnthropicMemoryStore"/>): on the application's
    /// <see cref="IAnthropicClient"/> when one is registered, else on a client of the store's own from
    /// <c>ANTHROPIC_API_KEY</c>. With <c>WithScopes()</c>, each scope is the folder <c>{PathPrefix}{scope}/</c> of the store.</summary>
    /// <param name="builder">The memory.</param>
    /// <param name="memoryStoreId">The managed memory store, <c>memstore_…</c>.</param>
    /// <param name="configure">Sets the store's options (the folder /memories maps to, the file limit, retries).</param>
    /// <returns>The builder.</returns>
    public static IMnemoMemoryBuilder WithAnthropicStore(this IMnemoMemoryBuilder builder, string memoryStoreId, Action<AnthropicMemoryStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(memoryStoreId);

        IMemoryStore Open(IServiceProvider provider, string? scope)
        {
            var options = new AnthropicMemoryStoreOptions { MemoryStoreId = memoryStoreId };
            configure?.Invoke(options);
            if (scope is not null)
            {
                options.PathPrefix = (options.PathPrefix ?? "/").TrimEnd('/') + "/" + scope + "/";
            }

            return provider.GetService<IAnthropicClient>() is { } client ? new AnthropicMemoryStore(client, options) : new AnthropicMemoryStore(options);
        }

        builder.Configure(options => (options.Store, options.NamedStoreFactory) = ("anthropic", (provider, scope) => Open(provider, scope)));
        return builder.WithStore(provider => Open(provider, null));
    }
}
