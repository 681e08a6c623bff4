using Mnemo.Context;

namespace Mnemo.Anthropic.Agents;

/// <summary>Watches a session's approach to a clearing: how close each request is to the trigger, when the model is to be
/// warned, which tool uses each clearing newly took, and whether the model wrote to memory between the warning and the clearing.</summary>
/// <remarks>
/// An approach begins when a request reaches the warning level (<see cref="AgentSessionOptions.WarningRatio"/> of the
/// trigger), is warned of once, and ends at the first request that clears tool uses not cleared before, with a
/// <see cref="PreservationRecord"/>. It is over, too, when a request falls back below the warning level. Not thread-safe:
/// the session runs one turn at a time.
/// </remarks>
internal sealed class ContextPressureMonitor
{
    private ClearToolUsesEdit? _clearToolUses;
    private readonly Dictionary<string, string?> _clearedTools = new(StringComparer.Ordinal);
    private readonly CompactEdit? _compact;
    private readonly double? _warningRatio;
    private readonly bool _warns;
    private readonly long _lookAheadTokens;
    private bool _lookAhead;
    private readonly PreservationTracker _tracker;
    private Approach _approach;
    private int _clearedToolUses;
    private (int Request, long Tokens) _context;
    private readonly Dictionary<string, int> _callRequests = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _memoryInputs = new(StringComparer.Ordinal);
    private readonly List<(int Request, string Text)> _saves = [];

    /// <summary>Initializes a new instance of the <see cref="ContextPressureMonitor"/> class.</summary>
    /// <param name="clearToolUses">The tool-use clearing in force, whose trigger the pressure is measured against; <see langword="null"/> for none.</param>
    /// <param name="compact">The compaction in force, whose trigger counts too; <see langword="null"/> for none.</param>
    /// <param name="warningRatio">The share of the trigger at which to warn; <see langword="null"/> for no warning.</param>
    /// <param name="hasMemory">Whether the model has a memory tool to save to (without one there is nothing to warn of).</param>
    /// <param name="lookAheadShare">The share of the nearest input-token trigger one tool result may fill before the next
    /// request is warned whatever its ratio; 0 for no look-ahead.</param>
    /// <param name="time">The clock of the preservation records' seconds; the system's when <see langword="null"/>.</param>
    public ContextPressureMonitor(ClearToolUsesEdit? clearToolUses, CompactEdit? compact, double? warningRatio, bool hasMemory, double lookAheadShare = 0, TimeProvider? time = null)
    {
        _tracker = new PreservationTracker(time ?? TimeProvider.System);
        _clearToolUses = clearToolUses;
        _compact = compact;
        _warningRatio = warningRatio;
        _warns = warningRatio is not null && (clearToolUses is not null || compact is not null) && hasMemory;
        var trigger = Math.Min(
            clearToolUses?.EffectiveTrigger is { Kind: ContextTriggerKind.InputTokens } clear ? clear.Value : long.MaxValue,
            compact?.EffectiveTriggerTokens ?? long.MaxValue);
        _lookAheadTokens = lookAheadShare > 0 && trigger != long.MaxValue ? (long)(trigger * lookAheadShare) : long.MaxValue;
    }

    /// <summary>How close a request is to the nearest trigger: the clearing's (its input tokens, or its tool uses, over the
    /// trigger's value) or the compaction's (its input tokens over the trigger).</summary>
    /// <param name="request">The request as the model would see it unedited.</param>
    /// <param name="projected">Its projected input tokens.</param>
    /// <returns>The ratio (over 1: past the trigger), and whether the nearest trigger is the compaction's; a <see langword="null"/>
    /// ratio without either strategy.</returns>
    public (double? Ratio, bool Compaction) TriggerRatio(ContextRequest request, long projected)
    {
        double? clearing = null;
        if (_clearToolUses is not null)
        {
            var trigger = _clearToolUses.EffectiveTrigger;
            var value = trigger.Kind == ContextTriggerKind.ToolUses ? ContextEditor.CountToolUses(request.Messages) : projected;
            clearing = value / (double)trigger.Value;
        }

        double? compaction = _compact is null ? null : projected / (double)_compact.EffectiveTriggerTokens;
        return compaction > (clearing ?? double.MinValue) ? (compaction, true) : (clearing, false);
    }

