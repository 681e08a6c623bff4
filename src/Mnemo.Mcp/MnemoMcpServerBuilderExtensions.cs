using ModelContextProtocol.Server;
using Mnemo.Mcp;
using Mnemo.Memory;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The memory on the MCP C# SDK's hosted servers: <c>services.AddMcpServer().WithHttpTransport().WithMnemoMemory(store)</c>
/// and <c>app.MapMcp("/mcp")</c> serve over HTTP what <c>mnemo mcp</c> serves over stdio.</summary>
public static class MnemoMcpServerBuilderExtensions
{
    /// <summary>Serves the memory: the <c>memory</c> tool with the reference's strings, memory files as resources, and the
    /// memory protocol as a prompt (<see cref="MemoryMcpServer"/>'s handlers).</summary>
    /// <param name="builder">The SDK's server builder.</param>
    /// <param name="store">The store; the application's <see cref="IMemoryStore"/> (<c>AddMnemoMemory</c>) when <see langword="null"/>.</param>
    /// <param name="options">The actor, screening and limits; the defaults when <see langword="null"/>. Polling for changes
    /// is off: change notifications go to one stdio client, and a hosted server has many sessions. Logs go to the
    /// application's logging unless the options name a factory of their own.</param>
    /// <returns>The builder.</returns>
    public static IMcpServerBuilder WithMnemoMemory(this IMcpServerBuilder builder, IMemoryStore? store = null, MemoryMcpServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // A copy without polling: the caller's options stay as they were.
        var given = options ?? new MemoryMcpServerOptions();
        options = new MemoryMcpServerOptions
        {
            Actor = given.Actor,
            Safety = given.Safety,
            DrainLimit = given.DrainLimit,
            LoggerFactory = given.LoggerFactory,
            PollInterval = null,
        };
        builder.Services.AddSingleton(provider =>
        {
            options.LoggerFactory ??= provider.GetService<Microsoft.Extensions.Logging.ILoggerFactory>();
            return new MemoryMcpServer(store ?? provider.GetRequiredService<IMemoryStore>(), options);
        });
        builder.Services.AddOptions<McpServerOptions>().Configure<IServiceProvider>((server, provider) =>
        {
            var memory = provider.GetRequiredService<MemoryMcpServer>().ServerOptions;
            var handlers = memory.Handlers;
            server.Handlers.ListToolsHandler = handlers.ListToolsHandler;
            server.Handlers.CallToolHandler = handlers.CallToolHandler;
            server.Handlers.ListResourcesHandler = handlers.ListResourcesHandler;
            server.Handlers.ListResourceTemplatesHandler = handlers.ListResourceTemplatesHandler;
            server.Handlers.ReadResourceHandler = handlers.ReadResourceHandler;
            server.Handlers.SubscribeToResourcesHandler = handlers.SubscribeToResourcesHandler;
            server.Handlers.UnsubscribeFromResourcesHandler = handlers.UnsubscribeFromResourcesHandler;
            server.Handlers.ListPromptsHandler = handlers.ListPromptsHandler;
            server.Handlers.GetPromptHandler = handlers.GetPromptHandler;
            server.Capabilities ??= new();
            server.Capabilities.Tools ??= memory.Capabilities?.Tools;
            server.Capabilities.Resources ??= memory.Capabilities?.Resources;
            server.Capabilities.Prompts ??= memory.Capabilities?.Prompts;
            server.ServerInfo ??= memory.ServerInfo;
            server.ServerInstructions ??= memory.ServerInstructions;
        });
        return builder;
    }
}
