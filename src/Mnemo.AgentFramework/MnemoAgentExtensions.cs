using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Mnemo.Context;
using Mnemo.Memory;

namespace Mnemo.AgentFramework;

/// <summary>Makes Microsoft Agent Framework agents with Mnemo's memory and context editing.</summary>
public static class MnemoAgentExtensions
{
    /// <summary>An agent on a chat client with Mnemo's memory (<see cref="MnemoMemoryProvider"/>) and, when a configuration
    /// is given, context editing with the warning before each clearing (<see cref="ContextEditingChatClient"/>).</summary>
    /// <param name="chatClient">The chat client: Anthropic's, OpenAI's, any.</param>
    /// <param name="memory">The memory tool.</param>
    /// <param name="contextEditing">The strategies, such as <see cref="ContextPresets.Development"/>; none when <see langword="null"/>.</param>
    /// <param name="options">The agent's own options: instructions, tools, name. Its <c>AIContextProviders</c> keep theirs, the memory's added.</param>
    /// <param name="configureEditing">Sets the warning, the counter and where context events go.</param>
    /// <returns>The agent.</returns>
    /// <remarks>Context editing is put in the agent's chat client, inside the function calling the agent adds, so it
    /// sees every call of a tool loop and can hold a warned call back. It is not the chat history provider's
    /// <see cref="IChatReducer"/>: the framework stores what a reducer returns as the history, so cleared results would
    /// be gone for good, and a reducer cannot hold a call back.</remarks>
    public static ChatClientAgent AsMnemoAgent(
        this IChatClient chatClient, IMemoryTool memory, ContextManagementConfig? contextEditing = null,
        ChatClientAgentOptions? options = null, Action<ContextEditingChatClientOptions>? configureEditing = null)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        ArgumentNullException.ThrowIfNull(memory);
        var client = contextEditing is null ? chatClient : chatClient.AsBuilder().UseContextEditing(contextEditing, configureEditing).Build();
        var agentOptions = options?.Clone() ?? new ChatClientAgentOptions();
        agentOptions.AIContextProviders = [.. agentOptions.AIContextProviders ?? [], new MnemoMemoryProvider(memory)];
        return new ChatClientAgent(client, agentOptions);
    }
}
