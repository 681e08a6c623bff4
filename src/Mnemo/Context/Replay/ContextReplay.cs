using System.Buffers;
using System.Text.Json;
using Mnemo.Tokens;

namespace Mnemo.Context.Replay;

/// <summary>
/// Replays a session with a context-editing configuration: every request as the API would have edited it (the same
/// engine and estimate as <see cref="ContextEditor"/>, whose results it matches request for request), with the prompt
/// cache and cost of each.
/// </summary>
/// <remarks>
/// <para>Linear in the session: each message is counted once, and each request's figures follow from sums kept as the
/// conversation grows, not from editing each request whole. Memory holds the session and one row per request.</para>
/// <para>Only <c>clear_tool_uses_20250919</c> is replayed; <c>clear_thinking_20251015</c> and <c>compact_20260112</c>
/// are refused with a message.</para>
/// </remarks>
public static class ContextReplay
{
    /// <summary>The name of the run without editing.</summary>
    public const string NoEditing = "no editing";

    /// <summary>Checks that a configuration can be replayed.</summary>
    /// <exception cref="ContextFormatException">It holds an edit replay does not model.</exception>
    public static void Validate(ContextManagementConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        foreach (var edit in config.Edits)
        {
            if (edit is not ClearToolUsesEdit)
            {
                throw new ContextFormatException($"context_management: replay models {ClearToolUsesEdit.TypeName} only; {edit.Type} is not replayed yet");
            }
        }
    }

    /// <summary>Replays the session without editing, then with each configuration.</summary>
    /// <param name="session">The session.</param>
    /// <param name="configs">The configurations, each with its name.</param>
    /// <param name="options">Cache and cost settings.</param>
    /// <returns>The run without editing first, then one per configuration.</returns>
    /// <exception cref="ContextFormatException">A configuration holds an edit replay does not model.</exception>
    public static IReadOnlyList<ReplayResult> Run(ReplaySession session, IReadOnlyList<(string Name, ContextManagementConfig Config)> configs, ReplayOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(configs);
        options ??= new ReplayOptions();
        foreach (var (_, config) in configs)
        {
            Validate(config);
        }

        var prices = options.Prices ?? ClaudeModels.Find(session.Model).Model.Prices;
        var prepared = session.Segments.Select(segment => new PreparedSegment(segment, options)).ToList();
        var results = new List<ReplayResult> { Replay(NoEditing, null, prepared, options, prices) };
        foreach (var (name, config) in configs)
        {
            results.Add(Replay(name, config.Edits.OfType<ClearToolUsesEdit>().FirstOrDefault(), prepared, options, prices));
        }

        return results;
    }

    /// <summary>Replays the session in adaptive mode: starting from <paramref name="start"/>, the configuration is adjusted
    /// between requests by <see cref="AdaptiveClearing"/>, from what each clearing took and what the session needed again
    /// afterwards (a call whose tool and input equal a cleared result's counts as that result needed again, as a recall
    /// would be).</summary>
    /// <param name="session">The session.</param>
    /// <param name="name">What the run is called.</param>
    /// <param name="start">The configuration to start from, such as a profile's.</param>
    /// <param name="options">Cache and cost settings.</param>
    /// <param name="adaptive">Bounds and thresholds of the adjustments.</param>
    /// <returns>The run, every change adaptive mode made, and how many requests it held back to clear in batches.</returns>
    public static (ReplayResult Result, IReadOnlyList<AdaptiveChange> Changes, int Held) Adaptive(
        ReplaySession session, string name, ContextManagementConfig start, ReplayOptions? options = null, AdaptiveClearingOptions? adaptive = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(start);
        Validate(start);
        options ??= new ReplayOptions();
        var edit = start.Edits.OfType<ClearToolUsesEdit>().FirstOrDefault()
            ?? throw new ContextFormatException($"context_management: adaptive mode starts from a {ClearToolUsesEdit.TypeName} edit; the configuration has none");
        var prices = options.Prices ?? ClaudeModels.Find(session.Model).Model.Prices;
        var tuner = new AdaptiveClearing(edit, prices, adaptive);
        var segments = session.Segments.Select(segment => new PreparedSegment(segment, options)).ToList();
        var result = Replay(name, edit, segments, options, prices, tuner, ClaudeModels.Find(session.Model).Model.ContextWindow);
        return (result, tuner.Changes, tuner.HeldRequests);
    }

