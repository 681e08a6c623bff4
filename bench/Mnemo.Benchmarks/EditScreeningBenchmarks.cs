using BenchmarkDotNet.Attributes;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;
using Mnemo.Memory.Safety;

namespace Mnemo.Benchmarks;

/// <summary>
/// What judging the file an edit leaves costs: a <c>str_replace</c> through the tool with the screening stage, against
/// the same edit through the tool alone (the bare operation beneath it), on a file of each size, not flushed, so the
/// difference is the check and not the disk.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 12, invocationCount: 256)]
public class EditScreeningBenchmarks
{
    private string _directory = null!;
    private FileSystemMemoryStore _store = null!;
    private IMemoryTool _bare = null!;
    private IMemoryTool _screened = null!;
    private string _text = null!;
    private bool _flip;

    /// <summary>Gets or sets the file's size in bytes.</summary>
    [Params(2 * 1024, 100 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("mnemo-bench-").FullName;
        _store = new FileSystemMemoryStore(_directory, new FileSystemMemoryStoreOptions { Durable = false, History = false, Quotas = MemoryQuotas.Unlimited });
        _bare = new MemoryTool(_store, new MemoryToolOptions { MaxFileBytes = 16 * 1024 * 1024 });
        _screened = _bare.AsBuilder().UseScreening().Build();
        var line = "- the service retries 3 times before giving up\n";
        var lines = string.Concat(Enumerable.Repeat(line, Math.Max(1, Size / 2 / line.Length)));
        _text = lines + "token-A\n" + lines; // the change in the middle: the check reads the most text around it
    }

    [IterationSetup]
    public void ResetFile() => File.WriteAllText(Path.Combine(_directory, "note.md"), _text);

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "bare: str_replace through the tool alone")]
    public async Task<MemoryToolResult> Bare() => await _bare.ExecuteAsync(Next());

    [Benchmark(Description = "str_replace with the file it leaves judged")]
    public async Task<MemoryToolResult> Screened() => await _screened.ExecuteAsync(Next());

    private StrReplaceMemoryCommand Next()
    {
        _flip = !_flip;
        return _flip ? new StrReplaceMemoryCommand("/memories/note.md", "token-A", "token-B") : new StrReplaceMemoryCommand("/memories/note.md", "token-B", "token-A");
    }
}
