using System.Buffers;
using System.Text.Json;
using Mnemo.Tokens;

namespace Mnemo.Context;

/// <summary>
/// Applies <c>context_management</c> edits to a request on the client's side, with the API's contract: the same
/// configuration, the same strategies, the same <c>applied_edits</c> report.
/// </summary>
/// <remarks>
/// <para>Editing is pure: the input request is never changed; the result is a new request that shares every message it
/// did not edit. The same request and configuration always give the same output.</para>
/// <para>Thread-safe: an editor holds only its counter and options.</para>
/// </remarks>
public sealed class ContextEditor
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _threadBuffer;

    [ThreadStatic]
    private static Utf8JsonWriter? _threadWriter;

    private readonly ITokenCounter _counter;
    private readonly IContextSummarizer _summarizer;
    private readonly bool _compactionKeepsLastTurn;
    private readonly bool _guardBinding;
    private readonly string _placeholder;
    private readonly ContextBlock _placeholderText;
    private readonly Func<ContextBlock, string?>? _placeholderFor;

    /// <summary>Creates an editor.</summary>
    /// <param name="counter">Counts tokens for triggers and reports; the local estimate when <see langword="null"/>.</param>
    /// <param name="options">The placeholder text; defaults when <see langword="null"/>.</param>
    public ContextEditor(ITokenCounter? counter = null, ContextEditorOptions? options = null)
    {
        _counter = counter ?? EstimatingTokenCounter.Instance;
        options ??= new ContextEditorOptions();
        _placeholder = options.Placeholder;
        _placeholderFor = options.PlaceholderFor;
        _summarizer = options.Summarizer ?? ExtractiveContextSummarizer.Instance;
        _compactionKeepsLastTurn = options.CompactionKeepsLastTurn;
        _guardBinding = options.KeepPrefixBoundThinkingValid;
        ArgumentException.ThrowIfNullOrEmpty(_placeholder, nameof(ContextEditorOptions.Placeholder));
        _placeholderText = PlaceholderBlock(_placeholder);
    }

    private static ContextBlock PlaceholderBlock(string placeholder) => ContextBlock.FromJson(Write(placeholder, static (writer, placeholder) =>
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "text"u8);
        writer.WriteString("text"u8, placeholder);
        writer.WriteEndObject();
    }));

    /// <summary>Edits a request as its configuration says.</summary>
    /// <exception cref="ContextFormatException">The configuration clears thinking and the request does not turn it on.</exception>
    public async ValueTask<ContextEditResult> EditAsync(
        ContextRequest request, ContextManagementConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(config);
        config.ValidateFor(request);

        // A compaction block already in the history stands in for everything before it, on every request.
        var (rendered, origins) = Compactor.Render(request);
        var original = await _counter.CountAsync(rendered, cancellationToken).ConfigureAwait(false);
        var (current, tokens) = (rendered, original);
        List<AppliedContextEdit>? applied = null;
        ContextCompaction? compaction = null;
        foreach (var edit in config.Edits)
        {
            if (edit is CompactEdit compact)
            {
                if (tokens > compact.EffectiveTriggerTokens)
                {
                    (current, tokens, compaction) = await CompactAsync(current, tokens, compact, origins, cancellationToken).ConfigureAwait(false);
                }

                continue;
            }

            var (edited, cleared) = edit switch
            {
                ClearThinkingEdit thinking => ClearThinking(current, thinking),
                ClearToolUsesEdit tools => ClearToolUses(current, tools, tokens),
                _ => (null, 0),
            };

            if (edited is null)
            {
                continue;
            }

            var after = await _counter.CountAsync(edited, cancellationToken).ConfigureAwait(false);
            if (edit is ClearToolUsesEdit { ClearAtLeast: { } atLeast } && tokens - after < atLeast)
            {
                // A clearing that frees too little is not worth the prompt cache it breaks: nothing at all is cleared.
                continue;
            }

            (applied ??= []).Add(edit is ClearThinkingEdit
                ? new AppliedContextEdit(edit.Type, tokens - after, ClearedThinkingTurns: cleared)
                : new AppliedContextEdit(edit.Type, tokens - after, ClearedToolUses: cleared));
            (current, tokens) = (edited, after);
        }

        if (_guardBinding && !ReferenceEquals(current, rendered) && ClaudeModels.Find(request.Model) is { IsKnown: true, Model.ThinkingPrefixBound: true })
        {
            List<string> types = [.. (applied ?? []).Select(edit => edit.Type)];
            if (compaction is { Succeeded: true })
            {
                types.Add(CompactEdit.TypeName);
            }

            var (guarded, report) = PrefixBoundThinking.Guard(rendered, current, origins, types);
            if (report is not null)
            {
                if (guarded is null)
                {
                    // Held back: the request goes out as it was, and the next turn's request edits it.
                    return new ContextEditResult(rendered, [], original, original) { ThinkingBinding = report };
                }

                (current, tokens) = (guarded, await _counter.CountAsync(guarded, cancellationToken).ConfigureAwait(false));
            }

            return new ContextEditResult(current, applied ?? (IReadOnlyList<AppliedContextEdit>)[], original, tokens) { Compaction = compaction, ThinkingBinding = report };
        }

        return new ContextEditResult(current, applied ?? (IReadOnlyList<AppliedContextEdit>)[], original, tokens) { Compaction = compaction };
    }

    /// <summary>Summarises the older context; the summary replaces it, and the last turn stays whole when so configured.</summary>
    private async ValueTask<(ContextRequest Request, long Tokens, ContextCompaction Compaction)> CompactAsync(
        ContextRequest request, long tokens, CompactEdit edit, int[]? origins, CancellationToken cancellationToken)
    {
        var cut = Compactor.Cut(request.Messages, _compactionKeepsLastTurn);
        var covered = request.WithMessages([.. request.Messages.Take(cut)]);
        var summary = await _summarizer.SummarizeAsync(covered, edit.Instructions, cancellationToken).ConfigureAwait(false);
        // Where the block goes in the caller's own history: before the first message kept, or after the last one.
        var insertAt = cut < request.Messages.Count ? (origins is null ? cut : origins[cut]) : -1;
        if (summary.Text is null)
        {
            // A failed compaction changes nothing; its block (content null) is still returned, and reported.
            return (request, tokens, new ContextCompaction(null, 0, tokens, tokens, insertAt, edit.PauseAfterCompaction == true, summary));
        }

        var edited = request.WithMessages([Compactor.SummaryMessage(summary.Text), .. request.Messages.Skip(cut)]);
        var after = await _counter.CountAsync(edited, cancellationToken).ConfigureAwait(false);
        return (edited, after, new ContextCompaction(summary.Text, cut, tokens, after, insertAt, edit.PauseAfterCompaction == true, summary));
    }

    /// <summary>The request as the model sees it once the <c>compaction</c> blocks in its history are applied: everything
    /// before the last block with a summary is replaced by that summary. <see cref="EditAsync"/> does this itself.</summary>
    /// <returns>The request itself when it holds no such block.</returns>
    public static ContextRequest ApplyCompactionBlocks(ContextRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Compactor.Render(request).Request;
    }

    /// <summary>Counts the tool uses of a conversation: assistant <c>tool_use</c> blocks answered in the next message, and
    /// server tool uses (<c>server_tool_use</c>, <c>mcp_tool_use</c>) answered in their own message.</summary>
    public static int CountToolUses(IReadOnlyList<ContextMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var count = 0;
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (!message.IsAssistant)
            {
                continue;
            }

            // Index loops here and below: a foreach over the interface would allocate an enumerator for every message.
            var blocks = message.Blocks;
            for (var b = 0; b < blocks.Count; b++)
            {
                if (FindResult(messages, i, blocks[b]).Message >= 0)
                {
                    count++;
                }
            }
        }

        return count;
    }

    /// <summary>Where a tool use's result is: the next message for a client tool, its own message for a server tool.</summary>
    /// <returns>The message and block index of the result; (-1, -1) when the block is no tool use or has no result.</returns>
    private static (int Message, int Block) FindResult(IReadOnlyList<ContextMessage> messages, int at, ContextBlock use)
    {
        if (use.Kind == ContextBlockKind.ToolUse)
        {
            return at + 1 < messages.Count && FindResult(messages[at + 1], use.ToolUseId, ContextBlockKind.ToolResult) is var r and >= 0 ? (at + 1, r) : (-1, -1);
        }

        if (use.Kind == ContextBlockKind.ServerToolUse)
        {
            return FindResult(messages[at], use.ToolUseId, ContextBlockKind.ServerToolResult) is var r and >= 0 ? (at, r) : (-1, -1);
        }

        return (-1, -1);
    }

    private (ContextRequest? Edited, int Cleared) ClearToolUses(ContextRequest request, ClearToolUsesEdit edit, long tokens)
    {
        var messages = request.Messages;
        var total = CountToolUses(messages);
        var trigger = edit.EffectiveTrigger;
        // "Once the prompt exceeds this threshold, clearing will begin": a prompt at the threshold is not cleared yet.
        var reached = trigger.Kind == ContextTriggerKind.ToolUses ? total > trigger.Value : tokens > trigger.Value;
        var clearable = total - edit.EffectiveKeep;
        if (!reached || clearable <= 0)
        {
            return (null, 0);
        }

        // The blocks of each message the plan changes, copied once; the new blocks are written once the plan is complete.
        var copies = new Dictionary<int, ContextBlock[]>();
        List<(ContextBlock[] Blocks, int Index, Rewrite How, ContextBlock Placeholder)> pending = [];
        var (ordinal, cleared) = (0, 0);
        for (var i = 0; i < messages.Count && ordinal < clearable; i++)
        {
            var message = messages[i];
            if (!message.IsAssistant)
            {
                continue;
            }

            for (var b = 0; b < message.Blocks.Count && ordinal < clearable; b++)
            {
                var use = message.Blocks[b];
                var (m, r) = FindResult(messages, i, use);
                if (m < 0)
                {
                    continue;
                }

                ordinal++;
                if (edit.Excludes(use.ToolName))
                {
                    continue;
                }

                var result = messages[m].Blocks[r];
                var server = use.Kind == ContextBlockKind.ServerToolUse;
                var (text, placeholder) = _placeholderFor?.Invoke(use) is { } own && own != _placeholder ? (own, PlaceholderBlock(own)) : (_placeholder, _placeholderText);
                var clearInput = edit.ClearsInputOf(use.ToolName) && !ClientToolResults.HasEmptyInput(use);
                var clearResult = server ? !ServerToolResults.IsCleared(result, text) : !ClientToolResults.IsCleared(result, text);
                if (!clearInput && !clearResult)
                {
                    continue;
                }

                if (clearInput)
                {
                    pending.Add((CopyOf(i), b, Rewrite.EmptyInput, placeholder));
                }

                if (clearResult)
                {
                    pending.Add((CopyOf(m), r, server ? Rewrite.ServerPlaceholder : Rewrite.Placeholder, placeholder));
                }

                cleared++;
            }
        }

        if (copies.Count == 0)
        {
            return (null, 0);
        }

        WriteCleared(pending);
        List<(int, ContextMessage)> replaced = [.. copies.OrderBy(pair => pair.Key).Select(pair => (pair.Key, messages[pair.Key].WithBlocks(pair.Value)))];
        return (request.WithMessages(new MessageOverlay(messages, replaced)), cleared);

        ContextBlock[] CopyOf(int index)
        {
            if (!copies.TryGetValue(index, out var blocks))
            {
                copies[index] = blocks = [.. messages[index].Blocks];
            }

            return blocks;
        }
    }

    private enum Rewrite
    {
        Placeholder,
        ServerPlaceholder,
        EmptyInput,
    }

    /// <summary>
    /// Writes the cleared blocks into the arrays of their messages: all of them into one JSON document, so that a
    /// clearing of thousands of blocks makes one document, not thousands of small ones for the collector to move.
    /// </summary>
    private static void WriteCleared(List<(ContextBlock[] Blocks, int Index, Rewrite How, ContextBlock Placeholder)> pending)
    {
        var array = Write(pending, static (writer, pending) =>
        {
            writer.WriteStartArray();
            foreach (var (blocks, index, how, placeholder) in pending)
            {
                switch (how)
                {
                    case Rewrite.Placeholder:
                        ClientToolResults.WriteCleared(writer, blocks[index], placeholder);
                        break;
                    case Rewrite.ServerPlaceholder:
                        ServerToolResults.WriteCleared(writer, blocks[index], placeholder);
                        break;
                    default:
                        ClientToolResults.WriteWithEmptyInput(writer, blocks[index]);
                        break;
                }
            }

            writer.WriteEndArray();
        });

        var k = 0;
        foreach (var element in array.EnumerateArray())
        {
            var (blocks, index, _, _) = pending[k++];
            blocks[index] = ContextBlock.FromJson(element);
        }
    }

    private static (ContextRequest? Edited, int Cleared) ClearThinking(ContextRequest request, ClearThinkingEdit edit)
    {
        var keep = edit.EffectiveKeepTurnsFor(request.Model);
        if (keep == long.MaxValue)
        {
            return (null, 0);
        }

        // Walk back from the end: the turn count grows at each message that starts a turn, and the thinking turns are
        // counted as they are met, so everything past the kept ones is known in one pass.
        var messages = request.Messages;
        List<(int, ContextMessage)>? replaced = null;
        var (turn, lastThinkingTurn, thinkingTurns, lastClearedTurn, clearedTurns) = (0, -1, 0L, -1, 0);
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            var message = messages[i];
            if (message.IsAssistant && HasThinking(message))
            {
                if (turn != lastThinkingTurn)
                {
                    (lastThinkingTurn, thinkingTurns) = (turn, thinkingTurns + 1);
                }

                if (thinkingTurns > keep && WithoutThinking(message) is { } stripped)
                {
                    (replaced ??= []).Add((i, stripped));
                    if (turn != lastClearedTurn)
                    {
                        (lastClearedTurn, clearedTurns) = (turn, clearedTurns + 1);
                    }
                }
            }

            if (message.StartsTurn)
            {
                turn++;
            }
        }

        if (replaced is null)
        {
            return (null, 0);
        }

        replaced.Reverse();
        return (request.WithMessages(new MessageOverlay(messages, replaced)), clearedTurns);
    }

    private static bool HasThinking(ContextMessage message)
    {
        var blocks = message.Blocks;
        for (var b = 0; b < blocks.Count; b++)
        {
            if (blocks[b].Kind is ContextBlockKind.Thinking or ContextBlockKind.RedactedThinking)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The message without its thinking; <see langword="null"/> when nothing else would be left (the API rejects empty messages).</summary>
    private static ContextMessage? WithoutThinking(ContextMessage message)
    {
        var kept = new List<ContextBlock>(message.Blocks.Count);
        foreach (var block in message.Blocks)
        {
            if (block.Kind is not (ContextBlockKind.Thinking or ContextBlockKind.RedactedThinking))
            {
                kept.Add(block);
            }
        }

        return kept.Count == 0 ? null : message.WithBlocks(kept);
    }

    private static int FindResult(ContextMessage answer, string? toolUseId, ContextBlockKind kind)
    {
        if (answer.IsAssistant != (kind == ContextBlockKind.ServerToolResult) || toolUseId is null)
        {
            return -1;
        }

        var blocks = answer.Blocks;
        for (var i = 0; i < blocks.Count; i++)
        {
            if (blocks[i].Kind == kind && blocks[i].ToolUseId == toolUseId)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Writes a block and reads it back as an element of its own, through a buffer and writer kept per thread.</summary>
    private static JsonElement Write<TState>(TState state, Action<Utf8JsonWriter, TState> write)
    {
        var buffer = _threadBuffer ??= new ArrayBufferWriter<byte>(1024);
        var writer = _threadWriter ??= new Utf8JsonWriter(buffer);
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        write(writer, state);
        writer.Flush();
        var reader = new Utf8JsonReader(buffer.WrittenSpan);
        var element = JsonElement.ParseValue(ref reader);
        if (buffer.Capacity > 1 << 20)
        {
            // A large clearing's buffer is not kept for the thread's life.
            (_threadBuffer, _threadWriter) = (null, null);
        }

        return element;
    }
}