    private static ReplayResult Replay(string name, ClearToolUsesEdit? edit, List<PreparedSegment> segments, ReplayOptions options, ModelPrices prices, AdaptiveClearing? tuner = null, long window = long.MaxValue)
    {
        var rows = new List<ReplayRow>();
        var number = 0;
        for (var s = 0; s < segments.Count; s++)
        {
            var segment = segments[s];
            var plan = edit is null ? null : segment.Plan(edit);
            var cache = new CacheModel(options, plan?.FirstChanged);
            var (answered, clearedBefore) = (0, 0);
            var everCleared = new HashSet<int>();
            var scanned = 0;
            var lastReach = 0;
            foreach (var request in segment.Source.Requests)
            {
                number++;
                var end = request.MessageCount;
                while (answered < segment.ToolUses.Count && segment.ToolUses[answered].ResultMessage < end)
                {
                    answered++;
                }

                if (tuner is not null && !plan!.SameTools(tuner.Current))
                {
                    // Which tools are cleared changed: results anywhere may come back, so the cache starts again. A change
                    // of keep or clear_at_least only moves how far clearing reaches, which the cache compares as it is.
                    plan = segment.Plan(tuner.Current);
                    cache = new CacheModel(options, plan?.FirstChanged);
                }

                var tokens = segment.PreambleTokens + segment.CumulativeTokens[end];
                long? keep = null;
                if (tuner is not null)
                {
                    // In batches: what keep would clear beyond the last clearing, against the cache it would rewrite.
                    var next = (int)Math.Clamp(answered - tuner.Current.EffectiveKeep, 0, answered);
                    var rewritten = lastReach < segment.ToolUses.Count ? tokens - (segment.PreambleTokens + segment.CumulativeTokens[segment.ToolUses[lastReach].ResultMessage]) : 0;
                    keep = tuner.KeepFor(answered, lastReach, plan!.Saving(lastReach, next), Math.Max(0, rewritten), tokens, window);
                }

                var (k, cleared, freed) = plan is null ? (0, 0, 0L) : plan.Apply(answered, tokens, tuner?.Current ?? plan.Edit, keep);
                lastReach = k > 0 ? k : lastReach;
                var edited = tokens - freed;
                var (read, write, uncached) = cache.Send(segment.CumulativeBlocks[end], k, edited, request.At);
                if (tuner is not null)
                {
                    Tune(tuner, segment, plan!, number, k, end, everCleared, ref scanned);
                }
                var output = request.Usage?.OutputTokens ?? 0;
                var newly = Math.Max(0, cleared - clearedBefore);
                clearedBefore = Math.Max(clearedBefore, cleared);
                rows.Add(new ReplayRow(number, s, tokens, edited, cleared, newly, read, write, uncached, prices.Cost(uncached, output, read, write)));
            }
        }

        return new ReplayResult(name, rows);
    }

    /// <summary>Feeds adaptive mode one request: the results it cleared for the first time, and the calls of its response
    /// that fetch a cleared result again.</summary>
    private static void Tune(AdaptiveClearing tuner, PreparedSegment segment, ClearingPlan plan, int number, int reach, int end, HashSet<int> everCleared, ref int scanned)
    {
        var newly = new List<(string, string)>();

        // Exclusions are only ever added, so a tool use below the mark that was not cleared never will be: each is looked at once.
        for (var o = scanned; o < reach; o++)
        {
            if (plan.FirstChanged[o] != long.MaxValue && everCleared.Add(o))
            {
                newly.Add((segment.ToolUses[o].Name ?? string.Empty, segment.ToolUses[o].InputKey));
            }
        }

        scanned = Math.Max(scanned, reach);

        if (newly.Count > 0)
        {
            tuner.Cleared(number, newly);
        }

        // The response to this request: a call equal to a cleared one is that result needed again.
        var messages = segment.Source.Conversation.Messages;
        if (end < messages.Count && messages[end].IsAssistant)
        {
            foreach (var block in messages[end].Blocks.Where(block => block.Kind == ContextBlockKind.ToolUse))
            {
                tuner.Needed(number, block.ToolName ?? string.Empty, InputKey(block));
            }
        }
    }

