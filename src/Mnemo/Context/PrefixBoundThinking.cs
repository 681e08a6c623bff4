using System.Globalization;

namespace Mnemo.Context;

/// <summary>
/// What editing did on a model whose thinking blocks are bound to their prefix (<see cref="ClaudeModel.ThinkingPrefixBound"/>):
/// an edit that changes the conversation before a kept thinking block would make the API refuse the request, so the
/// blocks of earlier turns that it would invalidate are removed (the API allows leaving out earlier turns' thinking), and
/// an edit that would invalidate the thinking of the turn in progress waits for the next turn.
/// </summary>
/// <param name="RemovedBlocks">The thinking blocks removed, as <c>messages.{i}.content.{j}</c> of the request given to the editor.</param>
/// <param name="DeferredEdits">The strategies whose changes were held back to the next turn, by type.</param>
/// <param name="Reason">Why, in a sentence.</param>
public sealed record ThinkingBindingReport(IReadOnlyList<string> RemovedBlocks, IReadOnlyList<string> DeferredEdits, string Reason);

/// <summary>Keeps client-side edits from breaking prefix-bound thinking blocks.</summary>
internal static class PrefixBoundThinking
{
    /// <summary>Judges an edited request against the one it was made from.</summary>
    /// <param name="original">The request as the model would see it unedited (compaction blocks applied).</param>
    /// <param name="edited">The request with every edit applied.</param>
    /// <param name="origins">Where each message of <paramref name="original"/> came from in the caller's request; <see langword="null"/> when the same.</param>
    /// <param name="types">The strategies that changed something.</param>
    /// <returns>The request to send (edited less the invalidated blocks, or <see langword="null"/> to send the original) and the report;
    /// (<paramref name="edited"/>, <see langword="null"/>) when no kept thinking block is affected.</returns>
    public static (ContextRequest? Request, ThinkingBindingReport? Report) Guard(
        ContextRequest original, ContextRequest edited, int[]? origins, IReadOnlyList<string> types)
    {
        var (message, block) = FirstChange(original.Messages, edited.Messages);
        if (message < 0)
        {
            return (edited, null);
        }

        var turnStart = TurnStart(edited.Messages);
        if (HasThinkingAfter(edited.Messages, Math.Max(message, turnStart + 1), message, block))
        {
            // The turn in progress must keep its thinking in a tool loop: the edit waits for the turn to end.
            return (null, new ThinkingBindingReport([], types,
                "the edit would change the conversation before the thinking of the turn in progress, which is bound to it on this model; it is held back until the turn ends"));
        }

        var removed = new List<(int Message, int Block)>();
        for (var i = message; i < edited.Messages.Count; i++)
        {
            var blocks = edited.Messages[i].Blocks;
            for (var j = i == message ? block : 0; j < blocks.Count; j++)
            {
                if (IsThinking(blocks[j]))
                {
                    removed.Add((i, j));
                }
            }
        }

        if (removed.Count == 0)
        {
            return (edited, null);
        }

        var messages = edited.Messages.ToArray();
        foreach (var group in removed.GroupBy(r => r.Message))
        {
            var drop = group.Select(r => r.Block).ToHashSet();
            messages[group.Key] = messages[group.Key].WithBlocks([.. messages[group.Key].Blocks.Where((_, j) => !drop.Contains(j))]);
        }

        var paths = removed.Select(r => Path(r.Message, r.Block, original, edited, origins)).ToList();
        return (edited.WithMessages(messages), new ThinkingBindingReport(paths, [],
            "the edit changed the conversation before these earlier turns' thinking blocks, which are bound to it on this model; they were removed, as the API allows"));
    }

    /// <summary>Where the conversation first differs, thinking left out: the message and, in it, the block.</summary>
    private static (int Message, int Block) FirstChange(IReadOnlyList<ContextMessage> original, IReadOnlyList<ContextMessage> edited)
    {
        if (original.Count != edited.Count)
        {
            // Compaction: everything kept now follows a summary.
            return (0, 0);
        }

        // An overlay knows the first message it replaced; the messages before it are the original's own.
        for (var i = edited is MessageOverlay overlay ? overlay.FirstChangeOver(original) : 0; i < edited.Count; i++)
        {
            if (ReferenceEquals(original[i], edited[i]))
            {
                continue;
            }

            var before = original[i].Blocks.Where(b => !IsThinking(b)).ToList();
            var after = edited[i].Blocks;
            var k = 0;
            for (var j = 0; j < after.Count; j++)
            {
                if (IsThinking(after[j]))
                {
                    continue;
                }

                if (k >= before.Count || !ReferenceEquals(before[k], after[j]))
                {
                    return (i, j);
                }

                k++;
            }

            if (k < before.Count)
            {
                return (i, after.Count);
            }
        }

        return (-1, -1);
    }

    /// <summary>Whether a thinking block stands at or after message <paramref name="from"/> (in the changed message, after
    /// its changed block): one the edit would invalidate.</summary>
    private static bool HasThinkingAfter(IReadOnlyList<ContextMessage> messages, int from, int changedMessage, int changedBlock)
    {
        for (var i = messages.Count - 1; i >= from; i--)
        {
            var blocks = messages[i].Blocks;
            for (var j = i == changedMessage ? changedBlock : 0; j < blocks.Count; j++)
            {
                if (IsThinking(blocks[j]))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The last user message with no tool result: the start of the turn in progress; -1 when there is none.</summary>
    private static int TurnStart(IReadOnlyList<ContextMessage> messages)
    {
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            if (messages[i].Role == "user" && !messages[i].Blocks.Any(b => b.Kind == ContextBlockKind.ToolResult))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool IsThinking(ContextBlock block) => block.Kind is ContextBlockKind.Thinking or ContextBlockKind.RedactedThinking;

    /// <summary>A block's path in the caller's request: the edited request keeps the original's messages in place unless
    /// it compacted, and a block's index counts the thinking blocks still there.</summary>
    private static string Path(int message, int block, ContextRequest original, ContextRequest edited, int[]? origins)
    {
        var index = original.Messages.Count == edited.Messages.Count ? message : -1;
        var at = index >= 0 && origins is not null ? origins[index] : index;
        if (at < 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"sent messages.{message}.content.{block}");
        }

        // The block itself is the original's (thinking is never rewritten): its place there, not in the edited message.
        var thinking = edited.Messages[message].Blocks[block];
        var found = original.Messages[index].Blocks.ToList().FindIndex(b => ReferenceEquals(b, thinking));
        return string.Create(CultureInfo.InvariantCulture, $"messages.{at}.content.{(found >= 0 ? found : block)}");
    }
}
