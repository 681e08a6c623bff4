using Mnemo.Context;

namespace Mnemo.Anthropic.Agents;

/// <summary>Sums a session's events into its <see cref="AgentSessionSummary"/>: the same events its metrics are recorded from,
/// so the two always agree.</summary>
/// <remarks>Not thread-safe: events come in order from the session's one flow.</remarks>
internal sealed class AgentSessionTally
{
    private readonly List<PreservationRecord> _preservations = [];
    private readonly List<ContextBlock> _clearedToolUseBlocks = [];
    private readonly List<ClearedResult> _clearedResults = [];
    private readonly List<AgentReacquisitionEvent> _reacquisitions = [];
    private readonly List<AdaptiveChange> _adaptiveChanges = [];
    private int _batchedRequests;
    private ResumptionRecord? _resumption;
    private int _requests;
    private long _inputTokens;
    private long _maxInputTokens;
    private long _outputTokens;
    private int _toolCalls;
    private int _toolErrors;
    private int _editedRequests;
    private int _clearings;
    private int _clearedToolUses;
    private long _clearedInputTokens;
    private int _clearedThinkingTurns;
    private int _warnings;
    private int _compactions;
    private int _failedCompactions;
    private long _compactionInputTokens;
    private long _compactionOutputTokens;
    private int _memoryWrites;
    private TimeSpan _memoryWriteTime;
    private TimeSpan _slowestMemoryWrite;

    /// <summary>Gets how many requests were sent.</summary>
    public int Requests => _requests;

    /// <summary>Gets the summary of every event so far.</summary>
    public AgentSessionSummary Summary => new(
        _requests, _inputTokens, _maxInputTokens, _outputTokens, _toolCalls, _toolErrors, _clearings, _clearedToolUses,
        _clearedInputTokens, _clearedThinkingTurns, _warnings, [.. _preservations], _memoryWrites, _memoryWriteTime, _slowestMemoryWrite)
    {
        EditedRequests = _editedRequests,
        ClearedToolUseBlocks = [.. _clearedToolUseBlocks],
        ClearedResults = [.. _clearedResults],
        Compactions = _compactions,
        FailedCompactions = _failedCompactions,
        CompactionInputTokens = _compactionInputTokens,
        CompactionOutputTokens = _compactionOutputTokens,
        Reacquisitions = [.. _reacquisitions],
        Resumption = _resumption,
        AdaptiveChanges = [.. _adaptiveChanges],
        BatchedRequests = _batchedRequests,
    };

    /// <summary>Adds what an event counts.</summary>
    /// <param name="agentEvent">An event of the session.</param>
    public void Add(AgentEvent agentEvent)
    {
        switch (agentEvent)
        {
            case AgentRequestEvent:
                _requests++;
                break;
            case AgentResponseEvent response:
                _inputTokens += response.InputTokens;
                _outputTokens += response.OutputTokens;
                _maxInputTokens = Math.Max(_maxInputTokens, response.InputTokens);
                break;
            case AgentToolResultEvent result:
                _toolCalls++;
                _toolErrors += result.IsError ? 1 : 0;
                if (result.IsMemoryWrite)
                {
                    _memoryWrites++;
                    _memoryWriteTime += result.Elapsed;
                    _slowestMemoryWrite = result.Elapsed > _slowestMemoryWrite ? result.Elapsed : _slowestMemoryWrite;
                }

                break;
            case AgentContextEditEvent edit:
                _editedRequests++;
                foreach (var applied in edit.Edits)
                {
                    _clearedInputTokens += applied.ClearedInputTokens;
                    _clearedThinkingTurns += applied.Type == ClearThinkingEdit.TypeName ? applied.ClearedThinkingTurns : 0;
                }

                if (edit.NewlyClearedToolUses > 0)
                {
                    _clearings++;
                    _clearedToolUses += edit.NewlyClearedToolUses;
                    _clearedToolUseBlocks.AddRange(edit.NewlyCleared);
                    _clearedResults.AddRange(edit.ClearedResults);
                }

                break;
            case AgentContextWarningEvent:
                _warnings++;
                break;
            case AgentReacquisitionEvent again:
                _reacquisitions.Add(again);
                break;
            case AgentAdaptiveChangeEvent adaptive:
                _adaptiveChanges.Add(adaptive.Change);
                break;
            case AgentClearingBatchedEvent:
                _batchedRequests++;
                break;
            case AgentResumptionEvent resumed:
                _resumption = resumed.Record;
                break;
            case AgentCompactionEvent compaction:
                _compactions += compaction.Succeeded ? 1 : 0;
                _failedCompactions += compaction.Succeeded ? 0 : 1;
                _compactionInputTokens += compaction.CompactionInputTokens;
                _compactionOutputTokens += compaction.CompactionOutputTokens;
                break;
            case AgentPreservationEvent preservation:
                _preservations.Add(preservation.Record);
                break;
        }
    }
}