    /// <summary>A call's input as compact JSON, so the same input matches however it was spaced.</summary>
    private static string InputKey(ContextBlock use) =>
        use.Json.TryGetProperty("input"u8, out var input) ? JsonSerializer.Serialize(input) : "{}";

    /// <summary>A segment counted once: its messages' tokens and blocks as running sums, and its tool uses in the order
    /// the engine clears them.</summary>
    private sealed class PreparedSegment
    {
        public PreparedSegment(ReplaySegment source, ReplayOptions options)
        {
            Source = source;
            var messages = source.Conversation.Messages;
            var counter = EstimatingTokenCounter.Instance;
            PreambleTokens = counter.Count(source.Conversation.WithMessages([])) + options.PreambleTokens;
            CumulativeTokens = new long[messages.Count + 1];
            CumulativeBlocks = new long[messages.Count + 1];
            var blockStart = new long[messages.Count];
            for (var i = 0; i < messages.Count; i++)
            {
                CumulativeTokens[i + 1] = CumulativeTokens[i] + EstimatingTokenCounter.Count(messages[i]);
                blockStart[i] = CumulativeBlocks[i];
                CumulativeBlocks[i + 1] = CumulativeBlocks[i] + messages[i].Blocks.Count;
            }

            var placeholder = Block(writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("type"u8, "text"u8);
                writer.WriteString("text"u8, options.Placeholder);
                writer.WriteEndObject();
            });
            Placeholder = options.Placeholder;
            var uses = new List<ToolUse>();
            for (var i = 0; i < messages.Count; i++)
            {
                if (!messages[i].IsAssistant)
                {
                    continue;
                }

                var blocks = messages[i].Blocks;
                for (var b = 0; b < blocks.Count; b++)
                {
                    var use = blocks[b];
                    var (m, r) = use.Kind switch
                    {
                        ContextBlockKind.ToolUse when i + 1 < messages.Count => (i + 1, Find(messages[i + 1], use.ToolUseId, ContextBlockKind.ToolResult)),
                        ContextBlockKind.ServerToolUse => (i, Find(messages[i], use.ToolUseId, ContextBlockKind.ServerToolResult)),
                        _ => (-1, -1),
                    };
                    if (r < 0 || (use.Kind == ContextBlockKind.ToolUse && messages[i + 1].IsAssistant))
                    {
                        continue;
                    }

                    var result = messages[m].Blocks[r];
                    var server = use.Kind == ContextBlockKind.ServerToolUse;
                    var resultCleared = server ? ServerToolResults.IsCleared(result, Placeholder) : ClientToolResults.IsCleared(result, Placeholder);
                    var clearedResult = resultCleared ? result : Block(writer =>
                    {
                        if (server)
                        {
                            ServerToolResults.WriteCleared(writer, result, placeholder);
                        }
                        else
                        {
                            ClientToolResults.WriteCleared(writer, result, placeholder);
                        }
                    });
                    var emptyInput = ClientToolResults.HasEmptyInput(use);
                    var inputSaving = emptyInput ? 0 : use.EstimatedTokens - Block(writer => ClientToolResults.WriteWithEmptyInput(writer, use)).EstimatedTokens;
                    uses.Add(new ToolUse(
                        use.ToolName, InputKey(use), m, !resultCleared, result.EstimatedTokens - clearedResult.EstimatedTokens, !emptyInput, inputSaving,
                        blockStart[i] + b, blockStart[m] + r));
                }
            }

            ToolUses = uses;
        }

        public ReplaySegment Source { get; }

        public long PreambleTokens { get; }

        /// <summary>Tokens of the first n messages, without the preamble.</summary>
        public long[] CumulativeTokens { get; }

        /// <summary>Content blocks of the first n messages.</summary>
        public long[] CumulativeBlocks { get; }

        public string Placeholder { get; }

        /// <summary>The tool uses in the order the engine counts them; each is answered in requests past its result's message.</summary>
        public List<ToolUse> ToolUses { get; }

        public ClearingPlan Plan(ClearToolUsesEdit edit) => new(this, edit);

