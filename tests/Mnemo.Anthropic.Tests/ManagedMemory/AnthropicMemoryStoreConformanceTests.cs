using Mnemo.Memory;
using Mnemo.Tests.Memory;

namespace Mnemo.Anthropic.Tests.ManagedMemory;

/// <summary>The store conformance suite on a managed memory store (the emulator's, through the SDK), mapped under a
/// folder of the store as an application that shares a store between agents would.</summary>
public sealed class AnthropicMemoryStoreConformanceTests : MemoryStoreConformanceTests, IAsyncLifetime
{
    private ManagedStore _managed = null!;

    public async ValueTask InitializeAsync() => _managed = await ManagedStore.StartAsync();

    protected override IMemoryStore CreateStore() => _managed.Open("/agents/reviewer/");

    protected override IMemoryStore CreateSecondStore() => _managed.Open("/agents/reviewer/");

    public async ValueTask DisposeAsync()
    {
        Dispose();
        await _managed.DisposeAsync();
    }
}
