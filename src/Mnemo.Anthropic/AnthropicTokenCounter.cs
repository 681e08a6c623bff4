using System.Text.Json;
using Anthropic;
using Anthropic.Models.Beta.Messages;
using Mnemo.Context;
using Mnemo.Tokens;

namespace Mnemo.Anthropic;

/// <summary>Counts a request's input tokens exactly, with the API's count_tokens endpoint through the official SDK.</summary>
/// <remarks>
/// <para>Each count is one HTTP request (the API limits their rate), so use it where exactness matters more than
/// speed: a preview, a test of the estimate, or <see cref="UsageCalibratedTokenCounter"/>'s occasional calibration.</para>
/// <para>The request is counted as it would be sent, without its <c>context_management</c> (the server would otherwise
/// count it after its own editing). Fields count_tokens does not take, such as <c>max_tokens</c> and
/// <c>temperature</c>, are left out; a bare list of messages is counted with the counter's model.</para>
/// </remarks>
public sealed class AnthropicTokenCounter : ITokenCounter
{
    /// <summary>The body fields count_tokens takes, but for <c>context_management</c>.</summary>
    private static readonly HashSet<string> Counted =
    [
        "model", "messages", "system", "tools", "tool_choice", "thinking", "mcp_servers", "output_config", "output_format",
        "cache_control", "compaction", "speed",
    ];

    private readonly IAnthropicClient _client;
    private readonly string _model;
    private readonly IReadOnlyDictionary<string, JsonElement> _headers;

    /// <summary>Creates a counter.</summary>
    /// <param name="client">The SDK client.</param>
    /// <param name="model">The model to count for when a request names none.</param>
    /// <param name="betas">Beta features to send in <c>anthropic-beta</c>, such as those the request's tools need.</param>
    public AnthropicTokenCounter(IAnthropicClient client, string model, IEnumerable<string>? betas = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(model);
        _client = client;
        _model = model;
        var betaList = betas?.ToArray() ?? [];
        _headers = betaList.Length == 0
            ? new Dictionary<string, JsonElement>()
            : new Dictionary<string, JsonElement> { ["anthropic-beta"] = JsonSerializer.SerializeToElement(betaList) };
    }

    /// <inheritdoc/>
    public async ValueTask<long> CountAsync(ContextRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = new Dictionary<string, JsonElement>();
        if (!request.IsMessageList)
        {
            foreach (var property in request.Json.EnumerateObject())
            {
                if (Counted.Contains(property.Name))
                {
                    body[property.Name] = property.Value;
                }
            }
        }

        body.TryAdd("model", JsonSerializer.SerializeToElement(_model));
        body["messages"] = JsonSerializer.SerializeToElement(request.ToBetaMessageParams());
        var parameters = MessageCountTokensParams.FromRawUnchecked(_headers, new Dictionary<string, JsonElement>(), body);
        var count = await _client.Beta.Messages.CountTokens(parameters, cancellationToken).ConfigureAwait(false);
        return count.InputTokens;
    }
}