    /// <summary>Takes in a compaction: it ends the approach as a clearing does, and the context starts small again.</summary>
    /// <param name="request">The request it was applied to.</param>
    /// <param name="removedTokens">The input tokens it took out of that request.</param>
    /// <returns>The approach's record.</returns>
    public PreservationRecord Compacted(int request, long removedTokens)
    {
        // What the clearing reports count from is gone with the context it was in.
        _clearedToolUses = 0;
        _clearedTools.Clear();
        _approach = Approach.None;
        return _tracker.Cleared(request, 0, removedTokens) with { Compacted = true };
    }

    /// <summary>Tells whether the request about to go out should carry the warning: the first of an approach, ending with a user's turn.</summary>
    /// <param name="ratio">The request's <see cref="TriggerRatio"/>.</param>
    /// <param name="endsWithAssistant">Whether the conversation ends with the assistant's (paused) turn, which takes no warning.</param>
    /// <returns><see langword="true"/> to warn; then call <see cref="Warned"/>.</returns>
    /// <remarks>A request below the warning level ends whatever approach there was, so the next one is warned of again.</remarks>
    public bool ShouldWarn(double? ratio, bool endsWithAssistant)
    {
        if (!_lookAhead && (ratio is not { } pressure || pressure < (_warningRatio ?? 1)))
        {
            _approach = Approach.None;
            return false;
        }

        return _warns && _approach == Approach.None && !endsWithAssistant;
    }

    /// <summary>Takes note that the warning went into a request; memory writes are counted from here.</summary>
    /// <param name="request">The request's number.</param>
    /// <param name="projected">Its projected input tokens.</param>
    public void Warned(int request, long projected)
    {
        _approach = Approach.Warned;
        _lookAhead = false;
        _tracker.Warn(request, projected);
    }

    /// <summary>Takes note that the warning went into a request that clears all the same (it could not be held back):
    /// the approach ends there unwarned.</summary>
    public void WarnedTooLate() => _tracker.Unwarn();

    /// <summary>Takes in the edits applied to a request: which tool uses it cleared for the first time, and the end of the
    /// approach when it cleared any.</summary>
    /// <param name="request">The request's number.</param>
    /// <param name="edits">The edits, as the API reports them (counting what earlier requests cleared too).</param>
    /// <param name="messages">The conversation the request sent, unedited.</param>
    /// <returns>How many tool uses it cleared for the first time, their <c>tool_use</c> blocks (oldest first), each one's
    /// judgement (whether a save covers it), and the approach's record when this is its clearing.</returns>
    public (int Newly, IReadOnlyList<ContextBlock> NewlyCleared, IReadOnlyList<ClearedResult> Judged, PreservationRecord? Record) Cleared(
        int request, IReadOnlyList<AppliedContextEdit> edits, IReadOnlyList<ContextMessage> messages)
    {
        var before = _clearedToolUses;
        var (newly, clearedTokens) = (0, 0L);
        foreach (var edit in edits.Where(edit => edit.Type != ClearThinkingEdit.TypeName))
        {
            // The whole conversation goes out each time, so a report counts the tool uses cleared before as well: those
            // beyond the most seen so far are new.
            newly = Math.Max(0, edit.ClearedToolUses - _clearedToolUses);
            _clearedToolUses += newly;
            clearedTokens = edit.ClearedInputTokens;
        }

        if (newly == 0)
        {
            return (0, [], [], null);
        }

        // Both sides clear the oldest tool uses first, skipping the excluded ones, so the k cleared are the first k of those.
        var cleared = ClearableToolUses(messages).Skip(before).Take(newly).ToList();
        foreach (var block in cleared)
        {
            _clearedTools[block.ToolUseId ?? string.Empty] = block.ToolName;
        }

        ClearedResult[] judged = [.. cleared.Select(block => Judge(block, request))];
        if (_approach == Approach.Clearing)
        {
            // The whole conversation goes out each time and only grows, so once over the trigger every request clears
            // what has aged out since: the approach ended at the first of these clearings, but each result is judged.
            return (newly, cleared, judged, null);
        }

        _approach = Approach.Clearing;
        return (newly, cleared, judged, _tracker.Cleared(request, newly, clearedTokens) with { ClearedResults = judged });
    }

