using System.Text.Json;
using Mnemo.Tokens;

namespace Mnemo.Emulator;

/// <summary>One content block of a reply.</summary>
internal abstract record ReplyBlock
{
    public abstract long Tokens { get; }
}

internal sealed record TextReply(string Text) : ReplyBlock
{
    public override long Tokens => TokenEstimator.Estimate(Text.AsSpan());
}

internal sealed record ThinkingReply(string Thinking, string Signature) : ReplyBlock
{
    public override long Tokens => TokenEstimator.Estimate(Thinking.AsSpan());
}

internal sealed record ToolUseReply(string Id, string Name, string InputJson) : ReplyBlock
{
    // The call's framing (its name and the tool-call markers) costs a few tokens beyond its input.
    public override long Tokens => 4 + TokenEstimator.Estimate(Name.AsSpan()) + TokenEstimator.Estimate(InputJson.AsSpan());
}

/// <summary>A block of a type the emulator does not build itself, sent as the script wrote it.</summary>
/// <summary>A <c>compaction</c> block: not output of the message, its tokens are the compaction iteration's.</summary>
internal sealed record CompactionReply(Mnemo.Context.ContextCompaction Compaction) : ReplyBlock
{
    public override long Tokens => 0;
}

internal sealed record RawReply(JsonElement Json) : ReplyBlock
{
    public override long Tokens => TokenEstimator.Estimate(Json.GetRawText().AsSpan());
}

/// <summary>
/// The assistant's message for a request: the scripted turn's blocks, cut where the request's <c>max_tokens</c> or a
/// stop sequence says, with the stop reason and the output tokens that the API would report.
/// </summary>
internal sealed class EmulatedReply
{
    private EmulatedReply(List<ReplyBlock> blocks, string stopReason, string? stopSequence, long outputTokens, Mnemo.Context.ContextCompaction? compaction = null)
    {
        Compaction = compaction;
        Blocks = blocks;
        StopReason = stopReason;
        StopSequence = stopSequence;
        OutputTokens = outputTokens;
    }

    public IReadOnlyList<ReplyBlock> Blocks { get; }

    public string StopReason { get; }

    public string? StopSequence { get; }

    public long OutputTokens { get; }

    /// <summary>The compaction this response opens with; <see langword="null"/> when none ran.</summary>
    public Mnemo.Context.ContextCompaction? Compaction { get; }

    /// <summary>The reply with its thinking blocks signed anew, such as bound to the prefix that produced them.</summary>
    /// <param name="sign">Makes a block's signature from the blocks before it and its text.</param>
    public EmulatedReply Resigned(Func<IReadOnlyList<ReplyBlock>, string, string> sign)
    {
        var blocks = new List<ReplyBlock>(Blocks.Count);
        foreach (var block in Blocks)
        {
            blocks.Add(block is ThinkingReply thinking ? thinking with { Signature = sign(blocks, thinking.Thinking) } : block);
        }

        return new EmulatedReply(blocks, StopReason, StopSequence, OutputTokens, Compaction);
    }

    /// <summary>A response that stops after its compaction block (<c>pause_after_compaction</c>): nothing is sampled.</summary>
    public static EmulatedReply Paused(Mnemo.Context.ContextCompaction compaction) =>
        new([new CompactionReply(compaction)], "compaction", null, 0, compaction);

