using System.Text.Json;

namespace Mnemo.Memory;

/// <summary>Provides the ways in to an <see cref="IMemoryTool"/>: JSON text, a <c>tool_use</c> input, a parsed command.</summary>
public static class MemoryToolExtensions
{
    /// <summary>Starts a <see cref="MemoryToolBuilder"/> around the tool.</summary>
    /// <param name="tool">The tool the stages wrap.</param>
    /// <returns>The builder.</returns>
    public static MemoryToolBuilder AsBuilder(this IMemoryTool tool) => new(tool);

    /// <summary>Executes a command given as JSON text, such as one line of the JSON-lines executor.</summary>
    /// <param name="tool">The tool.</param>
    /// <param name="json">The command object.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The result to send back to the model.</returns>
    public static ValueTask<MemoryToolResult> ExecuteAsync(this IMemoryTool tool, string json, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tool);
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException exception)
        {
            return tool.ExecuteAsync(MemoryToolCall.Invalid(MemoryMessages.InvalidJson(MemoryMessages.Display(exception.Message))), cancellationToken);
        }

        return ExecuteAndDisposeAsync(tool, document, cancellationToken);
    }

    /// <summary>Executes a command given as the <c>input</c> object of a <c>tool_use</c> block.</summary>
    /// <param name="tool">The tool.</param>
    /// <param name="input">The command object.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The result to send back to the model.</returns>
    public static ValueTask<MemoryToolResult> ExecuteAsync(this IMemoryTool tool, JsonElement input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tool);
        return tool.ExecuteAsync(
            MemoryCommand.TryParse(input, out var command, out var error) ? new MemoryToolCall(command) : MemoryToolCall.Invalid(error),
            cancellationToken);
    }

    /// <summary>Executes a parsed command.</summary>
    /// <param name="tool">The tool.</param>
    /// <param name="command">The command.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The result to send back to the model.</returns>
    public static ValueTask<MemoryToolResult> ExecuteAsync(this IMemoryTool tool, MemoryCommand command, CancellationToken cancellationToken = default) =>
        ExecuteAsync(tool, command, actor: null, cancellationToken);

    /// <summary>Executes a parsed command on behalf of an actor, whom the store's history and the audit log name.</summary>
    /// <param name="tool">The tool.</param>
    /// <param name="command">The command.</param>
    /// <param name="actor">Who runs it: a session, a user, an API key's owner; <see langword="null"/> when unknown.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The result to send back to the model.</returns>
    public static ValueTask<MemoryToolResult> ExecuteAsync(this IMemoryTool tool, MemoryCommand command, string? actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tool);
        ArgumentNullException.ThrowIfNull(command);
        return tool.ExecuteAsync(new MemoryToolCall(command, actor), cancellationToken);
    }

    /// <summary>Gets an object of type <typeparamref name="T"/> from the tool or a tool it wraps.</summary>
    /// <typeparam name="T">The type wanted, such as <see cref="IMemoryStore"/>.</typeparam>
    /// <param name="tool">The tool.</param>
    /// <returns>The object, or <see langword="null"/> when there is none.</returns>
    public static T? GetService<T>(this IMemoryTool tool)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(tool);
        return tool.GetService(typeof(T)) as T;
    }

    private static async ValueTask<MemoryToolResult> ExecuteAndDisposeAsync(IMemoryTool tool, JsonDocument document, CancellationToken cancellationToken)
    {
        using (document)
        {
            return await ExecuteAsync(tool, document.RootElement, cancellationToken).ConfigureAwait(false);
        }
    }
}
