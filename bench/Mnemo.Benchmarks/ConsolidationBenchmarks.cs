using System.Text;
using BenchmarkDotNet.Attributes;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Benchmarks;

/// <summary>
/// A consolidation proposal on a folder store of 1,000 notes of about ten lines, one in twenty an exact copy of another,
/// one in twenty a near copy, and a dated setting in each. The baseline reads every file once, which the proposal does
/// too, before finding duplicates (through an index of lines), supersessions, oversized and stale files.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 2, iterationCount: 8)]
public class ConsolidationBenchmarks
{
    private const int Notes = 1000;
    private string _folder = string.Empty;
    private FileSystemMemoryStore _store = null!;
    private MemoryAdmin _admin = null!;

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "mnemo-consolidate-bench-" + Guid.NewGuid().ToString("N"));
        _store = new FileSystemMemoryStore(_folder);
        _admin = new MemoryAdmin(_store);
        for (var i = 0; i < Notes; i++)
        {
            var source = i % 20 == 1 || i % 20 == 2 ? i - 1 : i;
            var text = new StringBuilder().Append("# Note ").Append(source).Append('\n');
            for (var line = 0; line < 8; line++)
            {
                text.Append("- finding ").Append(source).Append('.').Append(line).Append(": the handler in module").Append(source % 37).Append(" retries without backoff\n");
            }

            text.Append("setting").Append(i % 50).Append(": value ").Append(i).Append(" (2026-").Append((i % 12 + 1).ToString("00")).Append("-01)\n");
            if (i % 20 == 2)
            {
                text.Append("- one more line only the near copy has\n");
            }

            var path = MemoryPath.FromSegments(["notes", $"note-{i:0000}.md"]);
            _admin.WriteAsync(path, Encoding.UTF8.GetBytes(text.ToString())).AsTask().GetAwaiter().GetResult();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "read every file once")]
    public async Task<long> ReadAll()
    {
        var (files, _) = await _admin.ListAllAsync();
        long bytes = 0;
        foreach (var (path, _) in files)
        {
            bytes += (await _store.ReadAsync(path))!.Content.Length;
        }

        return bytes;
    }

    [Benchmark(Description = "propose a consolidation of 1,000 notes")]
    public async Task<int> Propose() => (await new MemoryConsolidator(_admin).ProposeAsync()).Changes.Count;
}
