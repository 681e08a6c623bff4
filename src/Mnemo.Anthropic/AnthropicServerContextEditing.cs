using System.Text.Json;
using Anthropic.Models.Beta.Messages;
using Microsoft.Extensions.AI;
using Mnemo.Anthropic.Agents;
using Mnemo.Context;

namespace Mnemo.Anthropic;

/// <summary>
/// Anthropic's own context management (<c>context_management</c> on the beta Messages API) for a
/// <see cref="ContextEditingChatClient"/> whose inner client is the official SDK's beta chat client
/// (<c>client.Beta.AsIChatClient(model)</c>): each call asks the API to clear, the API reports what it cleared, and the
/// chat client warns before a clearing and judges it as it does when it edits itself.
/// </summary>
/// <example><code>
/// var chat = new ChatClientBuilder(anthropic.Beta.AsIChatClient("claude-sonnet-4-5"))
///     .UseMnemoMemory(store).UseFunctionInvocation()
///     .UseContextEditing(ContextPresets.Development, o => o.Server = AnthropicServerContextEditing.Instance)
///     .Build();
/// </code></example>
/// <remarks>The request is made through <see cref="ChatOptions.RawRepresentationFactory"/>: a factory the caller set is
/// called first and its parameters kept, with <c>context_management</c> and the beta header added. The SDK's chat client
/// takes the model and the output limit from such parameters, so they come from the options (<see cref="ChatOptions.ModelId"/>,
/// <see cref="ChatOptions.MaxOutputTokens"/>), else the client's default model and <see cref="DefaultMaxOutputTokens"/>.</remarks>
public sealed class AnthropicServerContextEditing : ServerContextEditing
{
    /// <summary>Gets an instance with the defaults.</summary>
    public static AnthropicServerContextEditing Instance { get; } = new();

    /// <summary>Gets the output limit of a call whose options set none.</summary>
    /// <value>4,096 by default.</value>
    public int DefaultMaxOutputTokens { get; init; } = 4096;

    /// <inheritdoc/>
    public override ChatOptions Request(ChatOptions? options, ContextManagementConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var sent = options?.Clone() ?? new ChatOptions();
        var callers = sent.RawRepresentationFactory;
        var modelId = sent.ModelId;
        var maxTokens = sent.MaxOutputTokens ?? DefaultMaxOutputTokens;
        sent.RawRepresentationFactory = client =>
        {
            var given = callers?.Invoke(client) as MessageCreateParams;
            var headers = new Dictionary<string, JsonElement>(given?.RawHeaderData ?? new Dictionary<string, JsonElement>(), StringComparer.OrdinalIgnoreCase);
            var query = new Dictionary<string, JsonElement>(given?.RawQueryData ?? new Dictionary<string, JsonElement>(), StringComparer.Ordinal);
            var body = new Dictionary<string, JsonElement>(given?.RawBodyData ?? new Dictionary<string, JsonElement>(), StringComparer.Ordinal);
            if (!body.ContainsKey("model"))
            {
                var model = modelId ?? client.GetService<ChatClientMetadata>()?.DefaultModelId
                    ?? throw new InvalidOperationException("The model is not known: set ChatOptions.ModelId, or give the chat client a default model.");
                body["model"] = JsonSerializer.SerializeToElement(model);
            }

            body.TryAdd("max_tokens", JsonSerializer.SerializeToElement(maxTokens));
            body.TryAdd("messages", JsonSerializer.SerializeToElement(Array.Empty<object>()));
            body["context_management"] = AgentConversation.Json(config.WriteTo);
            headers["anthropic-beta"] = JsonSerializer.SerializeToElement(Betas(headers, config));
            return MessageCreateParams.FromRawUnchecked(headers, query, body);
        };
        return sent;
    }

    /// <inheritdoc/>
    public override IReadOnlyList<AppliedContextEdit>? Applied(object? rawRepresentation) => rawRepresentation switch
    {
        BetaMessage message => AgentRequestBuilder.ServerEdits(message),
        BetaRawMessageDeltaEvent delta => AgentRequestBuilder.ServerEdits(delta.ContextManagement),
        BetaRawMessageStreamEvent streamed when streamed.TryPickDelta(out var delta) => AgentRequestBuilder.ServerEdits(delta.ContextManagement),
        _ => null,
    };

    /// <summary>The betas of a request: those it had, and context management's (and compaction's when it compacts).</summary>
    private static List<string> Betas(Dictionary<string, JsonElement> headers, ContextManagementConfig config)
    {
        var betas = new List<string>();
        if (headers.TryGetValue("anthropic-beta", out var existing))
        {
            if (existing.ValueKind == JsonValueKind.Array)
            {
                betas.AddRange(existing.EnumerateArray().Select(beta => beta.ToString()));
            }
            else if (existing.ValueKind == JsonValueKind.String)
            {
                betas.AddRange(existing.GetString()!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            }
        }

        betas.Add(AgentSession.ContextManagementBeta);
        if (config.Edits.OfType<CompactEdit>().Any())
        {
            betas.Add(CompactEdit.Beta);
        }

        return [.. betas.Distinct(StringComparer.Ordinal)];
    }
}
