using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Mnemo.Sessions;

namespace Mnemo.Benchmarks;

/// <summary>
/// The dashboard's overview of a records folder of 100,000 sessions (<c>GET /api/overview</c>): the folder's index read
/// and checked against the records' sizes, every summary summed into totals, days and files, and the JSON written. The
/// baseline is the bare input beneath it: listing the folder with each file's size and reading the index's bytes.
/// The first overview builds the index from every record; its time is printed once by the set-up (not a benchmark: it
/// happens once per folder).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 6)]
public class SessionOverviewBenchmarks
{
    private FolderSessionRecords _records = null!;
    private string _folder = string.Empty;

    [Params(100_000)]
    public int Sessions { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // One folder per size, kept between runs: writing 100,000 records takes longer than measuring them.
        _folder = Path.Combine(Path.GetTempPath(), $"mnemo-bench-sessions-{Sessions}");
        var complete = Path.Combine(_folder, ".complete");
        if (!File.Exists(complete))
        {
            if (Directory.Exists(_folder))
            {
                Directory.Delete(_folder, recursive: true);
            }

            Write(new FolderSessionRecords(_folder), Sessions).GetAwaiter().GetResult();
            File.WriteAllText(complete, "done");
        }

        _records = new FolderSessionRecords(_folder);
        File.Delete(Path.Combine(_folder, FolderSessionRecords.IndexFile));
        var cold = Stopwatch.StartNew();
        var listed = _records.ListAsync().AsTask().GetAwaiter().GetResult();
        Console.WriteLine($"// first overview of {listed.Count:N0} sessions, building the index from every record: {cold.Elapsed.TotalSeconds:0.0} s");
    }

    [Benchmark(Baseline = true)]
    public long ListFolderAndReadIndex()
    {
        var total = 0L;
        foreach (var file in new DirectoryInfo(_folder).EnumerateFiles("*.jsonl"))
        {
            total += file.Length;
        }

        return total + File.ReadAllBytes(Path.Combine(_folder, FolderSessionRecords.IndexFile)).Length;
    }

    [Benchmark]
    public int Overview()
    {
        var sessions = _records.ListAsync().AsTask().GetAwaiter().GetResult();
        var overview = SessionOverview.Create(sessions);
        var buffer = new ArrayBufferWriter<byte>(1 << 16);
        using var writer = new Utf8JsonWriter(buffer);
        overview.WriteTo(writer);
        writer.Flush();
        return buffer.WrittenCount;
    }

    /// <summary>Writes sessions like an agent's: 2 to 8 requests, a warning and a clearing in some, memory reads and writes,
    /// over five stores, three agents, two models and ninety days.</summary>
    internal static async Task Write(ISessionRecordStore records, int count)
    {
        var random = new Random(42);
        string[] stores = ["team", "solo", "research", "ops", "docs"];
        string[] agents = ["reviewer", "helper", "planner"];
        string[] models = ["claude-sonnet-4-5", "claude-haiku-4-5"];
        var start = new DateTimeOffset(2026, 9, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < count; i++)
        {
            var clock = new BenchClock(start.AddSeconds(i * 77.0));
            var recorder = new SessionRecorder(records, new SessionInfo
            {
                Agent = agents[i % agents.Length], Model = models[i % models.Length], Store = stores[i % stores.Length],
                Side = "client", TriggerTokens = 100_000, WarningTokens = 80_000,
            }, $"s{i:D7}", clock);
            var requests = random.Next(2, 9);
            var tokens = 4_000L;
            for (var n = 1; n <= requests; n++)
            {
                clock.Now = clock.Now.AddSeconds(3);
                tokens += random.Next(5_000, 20_000);
                recorder.Request(n, n * 2 - 1, tokens, tokens / 100_000.0);
                if (tokens > 80_000 && tokens < 100_000)
                {
                    recorder.Warning(n, tokens, tokens / 100_000.0, compaction: false);
                }

                if (tokens > 100_000)
                {
                    recorder.Clearing(n, "client", tokens / 3, 0, [("read_file", $"toolu_{i}_{n}")]);
                    recorder.Preservation(n, new SessionPreservation(random.Next(3) == 0 ? "not_preserved" : "preserved", n - 1, 1, 2.5, 1, 0, false));
                    tokens -= tokens / 3;
                }

                recorder.Response(n, n == requests ? "end_turn" : "tool_use", new SessionUsage(tokens / 10, tokens / 10, tokens - (tokens / 5), 200));
                recorder.Tool(n, $"toolu_{i}_{n}", "read_file", false, TimeSpan.FromMilliseconds(3), 4_000);
                if (n % 3 == 0)
                {
                    recorder.Memory(n, n % 2 == 0 ? "view" : "create", $"/memories/notes/{random.Next(50)}.md", null, random.Next(100, 5_000));
                }
            }

            recorder.End(requests, "completed");
            await recorder.FlushAsync().ConfigureAwait(false);
        }
    }

    private sealed class BenchClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