    public static EmulatedReply Build(
        ScriptSelection selection, bool thinkingEnabled, long maxTokens, IReadOnlyList<string> stopSequences, Mnemo.Context.ContextCompaction? compaction = null)
    {
        var turn = selection.Turn;
        var planned = Planned(selection, thinkingEnabled);
        var blocks = new List<ReplyBlock>(planned.Count + 1);
        if (compaction is not null)
        {
            // The API returns the compaction block first; the reply sampled on the compacted context follows it.
            blocks.Add(new CompactionReply(compaction));
        }

        string? stopReason = null;
        string? stopSequence = null;
        var remaining = maxTokens;
        foreach (var planBlock in planned)
        {
            var block = planBlock;
            if (block is TextReply text && FirstStop(text.Text, stopSequences) is { } stop)
            {
                block = new TextReply(text.Text[..stop.Index]);
                (stopReason, stopSequence) = ("stop_sequence", stop.Sequence);
            }

            var cost = block.Tokens;
            if (cost > remaining)
            {
                // The model ran out of room inside this block: the API sends what was written, and a tool call left unfinished.
                ReplyBlock? cut = block switch
                {
                    TextReply t => Cut(t.Text, remaining) is { Length: > 0 } part ? new TextReply(part) : null,
                    ThinkingReply t => Cut(t.Thinking, remaining) is var thought ? new ThinkingReply(thought, EmulatorIds.Signature(thought)) : null,
                    ToolUseReply t => t with { InputJson = "{}" },
                    _ => null,
                };
                if (cut is not null)
                {
                    blocks.Add(cut);
                }

                (stopReason, stopSequence) = ("max_tokens", null);
                break;
            }

            blocks.Add(block);
            remaining -= cost;
            if (stopReason is not null)
            {
                break;
            }
        }

        stopReason ??= turn.StopReason ?? (blocks.Any(b => b is ToolUseReply) ? "tool_use" : "end_turn");
        var output = Math.Max(1, blocks.Sum(b => b.Tokens));
        return new EmulatedReply(blocks, stopReason, stopSequence, Math.Min(output, maxTokens), compaction);
    }

    private static List<ReplyBlock> Planned(ScriptSelection selection, bool thinkingEnabled)
    {
        var turn = selection.Turn;
        var blocks = new List<ReplyBlock>();
        var toolIndex = 0;
        if (turn.Content is { } content)
        {
            foreach (var block in content.EnumerateArray())
            {
                var type = block.GetProperty("type"u8).GetString();
                ReplyBlock? reply = type switch
                {
                    "text" when block.TryGetProperty("text"u8, out var t) && t.ValueKind == JsonValueKind.String => new TextReply(t.GetString()!),
                    "thinking" when block.TryGetProperty("thinking"u8, out var t) && t.ValueKind == JsonValueKind.String =>
                        thinkingEnabled ? new ThinkingReply(t.GetString()!, EmulatorIds.Signature(t.GetString()!)) : null,
                    "tool_use" when block.TryGetProperty("name"u8, out var name) && name.ValueKind == JsonValueKind.String => new ToolUseReply(
                        selection.ToolIds[toolIndex++],
                        name.GetString()!,
                        block.TryGetProperty("input"u8, out var input) ? input.GetRawText() : "{}"),
                    _ => new RawReply(block),
                };
                if (reply is not null)
                {
                    blocks.Add(reply);
                }
            }

            return blocks;
        }

        if (turn.Thinking is { } thinking && thinkingEnabled)
        {
            blocks.Add(new ThinkingReply(thinking, EmulatorIds.Signature(thinking)));
        }

        if (turn.Text is { Length: > 0 } words)
        {
            blocks.Add(new TextReply(words));
        }

        for (var i = 0; i < turn.ToolUses.Count; i++)
        {
            var use = turn.ToolUses[i];
            blocks.Add(new ToolUseReply(selection.ToolIds[i], use.Name, use.Input.GetRawText()));
        }

        return blocks;
    }

    private static (int Index, string Sequence)? FirstStop(string text, IReadOnlyList<string> stopSequences)
    {
        (int Index, string Sequence)? first = null;
        foreach (var sequence in stopSequences)
        {
            var index = sequence.Length == 0 ? -1 : text.IndexOf(sequence, StringComparison.Ordinal);
            if (index >= 0 && (first is null || index < first.Value.Index))
            {
                first = (index, sequence);
            }
        }

        return first;
    }

    /// <summary>The longest start of the text whose estimate fits the budget, never splitting a surrogate pair.</summary>
    private static string Cut(string text, long budget)
    {
        int low = 0, high = text.Length;
        while (low < high)
        {
            var middle = (low + high + 1) / 2;
            if (TokenEstimator.Estimate(text.AsSpan(0, middle)) <= budget)
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }

        if (low > 0 && low < text.Length && char.IsHighSurrogate(text[low - 1]))
        {
            low--;
        }

        return text[..low];
    }
}
