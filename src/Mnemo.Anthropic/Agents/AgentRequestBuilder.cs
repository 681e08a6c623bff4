using System.Text.Json;
using Anthropic.Helpers.Beta;
using Anthropic.Models.Beta.Messages;
using Mnemo.Context;
using Mnemo.Tokens;

namespace Mnemo.Anthropic.Agents;

/// <summary>A request ready to send.</summary>
/// <param name="Parameters">The SDK's parameters.</param>
/// <param name="Counted">The request as the model sees it (edited, compaction blocks applied): what its usage counts.</param>
/// <param name="Edits">The edits applied here; <see langword="null"/> when the API edits.</param>
/// <param name="Compaction">The compaction applied here; <see langword="null"/> when none ran here.</param>
/// <param name="ThinkingBinding">What editing here did to keep prefix-bound thinking valid; <see langword="null"/> when nothing.</param>
internal sealed record AgentRequest(
    MessageCreateParams Parameters, ContextRequest Counted, IReadOnlyList<AppliedContextEdit>? Edits, ContextCompaction? Compaction, ThinkingBindingReport? ThinkingBinding = null);

/// <summary>Builds a session's requests: the model, the system prompt with the memory protocol, the tools, thinking, the
/// betas, and context management on either side (sent to the API, or applied here to a copy of the conversation).</summary>
/// <remarks>Everything but the messages is fixed when the session is built, and checked then against the API's rules.
/// Thread-safe once built.</remarks>
internal sealed class AgentRequestBuilder
{
    private static readonly IReadOnlyDictionary<string, JsonElement> NoQuery = new Dictionary<string, JsonElement>();

    private readonly Dictionary<string, JsonElement> _body;
    private readonly Dictionary<string, JsonElement> _headers = [];
    private readonly ContextRequest _preamble;
    private readonly ContextEditor _editor;
    private readonly bool _editsHere;

    /// <summary>Initializes a new instance of the <see cref="AgentRequestBuilder"/> class.</summary>
    /// <param name="options">The session's options, already checked.</param>
    /// <param name="tools">The session's tools, the memory tool among them when it has one.</param>
    /// <param name="counter">The counter client-side editing measures with.</param>
    /// <param name="summarizer">What summarises the older context when compaction runs on the client side.</param>
    /// <exception cref="ArgumentException">The context-management configuration breaks the API's rules for this request.</exception>
    /// <param name="placeholderFor">The placeholder of each cleared result, given its call; <see langword="null"/> for one text for all.</param>
    public AgentRequestBuilder(AgentSessionOptions options, IReadOnlyCollection<IBetaRunnableTool> tools, ITokenCounter counter, IContextSummarizer summarizer, Func<ContextBlock, string?>? placeholderFor = null)
    {
        var hasMemory = tools.Any(tool => tool.Name == AgentSession.MemoryToolName);
        ContextManagement = options.ContextManagement is { } config ? ExcludeMemory(config, options.ClearMemoryToolUses) : null;
        _editsHere = ContextManagement is not null && options.ContextEditing == ContextEditingSide.Client;
        var editorOptions = new ContextEditorOptions { Summarizer = summarizer, PlaceholderFor = placeholderFor };
        if (options.ClearedPlaceholder is { } placeholder)
        {
            editorOptions.Placeholder = placeholder;
        }

        _editor = new ContextEditor(counter, editorOptions);
        _body = Preamble(options, tools, hasMemory);
        _preamble = ContextRequest.FromJson(AgentConversation.Json(writer =>
        {
            writer.WriteStartObject();
            foreach (var (name, value) in _body)
            {
                writer.WritePropertyName(name);
                value.WriteTo(writer);
            }

            writer.WriteStartArray("messages"u8);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }));

        if (ContextManagement is not null)
        {
            try
            {
                ContextManagement.ValidateFor(_preamble);
            }
            catch (ContextFormatException exception)
            {
                throw new ArgumentException($"AgentSessionOptions.ContextManagement: {exception.Message}", nameof(options), exception);
            }

            CheckTriggersFit(ContextManagement, options.Model);
            if (!_editsHere && Compact is not null && ClaudeModels.Find(options.Model) is { IsKnown: true, Model: { AcceptsCompaction: false } model })
            {
                throw new ArgumentException(
                    $"AgentSessionOptions.ContextManagement: the API does not compact for {model.Id} (`{CompactEdit.TypeName}` needs Opus 4.6, Sonnet 4.6 or later); set ContextEditing = Client to compact on Mnemo's side",
                    nameof(options));
            }

            if (!_editsHere)
            {
                _body["context_management"] = AgentConversation.Json(ContextManagement.WriteTo);
            }
        }

        var betas = new List<string>();
        if (hasMemory || (ContextManagement is not null && !_editsHere))
        {
            betas.Add(AgentSession.ContextManagementBeta);
        }

        if (Compact is not null && !_editsHere)
        {
            // Compaction is a beta of its own: without it the API does not know the strategy, nor the blocks it returns.
            betas.Add(CompactEdit.Beta);
        }

        foreach (var beta in options.Betas)
        {
            if (!string.IsNullOrWhiteSpace(beta) && !betas.Contains(beta))
            {
                betas.Add(beta);
            }
        }

        if (betas.Count > 0)
        {
            _headers["anthropic-beta"] = JsonSerializer.SerializeToElement(betas);
        }
    }