    /// <summary>Takes in a new tool-use clearing (adaptive mode changed it): the trigger is the same, but a tool newly
    /// excluded is no longer cleared, so the results of it cleared before are back and no longer count as cleared.</summary>
    /// <param name="clearToolUses">The clearing now in force.</param>
    public void Reconfigure(ClearToolUsesEdit clearToolUses)
    {
        _clearToolUses = clearToolUses;
        _clearedToolUses = _clearedTools.Count(pair => !clearToolUses.Excludes(pair.Value));
    }

    /// <summary>Follows what the model does between a warning and a clearing: the size of the context, its memory writes.</summary>
    /// <param name="agentEvent">An event of the session, in order.</param>
    public void Observe(AgentEvent agentEvent)
    {
        switch (agentEvent)
        {
            case AgentResponseEvent response:
                _context = (response.Request, response.InputTokens + response.OutputTokens);
                break;
            case AgentToolCallEvent call:
                _callRequests[call.Id] = call.Request;
                if (call.Name == AgentSession.MemoryToolName)
                {
                    _memoryInputs[call.Id] = string.Join('\n', Strings(call.Input));
                }

                break;
            case AgentToolResultEvent { IsMemoryWrite: true } write:
                _tracker.MemoryWritten(write.Request, write.Request == _context.Request ? _context.Tokens : 0, write.IsMemorySave);
                if (write.IsMemorySave && _memoryInputs.Remove(write.Id, out var saved))
                {
                    _saves.Add((write.Request, saved));
                }

                break;
            case AgentToolResultEvent result when Mnemo.Tokens.TokenEstimator.Estimate(result.Content.AsSpan()) > _lookAheadTokens:
                // One result this large is the step that jumps past the trigger: the next request is warned whatever its ratio.
                _lookAhead = true;
                break;
        }
    }

    /// <summary>Whether memory covers a cleared result: a save made after it arrived (in the response to a later request)
    /// and before the clearing, whose text mentions one of the call's input values.</summary>
    private ClearedResult Judge(ContextBlock use, int clearing)
    {
        var input = use.Json.TryGetProperty("input"u8, out var value) ? value.Clone() : default;
        var arrived = use.ToolUseId is { } id && _callRequests.TryGetValue(id, out var at) ? at : 0;
        var after = _saves.Where(save => save.Request > arrived && save.Request < clearing).ToList();
        var names = Strings(input).Where(text => text.Length >= 3).ToList();
        var covered = after.Any(save => names.Any(name => save.Text.Contains(name, StringComparison.OrdinalIgnoreCase)));
        return new ClearedResult(use.ToolName ?? string.Empty, input, after.Count > 0, covered) { ClearedAtRequest = clearing };
    }

    /// <summary>The text values of a tool's input, at any depth.</summary>
    private static IEnumerable<string> Strings(System.Text.Json.JsonElement json) => json.ValueKind switch
    {
        System.Text.Json.JsonValueKind.String => [json.GetString()!],
        System.Text.Json.JsonValueKind.Object => json.EnumerateObject().SelectMany(property => Strings(property.Value)),
        System.Text.Json.JsonValueKind.Array => json.EnumerateArray().SelectMany(Strings),
        _ => [],
    };

    /// <summary>The tool uses clearing may take, oldest first: every answered one whose tool is not excluded.</summary>
    private IEnumerable<ContextBlock> ClearableToolUses(IReadOnlyList<ContextMessage> messages)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            if (!messages[i].IsAssistant)
            {
                continue;
            }

            foreach (var block in messages[i].Blocks)
            {
                var answered = block.Kind switch
                {
                    ContextBlockKind.ToolUse => i + 1 < messages.Count &&
                        messages[i + 1].Blocks.Any(b => b.Kind == ContextBlockKind.ToolResult && b.ToolUseId == block.ToolUseId),
                    ContextBlockKind.ServerToolUse => messages[i].Blocks.Any(b => b.Kind == ContextBlockKind.ServerToolResult && b.ToolUseId == block.ToolUseId),
                    _ => false,
                };
                if (answered && _clearToolUses?.Excludes(block.ToolName) != true)
                {
                    yield return block;
                }
            }
        }
    }

    /// <summary>Where the conversation stands on its way to a clearing.</summary>
    private enum Approach
    {
        /// <summary>Below the warning level, or no warning given yet.</summary>
        None,

        /// <summary>Warned; the clearing has not come yet.</summary>
        Warned,

        /// <summary>Cleared: every request now clears what ages out.</summary>
        Clearing,
    }
}
