using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Anthropic.Models.Beta.Messages;
using Mnemo.Context;

namespace Mnemo.Anthropic;

/// <summary>Context editing for the official SDK's requests: <see cref="MessageCreateParams"/> and lists of <see cref="BetaMessageParam"/>.</summary>
/// <remarks>
/// The SDK keeps every message as the JSON it will send, and Mnemo edits that JSON, so nothing the SDK or Mnemo does not
/// model is lost: unknown block types and fields go out as they came. Messages that editing did not touch come back as the
/// very instances that went in.
/// </remarks>
public static class BetaContextEditing
{
    /// <summary>Reads the SDK's request body as a request context editing can work on.</summary>
    public static ContextRequest ToContextRequest(this MessageCreateParams parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return ContextRequest.FromJson(WriteBody(parameters.RawBodyData));
    }

    /// <summary>
    /// What each SDK message reads as. A message is immutable, so it is read once, and a conversation that grows by a
    /// few messages a turn costs what it grew by; each block's token estimate is kept with it too.
    /// </summary>
    private static readonly ConditionalWeakTable<BetaMessageParam, ContextMessage> Read = [];

    /// <summary>Reads a list of the SDK's messages as a bare list of messages.</summary>
    /// <exception cref="ContextFormatException">A message is not a message the API takes; the error says why.</exception>
    public static ContextRequest ToContextRequest(this IEnumerable<BetaMessageParam> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return ContextRequest.FromMessages(messages.Select(message =>
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            return ReadMessage(message);
        }));
    }

    /// <summary>A message of the SDK's as context editing reads it, read once per instance.</summary>
    /// <exception cref="ContextFormatException">The message is not one the API takes.</exception>
    internal static ContextMessage ReadMessage(BetaMessageParam message) =>
        Read.GetValue(message, static message => ContextMessage.FromJson(message.Json));

    /// <summary>Returns a request's messages as the SDK's.</summary>
    public static List<BetaMessageParam> ToBetaMessageParams(this ContextRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var list = new List<BetaMessageParam>(request.Messages.Count);
        foreach (var message in request.Messages)
        {
            list.Add(new BetaMessageParam(ToElement(message)));
        }

        return list;
    }

    /// <summary>Edits a conversation of the SDK's messages.</summary>
    /// <param name="editor">The editor, with its token counter.</param>
    /// <param name="messages">The conversation; not changed.</param>
    /// <param name="config">The strategies to apply.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The edited conversation, sharing every message editing did not touch, and the report.</returns>
    public static async Task<BetaMessagesEdit> EditAsync(
        this ContextEditor editor, IReadOnlyList<BetaMessageParam> messages, ContextManagementConfig config,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(editor);
        ArgumentNullException.ThrowIfNull(messages);
        var request = messages.ToContextRequest();
        var result = await editor.EditAsync(request, config, cancellationToken).ConfigureAwait(false);
        return new BetaMessagesEdit(Merge(messages, request, result.Request), result);
    }

    /// <summary>
    /// Edits a request's messages on the client's side, with the strategies of its own <c>context_management</c> or
    /// those given, and returns the request to send: its edited messages and every other field as it was, and no
    /// <c>context_management</c>, so the server does not edit it a second time.
    /// </summary>
    /// <param name="editor">The editor, with its token counter.</param>
    /// <param name="parameters">The request; not changed.</param>
    /// <param name="config">The strategies; <see langword="null"/> for the request's own.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <exception cref="ArgumentException">No configuration was given and the request has none.</exception>
    /// <exception cref="ContextFormatException">The request's configuration breaks the API's rules.</exception>
    public static async Task<BetaRequestEdit> EditAsync(
        this ContextEditor editor, MessageCreateParams parameters, ContextManagementConfig? config = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(editor);
        ArgumentNullException.ThrowIfNull(parameters);
        var request = parameters.ToContextRequest();
        config ??= request.ContextManagement is { } own
            ? ContextManagementConfig.FromJson(own)
            : throw new ArgumentException("The request has no context_management and no configuration was given.", nameof(config));

        var result = await editor.EditAsync(request, config, cancellationToken).ConfigureAwait(false);
        var messages = Merge(parameters.Messages, request, result.Request);
        var body = new Dictionary<string, JsonElement>(parameters.RawBodyData.Count);
        foreach (var (name, value) in parameters.RawBodyData)
        {
            if (name != "context_management")
            {
                body[name] = value;
            }
        }

        body["messages"] = JsonSerializer.SerializeToElement(messages);
        var edited = MessageCreateParams.FromRawUnchecked(parameters.RawHeaderData, parameters.RawQueryData, body);
        return new BetaRequestEdit(edited, result);
    }

    /// <summary>The edited list: the original instance wherever editing left the message as it was.</summary>
    internal static List<BetaMessageParam> Merge(IReadOnlyList<BetaMessageParam> originals, ContextRequest before, ContextRequest after)
    {
        var list = new List<BetaMessageParam>(after.Messages.Count);
        for (var i = 0; i < after.Messages.Count; i++)
        {
            var message = after.Messages[i];
            list.Add(ReferenceEquals(message, before.Messages[i]) ? originals[i] : new BetaMessageParam(ToElement(message)));
        }

        return list;
    }

    private static JsonElement WriteBody(IReadOnlyDictionary<string, JsonElement> body) => Write(writer =>
    {
        writer.WriteStartObject();
        foreach (var (name, value) in body)
        {
            writer.WritePropertyName(name);
            value.WriteTo(writer);
        }

        writer.WriteEndObject();
    });

    private static JsonElement ToElement(ContextMessage message) => Write(message.WriteTo);

    /// <summary>The JSON a writer writes, as an element.</summary>
    /// <remarks>
    /// The element holds an exact copy of the bytes; the buffer they are written into is kept per thread and reused, so
    /// a request of the whole conversation costs its copy, not a buffer grown by doubling each time. A call made while
    /// the thread's buffer is in use (a writer that writes another element) gets a buffer of its own.
    /// </remarks>
    internal static JsonElement Write(Action<Utf8JsonWriter> write)
    {
        var buffer = _threadBuffer ?? new ArrayBufferWriter<byte>(4096);
        _threadBuffer = null;
        try
        {
            using (var writer = new Utf8JsonWriter(buffer))
            {
                write(writer);
            }

            var reader = new Utf8JsonReader(buffer.WrittenSpan);
            return JsonElement.ParseValue(ref reader);
        }
        finally
        {
            buffer.ResetWrittenCount();
            if (buffer.Capacity <= MaxKeptBuffer)
            {
                _threadBuffer = buffer;
            }
        }
    }

    // A conversation's request is rarely larger; a larger buffer goes back to the collector rather than stay with the thread.
    private const int MaxKeptBuffer = 4 * 1024 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _threadBuffer;
}

/// <summary>A conversation of the SDK's messages after editing.</summary>
/// <param name="Messages">The edited conversation; untouched messages are the instances that went in.</param>
/// <param name="Result">What was applied, and the token counts before and after.</param>
public sealed record BetaMessagesEdit(IReadOnlyList<BetaMessageParam> Messages, ContextEditResult Result);

/// <summary>A request for the SDK after client-side editing.</summary>
/// <param name="Parameters">The request to send: edited messages, no <c>context_management</c>, every other field as it was.</param>
/// <param name="Result">What was applied, and the token counts before and after.</param>
public sealed record BetaRequestEdit(MessageCreateParams Parameters, ContextEditResult Result);