        private static int Find(ContextMessage message, string? id, ContextBlockKind kind)
        {
            if (id is null || message.IsAssistant != (kind == ContextBlockKind.ServerToolResult))
            {
                return -1;
            }

            for (var i = 0; i < message.Blocks.Count; i++)
            {
                if (message.Blocks[i].Kind == kind && message.Blocks[i].ToolUseId == id)
                {
                    return i;
                }
            }

            return -1;
        }

        private static ContextBlock Block(Action<Utf8JsonWriter> write)
        {
            var buffer = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                write(writer);
            }

            return ContextBlock.FromJson(JsonElement.Parse(buffer.WrittenSpan));
        }
    }

    /// <summary>A tool use as replay needs it: what clearing it would take out, and where in the conversation it is.</summary>
    private sealed record ToolUse(string? Name, string InputKey, int ResultMessage, bool ResultClearable, long ResultSaving, bool InputClearable, long InputSaving, long UseBlock, long ResultBlock);

    /// <summary>One configuration over one segment: what clearing the first k tool uses takes out, as running sums.</summary>
    private sealed class ClearingPlan
    {
        private readonly ClearToolUsesEdit _edit;
        private readonly long[] _saving;
        private readonly int[] _cleared;

        public ClearingPlan(PreparedSegment segment, ClearToolUsesEdit edit)
        {
            _edit = edit;
            Edit = edit;
            var uses = segment.ToolUses;
            _saving = new long[uses.Count + 1];
            _cleared = new int[uses.Count + 1];
            FirstChanged = new long[uses.Count];
            for (var o = 0; o < uses.Count; o++)
            {
                var use = uses[o];
                var clearInput = !edit.Excludes(use.Name) && edit.ClearsInputOf(use.Name) && use.InputClearable;
                var clearResult = !edit.Excludes(use.Name) && use.ResultClearable;
                var saving = (clearResult ? use.ResultSaving : 0) + (clearInput ? use.InputSaving : 0);
                _saving[o + 1] = _saving[o] + saving;
                _cleared[o + 1] = _cleared[o] + (clearInput || clearResult ? 1 : 0);
                FirstChanged[o] = clearInput ? use.UseBlock : clearResult ? use.ResultBlock : long.MaxValue;
            }
        }

        /// <summary>The edit it plans.</summary>
        public ClearToolUsesEdit Edit { get; }

        /// <summary>The first block each tool use's clearing changes; <see cref="long.MaxValue"/> when it changes none.</summary>
        public long[] FirstChanged { get; }

        /// <summary>The tokens clearing tool uses <paramref name="from"/> to <paramref name="to"/> (in order) frees.</summary>
        public long Saving(int from, int to) => to <= from ? 0 : _saving[Math.Min(to, _saving.Length - 1)] - _saving[Math.Min(from, _saving.Length - 1)];

        /// <summary>Whether another edit clears the same tools the same way (its keep, trigger and clear_at_least aside).</summary>
        public bool SameTools(ClearToolUsesEdit other) =>
            (_edit.ExcludeTools ?? []).SequenceEqual(other.ExcludeTools ?? []) && _edit.ClearToolInputs == other.ClearToolInputs &&
            (_edit.ClearToolInputsFor ?? []).SequenceEqual(other.ClearToolInputsFor ?? []);

        /// <summary>The edit on a request whose first <paramref name="answered"/> tool uses are answered, with the trigger,
        /// keep and clear_at_least of <paramref name="now"/> (which clears the same tools as the plan's edit).</summary>
        /// <returns>How many tool uses (in order) the clearing reaches, how many it clears, and the tokens it takes out.</returns>
        public (int Reach, int Cleared, long Freed) Apply(int answered, long tokens, ClearToolUsesEdit now, long? keep = null)
        {
            var trigger = now.EffectiveTrigger;
            var reached = trigger.Kind == ContextTriggerKind.ToolUses ? answered > trigger.Value : tokens > trigger.Value;
            var clearable = answered - (keep ?? now.EffectiveKeep);
            if (!reached || clearable <= 0)
            {
                return (0, 0, 0);
            }

            var k = (int)clearable;
            if (_cleared[k] == 0 || (now.ClearAtLeast is { } atLeast && _saving[k] < atLeast))
            {
                return (0, 0, 0);
            }

            return (k, _cleared[k], _saving[k]);
        }
    }
}
