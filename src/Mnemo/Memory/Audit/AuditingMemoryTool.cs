namespace Mnemo.Memory;

/// <summary>Represents the audit stage: every call, its caller, its outcome, how long it took and what the screening found,
/// written to an <see cref="IMemoryAuditLog"/>.</summary>
/// <remarks>A call the log cannot take keeps its result: the command already happened, so a full audit disk is told to
/// the host's callback and never turned into a failure for the model. Thread-safe when the log and the inner tool are.</remarks>
public sealed class AuditingMemoryTool : DelegatingMemoryTool
{
    private readonly IMemoryAuditLog _log;
    private readonly TimeProvider _time;
    private readonly Action<MemoryCommand, Exception>? _unexpectedError;

    /// <summary>Initializes a new instance of the <see cref="AuditingMemoryTool"/> class.</summary>
    /// <param name="innerTool">The tool that runs the calls.</param>
    /// <param name="log">The log told of every call.</param>
    /// <param name="timeProvider">Where the entries' times come from; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="unexpectedError">Told when the log fails to take an entry.</param>
    public AuditingMemoryTool(
        IMemoryTool innerTool, IMemoryAuditLog log, TimeProvider? timeProvider = null, Action<MemoryCommand, Exception>? unexpectedError = null)
        : base(innerTool)
    {
        ArgumentNullException.ThrowIfNull(log);
        _log = log;
        _time = timeProvider ?? TimeProvider.System;
        _unexpectedError = unexpectedError;
    }

    /// <inheritdoc/>
    public override async ValueTask<MemoryToolResult> ExecuteAsync(MemoryToolCall call, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        var started = _time.GetTimestamp();
        var result = await InnerTool.ExecuteAsync(call, cancellationToken).ConfigureAwait(false);
        (string? path, string? destination) = call.Command is { } command ? command.Paths : (null, null);
        var screening = call.Screening;
        try
        {
            _log.Record(new MemoryAuditEntry(
                _time.GetUtcNow(), call.Actor, call.Name, path, destination, result.IsError,
                result.IsError ? MemoryMessages.Display(result.Content) : null, _time.GetElapsedTime(started))
            {
                Findings = screening?.Findings ?? [],
                SafetyAction = screening is { Findings.Count: > 0 } ? screening.Action : null,
            });
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or MemoryException)
        {
            _unexpectedError?.Invoke(call.Command ?? new ViewMemoryCommand(MemoryPath.Root), exception);
        }

        return result;
    }
}

/// <summary>Adds the audit stage to a <see cref="MemoryToolBuilder"/>.</summary>
public static class AuditingMemoryToolBuilderExtensions
{
    /// <summary>Writes every call that reaches this stage to an audit log; put it outside the screening to audit refusals too.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="log">The log: <see cref="JsonLinesMemoryAuditLog"/>, or a host's own.</param>
    /// <param name="timeProvider">Where the entries' times come from; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="unexpectedError">Told when the log fails to take an entry.</param>
    /// <returns>The builder.</returns>
    public static MemoryToolBuilder UseAudit(
        this MemoryToolBuilder builder, IMemoryAuditLog log, TimeProvider? timeProvider = null, Action<MemoryCommand, Exception>? unexpectedError = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(log);
        return builder.Use(inner => new AuditingMemoryTool(inner, log, timeProvider, unexpectedError));
    }
}
