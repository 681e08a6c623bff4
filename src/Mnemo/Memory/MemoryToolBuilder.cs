namespace Mnemo.Memory;

/// <summary>Composes stages around a memory tool, outermost first, in the style of Microsoft.Extensions.AI's <c>ChatClientBuilder</c>.</summary>
/// <remarks>
/// <para><c>new MemoryTool(store).AsBuilder().UseActor("agent-7").UseAudit(log).UseScreening().Build()</c>: a call goes
/// through the actor stage, then the audit, then the screening, then the tool. The first stage added is the outermost.</para>
/// <para>Order matters where one stage answers without calling the next: a write the screening refuses never reaches the
/// stages inside it, so put the audit outside the screening to have refusals audited.</para>
/// </remarks>
public sealed class MemoryToolBuilder
{
    private readonly IMemoryTool _inner;
    private readonly List<Func<IMemoryTool, IMemoryTool>> _stages = [];

    /// <summary>Initializes a new instance of the <see cref="MemoryToolBuilder"/> class.</summary>
    /// <param name="innerTool">The tool the stages wrap: usually a <see cref="MemoryTool"/>.</param>
    public MemoryToolBuilder(IMemoryTool innerTool)
    {
        ArgumentNullException.ThrowIfNull(innerTool);
        _inner = innerTool;
    }

    /// <summary>Adds a stage, inside those added before it.</summary>
    /// <param name="stage">Makes the stage from the tool it wraps.</param>
    /// <returns>This builder.</returns>
    public MemoryToolBuilder Use(Func<IMemoryTool, IMemoryTool> stage)
    {
        ArgumentNullException.ThrowIfNull(stage);
        _stages.Add(stage);
        return this;
    }

    /// <summary>Names who makes the calls that do not name anyone, for the store's history and the audit log.</summary>
    /// <param name="actor">The actor: a session, a user, a host's name.</param>
    /// <returns>This builder.</returns>
    public MemoryToolBuilder UseActor(string actor)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        return Use(inner => new ActorMemoryTool(inner, actor));
    }

    /// <summary>Builds the composed tool.</summary>
    /// <returns>The outermost stage, or the inner tool when no stage was added.</returns>
    public IMemoryTool Build()
    {
        var tool = _inner;
        for (var i = _stages.Count - 1; i >= 0; i--)
        {
            tool = _stages[i](tool) ?? throw new InvalidOperationException($"Stage {i} of the memory tool builder returned null.");
        }

        return tool;
    }

    /// <summary>Gives calls that name no actor the builder's one.</summary>
    private sealed class ActorMemoryTool(IMemoryTool inner, string actor) : DelegatingMemoryTool(inner)
    {
        public override ValueTask<MemoryToolResult> ExecuteAsync(MemoryToolCall call, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(call);
            call.Actor ??= actor;
            return InnerTool.ExecuteAsync(call, cancellationToken);
        }
    }
}
