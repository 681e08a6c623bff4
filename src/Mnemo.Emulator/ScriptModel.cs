using System.Text.Json;
using System.Text.RegularExpressions;

namespace Mnemo.Emulator;

/// <summary>Represents a scripted conversation: turns played in order to requests whose first user message matches.</summary>
/// <param name="Name">A name for messages and logs; <see langword="null"/> for the top-level turns.</param>
/// <param name="Match">What the first user message must hold; <see langword="null"/> matches every conversation.</param>
/// <param name="Turns">The assistant's turns, in order.</param>
public sealed record ScriptConversation(string? Name, ScriptMatch? Match, IReadOnlyList<ScriptedTurn> Turns);

/// <summary>Represents a rule: when the last user message matches, the reply answers it, before any scripted turn.</summary>
/// <param name="Match">What the last user message's text must hold.</param>
/// <param name="Reply">The turn to answer with.</param>
public sealed record ScriptRule(ScriptMatch Match, ScriptedTurn Reply);

/// <summary>Represents a test on a message's text: a case-insensitive substring, or a regular expression.</summary>
/// <param name="Pattern">The substring or the expression, as written.</param>
/// <param name="Regex">The compiled expression; <see langword="null"/> for a substring.</param>
public sealed record ScriptMatch(string Pattern, Regex? Regex)
{
    /// <summary>Tests a message's text.</summary>
    public bool IsMatch(string text) =>
        Regex?.IsMatch(text) ?? text.Contains(Pattern, StringComparison.OrdinalIgnoreCase);
}

/// <summary>Represents one scripted assistant turn.</summary>
public sealed record ScriptedTurn
{
    /// <summary>Gets the thinking, sent only to requests that turn thinking on.</summary>
    public string? Thinking { get; init; }

    /// <summary>Gets the text block's text.</summary>
    public string? Text { get; init; }

    /// <summary>Gets the tool calls, after the text.</summary>
    public IReadOnlyList<ScriptedToolUse> ToolUses { get; init; } = [];

    /// <summary>Gets content blocks sent exactly as written, instead of text, thinking and tool calls.</summary>
    public JsonElement? Content { get; init; }

    /// <summary>Gets the stop reason to report; worked out from the content when <see langword="null"/>.</summary>
    public string? StopReason { get; init; }

    /// <summary>Gets an error to answer with instead of a message.</summary>
    public ScriptedError? Error { get; init; }

    /// <summary>Gets how long to wait before answering, in milliseconds.</summary>
    public int DelayMilliseconds { get; init; }

    /// <summary>Gets what the last user message must hold for this form of the turn to be played (it then comes before
    /// any rule); <see langword="null"/> for a turn with one form.</summary>
    public ScriptMatch? When { get; init; }

    /// <summary>Gets the form played in this turn's place when <see cref="When"/> does not match.</summary>
    public ScriptedTurn? Otherwise { get; init; }
}

/// <summary>Represents one scripted tool call.</summary>
/// <param name="Name">The tool's name.</param>
/// <param name="Input">The input object.</param>
/// <param name="Id">The tool-use id; made from the conversation and turn when <see langword="null"/>.</param>
public sealed record ScriptedToolUse(string Name, JsonElement Input, string? Id);

/// <summary>Represents a scripted API error.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Type">The error type, such as <c>overloaded_error</c>.</param>
/// <param name="Message">The error message.</param>
/// <param name="DuringStream">Whether a streaming request gets it as an <c>error</c> event after the stream started.</param>
public sealed record ScriptedError(int Status, string Type, string Message, bool DuringStream);

/// <summary>Represents a script that cannot be read; the message says where the problem is.</summary>
public sealed class ScriptFormatException : Exception
{
    /// <summary>Initializes a new instance with a message.</summary>
    public ScriptFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with a message and its cause.</summary>
    public ScriptFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance.</summary>
    public ScriptFormatException()
    {
    }
}
