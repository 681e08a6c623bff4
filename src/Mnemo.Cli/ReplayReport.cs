using System.Globalization;
using System.Text;
using System.Text.Json;
using Mnemo.Context;
using Mnemo.Context.Replay;

namespace Mnemo.Cli;

/// <summary>A replay's figures as a person reads them (totals first) and as JSON; every figure in both comes from the same
/// rows, so they agree.</summary>
internal sealed class ReplayReport(
    string file,
    ReplaySession session,
    IReadOnlyList<(string Name, ContextManagementConfig Config)> configs,
    IReadOnlyList<ReplayResult> results,
    ModelLookup model,
    ModelPrices prices,
    bool pricesGiven,
    long preambleTokens,
    long? inferredPreamble,
    int asRun)
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public IReadOnlyList<ReplayResult> Results => results;

    /// <summary>Gets the changes adaptive mode made, when it was replayed.</summary>
    public IReadOnlyList<AdaptiveChange> AdaptiveChanges { get; init; } = [];

    /// <summary>Gets how many requests adaptive mode sent with their clearing held back, to clear in batches.</summary>
    public int? AdaptiveHeld { get; init; }

    public IReadOnlyList<(string Name, ContextManagementConfig Config)> Configs => configs;

    public ReplaySession Session => session;

    private ReplayResult Baseline => results[0];

    /// <summary>The requests whose usage the transcript kept, with what the replay counted for each as the session ran
    /// (with the configuration it recorded, else without editing).</summary>
    private List<(ReplayUsage Real, ReplayRow Replayed)> Real()
    {
        var real = new List<(ReplayUsage, ReplayRow)>();
        var i = 0;
        foreach (var request in session.Segments.SelectMany(segment => segment.Requests))
        {
            if (request.Usage is { } usage)
            {
                real.Add((usage, results[asRun].Rows[i]));
            }

            i++;
        }

        return real;
    }

    private static double? Percent(decimal part, decimal whole) => whole == 0 ? null : (double)(part / whole * 100);

    private static string Shown(double? percent) => percent is { } p ? p.ToString("0.0", C) + "%" : "-";

    public string Text(bool perRequest)
    {
        var text = new StringBuilder();
        var segments = session.Segments.Count;
        text.Append(C, $"{file}: {session.Format} session, {session.RequestCount:N0} request(s)");
        if (segments > 1)
        {
            text.Append(C, $" in {segments} segments (the session was compacted {segments - 1} time(s); each segment is replayed from its summary)");
        }

        text.Append('\n');
        text.Append(C, $"model: {model.Model.DisplayName}{(model.IsKnown ? string.Empty : $" ({model.Warning})")}; ");
        text.Append(C, $"prices{(pricesGiven ? " (--prices)" : " (list)")} per million tokens: input ${prices.Input:0.###}, output ${prices.Output:0.###}, cache write ${prices.CacheWrite5m:0.###}, cache read ${prices.CacheRead:0.###}\n");
        if (session.Skipped.Count > 0)
        {
            text.Append("skipped lines: ").Append(string.Join(", ", session.Skipped.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => string.Create(C, $"{pair.Value} {pair.Key}"))));
            text.Append(session.Skipped.ContainsKey("sidechain") ? " (sidechain: sub-agents' own conversations, kept apart)\n" : "\n");
        }

        if (session.UnknownBlocks.Count > 0)
        {
            text.Append("blocks of unknown types, kept as they are: ").AppendJoin(", ", session.UnknownBlocks.Select(pair => string.Create(C, $"{pair.Value} {pair.Key}"))).Append('\n');
        }

        if (session.Malformed.Count > 0)
        {
            text.Append(C, $"{session.Malformed.Count} line(s) could not be read and were left out: ").AppendJoin("; ", session.Malformed.Take(5));
            text.Append(session.Malformed.Count > 5 ? "; …\n" : "\n");
        }

        text.Append(inferredPreamble is { } inferred and > 0
            ? string.Create(C, $"preamble: {inferred:N0} tokens a request, the system prompt and tools the transcript leaves out, inferred from request 1's real usage\n")
            : preambleTokens > 0 ? string.Create(C, $"preamble: {preambleTokens:N0} tokens a request (--preamble-tokens)\n") : string.Empty);
        text.Append('\n');

        var width = Math.Max(14, results.Max(result => result.Name.Length) + 2);
        text.Append("CONFIGURATION".PadRight(width)).Append("     INPUT SENT    SAVED  CLEARINGS   CACHE WRITES    CACHE READS          COST   SAVED\n");
        foreach (var result in results)
        {
            var baseline = ReferenceEquals(result, Baseline);
            text.Append(result.Name.PadRight(width));
            text.Append(C, $"{result.InputTokens,15:N0}  {(baseline ? "-" : Shown(Percent(Baseline.InputTokens - result.InputTokens, Baseline.InputTokens))),7}");
            text.Append(C, $"  {result.Clearings,9:N0}  {result.CacheWriteTokens,13:N0}  {result.CacheReadTokens,13:N0}  {"$" + result.Cost.ToString("0.0000", C),12}  {(baseline ? "-" : Shown(Percent(Baseline.Cost - result.Cost, Baseline.Cost))),6}\n");
        }

        var real = Real();
        if (real.Count > 0)
        {
            var (input, writes, reads, output) = (real.Sum(r => r.Real.TotalInputTokens), real.Sum(r => r.Real.CacheCreationInputTokens), real.Sum(r => r.Real.CacheReadInputTokens), real.Sum(r => r.Real.OutputTokens));
            var cost = real.Sum(r => prices.Cost(r.Real.InputTokens, r.Real.OutputTokens, r.Real.CacheReadInputTokens, r.Real.CacheCreationInputTokens));
            var estimated = real.Sum(r => r.Replayed.EditedInputTokens);
            text.Append('\n');
            text.Append(C, $"real usage of {real.Count:N0} request(s), from the transcript: input {input:N0} (cache writes {writes:N0}, reads {reads:N0}), output {output:N0}, cost ${cost:0.0000}\n");
            text.Append(C, $"the replay's estimate {(asRun > 0 ? "with the configuration the session ran with (\"as run\")" : "without editing")} is {Math.Abs(Error(estimated, input)):0.0}% {(estimated >= input ? "over" : "under")} the real input in all, {MeanError(real):0.0}% a request on average\n");
        }

        if (AdaptiveHeld is { } heldBack)
        {
            text.Append('\n');
            text.Append(C, $"adaptive mode held the clearing back on {heldBack:N0} request(s), to clear in batches that pay for the cache they rewrite, and made {AdaptiveChanges.Count} change(s) to the configuration{(AdaptiveChanges.Count > 0 ? ":" : ".")}\n");
            foreach (var change in AdaptiveChanges.Take(10))
            {
                text.Append(C, $"  after request {change.Request}: {change.Setting} {change.From} -> {change.To}: {change.Reason}\n");
            }

            if (AdaptiveChanges.Count > 10)
            {
                text.Append(C, $"  … and {AdaptiveChanges.Count - 10} more (--json lists them all)\n");
            }
        }

        text.Append('\n');
        text.Append("configurations:\n");
        foreach (var (name, config) in configs)
        {
            text.Append(C, $"  {name}: {config.ToJsonString()}\n");
        }

        if (perRequest)
        {
            text.Append('\n');
            text.Append("REQUEST").Append(string.Concat(results.Select(result => (ReferenceEquals(result, Baseline) ? "WITHOUT" : result.Name).PadLeft(Math.Max(12, result.Name.Length + 2))))).Append('\n');
            for (var i = 0; i < Baseline.Rows.Count; i++)
            {
                text.Append(C, $"{Baseline.Rows[i].Number,7}");
                foreach (var result in results)
                {
                    var row = result.Rows[i];
                    var cell = row.EditedInputTokens.ToString("N0", C) + (row.NewlyCleared > 0 ? "*" : " ");
                    text.Append(cell.PadLeft(Math.Max(12, result.Name.Length + 2)));
                }

                text.Append('\n');
            }

            text.Append("input tokens sent per request; * marks a request that cleared tool results not cleared before\n");
        }

        return text.ToString();
    }

    private static double Error(long estimated, long real) => real == 0 ? 0 : (estimated - real) * 100.0 / real;

    private static double MeanError(List<(ReplayUsage Real, ReplayRow Replayed)> real) =>
        real.Where(r => r.Real.TotalInputTokens > 0).Select(r => Math.Abs(Error(r.Replayed.EditedInputTokens, r.Real.TotalInputTokens))).DefaultIfEmpty(0).Average();

    public string Json()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("file"u8, file);
            writer.WriteString("format"u8, session.Format);
            writer.WriteNumber("requests"u8, session.RequestCount);
            writer.WriteNumber("segments"u8, session.Segments.Count);
            writer.WriteStartObject("model"u8);
            writer.WriteString("id"u8, model.Model.Id);
            writer.WriteString("name"u8, model.Model.DisplayName);
            writer.WriteBoolean("known"u8, model.IsKnown);
            writer.WriteEndObject();
            writer.WriteStartObject("prices"u8);
            writer.WriteBoolean("given"u8, pricesGiven);
            writer.WriteNumber("input"u8, prices.Input);
            writer.WriteNumber("output"u8, prices.Output);
            writer.WriteNumber("cache_write"u8, prices.CacheWrite5m);
            writer.WriteNumber("cache_read"u8, prices.CacheRead);
            writer.WriteEndObject();
            writer.WriteNumber("preamble_tokens"u8, preambleTokens);
            writer.WriteBoolean("preamble_inferred"u8, inferredPreamble is not null);
            Counts(writer, "skipped"u8, session.Skipped);
            Counts(writer, "unknown_blocks"u8, session.UnknownBlocks);
            writer.WriteStartArray("malformed"u8);
            foreach (var line in session.Malformed)
            {
                writer.WriteStringValue(line);
            }

            writer.WriteEndArray();
            writer.WriteStartArray("configurations"u8);
            for (var c = 0; c < results.Count; c++)
            {
                var result = results[c];
                writer.WriteStartObject();
                writer.WriteString("name"u8, result.Name);
                writer.WritePropertyName("config"u8);
                if (c == 0)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    configs[c - 1].Config.WriteTo(writer);
                }

                writer.WriteStartObject("totals"u8);
                writer.WriteNumber("input_tokens"u8, result.InputTokens);
                writer.WriteNumber("cleared_input_tokens"u8, result.ClearedInputTokens);
                writer.WriteNumber("clearings"u8, result.Clearings);
                writer.WriteNumber("cache_write_tokens"u8, result.CacheWriteTokens);
                writer.WriteNumber("cache_read_tokens"u8, result.CacheReadTokens);
                writer.WriteNumber("uncached_tokens"u8, result.UncachedTokens);
                writer.WriteNumber("cost"u8, Math.Round(result.Cost, 6));
                Number(writer, "saved_percent"u8, c == 0 ? null : Percent(Baseline.InputTokens - result.InputTokens, Baseline.InputTokens));
                Number(writer, "cost_saved_percent"u8, c == 0 ? null : Percent(Baseline.Cost - result.Cost, Baseline.Cost));
                writer.WriteEndObject();
                writer.WriteStartArray("requests"u8);
                foreach (var row in result.Rows)
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("request"u8, row.Number);
                    writer.WriteNumber("segment"u8, row.Segment);
                    writer.WriteNumber("input_tokens"u8, row.InputTokens);
                    writer.WriteNumber("edited_input_tokens"u8, row.EditedInputTokens);
                    writer.WriteNumber("cleared_tool_uses"u8, row.ClearedToolUses);
                    writer.WriteNumber("newly_cleared"u8, row.NewlyCleared);
                    writer.WriteNumber("cache_read_tokens"u8, row.CacheReadTokens);
                    writer.WriteNumber("cache_write_tokens"u8, row.CacheWriteTokens);
                    writer.WriteNumber("uncached_tokens"u8, row.UncachedTokens);
                    writer.WriteNumber("cost"u8, Math.Round(row.Cost, 6));
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            if (AdaptiveHeld is { } heldRequests)
            {
                writer.WriteNumber("adaptive_held_requests"u8, heldRequests);
            }

            AdaptiveChange.WriteAll(writer, AdaptiveChanges);
            var real = Real();
            if (real.Count == 0)
            {
                writer.WriteNull("real"u8);
            }
            else
            {
                writer.WriteStartObject("real"u8);
                writer.WriteNumber("requests"u8, real.Count);
                writer.WriteNumber("input_tokens"u8, real.Sum(r => r.Real.TotalInputTokens));
                writer.WriteNumber("cache_write_tokens"u8, real.Sum(r => r.Real.CacheCreationInputTokens));
                writer.WriteNumber("cache_read_tokens"u8, real.Sum(r => r.Real.CacheReadInputTokens));
                writer.WriteNumber("output_tokens"u8, real.Sum(r => r.Real.OutputTokens));
                writer.WriteNumber("cost"u8, Math.Round(real.Sum(r => prices.Cost(r.Real.InputTokens, r.Real.OutputTokens, r.Real.CacheReadInputTokens, r.Real.CacheCreationInputTokens)), 6));
                writer.WriteString("compared_with"u8, results[asRun].Name);
                writer.WriteNumber("estimate_error_percent"u8, Math.Round(Error(real.Sum(r => r.Replayed.EditedInputTokens), real.Sum(r => r.Real.TotalInputTokens)), 2));
                writer.WriteNumber("mean_request_error_percent"u8, Math.Round(MeanError(real), 2));
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    private static void Counts(Utf8JsonWriter writer, ReadOnlySpan<byte> name, IReadOnlyDictionary<string, int> counts)
    {
        writer.WriteStartObject(name);
        foreach (var (key, value) in counts.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            writer.WriteNumber(key, value);
        }

        writer.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter writer, ReadOnlySpan<byte> name, double? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, Math.Round(number, 2));
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
