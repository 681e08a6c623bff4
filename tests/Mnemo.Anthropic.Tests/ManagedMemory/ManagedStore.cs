using Anthropic;
using Anthropic.Core;
using Anthropic.Models.Beta.MemoryStores;
using Mnemo.Anthropic.ManagedMemory;
using Mnemo.Emulator;
using Mnemo.Memory;

namespace Mnemo.Anthropic.Tests.ManagedMemory;

/// <summary>A managed memory store on the emulator, reached through the official SDK, for the store's tests.</summary>
internal sealed class ManagedStore : IAsyncDisposable
{
    private ManagedStore(MessagesEmulator emulator, AnthropicClient client, string id)
    {
        (Emulator, Client, Id) = (emulator, client, id);
    }

    public MessagesEmulator Emulator { get; }

    public AnthropicClient Client { get; }

    /// <summary>Gets the store's id, <c>memstore_…</c>.</summary>
    public string Id { get; }

    public static async Task<ManagedStore> StartAsync(string name = "mnemo-tests", TimeProvider? time = null)
    {
        var emulator = await MessagesEmulator.StartAsync(new MessagesEmulatorOptions { TimeProvider = time ?? TimeProvider.System }, TestContext.Current.CancellationToken);
        var client = new AnthropicClient(new ClientOptions { ApiKey = "test-key", BaseUrl = emulator.BaseAddress.ToString().TrimEnd('/') });
        var store = await client.Beta.MemoryStores.Create(new MemoryStoreCreateParams { Name = name }, TestContext.Current.CancellationToken);
        return new ManagedStore(emulator, client, store.ID);
    }

    public AnthropicMemoryStore Open(string prefix = "/", MemoryQuotas? quotas = null, TimeProvider? time = null)
    {
        var options = new AnthropicMemoryStoreOptions { MemoryStoreId = Id, PathPrefix = prefix, RetryDelay = TimeSpan.FromMilliseconds(5) };
        options.Quotas = quotas ?? options.Quotas;
        options.TimeProvider = time ?? options.TimeProvider;
        return new AnthropicMemoryStore(Client, options);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Emulator.DisposeAsync();
    }
}
