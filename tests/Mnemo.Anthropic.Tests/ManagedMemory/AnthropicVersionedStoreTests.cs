using Mnemo.Memory;
using Mnemo.Tests.Memory;

namespace Mnemo.Anthropic.Tests.ManagedMemory;

/// <summary>The versioned-store suite on a managed memory store: history, restore, redaction, compare-and-swap, quotas,
/// stats and clear through the API's memory versions, each named store a folder of one managed store, on the suite's clock.</summary>
public sealed class AnthropicVersionedStoreTests : VersionedMemoryStoreConformanceTests, IAsyncLifetime
{
    private ManagedStore _managed = null!;

    /// <summary>The API keeps who wrote (its key, session or user) but no reason or request id, records no reads, writes
    /// its own history, moves one memory at a time, and clears a redacted version's hash.</summary>
    protected override VersionedStoreGaps Gaps =>
        VersionedStoreGaps.NoWriteContext | VersionedStoreGaps.NoReadTracking | VersionedStoreGaps.NoImport |
        VersionedStoreGaps.FileByFileFolders | VersionedStoreGaps.RedactionClearsHash;

    public async ValueTask InitializeAsync() => _managed = await ManagedStore.StartAsync(time: Clock);

    protected override IVersionedMemoryStore CreateStore(string name, TimeProvider clock, MemoryQuotas quotas, TimeSpan? expireAfter) =>
        _managed.Open($"/suite/{name}/", quotas, clock);

    /// <summary>What the skipped sweep test becomes here: idle time counts from the last write, on the store's clock.</summary>
    [Fact]
    public async Task Sweep_GoesByTheLastWrite_OnTheStoresClock_AndRestoreBringsAFileBack()
    {
        var store = Open("ttl");
        var admin = new MemoryAdmin(store, Clock);
        await admin.WriteAsync(P("/memories/read.md"), "only read since"u8.ToArray(), cancellationToken: Ct);
        await admin.WriteAsync(P("/memories/idle.md"), "nobody looks"u8.ToArray(), cancellationToken: Ct);
        Clock.Advance(TimeSpan.FromDays(5));
        await admin.WriteAsync(P("/memories/fresh.md"), "new"u8.ToArray(), cancellationToken: Ct);
        (await Open("ttl").ReadAsync(P("/memories/read.md"), Ct)).ShouldNotBeNull();
        Clock.Advance(TimeSpan.FromDays(3));

        var swept = await admin.SweepAsync(TimeSpan.FromDays(7), new MemoryWriteContext("janitor"), Ct);

        swept.Select(p => p.Normalized).Order(StringComparer.Ordinal).ToList().ShouldBe(["/memories/idle.md", "/memories/read.md"], "the API records no reads");
        (await store.ReadAsync(P("/memories/fresh.md"), Ct)).ShouldNotBeNull();
        await admin.RestoreAsync(P("/memories/idle.md"), cancellationToken: Ct);
        (await store.ReadAsync(P("/memories/idle.md"), Ct))!.Content.ToArray().ShouldBe("nobody looks"u8.ToArray());
    }

    /// <summary>What the skipped import test becomes here: refused in one line that names the way that works.</summary>
    [Fact]
    public async Task Import_IsRefused_NamingTheCopyThatWorks()
    {
        using var archive = new MemoryStream();
        await new MemoryAdmin(Open("source"), Clock).ExportAsync(archive, Ct);
        archive.Position = 0;

        var refused = await Should.ThrowAsync<MemoryStoreException>(async () => await new MemoryAdmin(Store, Clock).ImportAsync(archive, Ct));

        refused.Message.ShouldBe("a managed memory store keeps its own history, so an archive cannot be imported into it; `mnemo memory copy` copies its files");
    }

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await DisposeAsync();
        await _managed.DisposeAsync();
    }
}
