using System.Text.Json;

namespace Mnemo.Context;

/// <summary>A conversation or a configuration that is not what the Messages API accepts; the message names where.</summary>
public sealed class ContextFormatException : Exception
{
    /// <summary>Creates the exception with a one-line message that starts with the JSON location.</summary>
    public ContextFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a one-line message and the failure underneath.</summary>
    public ContextFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with no message; prefer the other constructors.</summary>
    public ContextFormatException()
    {
    }
}

internal static class JsonKinds
{
    public static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
