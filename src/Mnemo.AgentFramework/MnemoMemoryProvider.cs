using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Mnemo.Memory;

namespace Mnemo.AgentFramework;

/// <summary>
/// Mnemo's memory for a Microsoft Agent Framework agent, through the framework's own seam for what an agent knows and
/// can do on each run (<see cref="AIContextProvider"/>): every run gets the memory tool (<see cref="MemoryToolFunction"/>,
/// run by the agent's function calling) and the memory protocol in its instructions.
/// </summary>
/// <remarks>A run that already offers a tool named <c>memory</c> keeps its own. The provider keeps no state of its own:
/// the memory is the store's, shared by every session of every agent that uses it.</remarks>
public sealed class MnemoMemoryProvider : AIContextProvider
{
    private readonly MemoryToolFunction _function;
    private readonly string? _protocol;

    /// <summary>Initializes a new instance of the <see cref="MnemoMemoryProvider"/> class.</summary>
    /// <param name="tool">The memory tool: a <see cref="MemoryTool"/>, or one composed with stages (screening, audit, tracing).</param>
    /// <param name="options">The protocol and actor; the defaults when <see langword="null"/>.</param>
    public MnemoMemoryProvider(IMemoryTool tool, MemoryChatClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tool);
        options ??= new MemoryChatClientOptions();
        _function = new MemoryToolFunction(tool, options.Actor);
        _protocol = string.IsNullOrWhiteSpace(options.MemoryProtocol) ? null : options.MemoryProtocol.Trim();
    }

    /// <summary>Gets the memory tool as the function the model calls.</summary>
    public MemoryToolFunction Function => _function;

    /// <inheritdoc/>
    protected override ValueTask<AIContext> ProvideAIContextAsync(InvokingContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var hasMemory = context.AIContext.Tools?.Any(tool => tool.Name == MemoryToolFunction.ToolName) == true;
        return ValueTask.FromResult(new AIContext
        {
            Instructions = context.AIContext.Instructions?.Contains(_protocol ?? "\0", StringComparison.Ordinal) == true ? null : _protocol,
            Tools = hasMemory ? null : [_function],
        });
    }

    /// <inheritdoc/>
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(MemoryToolFunction) ? _function
            : serviceKey is null && serviceType == typeof(IMemoryTool) ? _function.Tool
            : base.GetService(serviceType, serviceKey);
    }
}
