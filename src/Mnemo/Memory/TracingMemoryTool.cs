using System.Diagnostics;

namespace Mnemo.Memory;

/// <summary>
/// A stage that records each memory command as a span of <see cref="MnemoTelemetry.Source"/>: <c>memory {command}</c>,
/// tagged with the command (<c>mnemo.memory.command</c>), the kind of store (<c>mnemo.memory.store</c>) and the outcome
/// (<c>mnemo.memory.outcome</c>: <c>ok</c> or <c>error</c>, the span's status set to error too). Never the path, the
/// content or the result's text: a trace goes where memory must not.
/// </summary>
public sealed class TracingMemoryTool : DelegatingMemoryTool
{
    private readonly string _store;

    /// <summary>Initializes a new instance of the <see cref="TracingMemoryTool"/> class.</summary>
    /// <param name="innerTool">The tool it records.</param>
    public TracingMemoryTool(IMemoryTool innerTool)
        : base(innerTool)
    {
        _store = innerTool.GetService(typeof(IMemoryStore)) is { } store ? store.GetType().Name : "unknown";
    }

    /// <inheritdoc/>
    public override async ValueTask<MemoryToolResult> ExecuteAsync(MemoryToolCall call, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        using var activity = MnemoTelemetry.Source.StartActivity("memory " + call.Name);
        if (activity is null)
        {
            return await InnerTool.ExecuteAsync(call, cancellationToken).ConfigureAwait(false);
        }

        activity.SetTag("mnemo.memory.command", call.Name);
        activity.SetTag("mnemo.memory.store", _store);
        var result = await InnerTool.ExecuteAsync(call, cancellationToken).ConfigureAwait(false);
        activity.SetTag("mnemo.memory.outcome", result.IsError ? "error" : "ok");
        if (result.IsError)
        {
            activity.SetStatus(ActivityStatusCode.Error);
        }

        return result;
    }
}

/// <summary>Adds <see cref="TracingMemoryTool"/> to a <see cref="MemoryToolBuilder"/>.</summary>
public static class TracingMemoryToolBuilderExtensions
{
    /// <summary>Records each command as a span; put it first, so the span covers every stage after it.</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static MemoryToolBuilder UseTracing(this MemoryToolBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use(inner => new TracingMemoryTool(inner));
    }
}
