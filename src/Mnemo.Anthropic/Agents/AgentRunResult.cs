using Anthropic.Models.Beta.Messages;

namespace Mnemo.Anthropic.Agents;

/// <summary>Specifies why a run stopped.</summary>
public enum AgentStopCause
{
    /// <summary>The model finished: a response without tool calls (<c>end_turn</c> or a stop sequence).</summary>
    Completed,

    /// <summary>The run sent as many requests as <see cref="AgentSessionOptions.MaxTurns"/> allows and the model still calls tools.</summary>
    MaxTurns,

    /// <summary>A response was cut off at <see cref="AgentSessionOptions.MaxTokens"/>.</summary>
    MaxTokens,

    /// <summary>The model declined to continue (<c>refusal</c>).</summary>
    Refusal,

    /// <summary>The request no longer fits the model's context window (<c>model_context_window_exceeded</c>).</summary>
    ContextWindowFull,

    /// <summary>The context was compacted and the run paused as asked (<c>pause_after_compaction</c>, stop reason
    /// <c>compaction</c>); run again to go on, after adding to the conversation if need be.</summary>
    Compacted,
}

/// <summary>Represents one request and what came of it.</summary>
/// <param name="Request">The request's number in the session, from 1.</param>
/// <param name="Response">The API's response.</param>
/// <param name="Text">The response's text, its blocks joined by line breaks.</param>
/// <param name="ToolCalls">How many tool calls it made; each has its result in the conversation.</param>
/// <param name="StopCause">Why the run stops here; <see langword="null"/> when the model is waiting for its tool results.</param>
/// <param name="Message">A one-line explanation when the run stops for any cause but <see cref="AgentStopCause.Completed"/>.</param>
public sealed record AgentTurn(int Request, BetaMessage Response, string Text, int ToolCalls, AgentStopCause? StopCause, string? Message)
{
    /// <summary>Gets a value indicating whether the run stops at this turn.</summary>
    public bool IsFinal => StopCause is not null;
}

/// <summary>Represents the end of a run.</summary>
/// <param name="StopCause">Why it stopped.</param>
/// <param name="Text">The last response's text: the answer, when the model completed.</param>
/// <param name="Turns">The requests this run sent.</param>
/// <param name="Message">A one-line explanation for any cause but <see cref="AgentStopCause.Completed"/>.</param>
/// <param name="Summary">What the session has done since it began.</param>
public sealed record AgentRunResult(AgentStopCause StopCause, string Text, int Turns, string? Message, AgentSessionSummary Summary)
{
    /// <summary>Gets a value indicating whether the model finished.</summary>
    public bool Completed => StopCause == AgentStopCause.Completed;
}
