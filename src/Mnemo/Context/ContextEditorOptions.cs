namespace Mnemo.Context;

/// <summary>Options of a <see cref="ContextEditor"/>.</summary>
public sealed class ContextEditorOptions
{
    /// <summary>The text a cleared tool result is replaced with.</summary>
    /// <value>Defaults to <c>[cleared: this tool result was removed to save context]</c>; the API's own text is not published.</value>
    public string Placeholder { get; set; } = "[cleared: this tool result was removed to save context]";
}
