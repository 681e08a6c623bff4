using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Mnemo.Memory;

/// <summary>
/// The memory tool as a Microsoft.Extensions.AI <see cref="AIFunction"/>: any chat client's function calling (through
/// <see cref="FunctionInvokingChatClient"/>) runs <c>memory_20250818</c> commands against a Mnemo store, for any
/// provider, with the reference's result strings.
/// </summary>
/// <remarks>
/// <para>The function is named <c>memory</c> and takes the tool's own input (<c>command</c>, <c>path</c>, <c>file_text</c>,
/// <c>old_str</c>, <c>new_str</c>, <c>insert_line</c>, <c>insert_text</c>, <c>view_range</c>, <c>old_path</c>,
/// <c>new_path</c>), described by a JSON schema for models that were not trained on it. Claude was: to it this is the
/// memory tool it knows.</para>
/// <para>Every result, a failure's included, comes back as the text the reference returns, as the function's result. A
/// failure is not thrown, since function calling would replace its words with a generic message; the text says what
/// went wrong ("The path /memories/x does not exist. Please provide a valid path."), as it does for the reference.</para>
/// </remarks>
public sealed class MemoryToolFunction : AIFunction
{
    /// <summary>The function's name.</summary>
    public const string ToolName = "memory";

    /// <summary>What the model is told of the tool: here and over MCP.</summary>
    public const string ToolDescription =
        "Your memory directory, /memories, which outlives this conversation. Commands: view (a folder's files two levels " +
        "deep, or a file with line numbers), create (a new file, or overwrite one), str_replace (replace a unique string in a file), " +
        "insert (add text after a line), delete (a file or a folder) and rename (move a file or a folder). Every path starts with /memories.";

    /// <summary>Gets the JSON schema of the tool's input, documenting every parameter, for models that were not trained on
    /// the tool: here and over MCP.</summary>
    public static JsonElement InputSchema { get; } = JsonDocument.Parse(
        """
        {
          "type": "object",
          "properties": {
            "command": {"type": "string", "enum": ["view", "create", "str_replace", "insert", "delete", "rename"], "description": "What to do."},
            "path": {"type": "string", "description": "view, create, str_replace, insert, delete: the file or folder, such as /memories/notes.md."},
            "view_range": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2, "description": "view of a file, optional: the first and last line to show, counting from 1; -1 as the last means to the end."},
            "file_text": {"type": "string", "description": "create: the file's whole content."},
            "old_str": {"type": "string", "description": "str_replace: the text to replace; it must occur exactly once in the file."},
            "new_str": {"type": "string", "description": "str_replace: the text to put in its place; empty to delete it."},
            "insert_line": {"type": "integer", "minimum": 0, "description": "insert: the line after which to insert; 0 inserts at the top."},
            "insert_text": {"type": "string", "description": "insert: the text to insert."},
            "old_path": {"type": "string", "description": "rename: the file or folder to move."},
            "new_path": {"type": "string", "description": "rename: where to move it; nothing may be there yet."}
          },
          "required": ["command"]
        }
        """).RootElement.Clone();

    private readonly IMemoryTool _tool;
    private readonly string? _actor;

    /// <summary>Initializes a new instance of the <see cref="MemoryToolFunction"/> class.</summary>
    /// <param name="tool">The memory tool that runs the commands: a <see cref="MemoryTool"/>, or one composed with stages.</param>
    /// <param name="actor">Who the store's history and the audit log name for the calls; <see langword="null"/> when unknown.</param>
    public MemoryToolFunction(IMemoryTool tool, string? actor = null)
    {
        ArgumentNullException.ThrowIfNull(tool);
        _tool = tool;
        _actor = actor;
    }

    /// <inheritdoc/>
    public override string Name => ToolName;

    /// <inheritdoc/>
    public override string Description => ToolDescription;

    /// <inheritdoc/>
    public override JsonElement JsonSchema => InputSchema;

    /// <summary>Gets the memory tool that runs the commands.</summary>
    public IMemoryTool Tool => _tool;

    /// <inheritdoc/>
    protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var input = Input(arguments);
        var call = MemoryCommand.TryParse(input, out var command, out var error)
            ? new MemoryToolCall(command, _actor)
            : MemoryToolCall.Invalid(error, _actor);
        var result = await _tool.ExecuteAsync(call, cancellationToken).ConfigureAwait(false);
        return result.Content;
    }

    /// <inheritdoc/>
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this : _tool.GetService(serviceType, serviceKey);
    }

    /// <summary>The arguments as the command's JSON object, whatever form the chat client gave them in (JSON elements
    /// as most clients parse them, or values).</summary>
    private static JsonElement Input(AIFunctionArguments arguments)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in arguments)
            {
                writer.WritePropertyName(name);
                switch (value)
                {
                    case JsonElement element:
                        element.WriteTo(writer);
                        break;
                    case null:
                        writer.WriteNullValue();
                        break;
                    default:
                        JsonSerializer.SerializeToElement(value, AIJsonUtilities.DefaultOptions.GetTypeInfo(value.GetType())).WriteTo(writer);
                        break;
                }
            }

            writer.WriteEndObject();
        }

        return JsonDocument.Parse(buffer.WrittenMemory).RootElement.Clone();
    }
}
