using System.Globalization;
using System.Text.Json;
using Mnemo.Context;
using Mnemo.Sessions;

namespace Mnemo.Cli.Tests.Dashboard;

/// <summary>Session records for the dashboard's tests, written by <see cref="SessionRecorder"/> on a clock of their own,
/// and the figures a person would work out from their lines by hand.</summary>
internal static class DashboardFixture
{
    /// <summary>A line cut off in the middle, as a crash leaves one.</summary>
    public static readonly byte[] CutOffLine = "{\"type\":\"response\",\"at\":\"2026-12-02T08:00:09.000Z\",\"request\":3,\"input_tok"u8.ToArray();

    /// <summary>Writes three sessions over three days, two stores, two agents and two models, and, when asked, a line cut off.</summary>
    public static async Task WriteAsync(ISessionRecordStore records, CancellationToken cancellationToken, bool cutOff = true)
    {
        var clock = new Clock(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));
        var one = new SessionRecorder(records, new SessionInfo { Agent = "reviewer", Model = "claude-sonnet-4-5", Store = "team", Side = "client", TriggerTokens = 6000, WarningTokens = 4800 }, "team-review-1", clock);
        one.Request(1, 1, 1200, 0.2);
        one.Response(1, "tool_use", new SessionUsage(200, 1000, 0, 80));
        one.Memory(1, "view", "/memories", null, 50, directory: true);
        clock.Advance(2);
        one.Request(2, 3, 3100, 0.52);
        one.Response(2, "tool_use", new SessionUsage(300, 1900, 1000, 90));
        clock.Advance(3);
        one.Request(3, 5, 5200, 0.87);
        one.Warning(3, 5200, 0.87, compaction: false);
        one.Response(3, "tool_use", new SessionUsage(100, 2200, 2900, 120));
        one.Memory(3, "create", "/memories/progress.md", null, 120);
        clock.Advance(2);
        one.Request(4, 7, 6400, 1.07);
        one.Clearing(4, "client", 3000, 0, [("read_file", "toolu_a"), ("read_file", "toolu_b")]);
        one.Preservation(4, new SessionPreservation("preserved", 3, 1, 1.25, 2, 0, Compaction: false));
        one.Response(4, "end_turn", new SessionUsage(100, 400, 2900, 60));
        one.Reacquisition(4, "toolu_c", "read_file", recalled: true);
        one.End(4, "completed");
        await one.FlushAsync(cancellationToken);

        clock.Set(new DateTimeOffset(2026, 12, 1, 14, 30, 0, TimeSpan.Zero));
        var two = new SessionRecorder(records, new SessionInfo { Agent = "reviewer", Model = "claude-haiku-4-5", Store = "team", Side = "server", TriggerTokens = 6000 }, "team-review-2", clock);
        two.Request(1, 1, 2000, 0.33);
        two.Response(1, "tool_use", new SessionUsage(2000, 0, 0, 40));
        two.Memory(1, "view", "/memories/progress.md", null, 130);
        clock.Advance(4);
        two.Request(2, 3, 7000, 1.17);
        two.Clearing(2, "server", 2500, 0, [("grep", "toolu_d")]);
        two.Preservation(2, new SessionPreservation("not_warned", null, 0, null, 0, 1, Compaction: false));
        two.Response(2, "tool_use", new SessionUsage(4500, 0, 0, 70));
        clock.Advance(1);
        two.Request(3, 5, 4700, 0.78);
        two.Response(3, "end_turn", new SessionUsage(4700, 0, 0, 30));
        two.End(3, "completed");
        await two.FlushAsync(cancellationToken);

