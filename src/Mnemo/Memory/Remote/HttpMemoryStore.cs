using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Mnemo.Memory.Remote;

/// <summary>Represents a store held by a Mnemo memory server (<c>mnemo serve</c>), for a <see cref="MemoryTool"/> on any machine.</summary>
/// <remarks>
/// <para>Each store operation is one request to <c>POST /v1/stores/{store}/ops</c>; the memory tool runs here, so its
/// compare-and-swap loop spans machines exactly as it spans processes on one folder: no lost updates, whoever writes.</para>
/// <para><b>Timeouts and retries.</b> An attempt that times out, loses its connection or meets a busy server (429, 5xx) is
/// tried again, up to <see cref="HttpMemoryStoreOptions.MaxRetries"/> times with growing pauses. Every write carries an
/// idempotency key, the same on each attempt, which the server's store keeps with the write itself: a write whose answer
/// was lost is answered again, not applied again.</para>
/// <para><b>Errors.</b> What the server's store refuses (a path leaving the root, a quota) is thrown as the same exception
/// the store threw there, so the memory tool's messages are the same as on a local store. Anything else becomes a
/// <see cref="MemoryStoreException"/> whose one-line message names neither the server nor the key.</para>
/// <para>The store is thread-safe; dispose it to close its connections.</para>
/// </remarks>
public sealed class HttpMemoryStore : IMemoryStore, IDisposable
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly HttpMemoryStoreOptions _options;
    private readonly HttpClient _http;
    private readonly Uri _operations;
    private readonly AuthenticationHeaderValue _authorization;
    private readonly ResiliencePipeline<Reply> _pipeline;

    /// <summary>Initializes a new instance of the <see cref="HttpMemoryStore"/> class.</summary>
    /// <param name="options">The options; the endpoint, the store and the API key are required.</param>
    public HttpMemoryStore(HttpMemoryStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validated();
        _http = options.Handler is { } handler
            ? new HttpClient(handler, disposeHandler: false)
            : new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2), ConnectTimeout = options.Timeout });
        _http.Timeout = System.Threading.Timeout.InfiniteTimeSpan;
        var endpoint = options.Endpoint!.AbsoluteUri.EndsWith('/') ? options.Endpoint : new Uri(options.Endpoint.AbsoluteUri + "/");
        _operations = new Uri(endpoint, $"v1/stores/{Uri.EscapeDataString(options.Store!)}/ops");
        _authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        _pipeline = Pipeline(_options);
    }

    /// <summary>Gets the store's name on the server.</summary>
    public string Name => _options.Store!;

    /// <inheritdoc/>
    public async ValueTask<MemoryItem?> ReadAsync(MemoryPath path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        return await SendAsync("read", writer => writer.WriteString("path", path.Original), null, root => root.GetProperty("kind").GetString() switch
        {
            "none" => null,
            "directory" => MemoryItem.Directory,
            "file" => MemoryItem.File(root.GetProperty("content").GetBytesFromBase64(), new MemoryVersion(root.GetProperty("version").GetString())),
            var other => throw new JsonException($"Unknown item kind: {other}"),
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<MemoryEntry>?> ListAsync(MemoryPath directory, int depth, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        return await SendAsync<IReadOnlyList<MemoryEntry>?>("list", writer =>
        {
            writer.WriteString("path", directory.Original);
            writer.WriteNumber("depth", Math.Min(depth, 64));
        }, null, root => root.GetProperty("entries") is { ValueKind: JsonValueKind.Array } entries ? MemoryStoreWire.ReadEntries(entries) : null, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<bool> CreateFileAsync(
        MemoryPath path, ReadOnlyMemory<byte> content, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        return await SendAsync("create", writer =>
        {
            writer.WriteString("path", path.Original);
            writer.WriteBase64String("content", content.Span);
            WriteContext(writer, context);
        }, RequestIdOf(context), root => root.GetProperty("created").GetBoolean(), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<bool> ReplaceFileAsync(
        MemoryPath path,
        ReadOnlyMemory<byte> content,
        MemoryItem expected,
        MemoryWriteContext? context = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(expected);
        if (expected.Kind != MemoryEntryKind.File)
        {
            return false;
        }

        var hash = MemoryHash.Sha256(expected.Content.Span);
        return await SendAsync("replace", writer =>
        {
            writer.WriteString("path", path.Original);
            writer.WriteBase64String("content", content.Span);
            writer.WriteString("version", expected.Version.Value);
            writer.WriteString("sha256", hash);
            WriteContext(writer, context);
        }, RequestIdOf(context), root => root.GetProperty("replaced").GetBoolean(), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<MemoryDeleteOutcome> DeleteAsync(MemoryPath path, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        return await SendAsync("delete", writer =>
        {
            writer.WriteString("path", path.Original);
            WriteContext(writer, context);
        }, RequestIdOf(context), root => MemoryStoreWire.DeleteOutcome(root.GetProperty("outcome").GetString()) ?? throw new JsonException("Unknown delete outcome."),
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<MemoryRenameOutcome> RenameAsync(
        MemoryPath source, MemoryPath destination, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        return await SendAsync("rename", writer =>
        {
            writer.WriteString("from", source.Original);
            writer.WriteString("to", destination.Original);
            WriteContext(writer, context);
        }, RequestIdOf(context), root => MemoryStoreWire.RenameOutcome(root.GetProperty("outcome").GetString()) ?? throw new JsonException("Unknown rename outcome."),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the store's connections.</summary>
    public void Dispose() => _http.Dispose();

    /// <summary>The write's key: the caller's when it set one, a fresh random one otherwise, the same on every attempt.</summary>
    private static string RequestIdOf(MemoryWriteContext? context) => context?.RequestId ?? Guid.NewGuid().ToString("N");

    private static void WriteContext(Utf8JsonWriter writer, MemoryWriteContext? context)
    {
        if (context?.Actor is { } actor)
        {
            writer.WriteString("actor", actor);
        }

        if (context?.Reason is { } reason)
        {
            writer.WriteString("reason", reason);
        }
    }

    private async Task<T> SendAsync<T>(
        string op, Action<Utf8JsonWriter> body, string? requestId, Func<JsonElement, T> read, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("op", op);
            body(writer);
            writer.WriteEndObject();
        }

        var action = op switch
        {
            "read" => "read a file",
            "list" => "list a folder",
            "create" => "create a file",
            "replace" => "replace a file",
            _ => op,
        };
        Reply reply;
        try
        {
            reply = await _pipeline.ExecuteAsync(
                static (state, token) => state.Store.PostAsync(state.Payload, state.RequestId, token),
                (Store: this, Payload: buffer.WrittenMemory, RequestId: requestId),
                cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException exception)
        {
            throw new MemoryStoreException($"the memory server could not be reached to {action}", isTransient: true, exception);
        }
        catch (Exception exception) when (exception is TimeoutRejectedException ||
            (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new MemoryStoreException(
                $"the memory server did not answer within {_options.Timeout.TotalSeconds:0.#} s to {action}", isTransient: true, exception);
        }

        return reply.IsBusy
            ? throw new MemoryStoreException($"the memory server could not {action}: {ErrorMessage(reply.Body) ?? $"HTTP {reply.Status}"}", isTransient: true)
            : Answer(action, reply.Status, reply.Body, read);
    }

    /// <summary>Retries an attempt that timed out, lost its connection or met a busy server, with growing pauses or the
    /// server's <c>Retry-After</c>, whichever is longer; each attempt has <see cref="HttpMemoryStoreOptions.Timeout"/>.</summary>
    private static ResiliencePipeline<Reply> Pipeline(HttpMemoryStoreOptions options)
    {
        var builder = new ResiliencePipelineBuilder<Reply>();
        if (options.MaxRetries > 0)
        {
            var delay = options.RetryDelay;
            builder.AddRetry(new RetryStrategyOptions<Reply>
            {
                MaxRetryAttempts = options.MaxRetries,
                // A connection that could not be made in time is cancelled by the handler, not by the caller: that is a timeout too.
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Exception is HttpRequestException or TimeoutRejectedException ||
                    (args.Outcome.Exception is OperationCanceledException && !args.Context.CancellationToken.IsCancellationRequested) ||
                    args.Outcome.Result is { IsBusy: true }),
                DelayGenerator = args =>
                {
                    var pause = delay * (1 << Math.Min(args.AttemptNumber, 6));
                    pause += TimeSpan.FromTicks((long)(pause.Ticks * Random.Shared.NextDouble()));
                    return ValueTask.FromResult<TimeSpan?>(args.Outcome.Result?.RetryAfter is { } wait && wait > pause ? wait : pause);
                },
            });
        }

        // Within the retry: each attempt has its own time, and one that runs out is tried again (the write's key makes that harmless).
        return builder.AddTimeout(options.Timeout).Build();
    }

    /// <summary>Sends one attempt and reads its whole answer.</summary>
    private async ValueTask<Reply> PostAsync(ReadOnlyMemory<byte> payload, string? requestId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _operations) { Content = new ReadOnlyMemoryContent(payload) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = _authorization;
        if (requestId is not null)
        {
            request.Headers.TryAddWithoutValidation(MemoryStoreWire.IdempotencyHeader, requestId);
        }

        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return new Reply((int)response.StatusCode, body, response.Headers.RetryAfter?.Delta);
    }

    private static T Answer<T>(string action, int status, byte[] bytes, Func<JsonElement, T> read)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            if (status == 200)
            {
                return read(root);
            }

            if (status == 422 && root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                throw Refusal(error);
            }
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new MemoryStoreException($"the memory server's answer to {action} could not be read", innerException: exception);
        }

        var message = ErrorMessage(bytes);
        throw status switch
        {
            401 => new MemoryStoreException($"the memory server did not accept the API key to {action}"),
            404 => new MemoryStoreException($"the memory server has no such store for this API key, so could not {action}"),
            _ => new MemoryStoreException($"the memory server refused to {action}: {message ?? $"HTTP {status}"}"),
        };
    }

    private static MemoryException Refusal(JsonElement error)
    {
        var path = MemoryPath.TryParse(error.GetProperty("path").GetString(), out var parsed, out _)
            ? parsed
            : throw new JsonException("A refusal names no valid path.");
        return error.GetProperty("reason").GetString() switch
        {
            "escape" => new MemoryPathEscapeException(path),
            "parent_not_directory" => new MemoryParentNotDirectoryException(path),
            "quota" => new MemoryQuotaExceededException(
                MemoryStoreWire.QuotaKind(error.GetProperty("quota").GetString()) ?? throw new JsonException("Unknown quota."),
                path,
                error.GetProperty("limit").GetInt64(),
                error.GetProperty("actual").GetInt64()),
            var other => throw new JsonException($"Unknown refusal: {other}"),
        };
    }

    /// <summary>The one-line message of an error answer, if it has one.</summary>
    private static string? ErrorMessage(byte[] bytes)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes);
            // The API's own error object, or a problem's detail (a proxy or an application's own answer in front of the API).
            var root = document.RootElement;
            var text = root.ValueKind != JsonValueKind.Object ? null
                : root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object &&
                  error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String ? message.GetString()
                : root.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String ? detail.GetString()
                : null;
            return text?.ReplaceLineEndings(" ");
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>One attempt's answer: its status, its body, and how long the server asked to wait.</summary>
    private sealed record Reply(int Status, byte[] Body, TimeSpan? RetryAfter)
    {
        /// <summary>Gets a value indicating whether the server was too busy to answer (408, 429, 5xx): worth another attempt.</summary>
        public bool IsBusy => Status is 408 or 429 or >= 500;
    }
}
