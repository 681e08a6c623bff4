using Mnemo.Memory;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Tests.Memory.FileSystem.Parts;

/// <summary>Read tracking: a read is written down at most once per resolution per file, and a compaction keeps one line each.</summary>
public sealed class ReadTrackerTests : IDisposable
{
    private readonly FolderFixture _folder = new();
    private readonly ManualTimeProvider _time = new();

    public void Dispose() => _folder.Dispose();

    private static MemoryPath P(string path) => MemoryPath.TryParse(path, out var parsed, out _) ? parsed : throw new ArgumentException(path);

    private int Lines => File.ReadAllLines(_folder.Combine("reads.jsonl")).Length;

    [Fact]
    public void NoteRead_WritesEachFileOncePerResolution()
    {
        var reads = new ReadTracker(_folder.Fd, new DurableFileWriter(LinuxFolderSystem.Instance, durable: false), _time, TimeSpan.FromHours(1));

        reads.NoteRead(P("/memories/a.md"));
        reads.NoteRead(P("/memories/a.md"));
        reads.NoteRead(P("/memories/b.md"));
        Lines.ShouldBe(2);

        _time.Advance(TimeSpan.FromHours(2));
        reads.NoteRead(P("/memories/a.md"));

        Lines.ShouldBe(3);
        reads.ReadAll()["/memories/a.md"].ShouldBe(_time.GetUtcNow());
    }

    [Fact]
    public void Compact_KeepsOneLinePerFileStillThere()
    {
        var reads = new ReadTracker(_folder.Fd, new DurableFileWriter(LinuxFolderSystem.Instance, durable: false), _time, TimeSpan.Zero);
        for (var i = 0; i < 5; i++)
        {
            reads.NoteRead(P("/memories/a.md"));
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        var last = reads.ReadAll()["/memories/a.md"];
        reads.Compact([new MemoryFileActivity(P("/memories/a.md"), 1, DateTimeOffset.UnixEpoch, last)]);

        Lines.ShouldBe(1);
        reads.ReadAll().ShouldBe(new Dictionary<string, DateTimeOffset> { ["/memories/a.md"] = last });
    }
}
