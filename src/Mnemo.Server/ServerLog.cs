using Microsoft.Extensions.Logging;

namespace Mnemo.Server;

/// <summary>The memory server's log lines (category <c>Mnemo.Server</c>): routes, stores, key ids and statuses, never a
/// key's secret or a memory's content.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "{Method} {Route} store={Store} key={Key} status={Status} ms={Milliseconds:0.0}")]
    public static partial void Request(ILogger logger, string method, string route, string? store, string? key, int status, double milliseconds);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "store {Store}: {Reason}")]
    public static partial void StoreFailed(ILogger logger, string? store, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Error, Message = "{Route} failed on store {Store}")]
    public static partial void RequestFailed(ILogger logger, string route, string? store, Exception exception);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "store {Store}: {Command} failed")]
    public static partial void CommandFailed(ILogger logger, string store, string command, Exception exception);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "The memory API's rate limits are off: the application does not call app.UseRateLimiter() (after authentication and authorization)")]
    public static partial void RateLimitsOff(ILogger logger);
}
