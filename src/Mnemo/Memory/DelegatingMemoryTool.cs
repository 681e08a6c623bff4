namespace Mnemo.Memory;

/// <summary>Represents a stage around another <see cref="IMemoryTool"/>: by default it passes every call through unchanged.</summary>
/// <remarks>Derive from it to add a behaviour around the commands (a check, a log, a metric), overriding
/// <see cref="ExecuteAsync"/> and calling <see cref="InnerTool"/> where the command should run.</remarks>
public abstract class DelegatingMemoryTool : IMemoryTool
{
    /// <summary>Initializes a new instance of the <see cref="DelegatingMemoryTool"/> class.</summary>
    /// <param name="innerTool">The tool calls pass on to.</param>
    protected DelegatingMemoryTool(IMemoryTool innerTool)
    {
        ArgumentNullException.ThrowIfNull(innerTool);
        InnerTool = innerTool;
    }

    /// <summary>Gets the tool calls pass on to.</summary>
    protected IMemoryTool InnerTool { get; }

    /// <inheritdoc/>
    public virtual ValueTask<MemoryToolResult> ExecuteAsync(MemoryToolCall call, CancellationToken cancellationToken = default) =>
        InnerTool.ExecuteAsync(call, cancellationToken);

    /// <inheritdoc/>
    public virtual object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this : InnerTool.GetService(serviceType, serviceKey);
    }
}