    /// <summary>Gets the context-management configuration in force: the one given, with <c>memory</c> excluded from clearing unless allowed.</summary>
    public ContextManagementConfig? ContextManagement { get; }

    /// <summary>Gets the configuration's tool-use clearing, the one the warning is about; <see langword="null"/> without one.</summary>
    public ClearToolUsesEdit? ClearToolUses => ContextManagement?.Edits.OfType<ClearToolUsesEdit>().FirstOrDefault();

    /// <summary>Gets the configuration's compaction; <see langword="null"/> without one.</summary>
    public CompactEdit? Compact => ContextManagement?.Edits.OfType<CompactEdit>().FirstOrDefault();

    /// <summary>The whole request for a conversation, as the API would read it before any editing: what its size is projected on.</summary>
    /// <param name="messages">The conversation.</param>
    /// <returns>The request.</returns>
    public ContextRequest Unedited(IReadOnlyList<ContextMessage> messages) => _preamble.WithMessages([.. messages]);

    /// <summary>Makes the request to send: the conversation, edited here first when editing runs on the client.</summary>
    /// <param name="request">The unedited request (<see cref="Unedited"/>).</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The SDK's parameters, the request as sent, and the edits applied here (<see langword="null"/> when the API edits).</returns>
    /// <param name="holdBack">When set, the request must clear nothing (it is the first to carry the warning): not edited
    /// here, or sent with the API's triggers raised above its projected size (<c>Tokens</c>) and tool uses (<c>ToolUses</c>).</param>
    /// <param name="adjusted">The configuration for this request when adaptive mode adjusted it; the one in force when <see langword="null"/>.</param>
    public async Task<AgentRequest> BuildAsync(ContextRequest request, CancellationToken cancellationToken, (long Tokens, int ToolUses)? holdBack = null, ContextManagementConfig? adjusted = null)
    {
        var config = adjusted ?? ContextManagement;
        var sent = request;
        IReadOnlyList<AppliedContextEdit>? edits = null;
        ContextCompaction? compaction = null;
        ThinkingBindingReport? binding = null;
        var body = new Dictionary<string, JsonElement>(_body);
        if (holdBack is { } held)
        {
            edits = _editsHere ? [] : null;
            if (!_editsHere && config is not null && config.RaisedAbove(held.Tokens, held.ToolUses) is { } raised)
            {
                body["context_management"] = AgentConversation.Json(raised.WriteTo);
            }
            else
            {
                body.Remove("context_management");
            }
        }
        else if (_editsHere)
        {
            var edit = await _editor.EditAsync(request, config!, cancellationToken).ConfigureAwait(false);
            (sent, edits, compaction, binding) = (edit.Request, edit.AppliedEdits, edit.Compaction, edit.ThinkingBinding);
        }
        else if (adjusted is not null)
        {
            body["context_management"] = AgentConversation.Json(adjusted.WriteTo);
        }

        var messages = AgentConversation.Json(writer =>
        {
            writer.WriteStartArray();
            foreach (var message in sent.Messages)
            {
                message.WriteTo(writer);
            }

            writer.WriteEndArray();
        });
        body["messages"] = messages;
        // What the API counts: the request as sent, less what a compaction block in it stands in for.
        var counted = _editsHere ? sent : ContextEditor.ApplyCompactionBlocks(sent);
        return new AgentRequest(MessageCreateParams.FromRawUnchecked(_headers, NoQuery, body), counted, edits, compaction, binding);
    }

    /// <summary>Reads the edits the API applied, from a response's <c>context_management</c>.</summary>
    /// <param name="response">The response.</param>
    /// <returns>The edits, in the API's order; none when it applied none.</returns>
    public static List<AppliedContextEdit> ServerEdits(BetaMessage response) => ServerEdits(response.ContextManagement);

