using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Mnemo.Context;

/// <summary>
/// Context editing for Microsoft.Extensions.AI: an <see cref="IChatReducer"/> that clears old tool results, tool inputs and
/// thinking from a list of <see cref="ChatMessage"/> as the API's strategies would, for any chat client.
/// </summary>
/// <remarks>
/// <para>The messages are read as the Anthropic API would see them: system messages become the system prompt, assistant
/// messages the assistant's turns, and every other message (user and tool) the user's, with consecutive messages of
/// one side joined into one turn, as a tool loop's several tool messages are. A <see cref="FunctionCallContent"/> is a
/// <c>tool_use</c>, a <see cref="FunctionResultContent"/> its <c>tool_result</c>, a <see cref="TextReasoningContent"/>
/// thinking; other contents are counted but never changed.</para>
/// <para>What editing changes comes back as new contents in a copy of their message: a cleared result is a
/// <see cref="FunctionResultContent"/> with the same call id whose result is the placeholder, a cleared input a
/// <see cref="FunctionCallContent"/> with the same call id and name and no arguments; cleared thinking is removed, and a
/// message left with no contents is left out. Every other message is returned as the same instance, every other content
/// untouched.</para>
/// <para>A reducer sees messages only, not the request's tool definitions, so token counts leave those out: set an
/// input-token trigger with that in mind. Clearing thinking is taken to mean thinking is on.</para>
/// </remarks>
public sealed class ContextEditingChatReducer : IChatReducer
{
    private readonly ContextManagementConfig _config;
    private readonly ContextEditor _editor;

    /// <summary>Creates a reducer.</summary>
    /// <param name="config">The strategies to apply.</param>
    /// <param name="editor">The editor, with its counter and placeholder; the default when <see langword="null"/>.</param>
    public ContextEditingChatReducer(ContextManagementConfig config, ContextEditor? editor = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        _editor = editor ?? new ContextEditor();
    }

    /// <inheritdoc/>
    public async Task<IEnumerable<ChatMessage>> ReduceAsync(IEnumerable<ChatMessage> messages, CancellationToken cancellationToken)
    {
        var edit = await EditAsync(messages, cancellationToken).ConfigureAwait(false);
        return edit.Messages;
    }

    /// <summary>Edits the messages and reports what was applied.</summary>
    /// <param name="messages">The conversation; not changed.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    public async Task<ChatMessagesEdit> EditAsync(IEnumerable<ChatMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var chat = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var (request, sources) = Read(chat, _config.Edits.Any(edit => edit is ClearThinkingEdit));
        var result = await _editor.EditAsync(request, _config, cancellationToken).ConfigureAwait(false);
        if (result.AppliedEdits.Count == 0)
        {
            return new ChatMessagesEdit(chat, result);
        }

        // Replacements by chat message, then content: null where a content was removed.
        var changes = new Dictionary<int, Dictionary<int, AIContent?>>();
        for (var i = 0; i < request.Messages.Count; i++)
        {
            var after = result.Request.Messages[i];
            if (!ReferenceEquals(after, request.Messages[i]))
            {
                Compare(sources[i], after, changes);
            }
        }

        var edited = new List<ChatMessage>(chat.Count);
        for (var m = 0; m < chat.Count; m++)
        {
            if (!changes.TryGetValue(m, out var contents))
            {
                edited.Add(chat[m]);
                continue;
            }

            var kept = new List<AIContent>(chat[m].Contents.Count);
            for (var c = 0; c < chat[m].Contents.Count; c++)
            {
                if (!contents.TryGetValue(c, out var replacement))
                {
                    kept.Add(chat[m].Contents[c]);
                }
                else if (replacement is not null)
                {
                    kept.Add(replacement);
                }
            }

            if (kept.Count > 0)
            {
                var copy = chat[m].Clone();
                copy.Contents = kept;
                edited.Add(copy);
            }
        }

