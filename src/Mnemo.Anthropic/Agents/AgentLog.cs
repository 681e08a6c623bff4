using Microsoft.Extensions.Logging;

namespace Mnemo.Anthropic.Agents;

/// <summary>
/// An <see cref="AgentSession"/>'s events as log lines (<see cref="AgentSessionOptions.LoggerFactory"/>, category
/// <c>Mnemo.Agent</c>), each with its event id and structured fields: requests and responses at Debug; clearings,
/// warnings, preservation outcomes, compactions and adaptive changes at Information; tool failures and set-up warnings
/// at Warning. Names, numbers and outcomes only: no message, tool input or result, memory content or summary at any
/// level but a tool's exception at Debug.
/// </summary>
internal static partial class AgentLog
{
    /// <summary>The category of the session's lines.</summary>
    public const string Category = "Mnemo.Agent";

    /// <summary>Writes the line of an event, if it has one.</summary>
    public static void Write(ILogger logger, AgentEvent agentEvent)
    {
        switch (agentEvent)
        {
            case AgentRequestEvent request:
                RequestSent(logger, request.Request, request.Messages, request.ProjectedInputTokens, request.TriggerRatio);
                break;
            case AgentResponseEvent response:
                ResponseReceived(logger, response.Request, response.StopReason, response.InputTokens, response.OutputTokens);
                break;
            case AgentToolResultEvent { IsError: true } failed:
                ToolFailed(logger, failed.Request, failed.Name, failed.Exception?.GetType().Name ?? "error result");
                if (failed.Exception is { } exception)
                {
                    ToolException(logger, failed.Request, failed.Name, exception);
                }

                break;
            case AgentContextEditEvent edit:
                ContextEdited(logger, edit.Request, edit.Side.ToString(), edit.NewlyClearedToolUses, edit.Edits.Sum(e => e.ClearedInputTokens));
                break;
            case AgentContextWarningEvent warning:
                Warned(logger, warning.Request, warning.ProjectedInputTokens, warning.TriggerRatio, warning.HoldsBackClearing);
                break;
            case AgentPreservationEvent { Record: var record }:
                Preservation(logger, record.ClearedAtRequest, record.Preserved ? "preserved" : record.Warned ? "not_preserved" : "not_warned", record.MemoryWrites);
                break;
            case AgentCompactionEvent compaction:
                Compacted(logger, compaction.Request, compaction.Side.ToString(), compaction.Succeeded, compaction.InputTokensBefore);
                break;
            case AgentAdaptiveChangeEvent adaptive:
                AdaptiveChanged(logger, adaptive.Request, adaptive.Change.Setting, adaptive.Change.From, adaptive.Change.To, adaptive.Change.Reason);
                break;
            case AgentSetupWarningEvent setup:
                SetupWarning(logger, setup.Request, setup.Message);
                break;
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Request {Request}: {Messages} messages, {ProjectedInputTokens} input tokens projected ({TriggerRatio} of the trigger)")]
    private static partial void RequestSent(ILogger logger, int request, int messages, long projectedInputTokens, double? triggerRatio);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "Request {Request} answered: {StopReason}, {InputTokens} input and {OutputTokens} output tokens")]
    private static partial void ResponseReceived(ILogger logger, int request, string? stopReason, long inputTokens, long outputTokens);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Request {Request}: tool {Tool} failed ({ErrorType})")]
    private static partial void ToolFailed(ILogger logger, int request, string tool, string errorType);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Debug, Message = "Request {Request}: tool {Tool} threw")]
    private static partial void ToolException(ILogger logger, int request, string tool, Exception exception);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "Request {Request} went out with old context cleared ({Side}): {NewlyCleared} tool uses newly cleared, {ClearedTokens} tokens not sent")]
    private static partial void ContextEdited(ILogger logger, int request, string side, int newlyCleared, long clearedTokens);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information, Message = "Request {Request} warned the model to save: {ProjectedInputTokens} tokens, {TriggerRatio} of the trigger; clearing held back: {HeldBack}")]
    private static partial void Warned(ILogger logger, int request, long projectedInputTokens, double triggerRatio, bool heldBack);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Information, Message = "Clearing at request {Request}: {Outcome}, {MemoryWrites} memory writes after the warning")]
    private static partial void Preservation(ILogger logger, int request, string outcome, int memoryWrites);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Information, Message = "Request {Request}: compaction ({Side}) {Succeeded} over {InputTokensBefore} tokens")]
    private static partial void Compacted(ILogger logger, int request, string side, bool succeeded, long inputTokensBefore);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Information, Message = "After request {Request}, adaptive mode set {Setting} from {From} to {To}: {Reason}")]
    private static partial void AdaptiveChanged(ILogger logger, int request, string setting, string from, string to, string reason);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning, Message = "Request {Request}: {Warning}")]
    private static partial void SetupWarning(ILogger logger, int request, string warning);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Warning, Message = "Session {Session}: its record could not be written and is kept for the next try: {Reason}")]
    public static partial void RecordFailed(ILogger logger, string session, string reason);
}
