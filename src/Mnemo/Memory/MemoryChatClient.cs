using Microsoft.Extensions.AI;

namespace Mnemo.Memory;

/// <summary>Options of <see cref="MemoryChatClient"/>.</summary>
public sealed class MemoryChatClientOptions
{
    /// <summary>Gets or sets the memory protocol added to each request's instructions; <see langword="null"/> for none.
    /// <see cref="Memory.MemoryProtocol.Default"/> by default, the text Anthropic's guidance gives.</summary>
    public string? MemoryProtocol { get; set; } = Memory.MemoryProtocol.Default;

    /// <summary>Gets or sets who the store's history and the audit log name for the model's calls; <see langword="null"/> when unknown.</summary>
    public string? Actor { get; set; }
}

/// <summary>
/// A chat client in a Microsoft.Extensions.AI pipeline that gives the model its memory: each request gets the memory
/// tool (<see cref="MemoryToolFunction"/>) among its tools and the memory protocol in its instructions. Put
/// <see cref="FunctionInvokingChatClient"/> after it (<c>.UseMnemoMemory(tool).UseFunctionInvocation()</c>) so the
/// model's calls run.
/// </summary>
/// <remarks>A request that already has a tool named <c>memory</c> keeps its own. Thread-safe: the client holds only
/// its function and options.</remarks>
public sealed class MemoryChatClient : DelegatingChatClient
{
    private readonly MemoryToolFunction _function;
    private readonly string? _protocol;

    /// <summary>Initializes a new instance of the <see cref="MemoryChatClient"/> class.</summary>
    /// <param name="innerClient">The client it sends to.</param>
    /// <param name="tool">The memory tool that runs the model's commands.</param>
    /// <param name="options">The protocol and actor; the defaults when <see langword="null"/>.</param>
    public MemoryChatClient(IChatClient innerClient, IMemoryTool tool, MemoryChatClientOptions? options = null)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(tool);
        options ??= new MemoryChatClientOptions();
        _function = new MemoryToolFunction(tool, options.Actor);
        _protocol = string.IsNullOrWhiteSpace(options.MemoryProtocol) ? null : options.MemoryProtocol.Trim();
    }

    /// <summary>Gets the memory tool as the function the model calls.</summary>
    public MemoryToolFunction Function => _function;

    /// <inheritdoc/>
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetResponseAsync(messages, WithMemory(options), cancellationToken);

    /// <inheritdoc/>
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetStreamingResponseAsync(messages, WithMemory(options), cancellationToken);

    /// <inheritdoc/>
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(MemoryToolFunction) ? _function : base.GetService(serviceType, serviceKey);
    }

    /// <summary>A copy of the options with the memory tool and the protocol; the caller's options are not changed.</summary>
    private ChatOptions WithMemory(ChatOptions? options)
    {
        var copy = options?.Clone() ?? new ChatOptions();
        var tools = copy.Tools is null ? new List<AITool>() : new List<AITool>(copy.Tools);
        if (!tools.Any(tool => tool.Name == MemoryToolFunction.ToolName))
        {
            tools.Add(_function);
        }

        copy.Tools = tools;
        if (_protocol is not null && copy.Instructions?.Contains(_protocol, StringComparison.Ordinal) != true)
        {
            copy.Instructions = string.IsNullOrWhiteSpace(copy.Instructions) ? _protocol : copy.Instructions.TrimEnd() + "\n\n" + _protocol;
        }

        return copy;
    }
}