        clock.Set(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero));
        var three = new SessionRecorder(records, new SessionInfo { Agent = "helper", Model = "claude-sonnet-4-5", Store = "solo", Side = "client", TriggerTokens = 5000, WarningTokens = 4000 }, "solo-1", clock);
        three.Request(1, 1, 4300, 0.86);
        three.Warning(1, 4300, 0.86, compaction: false);
        three.Response(1, "tool_use", new SessionUsage(4300, 0, 0, 55));
        clock.Advance(5);
        three.Request(2, 3, 5600, 1.12);
        three.Clearing(2, "client", 1800, 0, [("fetch", "toolu_e")]);
        three.Preservation(2, new SessionPreservation("not_preserved", 1, 0, null, 0, 1, Compaction: false));
        three.Response(2, "end_turn", new SessionUsage(3800, 0, 0, 25));
        three.Reacquisition(2, "toolu_f", "fetch", recalled: false);
        three.Memory(2, "create", "/memories/solo/notes.md", null, 2048);
        three.End(2, "completed");
        await three.FlushAsync(cancellationToken);
        if (cutOff)
        {
            await records.AppendAsync("solo-1", CutOffLine, cancellationToken);
        }
    }

    /// <summary>The figures of the records' lines, worked out here from the lines themselves, as a person would.</summary>
    public static Figures Expected(IEnumerable<string> recordFiles, string? store = null)
    {
        var figures = new Figures();
        foreach (var file in recordFiles)
        {
            var model = string.Empty;
            var cleared = new Dictionary<long, long>();
            var usage = new Dictionary<long, (long In, long Write, long Read, long Out)>();
            var lines = new List<JsonElement>();
            var skipped = 0;
            foreach (var text in File.ReadAllLines(file))
            {
                try
                {
                    lines.Add(JsonDocument.Parse(text).RootElement);
                }
                catch (JsonException)
                {
                    skipped++;
                }
            }

            if (store is not null && lines[0].GetProperty("store").GetString() != store)
            {
                continue;
            }

            figures.Skipped += skipped;
            figures.Sessions++;
            foreach (var line in lines)
            {
                switch (line.GetProperty("type").GetString())
                {
                    case "start":
                        model = line.GetProperty("model").GetString()!;
                        break;
                    case "request":
                        figures.Requests++;
                        break;
                    case "response":
                        usage[line.GetProperty("request").GetInt64()] = (line.GetProperty("input_tokens").GetInt64(), line.GetProperty("cache_write_tokens").GetInt64(),
                            line.GetProperty("cache_read_tokens").GetInt64(), line.GetProperty("output_tokens").GetInt64());
                        break;
                    case "clearing":
                        cleared[line.GetProperty("request").GetInt64()] = line.GetProperty("cleared_input_tokens").GetInt64();
                        figures.Clearings++;
                        break;
                    case "warning":
                        figures.Warnings++;
                        break;
                    case "preservation":
                        var outcome = line.GetProperty("outcome").GetString();
                        figures.Preserved += outcome == "preserved" ? 1 : 0;
                        figures.NotPreserved += outcome == "not_preserved" ? 1 : 0;
                        figures.NotWarned += outcome == "not_warned" ? 1 : 0;
                        if (line.TryGetProperty("seconds_to_save", out var seconds))
                        {
                            figures.SaveSeconds.Add(seconds.GetDecimal());
                        }

                        break;
                    case "reacquisition":
                        figures.Recalls += line.GetProperty("recalled").GetBoolean() ? 1 : 0;
                        figures.Reacquisitions += line.GetProperty("recalled").GetBoolean() ? 0 : 1;
                        break;
                    case "memory":
                        figures.MemoryWrites += line.GetProperty("command").GetString() == "view" ? 0 : 1;
                        break;
                }
            }

            var prices = ClaudeModels.Find(model).Model.Prices;
            foreach (var (request, (input, write, read, output)) in usage)
            {
                var billed = input + write + read;
                figures.Input += billed;
                var inputCost = ((input * prices.Input) + (write * prices.CacheWrite5m) + (read * prices.CacheRead)) / 1_000_000m;
                figures.Cost += inputCost + (output * prices.Output / 1_000_000m);
                if (cleared.TryGetValue(request, out var tokens))
                {
                    figures.Saved += tokens;
                    figures.SavedCost += inputCost * tokens / billed;
                }
            }
        }

        return figures;
    }

    internal sealed class Figures
    {
        public int Sessions { get; set; }
        public int Requests { get; set; }
        public long Input { get; set; }
        public long Saved { get; set; }
        public decimal Cost { get; set; }
        public decimal SavedCost { get; set; }
        public int Clearings { get; set; }
        public int Warnings { get; set; }
        public int Preserved { get; set; }
        public int NotPreserved { get; set; }
        public int NotWarned { get; set; }
        public List<decimal> SaveSeconds { get; } = [];
        public int Reacquisitions { get; set; }
        public int Recalls { get; set; }
        public int MemoryWrites { get; set; }
        public int Skipped { get; set; }

        public static string Int(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

        public static string Usd(decimal value) => "$" + Math.Round(value, 4, MidpointRounding.AwayFromZero).ToString("0.0000", CultureInfo.InvariantCulture);

        public string MeanSaveSeconds => SaveSeconds.Count == 0 ? "none"
            : Math.Round(SaveSeconds.Sum() / SaveSeconds.Count, 2, MidpointRounding.AwayFromZero).ToString("0.00", CultureInfo.InvariantCulture);
    }

    /// <summary>A clock the fixture moves by hand.</summary>
    private sealed class Clock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public void Advance(int seconds) => _now = _now.AddSeconds(seconds);

        public void Set(DateTimeOffset now) => _now = now;

        public override DateTimeOffset GetUtcNow() => _now;
    }
}
