using Mnemo.Context;
using Mnemo.Memory;
using Mnemo.Memory.Safety;

namespace Microsoft.Extensions.AI;

/// <summary>Mnemo's stages for a Microsoft.Extensions.AI <see cref="ChatClientBuilder"/>.</summary>
public static class MnemoChatClientBuilderExtensions
{
    /// <summary>Adds the memory tool and the memory protocol to every request (<see cref="MemoryChatClient"/>). Follow it
    /// with <c>UseFunctionInvocation()</c> so the model's calls run.</summary>
    /// <param name="builder">The pipeline.</param>
    /// <param name="tool">The memory tool: a <see cref="MemoryTool"/>, or one composed with stages (screening, audit).</param>
    /// <param name="configure">Sets the protocol and actor.</param>
    /// <returns>The builder.</returns>
    public static ChatClientBuilder UseMnemoMemory(this ChatClientBuilder builder, IMemoryTool tool, Action<MemoryChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(tool);
        var options = new MemoryChatClientOptions();
        configure?.Invoke(options);
        return builder.Use(inner => new MemoryChatClient(inner, tool, options));
    }

    /// <summary>Adds the memory tool over a store, with the default screening of what is written, and the memory protocol.</summary>
    /// <param name="builder">The pipeline.</param>
    /// <param name="store">The store that holds the memory files.</param>
    /// <param name="configure">Sets the protocol and actor.</param>
    /// <returns>The builder.</returns>
    public static ChatClientBuilder UseMnemoMemory(this ChatClientBuilder builder, IMemoryStore store, Action<MemoryChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        return builder.UseMnemoMemory(new MemoryTool(store).AsBuilder().UseScreening().Build(), configure);
    }

    /// <summary>Edits the context before each call with the API's strategies, and warns the model to save to memory
    /// before a clearing (<see cref="ContextEditingChatClient"/>). Put it after <c>UseFunctionInvocation()</c> so it sees
    /// every call of a tool loop.</summary>
    /// <param name="builder">The pipeline.</param>
    /// <param name="config">The strategies, such as <see cref="ContextPresets.Development"/>.</param>
    /// <param name="configure">Sets the warning, the counter and where events go.</param>
    /// <returns>The builder.</returns>
    public static ChatClientBuilder UseContextEditing(this ChatClientBuilder builder, ContextManagementConfig config, Action<ContextEditingChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(config);
        var options = new ContextEditingChatClientOptions { Config = config };
        configure?.Invoke(options);
        return builder.Use(inner => new ContextEditingChatClient(inner, options));
    }

    /// <summary>The memory tool as an <see cref="AIFunction"/>, for a chat client's own tool list.</summary>
    /// <param name="tool">The memory tool.</param>
    /// <param name="actor">Who the store's history names for the calls.</param>
    /// <returns>The function.</returns>
    public static MemoryToolFunction AsAIFunction(this IMemoryTool tool, string? actor = null) => new(tool, actor);
}
