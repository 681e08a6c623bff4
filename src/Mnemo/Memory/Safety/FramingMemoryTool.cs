namespace Mnemo.Memory.Safety;

/// <summary>Represents the read-side framing stage: every file a view shows ends with a note that memory is data recorded
/// earlier, not instructions to follow.</summary>
/// <remarks>Opt-in: without it every result is the reference's string. Listings carry names only and are never framed,
/// nor are errors. Thread-safe when the inner tool is.</remarks>
public sealed class FramingMemoryTool : DelegatingMemoryTool
{
    /// <summary>Initializes a new instance of the <see cref="FramingMemoryTool"/> class.</summary>
    /// <param name="innerTool">The tool that runs the calls.</param>
    public FramingMemoryTool(IMemoryTool innerTool)
        : base(innerTool)
    {
    }

    /// <inheritdoc/>
    public override async ValueTask<MemoryToolResult> ExecuteAsync(MemoryToolCall call, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        var result = await InnerTool.ExecuteAsync(call, cancellationToken).ConfigureAwait(false);
        return call.Command is ViewMemoryCommand && !result.IsError && MemoryMessages.IsFileView(result.Content)
            ? MemoryToolResult.Ok(result.Content + MemoryMessages.DataFrame)
            : result;
    }
}

/// <summary>Adds the read-side framing stage to a <see cref="MemoryToolBuilder"/>.</summary>
public static class FramingMemoryToolBuilderExtensions
{
    /// <summary>Ends every file view with a note that memory is data, not instructions (for hosts that serve memory many agents write).</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static MemoryToolBuilder UseReadFraming(this MemoryToolBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use(inner => new FramingMemoryTool(inner));
    }
}
