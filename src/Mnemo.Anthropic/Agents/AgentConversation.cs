using System.Collections;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Anthropic.Models.Beta.Messages;
using Mnemo.Context;

namespace Mnemo.Anthropic.Agents;

/// <summary>The one history of a session: its messages as the JSON the API takes, read once each; the SDK's view is derived.</summary>
/// <remarks>Only grows: a message is added, or the last user message gets a text block more (the context warning). Editing
/// works on copies, never on this history. Not thread-safe: the session runs one turn at a time.</remarks>
internal sealed class AgentConversation
{
    private readonly List<ContextMessage> _messages = [];

    /// <summary>Initializes a new instance of the <see cref="AgentConversation"/> class.</summary>
    public AgentConversation()
    {
        BetaMessageParams = new SdkView(_messages);
    }

    /// <summary>Gets the messages, in order.</summary>
    public IReadOnlyList<ContextMessage> Messages => _messages;

    /// <summary>Gets a value indicating whether the conversation ends with the assistant's message.</summary>
    public bool EndsWithAssistant => _messages.Count > 0 && _messages[^1].IsAssistant;

    /// <summary>Whether the conversation ends with a user's turn (a system message after it counting as part of it).</summary>
    public bool EndsWithUser => _messages.Count > 0 && (_messages[^1].Role == "user" || (EndsWithSystem && _messages.Count > 1 && _messages[^2].Role == "user"));

    /// <summary>Gets the messages as the SDK's: a live view, each message over the same JSON, the same instance each time.</summary>
    public IReadOnlyList<BetaMessageParam> BetaMessageParams { get; }

    /// <summary>Adds a message given as the API's JSON.</summary>
    /// <param name="message">The message.</param>
    public void Add(JsonElement message) => _messages.Add(ContextMessage.FromJson(message));

    /// <summary>Adds messages already read.</summary>
    /// <param name="messages">The messages, in order.</param>
    public void AddRange(IEnumerable<ContextMessage> messages) => _messages.AddRange(messages);

    /// <summary>Whether the conversation ends with a mid-conversation system message.</summary>
    public bool EndsWithSystem => _messages.Count > 0 && _messages[^1].Role == "system";

    /// <summary>Adds an instruction as a <c>{"role": "system"}</c> message at its point in the history, which keeps the
    /// prefix before it (and its cache) as it was. The conversation must end with a user message.</summary>
    /// <param name="text">The instruction.</param>
    public void AddSystemText(string text) => AddText("system", text);

    /// <summary>Puts an instruction at the end of the conversation, which ends with a user's turn: a system message of
    /// its own when <paramref name="asSystemMessage"/> (joined to a trailing one, since two may not stand side by side),
    /// else text after the last user message's content.</summary>
    /// <param name="text">The instruction.</param>
    /// <param name="asSystemMessage">Whether the model takes mid-conversation system messages.</param>
    public void AddInstruction(string text, bool asSystemMessage)
    {
        if (asSystemMessage && !EndsWithSystem)
        {
            AddSystemText(text);
        }
        else
        {
            AppendTextToLast(text);
        }
    }

    /// <summary>Adds a user message of one text block.</summary>
    /// <param name="text">The text.</param>
    public void AddUserText(string text)
    {
        // A system message stands last or before an assistant message: a new user message goes before a trailing one.
        if (EndsWithSystem)
        {
            var system = _messages[^1];
            _messages.RemoveAt(_messages.Count - 1);
            AddUserTextAtEnd(text);
            _messages.Add(system);
            return;
        }

        AddUserTextAtEnd(text);
    }

    private void AddUserTextAtEnd(string text) => AddText("user", text);

    /// <summary>Adds a message of one text block.</summary>
    private void AddText(string role, string text) => Add(Json(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("role"u8, role);
        writer.WriteStartArray("content"u8);
        WriteText(writer, text);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }));

    /// <summary>Adds a text block at the end of the last message, a user's: its text content becomes a block first.</summary>
    /// <param name="text">The text.</param>
    public void AppendTextToLast(string text)
    {
        var last = _messages[^1].Json;
        _messages[^1] = ContextMessage.FromJson(Json(writer =>
        {
            writer.WriteStartObject();
            foreach (var property in last.EnumerateObject())
            {
                if (!property.NameEquals("content"u8))
                {
                    property.WriteTo(writer);
                    continue;
                }

                writer.WriteStartArray("content"u8);
                if (property.Value.ValueKind == JsonValueKind.String)
                {
                    WriteText(writer, property.Value.GetString()!);
                }
                else
                {
                    foreach (var block in property.Value.EnumerateArray())
                    {
                        block.WriteTo(writer);
                    }
                }

                WriteText(writer, text);
                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }));
    }

    /// <summary>Puts a block at the start of a message: where a compaction made here stands, as the API puts its block at
    /// the start of the assistant message it begins.</summary>
    /// <param name="index">The message.</param>
    /// <param name="block">The block.</param>
    public void PrependBlock(int index, JsonElement block)
    {
        var message = _messages[index].WithBlocks([ContextBlock.FromJson(block), .. _messages[index].Blocks]);
        // Written out whole, so the SDK's view of the message (made from its JSON) has the block too.
        _messages[index] = ContextMessage.FromJson(Json(message.WriteTo));
    }

    /// <summary>The JSON a writer writes, as an element.</summary>
    /// <param name="write">Writes one JSON value.</param>
    /// <returns>The element.</returns>
    public static JsonElement Json(Action<Utf8JsonWriter> write) => BetaContextEditing.Write(write);

    /// <summary>Writes a text block.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="text">The text.</param>
    public static void WriteText(Utf8JsonWriter writer, string text)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "text");
        writer.WriteString("text"u8, text);
        writer.WriteEndObject();
    }

    /// <summary>The conversation as the SDK's messages, made once per message when first asked for.</summary>
    private sealed class SdkView(List<ContextMessage> messages) : IReadOnlyList<BetaMessageParam>
    {
        private readonly ConditionalWeakTable<ContextMessage, BetaMessageParam> _made = [];

        public int Count => messages.Count;

        public BetaMessageParam this[int index] =>
            _made.GetValue(messages[index], static message => new BetaMessageParam(message.Json));

        public IEnumerator<BetaMessageParam> GetEnumerator()
        {
            for (var i = 0; i < messages.Count; i++)
            {
                yield return this[i];
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
