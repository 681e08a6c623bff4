using System.Text;
using BenchmarkDotNet.Attributes;
using Mnemo.Memory;
using Mnemo.Memory.Safety;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Benchmarks;

/// <summary>Reads through the memory tool and the store, against a bare read of the same file.</summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 15)]
public class MemoryToolReadBenchmarks
{
    private string _directory = null!;
    private string _file = null!;
    private FileSystemMemoryStore _store = null!;
    private IMemoryTool _tool = null!;
    private MemoryPath _path = null!;

    /// <summary>Gets or sets the file's size in bytes.</summary>
    [Params(200, 100 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("mnemo-bench-").FullName;
        Directory.CreateDirectory(Path.Combine(_directory, "topic"));
        _file = Path.Combine(_directory, "topic", "note.md");
        var line = "- the service retries 3 times before giving up\n";
        File.WriteAllText(_file, string.Concat(Enumerable.Repeat(line, Math.Max(1, Size / line.Length))), Encoding.UTF8);
        _store = new FileSystemMemoryStore(_directory);
        _tool = new MemoryTool(_store).AsBuilder().UseScreening().Build();
        _path = MemoryPath.FromSegments(["topic", "note.md"]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "bare File.ReadAllBytes")]
    public byte[] BareRead() => File.ReadAllBytes(_file);

    [Benchmark(Description = "store read (resolve + read)")]
    public async Task<MemoryItem?> StoreRead() => await _store.ReadAsync(_path);

    [Benchmark(Description = "view (whole file, formatted)")]
    public async Task<MemoryToolResult> View() => await _tool.ExecuteAsync(new ViewMemoryCommand("/memories/topic/note.md"));

    [Benchmark(Description = "view [1, 10]")]
    public async Task<MemoryToolResult> ViewRange() => await _tool.ExecuteAsync(new ViewMemoryCommand("/memories/topic/note.md", [1, 10]));

    [Benchmark(Description = "view /memories (listing)")]
    public async Task<MemoryToolResult> ViewRoot() => await _tool.ExecuteAsync(new ViewMemoryCommand("/memories"));
}
