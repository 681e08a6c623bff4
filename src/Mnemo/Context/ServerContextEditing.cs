using Microsoft.Extensions.AI;

namespace Mnemo.Context;

/// <summary>
/// Context editing done by the provider's server instead of by <see cref="ContextEditingChatClient"/>: how a call asks the
/// server to edit, and how its answer reports what was edited. Set it as <see cref="ContextEditingChatClientOptions.Server"/>
/// when the inner chat client is one whose API edits context itself (Anthropic's, through <c>AnthropicServerContextEditing</c>
/// in <c>Mnemo.Anthropic</c>).
/// </summary>
/// <remarks>The chat client still projects each call's size to warn the model before a clearing, holds the warned call
/// back (it asks the server with <see cref="ContextManagementConfig.RaisedAbove"/>), and judges each clearing from what
/// the server reports.</remarks>
public abstract class ServerContextEditing
{
    /// <summary>Gets the value the <c>mnemo.context.side</c> tag and the events name for where editing ran.</summary>
    public virtual string Side => "server";

    /// <summary>Makes the options of a call that asks the server to edit the conversation with a configuration.</summary>
    /// <param name="options">The caller's options, which must not be changed; <see langword="null"/> when none were given.</param>
    /// <param name="config">The configuration for this call.</param>
    /// <returns>The options to send.</returns>
    public abstract ChatOptions Request(ChatOptions? options, ContextManagementConfig config);

    /// <summary>Reads what the server reports it edited, from the raw representation of a response or of a streaming update.</summary>
    /// <param name="rawRepresentation">The provider's own object.</param>
    /// <returns>The edits, in the server's order; <see langword="null"/> when this object reports none.</returns>
    public abstract IReadOnlyList<AppliedContextEdit>? Applied(object? rawRepresentation);
}
