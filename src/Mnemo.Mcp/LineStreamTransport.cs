using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace Mnemo.Mcp;

/// <summary>MCP over a pair of streams, one JSON-RPC message a line (the stdio transport), that answers every request it read.</summary>
/// <remarks>
/// <para>The SDK's own stream transport stops sending the moment its input ends, so a client that writes its requests
/// and closes its end loses the answers still being worked on. This one, at the end of input, waits until every request
/// it read has been answered, then ends the session.</para>
/// <para>It also takes each memory command's place in <see cref="CommandOrder"/> as it reads it, and answers a line
/// that is not JSON-RPC with a parse error (-32700) or, for JSON that is not a message, an invalid request (-32600),
/// instead of passing over it.</para>
/// </remarks>
internal sealed class LineStreamTransport : TransportBase
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    private readonly StreamReader _input;
    private readonly Stream _output;
    private readonly CommandOrder _order;
    private readonly TimeSpan _drainLimit;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Lock _gate = new();
    private readonly HashSet<RequestId> _unanswered = [];
    private TaskCompletionSource? _drained;
    private readonly Task _reading;

    public LineStreamTransport(Stream input, Stream output, CommandOrder order, TimeSpan drainLimit, ILoggerFactory? loggerFactory)
        : base("mnemo stdio", loggerFactory)
    {
        _input = new StreamReader(input, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        _output = output;
        _order = order;
        _drainLimit = drainLimit;
        _log = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Mnemo.Mcp");
        SetConnected();
        _reading = Task.Run(ReadAsync);
    }

    public override async Task SendMessageAsync(JsonRpcMessage message, CancellationToken cancellationToken = default)
    {
        if (!IsConnected)
        {
            return;
        }

        await WriteLineAsync(JsonSerializer.SerializeToUtf8Bytes(message, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcMessage))), cancellationToken)
            .ConfigureAwait(false);
        if (message is JsonRpcResponse or JsonRpcError)
        {
            Answered(((JsonRpcMessageWithId)message).Id);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await _shutdown.CancelAsync().ConfigureAwait(false);
        // A read of standard input may not heed the token on every platform: the session is over either way.
        await _reading.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        SetDisconnected();
        _shutdown.Dispose();
        _send.Dispose();
    }

    private async Task WriteLineAsync(byte[] json, CancellationToken cancellationToken)
    {
        await _send.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _output.WriteAsync(json, cancellationToken).ConfigureAwait(false);
            await _output.WriteAsync(NewLine, cancellationToken).ConfigureAwait(false);
            await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw new IOException("The client's end of the stream is gone.", exception);
        }
        finally
        {
            _send.Release();
        }
    }

    private void Answered(RequestId id)
    {
        _order.Complete(id);
        Settled(id);
    }

    private void Settled(RequestId id)
    {
        lock (_gate)
        {
            if (_unanswered.Remove(id) && _unanswered.Count == 0)
            {
                _drained?.TrySetResult();
            }
        }
    }

    private async Task ReadAsync()
    {
        var token = _shutdown.Token;
        Exception? failure = null;
        try
        {
            while (await _input.ReadLineAsync(token).ConfigureAwait(false) is { } line)
            {
                if (!string.IsNullOrWhiteSpace(line))
                {
                    await AcceptAsync(line, token).ConfigureAwait(false);
                }
            }

            await DrainAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Disposed: the session is over.
        }
        catch (Exception exception)
        {
            McpLog.ReadFailed(_log, exception.Message);
            failure = exception;
        }
        finally
        {
            SetDisconnected(failure);
        }
    }

    private async Task AcceptAsync(string line, CancellationToken cancellationToken)
    {
        JsonRpcMessage? message;
        try
        {
            message = JsonSerializer.Deserialize(line, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcMessage))) as JsonRpcMessage;
        }
        catch (JsonException)
        {
            message = null;
        }

        if (message is null)
        {
            // JSON-RPC 2.0: a message that cannot be read is answered with a parse error, its id null when none can be found.
            await WriteLineAsync(ParseError(line), cancellationToken).ConfigureAwait(false);
            return;
        }

        if (message is JsonRpcNotification { Method: NotificationMethods.CancelledNotification } cancelled &&
            cancelled.Params?["requestId"] is JsonValue id && ReadId(id) is { } gone)
        {
            // A cancelled request gets no answer (the protocol says so), so the end of input does not wait for one; its
            // place in the order is kept until its handler has stopped.
            Settled(gone);
        }

        if (message is JsonRpcRequest request)
        {
            lock (_gate)
            {
                _unanswered.Add(request.Id);
            }

            if (CommandOrder.IsRead(request) is { } read)
            {
                _order.Enter(request.Id, read);
            }
        }

        await WriteMessageAsync(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>At the end of input: waits for every request read to be answered, within a bound for a handler that never ends.</summary>
    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        Task drained;
        lock (_gate)
        {
            if (_unanswered.Count == 0)
            {
                return;
            }

            _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            drained = _drained.Task;
        }

        try
        {
            await drained.WaitAsync(_drainLimit, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            int count;
            lock (_gate)
            {
                count = _unanswered.Count;
            }

            McpLog.DrainTimedOut(_log, count, _drainLimit.TotalSeconds);
        }
    }

    private static byte[] ParseError(string line)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc", "2.0");
            writer.WritePropertyName("id");
            if (TryFindId(line) is { } id)
            {
                id.WriteTo(writer);
            }
            else
            {
                writer.WriteNullValue();
            }

            writer.WriteStartObject("error");
            if (IsJson(line))
            {
                writer.WriteNumber("code", (int)McpErrorCode.InvalidRequest);
                writer.WriteString("message", "Invalid request: the line is JSON but not a JSON-RPC message.");
            }
            else
            {
                writer.WriteNumber("code", (int)McpErrorCode.ParseError);
                writer.WriteString("message", "Parse error: the line is not JSON.");
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static RequestId? ReadId(JsonValue id) =>
        id.TryGetValue<string>(out var text) ? new RequestId(text)
        : id.TryGetValue<long>(out var number) ? new RequestId(number)
        : null;

    private static bool IsJson(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 4096 });
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The top-level <c>id</c> of a line that did not parse as a message, when it is a string or a number.</summary>
    private static JsonElement? TryFindId(string line)
    {
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(line), new JsonReaderOptions { MaxDepth = 4096 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isId = reader.ValueTextEquals("id"u8);
                if (!reader.Read())
                {
                    return null;
                }

                if (isId)
                {
                    return reader.TokenType is JsonTokenType.String or JsonTokenType.Number
                        ? JsonElement.ParseValue(ref reader)
                        : null;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // Torn before an id was found.
        }

        return null;
    }
}
