using Mnemo.Memory;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Tests.Memory.FileSystem.Parts;

/// <summary>The idempotency keys: remembered when applied, learnt from another writer's log, the oldest forgotten first.</summary>
public sealed class RequestIndexTests : IDisposable
{
    private readonly FolderFixture _folder = new();

    public void Dispose() => _folder.Dispose();

    private static MemoryWriteContext Keyed(string id) => new() { RequestId = id };

    [Fact]
    public void AppliedBefore_KnowsKeysAnotherWriterSettledInTheLog_ButNotAbortedOnes()
    {
        var writer = new DurableFileWriter(LinuxFolderSystem.Instance, durable: false);
        using (var other = new HistoryLog(_folder.Fd, writer, TimeProvider.System, _ => true))
        {
            other.Prepare();
            MemoryChange Change(long sequence, string id) =>
                new(sequence, DateTimeOffset.UnixEpoch, MemoryChangeKind.Delete, "/memories/a.md", []) { RequestId = id };
            other.Settle(other.Begin(Change(1, "applied")), applied: true);
            other.Settle(other.Begin(Change(2, "failed")), applied: false);
        }

        using var log = new HistoryLog(_folder.Fd, writer, TimeProvider.System, _ => true);
        log.Prepare();
        var index = new RequestIndex();

        index.AppliedBefore(Keyed("applied"), log).ShouldBeTrue();
        index.AppliedBefore(Keyed("failed"), log).ShouldBeFalse();
        index.AppliedBefore(new MemoryWriteContext("no key"), log).ShouldBeFalse();
    }

    [Fact]
    public void Remember_KeepsTheLastKeys_AndForgetsTheOldestFirst()
    {
        var index = new RequestIndex();
        for (var i = 0; i <= RequestIndex.Remembered; i++)
        {
            index.Remember($"k{i}", i);
        }

        index.AppliedBefore(Keyed("k0"), log: null).ShouldBeFalse();
        index.AppliedBefore(Keyed("k1"), log: null).ShouldBeTrue();
        index.AppliedBefore(Keyed($"k{RequestIndex.Remembered}"), log: null).ShouldBeTrue();
    }
}
