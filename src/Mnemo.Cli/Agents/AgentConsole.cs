using System.Globalization;
using Mnemo.Anthropic.Agents;

namespace Mnemo.Cli.Agents;

/// <summary>Prints a session's events as they happen: what the assistant says, the tools it calls, and the context editing.</summary>
internal sealed class AgentConsole
{
    private readonly TextWriter _out;
    private readonly string _speaker;
    private readonly bool _streaming;
    private bool _midText;
    private long _projected;
    private bool _clearedThisRequest;

    public AgentConsole(TextWriter output, bool scripted, bool streaming)
    {
        _out = output;
        _speaker = scripted ? "assistant (scripted)" : "claude";
        _streaming = streaming;
    }

    public void Write(AgentEvent agentEvent)
    {
        var c = CultureInfo.InvariantCulture;
        switch (agentEvent)
        {
            case AgentRequestEvent request:
                // The conversation's size before any clearing; a clearing line says how much of it was not sent.
                _out.WriteLine(request.TriggerRatio is { } ratio
                    ? string.Create(c, $"  [request {request.Request}: {request.ProjectedInputTokens:N0} input tokens in the conversation, {ratio * 100:0}% of the clearing trigger]")
                    : string.Create(c, $"  [request {request.Request}: {request.ProjectedInputTokens:N0} input tokens in the conversation]"));
                _projected = request.ProjectedInputTokens;
                break;
            case AgentTextDeltaEvent delta:
                if (!_midText)
                {
                    _out.Write($"  {_speaker}: ");
                    _midText = true;
                }

                _out.Write(delta.Text.Replace("\n", "\n    ", StringComparison.Ordinal));
                break;
            case AgentResponseEvent response:
                if (_clearedThisRequest)
                {
                    // What the API counted as sent, after the clearing: the figure the session's summary adds up.
                    _out.WriteLine(string.Create(c, $"     request {response.Request} sent {response.InputTokens:N0} input tokens of the conversation's {_projected:N0}"));
                    _clearedThisRequest = false;
                }

                if (_midText)
                {
                    _out.WriteLine();
                    _midText = false;
                }
                else if (!_streaming && response.Text.Length > 0)
                {
                    _out.WriteLine($"  {_speaker}: {response.Text.Replace("\n", "\n    ", StringComparison.Ordinal)}");
                }
                else if (response.Text.Length == 0 && response.ThinkingBlocks > 0)
                {
                    // Newer models return the text between tool calls inside thinking, empty unless it is asked for: say
                    // that the model thought rather than go silent.
                    var shown = response.Thinking.Split('\n')[0];
                    _out.WriteLine(shown.Length > 0
                        ? $"  {_speaker} (thinking): {(shown.Length > 160 ? string.Concat(shown.AsSpan(0, 160), "…") : shown)}"
                        : string.Create(c, $"  {_speaker} thought ({response.ThinkingBlocks} block(s), not shown by the model; {response.OutputTokens:N0} output tokens)"));
                }

                break;
            case AgentToolCallEvent call:
                _out.WriteLine($"  -> {ToolUseText.Describe(call.Name, call.Input)}");
                break;
            case AgentToolResultEvent result:
                var first = result.Content.Split('\n')[0];
                var lines = result.Content.Count(ch => ch == '\n');
                _out.WriteLine(result.IsError
                    ? $"     error: {first}"
                    : lines > 0 ? string.Create(c, $"     {first} (+{lines} lines)") : $"     {first}");
                break;
            case AgentContextWarningEvent warning:
                _out.WriteLine(string.Create(c,
                    $"  !! {(warning.IsCompaction ? "compaction" : "clearing")} is near ({warning.TriggerRatio * 100:0}% of the trigger): the model is told to save what it needs to memory now{(warning.HoldsBackClearing ? "; this request is past the trigger already, so it goes out unedited and the clearing waits one turn" : string.Empty)}"));
                break;
            case AgentThinkingBindingEvent binding:
                _out.WriteLine(binding.Report.DeferredEdits.Count > 0
                    ? $"  -- context editing held back ({string.Join(", ", binding.Report.DeferredEdits)}): {binding.Report.Reason}"
                    : $"  -- {binding.Report.RemovedBlocks.Count} thinking block(s) of earlier turns removed ({string.Join(", ", binding.Report.RemovedBlocks)}): {binding.Report.Reason}");
                break;
            case AgentDigestEvent digest:
                _out.WriteLine($"  -- digest: {digest.Ids.Count} cleared result(s) summarised in {digest.Path} (id {string.Join(", ", digest.Ids)}){(digest.Folded > 0 ? $"; {digest.Folded} older entr(ies) folded to keep the file within its size" : string.Empty)}");
                break;
            case AgentReacquisitionEvent { Recalled: true } recalled:
                _out.WriteLine($"  <- recalled: {ToolUseText.Describe(recalled.Name, recalled.Input)}, cleared earlier, comes back from the archive as it was");
                break;
            case AgentReacquisitionEvent again:
                _out.WriteLine($"  !! re-acquired: {ToolUseText.Describe(again.Name, again.Input)} was cleared earlier and is fetched again");
                break;
            case AgentAdaptiveChangeEvent adaptive:
                _out.WriteLine($"  -- adaptive: {adaptive.Change.Setting} {(adaptive.Change.From.Length == 0 ? "(none)" : adaptive.Change.From)} -> {adaptive.Change.To}, because {adaptive.Change.Reason}");
                break;
            case AgentClearingBatchedEvent batched:
                _out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  -- adaptive: clearing held for a larger batch (keep {batched.Keep}): freeing {batched.BacklogTokens:N0} tokens now would not pay for rewriting {batched.RewrittenTokens:N0} cached"));
                break;
            case AgentSetupWarningEvent setup:
                _out.WriteLine($"  !! {setup.Message}");
                break;
            case AgentCompactionEvent compaction:
                var where = compaction.Side == ContextEditingSide.Server ? "on the server" : "on the client";
                _out.WriteLine(compaction.Succeeded
                    ? string.Create(c, $"  -- compaction {where}: the older context ({compaction.InputTokensBefore:N0} tokens) is now a summary of {compaction.Summary!.Length:N0} characters; the summary took {compaction.CompactionInputTokens:N0} input and {compaction.CompactionOutputTokens:N0} output tokens{(compaction.Paused ? "; paused" : string.Empty)}")
                    : $"  !! compaction {where} failed: no summary was made, the context stays as it was");
                _clearedThisRequest = compaction.Succeeded;
                break;
            case AgentContextEditEvent edit:
                var side = edit.Side == ContextEditingSide.Server ? "on the server" : "on the client";
                foreach (var applied in edit.Edits)
                {
                    _out.WriteLine(applied.Type == Mnemo.Context.ClearThinkingEdit.TypeName
                        ? string.Create(c, $"  -- context editing {side}: thinking of {applied.ClearedThinkingTurns} turn(s) cleared, {applied.ClearedInputTokens:N0} tokens not sent")
                        : edit.NewlyClearedToolUses == 0
                            ? string.Create(c, $"  -- context editing {side}: the same {applied.ClearedToolUses} old tool result(s) cleared again, {applied.ClearedInputTokens:N0} tokens not sent")
                            : string.Create(c,
                                $"  -- context editing {side}: {applied.ClearedToolUses} old tool result(s) cleared, {applied.ClearedInputTokens:N0} tokens not sent; memory kept"));
                }

                foreach (var cleared in edit.ClearedResults)
                {
                    _out.WriteLine($"     cleared now, {(cleared.Covered ? "covered by a save" : cleared.SavedAfter ? "NOT covered (no save after it names it)" : "NOT covered (nothing saved after it)")}: {ToolUseText.Describe(cleared.Tool, cleared.Input)}");
                }

                _clearedThisRequest = true;

                break;
            case AgentPreservationEvent preservation:
                var record = preservation.Record;
                var what = record.Compacted ? "compaction" : "clearing";
                _out.WriteLine(record switch
                {
                    { Preserved: true } => string.Create(c,
                        $"  ok preserve-before-clear: the model saved to memory {record.TurnsToFirstWrite} request(s) and {record.SecondsToFirstSave:0.00} s after the warning ({record.MemorySaves} save(s)), before this {what}"),
                    { Warned: true } => $"  !! preserve-before-clear: warned, but nothing was saved to memory before this {what}",
                    _ => $"  !! preserve-before-clear: this {what} came without a warning",
                });
                break;
            case AgentRunEndEvent end when end.Result.Message is { } message:
                _out.WriteLine($"  stopped: {message}");
                break;
        }
    }
}
