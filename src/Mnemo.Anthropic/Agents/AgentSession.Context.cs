using System.Globalization;
using System.Text.Json;
using Mnemo.Context;

namespace Mnemo.Anthropic.Agents;

/// <summary>The session's context handling: projecting a request as the model sees it, the warning before a clearing
/// (and holding the clearing back), instructions, and compaction done on this side.</summary>
public sealed partial class AgentSession
{
    /// <summary>Warns the model when a clearing or compaction is near (once per approach); under
    /// <see cref="PreserveBeforeClear.Guarantee"/>, a request that would clear is held back from clearing, unless even
    /// that request would not fit the model's window.</summary>
    /// <returns>The request as it now stands, its view and projection, and the hold-back for the request builder.</returns>
    private async Task<(ContextRequest Request, ContextRequest View, long Projected, (long, int)? HoldBack)> WarnIfNearAsync(
        int number, (ContextRequest Request, ContextRequest View, long Projected) now, double? ratio, bool nearCompaction, CancellationToken cancellationToken)
    {
        var (request, view, projected) = now;
        (long, int)? holdBack = null;
        if (_monitor.ShouldWarn(ratio, _conversation.EndsWithAssistant))
        {
            Instruct(await WarningAsync(nearCompaction ? _options.CompactionWarning : _options.ContextWarning, cancellationToken).ConfigureAwait(false));
            _monitor.Warned(number, projected);
            var warnedAt = projected;
            (request, view, projected) = await ProjectAsync(cancellationToken).ConfigureAwait(false);
            string? tooLate = null;
            if (_preserve == PreserveBeforeClear.Guarantee && _monitor.TriggerRatio(view, projected).Ratio > 1)
            {
                // This request would clear: it goes out whole with the warning, and the clearing waits one request, so
                // the model has a turn to save. Unless even that request would not fit the model's window.
                var window = ClaudeModels.Find(_options.Model).Model.ContextWindow;
                if (projected + _options.MaxTokens <= window)
                {
                    holdBack = (projected, ContextEditor.CountToolUses(view.Messages));
                }
                else
                {
                    _monitor.WarnedTooLate();
                    tooLate = string.Create(CultureInfo.InvariantCulture,
                        $"the warning could not come before the clearing: request {number} ({projected:N0} input tokens and {_options.MaxTokens:N0} to write) would not fit {_options.Model}'s window of {window:N0} unedited, so it clears now and the approach counts as not warned");
                }
            }

            Raise(new AgentContextWarningEvent(number, warnedAt, ratio ?? 0) { IsCompaction = nearCompaction, HoldsBackClearing = holdBack is not null });
            if (tooLate is not null)
            {
                Raise(new AgentSetupWarningEvent(number, tooLate));
            }
        }


        return (request, view, projected, holdBack);
    }

    /// <summary>The warning, pointing to the preservation checklist when the memory holds one (a template installed it).</summary>
    private async Task<string> WarningAsync(string warning, CancellationToken cancellationToken)
    {
        var checklist = "/memories/" + Mnemo.Memory.MemoryTemplate.PreservationChecklist;
        if (warning.Contains(checklist, StringComparison.Ordinal) ||
            _options.Memory?.GetService(typeof(Mnemo.Memory.IMemoryStore)) is not Mnemo.Memory.IMemoryStore store ||
            !Mnemo.Memory.MemoryPath.TryParse(checklist, out var path, out _))
        {
            return warning;
        }

        try
        {
            return await store.ReadAsync(path, cancellationToken).ConfigureAwait(false) is { Kind: Mnemo.Memory.MemoryEntryKind.File }
                ? warning + " Your checklist for this is " + checklist + ": go through it first."
                : warning;
        }
        catch (Mnemo.Memory.MemoryException)
        {
            return warning;
        }
    }

    /// <summary>Puts an instruction at the end of the conversation, which ends with a user's turn.</summary>
    private void Instruct(string text) => _conversation.AddInstruction(text, asSystemMessage: UsesSystemMessages);

    /// <summary>The request the conversation makes now, unedited; as the model sees it (a compaction block in it standing
    /// in for what came before); and that view's projected input tokens.</summary>
    private async Task<(ContextRequest Request, ContextRequest View, long Projected)> ProjectAsync(CancellationToken cancellationToken)
    {
        var request = _requests.Unedited(_conversation.Messages);
        var view = ContextEditor.ApplyCompactionBlocks(request);
        return (request, view, await _counter.CountAsync(view, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Takes in a compaction made here: reports it, keeps its block in the history where the API would have put
    /// it, and pauses the run before the request when the edit asks to, with the response the API would have sent.</summary>
    /// <returns>The paused turn; <see langword="null"/> to send the request.</returns>
    private AgentTurn? Compacted(int number, ContextCompaction compaction)
    {
        Raise(new AgentCompactionEvent(number, ContextEditingSide.Client, compaction.Summary, compaction.InputTokensBefore,
            compaction.Usage.InputTokens, compaction.Usage.OutputTokens, compaction.Paused));
        var block = AgentConversation.Json(compaction.WriteBlock);
        if (compaction.Succeeded)
        {
            Raise(new AgentPreservationEvent(number, _monitor.Compacted(number, compaction.InputTokensBefore - compaction.InputTokensAfter)));
        }

        if (compaction.InsertAt >= 0)
        {
            _conversation.PrependBlock(compaction.InsertAt, block);
        }
        else
        {
            _pendingCompactionBlock = block;
        }

        if (!compaction.Paused)
        {
            return null;
        }

        // What the API returns when it pauses after compacting: the block alone, stop reason "compaction".
        var response = AgentResponses.PausedAfterCompaction(_options.Model, block);
        if (compaction.InsertAt < 0)
        {
            // No assistant message to carry the block: it is the turn's own, as the API would send it.
            _pendingCompactionBlock = null;
            _conversation.Add(AgentConversation.Json(writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("role"u8, "assistant");
                writer.WriteStartArray("content"u8);
                block.WriteTo(writer);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }));
            _paused = true;
        }

        var (cause, message) = AgentResponses.StopOf("compaction", 0, _options.MaxTokens);
        return new AgentTurn(number, response, string.Empty, 0, cause, message);
    }
}