    /// <summary>Reads the edits the API applied, from a response's or a streamed <c>message_delta</c>'s <c>context_management</c>.</summary>
    /// <param name="report">The report.</param>
    /// <returns>The edits, in the API's order; none when it applied none.</returns>
    public static List<AppliedContextEdit> ServerEdits(BetaContextManagementResponse? report)
    {
        var edits = new List<AppliedContextEdit>();
        if (report?.AppliedEdits is not { } applied)
        {
            return edits;
        }

        foreach (var edit in applied)
        {
            var json = JsonSerializer.SerializeToElement(edit);
            edits.Add(new AppliedContextEdit(
                json.GetProperty("type"u8).GetString() ?? string.Empty,
                Long(json, "cleared_input_tokens"),
                (int)Long(json, "cleared_tool_uses"),
                (int)Long(json, "cleared_thinking_turns")));
        }

        return edits;

        static long Long(JsonElement json, string name) =>
            json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : 0;
    }

    private static Dictionary<string, JsonElement> Preamble(AgentSessionOptions options, IReadOnlyCollection<IBetaRunnableTool> tools, bool hasMemory)
    {
        var body = new Dictionary<string, JsonElement>(StringComparer.Ordinal)
        {
            ["model"] = JsonSerializer.SerializeToElement(options.Model),
            ["max_tokens"] = JsonSerializer.SerializeToElement(options.MaxTokens),
        };

        var system = string.Join("\n\n", new[] { options.SystemPrompt, hasMemory ? options.MemoryProtocol : null }
            .Where(part => !string.IsNullOrWhiteSpace(part)).Select(part => part!.Trim()));
        if (system.Length > 0)
        {
            body["system"] = JsonSerializer.SerializeToElement(system);
        }

        if (tools.Count > 0)
        {
            body["tools"] = AgentConversation.Json(writer =>
            {
                writer.WriteStartArray();
                foreach (var tool in tools)
                {
                    JsonSerializer.SerializeToElement(tool.Definition).WriteTo(writer);
                }

                writer.WriteEndArray();
            });
        }

        if (options.PromptCaching)
        {
            body["cache_control"] = AgentConversation.Json(writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("type"u8, "ephemeral");
                writer.WriteEndObject();
            });
        }

        if (options.AdaptiveThinking)
        {
            body["thinking"] = AgentConversation.Json(writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("type"u8, "adaptive");
                writer.WriteEndObject();
            });
        }
        else if (options.ThinkingBudgetTokens is { } budget)
        {
            body["thinking"] = AgentConversation.Json(writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("type"u8, "enabled");
                writer.WriteNumber("budget_tokens"u8, budget);
                writer.WriteEndObject();
            });
        }

        return body;
    }

    /// <summary>A trigger of input tokens that the model's context window cannot hold would never fire: the conversation
    /// would overflow first. Refused, for the models the table knows.</summary>
    private static void CheckTriggersFit(ContextManagementConfig config, string model)
    {
        if (ClaudeModels.Find(model) is not { IsKnown: true, Model: var known })
        {
            return;
        }

        for (var i = 0; i < config.Edits.Count; i++)
        {
            var tokens = config.Edits[i] switch
            {
                ClearToolUsesEdit { EffectiveTrigger: { Kind: ContextTriggerKind.InputTokens } trigger } => trigger.Value,
                CompactEdit compact => compact.EffectiveTriggerTokens,
                _ => 0,
            };
            if (tokens >= known.ContextWindow)
            {
                throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"AgentSessionOptions.ContextManagement: context_management.edits.{i}.trigger: {tokens:N0} input tokens is not under {known.Id}'s context window of {known.ContextWindow:N0}, so it would never fire; lower it"),
                    "options");
            }
        }
    }

    /// <summary>The configuration with <c>memory</c> excluded from every tool-use clearing, unless memory may be cleared.</summary>
    private static ContextManagementConfig ExcludeMemory(ContextManagementConfig config, bool clearMemory)
    {
        if (clearMemory)
        {
            return config;
        }

        return new ContextManagementConfig([.. config.Edits.Select(edit => edit is ClearToolUsesEdit tools && !tools.Excludes(AgentSession.MemoryToolName)
            ? new ClearToolUsesEdit
            {
                Trigger = tools.Trigger,
                Keep = tools.Keep,
                ClearAtLeast = tools.ClearAtLeast,
                ExcludeTools = [.. tools.ExcludeTools ?? [], AgentSession.MemoryToolName],
                ClearToolInputs = tools.ClearToolInputs,
                ClearToolInputsFor = tools.ClearToolInputsFor,
            }
            : edit)]);
    }
}
