using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mnemo.Context;
using Mnemo.Hosting;
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
        return builder.Use((inner, services) =>
        {
            options.LoggerFactory ??= services.GetService<Microsoft.Extensions.Logging.ILoggerFactory>();
            return new ContextEditingChatClient(inner, options);
        });
    }

    /// <summary>Adds the memory registered with <c>AddMnemoMemory</c> (its <see cref="IMemoryTool"/>, or the one under
    /// <paramref name="key"/>) and the memory protocol to every request.</summary>
    /// <param name="builder">The pipeline.</param>
    /// <param name="key">The key of a memory registered with <c>AddKeyedMnemoMemory</c>; the default memory when <see langword="null"/>.</param>
    /// <param name="configure">Sets the protocol and actor.</param>
    /// <returns>The builder.</returns>
    public static ChatClientBuilder UseMnemoMemory(this ChatClientBuilder builder, string? key = null, Action<MemoryChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new MemoryChatClientOptions();
        configure?.Invoke(options);
        return builder.Use((inner, services) => new MemoryChatClient(inner,
            key is null ? services.GetRequiredService<IMemoryTool>() : services.GetRequiredKeyedService<IMemoryTool>(key), options));
    }

    /// <summary>Edits the context with the configuration registered with <c>AddMnemoContextEditing</c>, warning the model
    /// before a clearing; events go to <paramref name="onEvent"/>, figures to the application's meters.</summary>
    /// <param name="builder">The pipeline.</param>
    /// <param name="onEvent">Told of each warning, clearing and preservation; none when <see langword="null"/>.</param>
    /// <returns>The builder.</returns>
    public static ChatClientBuilder UseContextEditing(this ChatClientBuilder builder, Action<ContextEditingChatEvent>? onEvent = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var registered = services.GetRequiredService<IOptions<MnemoContextEditingOptions>>().Value;
            return new ContextEditingChatClient(inner, new ContextEditingChatClientOptions
            {
                Config = services.GetRequiredService<ContextManagementConfig>(),
                TokenCounter = services.GetService<Mnemo.Tokens.ITokenCounter>(),
                WarningRatio = registered.WarningRatio,
                HoldBackWarnedRequest = registered.HoldBackWarnedRequest,
                MeterFactory = services.GetService<System.Diagnostics.Metrics.IMeterFactory>(),
                LoggerFactory = services.GetService<Microsoft.Extensions.Logging.ILoggerFactory>(),
                OnEvent = onEvent,
                Records = services.GetService<Mnemo.Sessions.ISessionRecordStore>()
                    ?? (registered.SessionRecords is { Length: > 0 } folder ? new Mnemo.Sessions.FolderSessionRecords(folder) : null),
                RecordInfo = new Mnemo.Sessions.SessionInfo { Agent = registered.Agent },
            });
        });
    }

    /// <summary>The memory tool as an <see cref="AIFunction"/>, for a chat client's own tool list.</summary>
    /// <param name="tool">The memory tool.</param>
    /// <param name="actor">Who the store's history names for the calls.</param>
    /// <returns>The function.</returns>
    public static MemoryToolFunction AsAIFunction(this IMemoryTool tool, string? actor = null) => new(tool, actor);
}