        return new ChatMessagesEdit(edited, result);
    }

    /// <summary>Finds what editing changed in one API message and records it against the chat contents it came from.</summary>
    private static void Compare(List<Source> sources, ContextMessage after, Dictionary<int, Dictionary<int, AIContent?>> changes)
    {
        var kept = new HashSet<ContextBlock>(after.Blocks, ReferenceEqualityComparer.Instance);
        var originals = new HashSet<ContextBlock>(sources.Select(source => source.Block), ReferenceEqualityComparer.Instance);
        foreach (var source in sources)
        {
            if (kept.Contains(source.Block))
            {
                continue;
            }

            AIContent? replacement = null;
            foreach (var block in after.Blocks)
            {
                if (originals.Contains(block) || block.Kind != source.Block.Kind || block.ToolUseId != source.Block.ToolUseId)
                {
                    continue;
                }

                replacement = source.Content switch
                {
                    FunctionCallContent call => new FunctionCallContent(call.CallId, call.Name, new Dictionary<string, object?>())
                    {
                        AdditionalProperties = call.AdditionalProperties,
                        InformationalOnly = call.InformationalOnly,
                    },
                    FunctionResultContent result => new FunctionResultContent(result.CallId, ResultText(block))
                    {
                        AdditionalProperties = result.AdditionalProperties,
                    },
                    _ => null,
                };
                break;
            }

            if (!changes.TryGetValue(source.Message, out var contents))
            {
                changes[source.Message] = contents = [];
            }

            contents[source.Index] = replacement;
        }
    }

    /// <summary>The text of an edited <c>tool_result</c>: its string content, or its text blocks joined.</summary>
    private static string ResultText(ContextBlock block)
    {
        if (!block.Json.TryGetProperty("content"u8, out var content))
        {
            return string.Empty;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        var text = new StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            if (part.TryGetProperty("text"u8, out var value) && value.ValueKind == JsonValueKind.String)
            {
                text.Append(value.GetString());
            }
        }

        return text.ToString();
    }

    /// <summary>Writes the chat messages as an API request and notes which chat content each block came from.</summary>
    private static (ContextRequest Request, List<List<Source>> Sources) Read(IReadOnlyList<ChatMessage> chat, bool thinking)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        var turns = new List<(string Role, List<(int Message, int Index, AIContent Content)> Contents)>();
        var system = new StringBuilder();
        string? role = null;
        for (var m = 0; m < chat.Count; m++)
        {
            var message = chat[m] ?? throw new ArgumentException("The conversation holds a null message.", nameof(chat));
            if (message.Role == ChatRole.System)
            {
                system.Append(system.Length == 0 ? string.Empty : "\n\n").Append(message.Text);
                continue;
            }

            var side = message.Role == ChatRole.Assistant ? "assistant" : "user";
            if (side != role)
            {
                turns.Add((side, []));
                role = side;
            }

            for (var c = 0; c < message.Contents.Count; c++)
            {
                turns[^1].Contents.Add((m, c, message.Contents[c]));
            }
        }

        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (system.Length > 0)
            {
                writer.WriteString("system"u8, system.ToString());
            }

            if (thinking)
            {
                // A reducer never sees the request's options; asking to clear thinking vouches that it is on.
                writer.WriteStartObject("thinking"u8);
                writer.WriteString("type"u8, "enabled"u8);
                writer.WriteEndObject();
            }

            writer.WriteStartArray("messages"u8);
            foreach (var (side, contents) in turns)
            {
                writer.WriteStartObject();
                writer.WriteString("role"u8, side);
                writer.WriteStartArray("content"u8);
                foreach (var (_, _, content) in contents)
                {
                    WriteBlock(writer, content);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        var request = ContextRequest.Parse(buffer.WrittenSpan);
        var sources = new List<List<Source>>(turns.Count);
        for (var t = 0; t < turns.Count; t++)
        {
            var blocks = request.Messages[t].Blocks;
            var contents = turns[t].Contents;
            var list = new List<Source>(contents.Count);
            for (var b = 0; b < contents.Count; b++)
            {
                var (message, index, content) = contents[b];
                list.Add(new Source(message, index, content, blocks[b]));
            }

            sources.Add(list);
        }

        return (request, sources);
    }

    private static void WriteBlock(Utf8JsonWriter writer, AIContent content)
    {
        writer.WriteStartObject();
        switch (content)
        {
            case TextContent text:
                writer.WriteString("type"u8, "text"u8);
                writer.WriteString("text"u8, text.Text);
                break;
            case TextReasoningContent { Text.Length: 0, ProtectedData: { } data }:
                writer.WriteString("type"u8, "redacted_thinking"u8);
                writer.WriteString("data"u8, data);
                break;
            case TextReasoningContent reasoning:
                writer.WriteString("type"u8, "thinking"u8);
                writer.WriteString("thinking"u8, reasoning.Text);
                writer.WriteString("signature"u8, reasoning.ProtectedData ?? string.Empty);
                break;
            case FunctionCallContent call:
                writer.WriteString("type"u8, "tool_use"u8);
                writer.WriteString("id"u8, call.CallId);
                writer.WriteString("name"u8, call.Name);
                writer.WritePropertyName("input"u8);
                JsonSerializer.Serialize(writer, call.Arguments ?? new Dictionary<string, object?>(), AIJsonUtilities.DefaultOptions);
                break;
            case FunctionResultContent result:
                writer.WriteString("type"u8, "tool_result"u8);
                writer.WriteString("tool_use_id"u8, result.CallId);
                writer.WritePropertyName("content"u8);
                WriteResult(writer, result.Result);
                break;
            default:
                // Counted as its serialized form, never edited.
                writer.WriteString("type"u8, "mnemo_other_content"u8);
                writer.WriteString("content"u8, Serialize(content));
                break;
        }

        writer.WriteEndObject();
    }

    private static void WriteResult(Utf8JsonWriter writer, object? result)
    {
        switch (result)
        {
            case null:
                writer.WriteStringValue(string.Empty);
                break;
            case string text:
                writer.WriteStringValue(text);
                break;
            default:
                writer.WriteStringValue(Serialize(result));
                break;
        }
    }

    private static string Serialize(object value)
    {
        try
        {
            return JsonSerializer.Serialize(value, value.GetType(), AIJsonUtilities.DefaultOptions);
        }
        catch (Exception exception) when (exception is NotSupportedException or InvalidOperationException or JsonException)
        {
            return value.ToString() ?? string.Empty;
        }
    }

    private sealed record Source(int Message, int Index, AIContent Content, ContextBlock Block);
}

/// <summary>A list of Microsoft.Extensions.AI chat messages after editing.</summary>
/// <param name="Messages">The edited conversation; messages editing did not touch are the instances that went in.</param>
/// <param name="Result">What was applied, and the token counts before and after.</param>
public sealed record ChatMessagesEdit(IReadOnlyList<ChatMessage> Messages, ContextEditResult Result);
