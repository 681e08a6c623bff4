using Microsoft.Extensions.Logging;

namespace Mnemo.Context;

/// <summary>The log lines of client-side context editing in a chat pipeline: figures, never a message's content.</summary>
internal static partial class ContextLog
{
    /// <summary>The category of the lines.</summary>
    public const string Category = "Mnemo.Context";

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Call {Request} warned the model to save: {ProjectedInputTokens} tokens, {TriggerRatio} of the trigger; clearing held back: {HeldBack}")]
    public static partial void Warned(ILogger logger, int request, long projectedInputTokens, double triggerRatio, bool heldBack);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Call {Request} went out with old context cleared: {NewlyCleared} tool uses newly cleared, {InputTokensBefore} tokens down to {InputTokensAfter}")]
    public static partial void Edited(ILogger logger, int request, int newlyCleared, long inputTokensBefore, long inputTokensAfter);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Clearing at call {Request}: {Outcome}, {MemoryWrites} memory writes after the warning")]
    public static partial void Judged(ILogger logger, int request, string outcome, int memoryWrites);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "Session {Session}: its record could not be written and is kept for the next call: {Reason}")]
    public static partial void RecordFailed(ILogger logger, string session, string reason);
}
