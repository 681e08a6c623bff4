using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Mnemo.Context;
using Mnemo.Context.Replay;
using Mnemo.Tokens;

namespace Mnemo.Benchmarks;

/// <summary>
/// <c>mnemo context replay</c>'s work on a long Claude Code transcript: 2,000 requests, each a tool call and a result of
/// about 100 tokens, so the last request holds about 200,000 tokens. The baseline reads the transcript and counts the
/// whole session's tokens once; the replay reads it and replays all 2,000 requests without editing and with the five
/// presets, cache and cost included. Linear replay costs a small multiple of the baseline; replaying each request whole
/// would cost about a thousand times it.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 2, iterationCount: 8)]
public class ContextReplayBenchmarks
{
    private const int Requests = 2000;

    private static readonly IReadOnlyList<(string, ContextManagementConfig)> Presets =
        [.. ContextPresets.Names.Select(name => (name, ContextPresets.Find(name)!))];

    private byte[] _transcript = [];

    [GlobalSetup]
    public void Setup()
    {
        var text = new StringBuilder();
        var result = string.Concat(Enumerable.Repeat("  def handler(event): return process(event['body'])\n", 3));
        string? parent = null;
        var start = new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
        void Line(string type, object message, int n)
        {
            var uuid = $"u{n}-{type}";
            text.Append(JsonSerializer.Serialize(new
            {
                parentUuid = parent, isSidechain = false, type, uuid, sessionId = "bench",
                timestamp = start.AddSeconds(n * 20).ToString("O"), message,
            })).Append('\n');
            parent = uuid;
        }

        Line("user", new { role = "user", content = "Refactor the handlers." }, 0);
        for (var i = 1; i <= Requests; i++)
        {
            Line("assistant", new
            {
                id = $"msg_{i}", type = "message", role = "assistant", model = "claude-sonnet-4-5",
                content = new object[] { new { type = "tool_use", id = $"toolu_{i}", name = i % 10 == 0 ? "memory" : "Read", input = new { file_path = $"src/handler{i}.py" } } },
                usage = new { input_tokens = 3, cache_creation_input_tokens = 100, cache_read_input_tokens = i * 100, output_tokens = 40 },
            }, i);
            Line("user", new { role = "user", content = new object[] { new { type = "tool_result", tool_use_id = $"toolu_{i}", content = result } } }, i);
        }

        _transcript = Encoding.UTF8.GetBytes(text.ToString());
        var session = SessionTranscripts.Read(_transcript);
        var last = session.Segments[0];
        var tokens = EstimatingTokenCounter.Instance.Count(last.Conversation);
        if (session.RequestCount != Requests || tokens is < 150_000 or > 250_000)
        {
            throw new InvalidOperationException($"The session has {session.RequestCount} requests and {tokens} tokens.");
        }
    }

    [Benchmark(Baseline = true, Description = "read the transcript, count the session once")]
    public long CountOnce()
    {
        var session = SessionTranscripts.Read(_transcript);
        return EstimatingTokenCounter.Instance.Count(session.Segments[0].Conversation);
    }

    [Benchmark(Description = "read it, replay 2,000 requests: no editing + 5 presets")]
    public decimal Replay()
    {
        var session = SessionTranscripts.Read(_transcript);
        return ContextReplay.Run(session, Presets).Sum(result => result.Cost);
    }
}
