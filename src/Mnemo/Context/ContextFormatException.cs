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
