using Mnemo.Memory;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Tests.Memory.FileSystem;

/// <summary>The versioned-store conformance suite on the folder store.</summary>
public sealed class FileSystemVersionedStoreTests : VersionedMemoryStoreConformanceTests, IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    protected override IVersionedMemoryStore CreateStore(string name, TimeProvider clock, MemoryQuotas quotas, TimeSpan? expireAfter) =>
        new FileSystemMemoryStore(_temp.Combine(name), new FileSystemMemoryStoreOptions { TimeProvider = clock, Quotas = quotas, ExpireAfter = expireAfter });
}
