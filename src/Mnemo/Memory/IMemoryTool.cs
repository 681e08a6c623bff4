namespace Mnemo.Memory;

/// <summary>Represents something that executes <c>memory_20250818</c> commands: <see cref="MemoryTool"/> itself, or a stage around it.</summary>
/// <remarks>
/// <para>The seam follows Microsoft.Extensions.AI's <c>IChatClient</c>: <see cref="MemoryTool"/> turns commands into the
/// reference's exact result strings and does nothing else; checks on what is written, audit, and whatever a host adds are
/// stages that derive from <see cref="DelegatingMemoryTool"/> and wrap it, composed with <see cref="MemoryToolBuilder"/>.</para>
/// <para>A failure the model should see is a result with <see cref="MemoryToolResult.IsError"/> set; an implementation
/// throws nothing but caller cancellation.</para>
/// </remarks>
public interface IMemoryTool
{
    /// <summary>Executes one call.</summary>
    /// <param name="call">The call: the command (or why the input was not one) and who makes it.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The result to send back to the model.</returns>
    ValueTask<MemoryToolResult> ExecuteAsync(MemoryToolCall call, CancellationToken cancellationToken = default);

    /// <summary>Asks for an object of a type this tool or a tool it wraps holds, such as the <see cref="IMemoryStore"/>.</summary>
    /// <param name="serviceType">The type wanted.</param>
    /// <param name="serviceKey">An optional key for it.</param>
    /// <returns>The object, or <see langword="null"/> when there is none.</returns>
    object? GetService(Type serviceType, object? serviceKey = null);
}

/// <summary>Represents one call of the memory tool as it passes through the stages: the command, who makes it, and what
/// the stages learned of it.</summary>
/// <remarks>Not thread-safe: a call belongs to one execution.</remarks>
public sealed class MemoryToolCall
{
    /// <summary>Initializes a new instance of the <see cref="MemoryToolCall"/> class for a parsed command.</summary>
    /// <param name="command">The command.</param>
    /// <param name="actor">Who makes it: a session, a user, an API key's owner; <see langword="null"/> when unknown.</param>
    public MemoryToolCall(MemoryCommand command, string? actor = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        Command = command;
        Actor = actor;
    }

    private MemoryToolCall(string invalidInput, string? actor)
    {
        InvalidInput = invalidInput;
        Actor = actor;
    }

    /// <summary>Gets the command; <see langword="null"/> when the input was not a command (see <see cref="InvalidInput"/>).</summary>
    public MemoryCommand? Command { get; }

    /// <summary>Gets the one-line message saying why the input was not a command; <see langword="null"/> for a command.</summary>
    public string? InvalidInput { get; }

    /// <summary>Gets the command's name, or <c>invalid</c> when the input was not a command.</summary>
    public string Name => Command?.Name ?? "invalid";

    /// <summary>Gets or sets who makes the call, for the store's history and the audit log.</summary>
    public string? Actor { get; set; }

    /// <summary>Gets or sets what the screening stage found in the text the command writes, for the stages around it.</summary>
    /// <value><see langword="null"/> until a screening stage has looked.</value>
    public Safety.MemoryScreening? Screening { get; set; }

    /// <summary>Gets or sets the check <see cref="MemoryTool"/> makes on the whole file an edit (<c>str_replace</c>,
    /// <c>insert</c>) would leave, just before writing it, on every attempt: so what a write completes with the text
    /// around it is judged, and what is judged is exactly what is written.</summary>
    /// <value><see langword="null"/> for none; the screening stage sets it.</value>
    public Func<MemoryWriteCandidate, MemoryWriteDecision>? WriteCheck { get; set; }

    /// <summary>Creates a call for input that is not a command, so that its error passes through the stages (and the audit) too.</summary>
    /// <param name="message">Why the input is not a command, in one line, as the model will read it.</param>
    /// <param name="actor">Who sent it.</param>
    /// <returns>The call.</returns>
    public static MemoryToolCall Invalid(string message, string? actor = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new MemoryToolCall(message, actor);
    }
}

/// <summary>Represents a memory command's result: the text for the model and whether it reports an error.</summary>
/// <param name="Content">The text to send as the <c>tool_result</c> content.</param>
/// <param name="IsError">Whether to send the result with <c>is_error: true</c>.</param>
public readonly record struct MemoryToolResult(string Content, bool IsError)
{
    /// <summary>Creates a successful result.</summary>
    /// <param name="content">The text.</param>
    /// <returns>The result.</returns>
    public static MemoryToolResult Ok(string content) => new(content, false);

    /// <summary>Creates an error result.</summary>
    /// <param name="content">The message.</param>
    /// <returns>The result.</returns>
    public static MemoryToolResult Error(string content) => new(content, true);
}
