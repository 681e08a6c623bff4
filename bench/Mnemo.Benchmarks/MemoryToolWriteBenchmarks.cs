using System.Text;
using BenchmarkDotNet.Attributes;
using Mnemo.Memory;
using Mnemo.Memory.Safety;
using Mnemo.Memory.FileSystem;
using static Mnemo.Memory.FileSystem.FolderCodes;
using static Mnemo.Memory.FileSystem.LinuxInterop;

namespace Mnemo.Benchmarks;

/// <summary>Edits through the memory tool and the file-system store, against a bare write(+fsync)+rename of the same bytes.</summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 12, invocationCount: 256)]
public class MemoryToolWriteBenchmarks
{
    private string _directory = null!;
    private FileSystemMemoryStore _store = null!;
    private IMemoryTool _tool = null!;
    private int _dirFd;
    private byte[] _bytes = null!;
    private string _text = null!;
    private bool _flip;
    private int _created;

    /// <summary>Gets or sets the file's size in bytes.</summary>
    [Params(200, 100 * 1024)]
    public int Size { get; set; }

    /// <summary>Gets or sets a value indicating whether writes are flushed to disk.</summary>
    [Params(true, false)]
    public bool Durable { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("mnemo-bench-").FullName;
        // History and quotas have their own benchmark (HistoryOverheadBenchmarks); this one measures the write path beneath them.
        _store = new FileSystemMemoryStore(_directory, new FileSystemMemoryStoreOptions { Durable = Durable, History = false, Quotas = MemoryQuotas.Unlimited });
        _tool = new MemoryTool(_store, new MemoryToolOptions { MaxFileBytes = 16 * 1024 * 1024 }).AsBuilder().UseScreening().Build();
        _dirFd = OpenAt(AtFdCwd, _directory, ORdOnly | ODirectory | OCloExec, 0);
        var line = "- the service retries 3 times before giving up\n";
        _text = "token-A\n" + string.Concat(Enumerable.Repeat(line, Math.Max(1, (Size - 8) / line.Length)));
        _bytes = Encoding.UTF8.GetBytes(_text);
    }

    [IterationSetup]
    public void ResetFile() => File.WriteAllText(Path.Combine(_directory, "note.md"), _text);

    [GlobalCleanup]
    public void Cleanup()
    {
        _ = Close(_dirFd);
        _store.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "bare write(+fsync)+rename")]
    public void BareWriteRename() => BareFloor.WriteRename(_dirFd, "bare.md", _bytes, Durable);

    /// <summary>The same guarantee as a durable Mnemo write: the rename itself is flushed too, so it survives a power cut.</summary>
    [Benchmark(Description = "bare write(+fsync)+rename+fsync(dir)")]
    public void BareWriteRenameSyncDirectory() => BareFloor.WriteRename(_dirFd, "bare.md", _bytes, Durable, fsyncDirectory: Durable);

    [Benchmark(Description = "str_replace")]
    public async Task<MemoryToolResult> StrReplace()
    {
        _flip = !_flip;
        return await _tool.ExecuteAsync(_flip
            ? new StrReplaceMemoryCommand("/memories/note.md", "token-A", "token-B")
            : new StrReplaceMemoryCommand("/memories/note.md", "token-B", "token-A"));
    }

    [Benchmark(Description = "insert")]
    public async Task<MemoryToolResult> Insert() =>
        await _tool.ExecuteAsync(new InsertMemoryCommand("/memories/note.md", 1, "- learned"));

    [Benchmark(Description = "create")]
    public async Task<MemoryToolResult> Create() =>
        await _tool.ExecuteAsync(new CreateMemoryCommand($"/memories/new/{_created++}.md", _text));
}
