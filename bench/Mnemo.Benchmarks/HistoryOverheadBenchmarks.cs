using System.Text;
using BenchmarkDotNet.Attributes;
using Mnemo.Memory;
using Mnemo.Memory.Safety;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Benchmarks;

/// <summary>What recording history costs a write: the same edits and creates on a store with history and one without.</summary>
/// <remarks>
/// With history, a write also hashes the content (SHA-256), appends the change with the content to <c>.mnemo/history.jsonl</c>
/// and flushes it before the file is renamed into place, then appends the settle line. The baseline is the store's own write
/// with history turned off: atomic and, when durable, flushed.
/// </remarks>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 12, invocationCount: 256)]
public class HistoryOverheadBenchmarks
{
    private string _plainDirectory = null!;
    private string _historyDirectory = null!;
    private FileSystemMemoryStore _plain = null!;
    private FileSystemMemoryStore _history = null!;
    private IMemoryTool _plainTool = null!;
    private IMemoryTool _historyTool = null!;
    private string _text = null!;
    private bool _plainFlip;
    private bool _historyFlip;
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
        _plainDirectory = Directory.CreateTempSubdirectory("mnemo-bench-").FullName;
        _historyDirectory = Directory.CreateTempSubdirectory("mnemo-bench-").FullName;
        _plain = new FileSystemMemoryStore(_plainDirectory, new FileSystemMemoryStoreOptions { Durable = Durable, History = false, Quotas = MemoryQuotas.Unlimited });
        _history = new FileSystemMemoryStore(_historyDirectory, new FileSystemMemoryStoreOptions { Durable = Durable, History = true, Quotas = MemoryQuotas.Unlimited });
        _plainTool = new MemoryTool(_plain, new MemoryToolOptions { MaxFileBytes = 16 * 1024 * 1024 }).AsBuilder().UseActor("bench").UseScreening().Build();
        _historyTool = new MemoryTool(_history, new MemoryToolOptions { MaxFileBytes = 16 * 1024 * 1024 }).AsBuilder().UseActor("bench").UseScreening().Build();
        var line = "- the service retries 3 times before giving up\n";
        _text = "token-A\n" + string.Concat(Enumerable.Repeat(line, Math.Max(1, (Size - 8) / line.Length)));
        _ = Encoding.UTF8.GetByteCount(_text);
    }

    [IterationSetup]
    public void ResetFiles()
    {
        File.WriteAllText(Path.Combine(_plainDirectory, "note.md"), _text);
        File.WriteAllText(Path.Combine(_historyDirectory, "note.md"), _text);
        (_plainFlip, _historyFlip) = (false, false);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _plain.Dispose();
        _history.Dispose();
        Directory.Delete(_plainDirectory, recursive: true);
        Directory.Delete(_historyDirectory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "str_replace, no history")]
    public async Task<MemoryToolResult> StrReplacePlain()
    {
        _plainFlip = !_plainFlip;
        return await _plainTool.ExecuteAsync(Flip(_plainFlip));
    }

    [Benchmark(Description = "str_replace, with history")]
    public async Task<MemoryToolResult> StrReplaceWithHistory()
    {
        _historyFlip = !_historyFlip;
        return await _historyTool.ExecuteAsync(Flip(_historyFlip));
    }

    [Benchmark(Description = "create, no history")]
    public async Task<MemoryToolResult> CreatePlain() =>
        await _plainTool.ExecuteAsync(new CreateMemoryCommand($"/memories/new/{_created++}.md", _text));

    [Benchmark(Description = "create, with history")]
    public async Task<MemoryToolResult> CreateWithHistory() =>
        await _historyTool.ExecuteAsync(new CreateMemoryCommand($"/memories/new/{_created++}.md", _text));

    private static StrReplaceMemoryCommand Flip(bool flip) => flip
        ? new StrReplaceMemoryCommand("/memories/note.md", "token-A", "token-B")
        : new StrReplaceMemoryCommand("/memories/note.md", "token-B", "token-A");
}
