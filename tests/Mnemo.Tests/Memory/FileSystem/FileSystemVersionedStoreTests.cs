using Mnemo.Memory;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Tests.Memory.FileSystem;

/// <summary>The versioned-store conformance suite on the folder store, on each engine.</summary>
/// <param name="engine">The engine under test.</param>
public abstract class FileSystemVersionedStoreTests(FolderEngine engine) : VersionedMemoryStoreConformanceTests, IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose()
    {
        _temp.Dispose();
        GC.SuppressFinalize(this);
    }

    protected override IVersionedMemoryStore CreateStore(string name, TimeProvider clock, MemoryQuotas quotas, TimeSpan? expireAfter) =>
        new FileSystemMemoryStore(_temp.Combine(name), new FileSystemMemoryStoreOptions { Engine = engine, TimeProvider = clock, Quotas = quotas, ExpireAfter = expireAfter });
}

/// <summary>The versioned-store suite on the Linux engine.</summary>
public sealed class LinuxEngineVersionedStoreTests() : FileSystemVersionedStoreTests(FolderEngine.Linux);

/// <summary>The versioned-store suite on the portable engine, forced on Linux.</summary>
public sealed class PortableEngineVersionedStoreTests() : FileSystemVersionedStoreTests(FolderEngine.Portable);
