using System.Diagnostics.Metrics;
using Mnemo.Tokens;

namespace Mnemo.Context;

/// <summary>Options of <see cref="ContextEditingChatClient"/>.</summary>
public sealed class ContextEditingChatClientOptions
{
    /// <summary>The warning added to the conversation when a clearing is near, as <c>AgentSession</c> words it.</summary>
    public const string DefaultWarning =
        "[context notice] This conversation is close to its context limit: older tool results will soon be cleared from it. " +
        "Anything you still need from them (findings, progress, decisions) belongs in your memory directory: save it with the memory tool now, then continue.";

    /// <summary>Gets or sets the strategies to apply, in the API's configuration (<c>clear_tool_uses_20250919</c>,
    /// <c>clear_thinking_20251015</c>; a profile such as <see cref="ContextPresets.Development"/>). Required.</summary>
    public ContextManagementConfig? Config { get; set; }

    /// <summary>Gets or sets what counts tokens for the triggers; the local estimate when <see langword="null"/>. Tool
    /// definitions are not in the messages a chat client edits, so they are not counted: set the trigger with that in mind.</summary>
    public ITokenCounter? TokenCounter { get; set; }

    /// <summary>Gets or sets the share of the clearing's trigger at which the model is warned to save to memory;
    /// <see langword="null"/> for no warning. 0.8 by default. The warning is given only when the request offers the
    /// model a tool named <c>memory</c> to save with.</summary>
    public double? WarningRatio { get; set; } = 0.8;

    /// <summary>Gets or sets a value indicating whether a warned request that would clear goes out unedited, so the
    /// model has a turn to save before anything is cleared (<c>PreserveBeforeClear.Guarantee</c> of <c>AgentSession</c>).
    /// <see langword="true"/> by default.</summary>
    public bool HoldBackWarnedRequest { get; set; } = true;

    /// <summary>Gets or sets the warning's text.</summary>
    public string Warning { get; set; } = DefaultWarning;

    /// <summary>Gets or sets who edits the context: this client before each call when <see langword="null"/> (any
    /// provider), or the provider's server (<c>AnthropicServerContextEditing.Instance</c> over Anthropic's chat client).</summary>
    public ServerContextEditing? Server { get; set; }

    /// <summary>Gets or sets the text that replaces a cleared result; the API's when <see langword="null"/>.</summary>
    public string? Placeholder { get; set; }

    /// <summary>Gets or sets what is told of each step: warnings, clearings, and whether memory was saved before each
    /// clearing.</summary>
    public Action<ContextEditingChatEvent>? OnEvent { get; set; }

    /// <summary>Gets or sets where the steps are logged (category <c>Mnemo.Context</c>): 5001 a warning, 5002 a call sent
    /// with context cleared, 5003 a clearing's preservation outcome; figures only, never a message's content.</summary>
    /// <value><see langword="null"/> by default: no logs. <c>UseContextEditing</c> takes the application's when registered.</value>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Gets or sets the factory of the meter the figures are recorded on (<c>Mnemo.Agent</c>, the instruments
    /// <c>AgentSession</c> records on); a shared meter when <see langword="null"/>.</summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>Gets or sets where each conversation's session record goes, for the dashboard: its requests and usage,
    /// warnings, clearings, preservation outcomes, tool results and memory commands, as sizes, names and ids only.</summary>
    /// <value><see langword="null"/> by default: no record.</value>
    public Mnemo.Sessions.ISessionRecordStore? Records { get; set; }

    /// <summary>Gets or sets what each record says of its session beyond the call's model: the agent's and the store's names.</summary>
    /// <value><see langword="null"/> by default.</value>
    public Mnemo.Sessions.SessionInfo? RecordInfo { get; set; }

    /// <summary>Gets or sets where the records' times come from.</summary>
    /// <value><see cref="TimeProvider.System"/> by default.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}

/// <summary>Represents something a <see cref="ContextEditingChatClient"/> did, in the order it happened.</summary>
/// <param name="Request">The number of the call it belongs to, from 1 for a conversation's first.</param>
public abstract record ContextEditingChatEvent(int Request);

/// <summary>Represents the warning added to the conversation: a clearing is near.</summary>
/// <param name="Request">The call.</param>
/// <param name="ProjectedInputTokens">The conversation's tokens before editing.</param>
/// <param name="TriggerRatio">How close they are to the trigger (over 1: past it).</param>
/// <param name="HoldsBackClearing">Whether this call goes out unedited, the clearing waiting one call for the model to save.</param>
public sealed record ChatContextWarningEvent(int Request, long ProjectedInputTokens, double TriggerRatio, bool HoldsBackClearing) : ContextEditingChatEvent(Request);

/// <summary>Represents a call that went out with old context cleared.</summary>
/// <param name="Request">The call.</param>
/// <param name="Edits">What each strategy cleared, as the API reports it.</param>
/// <param name="InputTokensBefore">The conversation's tokens before editing.</param>
/// <param name="InputTokensAfter">Its tokens as sent.</param>
/// <param name="NewlyClearedToolUses">The tool uses cleared for the first time.</param>
public sealed record ChatContextEditEvent(int Request, IReadOnlyList<AppliedContextEdit> Edits, long InputTokensBefore, long InputTokensAfter, int NewlyClearedToolUses)
    : ContextEditingChatEvent(Request);

/// <summary>Represents the end of an approach to a clearing: the first call that cleared, and whether the model saved
/// to memory after it was warned.</summary>
/// <param name="Request">The call that cleared.</param>
/// <param name="WarnedAtRequest">The call that carried the warning; <see langword="null"/> when none did.</param>
/// <param name="MemoryWrites">The memory writes the model made after the warning.</param>
public sealed record ChatPreservationEvent(int Request, int? WarnedAtRequest, int MemoryWrites) : ContextEditingChatEvent(Request)
{
    /// <summary>Gets the outcome, as <c>AgentSession</c>'s metrics tag it: <c>preserved</c>, <c>not_preserved</c> or <c>not_warned</c>.</summary>
    public string Outcome => WarnedAtRequest is null ? "not_warned" : MemoryWrites > 0 ? "preserved" : "not_preserved";
}
