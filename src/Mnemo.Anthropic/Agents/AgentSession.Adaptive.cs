using System.Text.Json;
using Mnemo.Context;

namespace Mnemo.Anthropic.Agents;

/// <summary>Adaptive mode: the tool-use clearing follows what the session needs again of what it clears, and clears in
/// batches that pay for the cache they break (<see cref="AgentSessionOptions.Adaptive"/>).</summary>
public sealed partial class AgentSession
{
    private AdaptiveClearing? _adaptive;
    private long _adaptiveReach;
    private (long Answered, long Keep)? _adaptiveSent;

    /// <summary>Gets the tool-use clearing the next request goes out with: in adaptive mode, as it has been adjusted so
    /// far (before any batching); otherwise the one given.</summary>
    public ClearToolUsesEdit? ClearToolUses => _adaptive?.Current ?? _requests.ClearToolUses;

    /// <summary>Gets every change adaptive mode made, in order; empty when it is off.</summary>
    public IReadOnlyList<AdaptiveChange> AdaptiveChanges => _adaptive?.Changes ?? [];

    /// <summary>Starts adaptive mode from the configuration in force (memory already excluded), at the model's prices.</summary>
    private void StartAdaptive()
    {
        if (_options.Adaptive is { } options && _requests.ClearToolUses is { } start)
        {
            _adaptive = new AdaptiveClearing(start, ClaudeModels.Find(_options.Model).Model.Prices, options);
        }
    }

    /// <summary>The configuration for a request in adaptive mode: the clearing as adjusted so far, with <c>keep</c> raised
    /// when this request's clearing is held back for a larger batch (not when the warning holds it back anyway).
    /// <see langword="null"/> when adaptive mode is off.</summary>
    private ContextManagementConfig? AdaptiveConfig(int number, ContextRequest view, long projected, bool heldBack)
    {
        _adaptiveSent = null;
        if (_adaptive is not { } tuner)
        {
            return null;
        }

        var current = tuner.Current;
        var keep = current.EffectiveKeep;
        if (!heldBack)
        {
            // Nothing to free (what ages out is excluded, or cleared already): the request goes as configured, nothing held.
            var measure = tuner.Measure(view.Messages, _adaptiveReach);
            var window = ClaudeModels.Find(_options.Model).Model.ContextWindow;
            keep = measure.BacklogTokens == 0 ? keep : tuner.KeepFor(measure.Answered, _adaptiveReach, measure.BacklogTokens, measure.RewrittenTokens, projected, window);
            if (keep != current.EffectiveKeep)
            {
                Raise(new AgentClearingBatchedEvent(number, keep, measure.BacklogTokens, measure.RewrittenTokens));
            }

            _adaptiveSent = (measure.Answered, keep);
        }

        var edit = new ClearToolUsesEdit
        {
            Trigger = current.Trigger,
            Keep = keep,
            ClearAtLeast = current.ClearAtLeast,
            ExcludeTools = current.ExcludeTools,
            ClearToolInputs = current.ClearToolInputs,
            ClearToolInputsFor = current.ClearToolInputsFor,
        };
        return new ContextManagementConfig([.. _requests.ContextManagement!.Edits.Select(e => e is ClearToolUsesEdit ? edit : e)]);
    }

    /// <summary>Takes in what a request's clearing reached, for the next request's batch.</summary>
    private void AdaptiveApplied(IReadOnlyList<AppliedContextEdit> edits)
    {
        if (_adaptiveSent is { } sent && edits.Any(edit => edit.Type == ClearToolUsesEdit.TypeName && edit.ClearedToolUses > 0))
        {
            _adaptiveReach = Math.Max(_adaptiveReach, sent.Answered - sent.Keep);
        }
    }

    /// <summary>Feeds adaptive mode the events that tell it something: a clearing (what it took for the first time) and a
    /// result needed again (recalled, or fetched by running the tool again); reports each change it makes.</summary>
    private void ObserveAdaptive(AgentEvent agentEvent)
    {
        if (_adaptive is not { } tuner)
        {
            return;
        }

        var made = agentEvent switch
        {
            AgentContextEditEvent { NewlyCleared.Count: > 0 } edit => tuner.Cleared(edit.Request,
                [.. edit.NewlyCleared.Select(block => (block.ToolName ?? string.Empty, InputKey(block.Json.TryGetProperty("input"u8, out var input) ? input : default)))]),
            AgentReacquisitionEvent again => tuner.Needed(again.Request, again.Name, InputKey(again.Input)),
            _ => [],
        };

        foreach (var change in made)
        {
            if (change.Setting == "exclude_tools")
            {
                _monitor.Reconfigure(tuner.Current);
            }

            Raise(new AgentAdaptiveChangeEvent(change.Request, change));
        }
    }

    /// <summary>A call's input as compact JSON, so the same input matches however it was spaced.</summary>
    private static string InputKey(JsonElement input) =>
        input.ValueKind == JsonValueKind.Undefined ? "{}" : JsonSerializer.Serialize(input);
}
