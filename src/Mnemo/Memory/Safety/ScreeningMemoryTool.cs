namespace Mnemo.Memory.Safety;

/// <summary>Represents the screening stage: the text each write adds is scanned, and the policy decides whether it is
/// written as it is, written with secrets masked, refused, or held in quarantine for an administrator.</summary>
/// <remarks>
/// What it found goes into <see cref="MemoryToolCall.Screening"/>, for the stages outside it (the audit). A refused or held
/// write never reaches the stages inside it. Thread-safe when the inner tool and the quarantine are.
/// </remarks>
public sealed class ScreeningMemoryTool : DelegatingMemoryTool
{
    private readonly MemorySafety _safety;
    private readonly TimeProvider _time;
    private readonly Action<MemoryCommand, Exception>? _unexpectedError;

    /// <summary>Initializes a new instance of the <see cref="ScreeningMemoryTool"/> class.</summary>
    /// <param name="innerTool">The tool that runs the writes the policy lets through.</param>
    /// <param name="safety">The scanner, the policy and the quarantine.</param>
    /// <param name="timeProvider">Where a quarantined write's time comes from; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="unexpectedError">Told when the quarantine fails to hold a write (which is then refused).</param>
    public ScreeningMemoryTool(
        IMemoryTool innerTool, MemorySafety safety, TimeProvider? timeProvider = null, Action<MemoryCommand, Exception>? unexpectedError = null)
        : base(innerTool)
    {
        ArgumentNullException.ThrowIfNull(safety);
        _safety = safety;
        _time = timeProvider ?? TimeProvider.System;
        _unexpectedError = unexpectedError;
    }

    /// <inheritdoc/>
    public override async ValueTask<MemoryToolResult> ExecuteAsync(MemoryToolCall call, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (call.Command is not { } command)
        {
            return await InnerTool.ExecuteAsync(call, cancellationToken).ConfigureAwait(false);
        }

        var screening = _safety.Screen(command);
        call.Screening = screening;
        switch (screening.Action)
        {
            case MemorySafetyAction.Reject:
                return MemoryToolResult.Error(screening.Refusal(_safety.Policy, held: false));
            case MemorySafetyAction.Quarantine:
                return await QuarantineAsync(screening, call.Actor, cancellationToken).ConfigureAwait(false);
        }

        // A redaction runs the same command with its secrets masked; its history and audit still name the command given.
        var result = await InnerTool.ExecuteAsync(
            ReferenceEquals(screening.Command, command) ? call : new MemoryToolCall(screening.Command, call.Actor), cancellationToken).ConfigureAwait(false);
        return !result.IsError && screening.RedactionNote is { } note ? MemoryToolResult.Ok(result.Content + note) : result;
    }

    /// <summary>Keeps a write the policy holds back out of memory, for an administrator; rejects it when nothing can keep it.</summary>
    private async ValueTask<MemoryToolResult> QuarantineAsync(MemoryScreening screening, string? actor, CancellationToken cancellationToken)
    {
        if (_safety.Quarantine is not { } quarantine)
        {
            return MemoryToolResult.Error(screening.Refusal(_safety.Policy, held: false));
        }

        try
        {
            await quarantine.HoldAsync(
                new QuarantinedWrite(_time.GetUtcNow(), actor, screening.Command.Name, screening.Command.Paths.Path, screening.Text, screening.Findings),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or MemoryException)
        {
            _unexpectedError?.Invoke(screening.Command, exception);
            return MemoryToolResult.Error(screening.Refusal(_safety.Policy, held: false));
        }

        return MemoryToolResult.Error(screening.Refusal(_safety.Policy, held: true));
    }
}

/// <summary>Adds the screening stage to a <see cref="MemoryToolBuilder"/>.</summary>
public static class ScreeningMemoryToolBuilderExtensions
{
    /// <summary>Checks the text each write adds: secrets, prompt injections, fake conversation markers, hidden characters.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="safety">The scanner, the policy and the quarantine; <see cref="MemorySafety.Default"/> when <see langword="null"/>
    /// (secrets masked, sure prompt injections rejected, anything else flagged in the audit log).</param>
    /// <param name="timeProvider">Where a quarantined write's time comes from; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="unexpectedError">Told when the quarantine fails to hold a write.</param>
    /// <returns>The builder.</returns>
    public static MemoryToolBuilder UseScreening(
        this MemoryToolBuilder builder, MemorySafety? safety = null, TimeProvider? timeProvider = null, Action<MemoryCommand, Exception>? unexpectedError = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use(inner => new ScreeningMemoryTool(inner, safety ?? MemorySafety.Default, timeProvider, unexpectedError));
    }
}
