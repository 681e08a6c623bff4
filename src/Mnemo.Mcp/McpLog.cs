using Microsoft.Extensions.Logging;

namespace Mnemo.Mcp;

/// <summary>The MCP server's log lines (category <c>Mnemo.Mcp</c>): command names, counts and reasons, never a memory's content.</summary>
internal static partial class McpLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Error, Message = "{Command} failed")]
    public static partial void CommandFailed(ILogger logger, string command, Exception exception);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "looking for changes failed: {Reason}")]
    public static partial void LookFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "reading from the client failed: {Reason}")]
    public static partial void ReadFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "input ended; {Count} request(s) still unanswered after {Seconds} s, ending the session")]
    public static partial void DrainTimedOut(ILogger logger, int count, double seconds);
}
