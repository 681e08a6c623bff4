using Microsoft.Extensions.Logging;

namespace Mnemo.Hosting;

/// <summary>The log lines of the memory registered with <c>AddMnemoMemory</c>: names and kinds, never content.</summary>
internal static partial class MnemoLog
{
    /// <summary>The category of the memory's lines.</summary>
    public const string Category = "Mnemo.Memory";

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Memory command {Command} failed unexpectedly in a {Stage}: {ErrorType}; the model was told it failed")]
    public static partial void CommandFailed(ILogger logger, string command, string stage, string errorType, Exception exception);
}
