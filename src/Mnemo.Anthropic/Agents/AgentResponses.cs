using System.Globalization;
using System.Text;
using System.Text.Json;
using Anthropic.Models.Beta.Messages;

namespace Mnemo.Anthropic.Agents;

/// <summary>Reads what the API answered: the reply's tool calls, text and thinking, a compaction it opens with, and why
/// the run stops; and makes the answer the API gives when it pauses after compacting, for compaction done here.</summary>
internal static class AgentResponses
{
    /// <summary>Reads a response: whether it has content for the conversation, its tool calls, and its text.</summary>
    public static (bool Assistant, List<BetaToolUseBlock> ToolUses, string Text) Read(BetaMessage response)
    {
        var toolUses = new List<BetaToolUseBlock>();
        var text = new StringBuilder();
        foreach (var block in response.Content)
        {
            if (block.TryPickToolUse(out var toolUse))
            {
                toolUses.Add(toolUse);
            }
            else if (block.TryPickText(out var textBlock) && textBlock.Text.Length > 0)
            {
                text.Append(text.Length == 0 ? string.Empty : "\n").Append(textBlock.Text);
            }
        }

        // The API takes no empty assistant message back; an empty reply leaves no trace in the conversation.
        return (response.Content.Count > 0, toolUses, text.ToString());
    }

    /// <summary>Reads a response's thinking: how many blocks, and the text of those that show it.</summary>
    public static (int Blocks, string Text) ReadThinking(BetaMessage response)
    {
        var (blocks, text) = (0, new StringBuilder());
        foreach (var block in response.Content)
        {
            if (block.TryPickThinking(out var thinking))
            {
                blocks++;
                if (thinking.Thinking.Length > 0)
                {
                    text.Append(text.Length == 0 ? string.Empty : "\n").Append(thinking.Thinking);
                }
            }
            else if (block.TryPickRedactedThinking(out _))
            {
                blocks++;
            }
        }

        return (blocks, text.ToString());
    }

    /// <summary>The compaction a response from the API opens with, and the usage of its own request.</summary>
    public static (string? Summary, long InputTokens, long OutputTokens)? ServerCompaction(BetaMessage response)
    {
        foreach (var block in response.Content)
        {
            if (!block.TryPickCompaction(out var compaction))
            {
                continue;
            }

            var (input, output) = (0L, 0L);
            foreach (var iteration in response.Usage.Iterations ?? [])
            {
                if (iteration.TryPickBetaCompactionIterationUsage(out var usage))
                {
                    (input, output) = (input + usage.InputTokens, output + usage.OutputTokens);
                }
            }

            return (compaction.Content, input, output);
        }

        return null;
    }

    /// <summary>Why the run stops after a response, or <see langword="null"/> to go on.</summary>
    public static (AgentStopCause? Cause, string? Message) StopOf(string? stopReason, int toolUses, int maxTokens) => stopReason switch
    {
        "max_tokens" => (AgentStopCause.MaxTokens, string.Create(CultureInfo.InvariantCulture,
            $"The response was cut off at max_tokens ({maxTokens}); raise MaxTokens to let the model finish, then run again.")),
        "refusal" => (AgentStopCause.Refusal, "The model declined to continue (stop_reason: refusal)."),
        "model_context_window_exceeded" => (AgentStopCause.ContextWindowFull,
            "The conversation no longer fits the model's context window; configure context editing or start a new session."),
        "pause_turn" => (null, null),
        "compaction" => (AgentStopCause.Compacted,
            "The context was compacted and the run paused (pause_after_compaction); add to the conversation if need be, then run again to go on."),
        _ when toolUses > 0 => (null, null),
        _ => (AgentStopCause.Completed, null),
    };

    /// <summary>The response the API sends when it pauses after compacting: the block alone, <c>stop_reason</c>
    /// <c>"compaction"</c>, nothing sampled.</summary>
    /// <param name="model">The session's model.</param>
    /// <param name="block">The <c>compaction</c> block.</param>
    public static BetaMessage PausedAfterCompaction(string model, JsonElement block) => BetaMessage.FromRawUnchecked(new Dictionary<string, JsonElement>
    {
        ["id"] = JsonSerializer.SerializeToElement("msg_client_compaction"),
        ["type"] = JsonSerializer.SerializeToElement("message"),
        ["role"] = JsonSerializer.SerializeToElement("assistant"),
        ["model"] = JsonSerializer.SerializeToElement(model),
        ["content"] = AgentConversation.Json(writer =>
        {
            writer.WriteStartArray();
            block.WriteTo(writer);
            writer.WriteEndArray();
        }),
        ["stop_reason"] = JsonSerializer.SerializeToElement("compaction"),
        ["stop_sequence"] = JsonSerializer.SerializeToElement<string?>(null),
        ["usage"] = JsonSerializer.SerializeToElement(new { input_tokens = 0, output_tokens = 0 }),
    });
}
