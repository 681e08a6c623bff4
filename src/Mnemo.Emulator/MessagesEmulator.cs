using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mnemo.Context;
using Mnemo.Tokens;

namespace Mnemo.Emulator;

/// <summary>
/// Represents a local stand-in for the Anthropic Messages API on 127.0.0.1: <c>POST /v1/messages</c> (plain and
/// streamed) and <c>POST /v1/messages/count_tokens</c>, with the API's headers, validation and error shapes, context
/// editing applied as the server applies it, usage with a prompt-cache model, and a scripted assistant.
/// </summary>
/// <remarks>
/// <para>Point the official SDK at <see cref="BaseAddress"/> (<c>ClientOptions.BaseUrl</c>, or <c>ANTHROPIC_BASE_URL</c>)
/// and it talks to the emulator as to the API. See docs/emulator.md.</para>
/// <para>Thread-safe: it serves any number of conversations at once; the scripted turn of a request depends on the
/// request alone.</para>
/// </remarks>
public sealed class MessagesEmulator : IAsyncDisposable
{
    /// <summary>Writes text as the API does: quotes, apostrophes and non-ASCII letters as they are, not as \u escapes.</summary>
    internal static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly WebApplication _app;
    private readonly MessagesEmulatorOptions _options;
    private readonly ScriptedAssistant _assistant;
    private readonly PromptCache _cache;
    private readonly MessageThreads _threads;
    private readonly MemoryStoresApi _memoryStores;
    private readonly ContextEditor _editor;
    private readonly ConcurrentQueue<EmulatorExchange> _exchanges = new();

    private MessagesEmulator(WebApplication app, MessagesEmulatorOptions options)
    {
        _app = app;
        _options = options;
        _assistant = new ScriptedAssistant(options.Script);
        _cache = new PromptCache(options.TimeProvider, options.CacheMinimumTokens);
        _threads = new MessageThreads(options.TimeProvider);
        _memoryStores = new MemoryStoresApi(options.TimeProvider);
        // The API compacts everything before the response; the summary comes from the options, or is extracted.
        var summarizer = options.Summarizer ?? (options.Script?.CompactionSummary is { } scripted ? new ScriptedSummarizer(scripted) : null);
        _editor = new ContextEditor(EstimatingTokenCounter.Instance, new ContextEditorOptions { Summarizer = summarizer, CompactionKeepsLastTurn = false, KeepPrefixBoundThinkingValid = false });
    }

    /// <summary>Gets the address to give the SDK as its base URL, such as <c>http://127.0.0.1:41234</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Gets the most recent exchanges, oldest first (as many as <see cref="MessagesEmulatorOptions.RecordedExchanges"/>).</summary>
    public IReadOnlyList<EmulatorExchange> Exchanges => [.. _exchanges];

    /// <summary>Starts an emulator and returns once it accepts connections.</summary>
    /// <exception cref="IOException">The port is taken.</exception>
    public static async Task<MessagesEmulator> StartAsync(MessagesEmulatorOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, options.Port);
            kestrel.AddServerHeader = false;

            // The body limit is the API's, checked while reading so the answer has the API's shape.
            kestrel.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        var emulator = new MessagesEmulator(app, options);
        app.Run(emulator.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        emulator.BaseAddress = new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal));
        return emulator;
    }

    /// <summary>Stops accepting requests and finishes those in flight.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private async Task HandleAsync(HttpContext context)
    {
        var requestId = EmulatorIds.Random("req_01");
        var response = context.Response;
        response.Headers["request-id"] = requestId;
        var path = context.Request.Path.Value ?? "/";
        var exchange = new Exchange(requestId, _options.TimeProvider.GetUtcNow(), path);
        string? continues = null;
        var threaded = false;
        var answered = false;
        try
        {
            if (path.StartsWith("/_emulator/", StringComparison.Ordinal))
            {
                await HandleControlAsync(context, path).ConfigureAwait(false);
                return;
            }

            var dreams = path == "/v1/dreams" || path.StartsWith("/v1/dreams/", StringComparison.Ordinal);
            if (dreams || path == "/v1/memory_stores" || path.StartsWith("/v1/memory_stores/", StringComparison.Ordinal))
            {
                var key = EmulatorRequests.Authenticate(context.Request, _options.ApiKey);
                var memoryBetas = EmulatorRequests.Betas(context.Request);
                exchange.Betas = [.. memoryBetas];
                var (status, answer) = dreams
                    ? await _memoryStores.HandleDreamsAsync(context.Request, path, key, memoryBetas, context.RequestAborted).ConfigureAwait(false)
                    : await _memoryStores.HandleAsync(context.Request, path, key, memoryBetas, context.RequestAborted).ConfigureAwait(false);
                await WriteJsonAsync(response, status, answer, exchange).ConfigureAwait(false);
                answered = true;
                return;
            }

            var countTokens = path switch
            {
                "/v1/messages" => false,
                "/v1/messages/count_tokens" => true,
                _ => throw new ApiErrorException(404, "not_found_error", "Not Found"),
            };
            if (!HttpMethods.IsPost(context.Request.Method))
            {
                throw new ApiErrorException(405, "invalid_request_error", $"Method Not Allowed: {path} takes POST");
            }

            var apiKey = EmulatorRequests.Authenticate(context.Request, _options.ApiKey);
            var betas = EmulatorRequests.Betas(context.Request);
            exchange.Betas = [.. betas];
            var body = await EmulatorRequests.ReadBodyAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
            exchange.Request = body;
            if (!countTokens && MessageThreads.Asks(body))
            {
                if (body.ValueKind != JsonValueKind.Object)
                {
                    throw ApiErrorException.InvalidRequest("Input should be a valid dictionary or object to extract fields from");
                }

                (body, continues) = _threads.Open(apiKey, body, betas);
                threaded = true;
                exchange.AnsweredRequest = continues is null ? null : body;
            }

            var (_, model) = MessagesRequestValidator.Validate(body, countTokens, betas, _options.StrictRoleAlternation);
            IReadOnlyList<(string Path, string Reason)>? transformations = betas.Contains(ModelRules.BindingBeta) ? [] : null;
            var bound = model?.ThinkingPrefixBound == true;
            if (bound)
            {
                // Thinking blocks sent back are checked against the prefix they are sent with; dropped ones are reported.
                var (checkedBody, dropped) = ThinkingBinding.Check(body, transformations is not null && ModelRules.DropsMismatchedBlocks(body));
                (body, transformations) = (checkedBody, transformations is null ? null : dropped);
            }

            if (countTokens && body.TryGetProperty("max_tokens"u8, out _))
            {
                throw ApiErrorException.InvalidRequest("max_tokens: Extra inputs are not permitted");
            }

            var request = ContextRequest.FromJson(body);
            ContextEditResult? edit = null;
            if (request.ContextManagement is { ValueKind: not JsonValueKind.Null } management)
            {
                edit = await _editor.EditAsync(request, ContextManagementConfig.FromJson(management), context.RequestAborted).ConfigureAwait(false);
            }

            // What the model answers: the edited request, or the request with the compaction blocks it holds applied.
            var answering = edit?.Request ?? ContextEditor.ApplyCompactionBlocks(request);
            if (!ReferenceEquals(answering, request) && (_options.RecordedExchanges > 0 || _options.OnExchange is not null))
            {
                exchange.AnsweredRequest = ToElement(writer => answering.WriteTo(writer, withoutContextManagement: true));
            }

            if (countTokens)
            {
                var count = ToElement(writer =>
                {
                    if (edit is not null)
                    {
                        edit.WritePreview(writer);
                        return;
                    }

                    writer.WriteStartObject();
                    writer.WriteNumber("input_tokens"u8, EstimatingTokenCounter.Instance.Count(answering));
                    writer.WriteEndObject();
                });
                await WriteJsonAsync(response, 200, count, exchange).ConfigureAwait(false);
                return;
            }

            var message = await AnswerAsync(context, apiKey, body, request, answering, edit, exchange, new Binding(bound, transformations)).ConfigureAwait(false);
            answered = true;
            if (threaded)
            {
                _threads.Store(apiKey, body, continues, message);
            }
        }
        catch (ApiErrorException error)
        {
            await WriteErrorAsync(response, error.Status, error.Type, error.Message, exchange, error.ErrorCode, error.Fields).ConfigureAwait(false);
        }
        catch (ContextFormatException error)
        {
            // The context_management configuration broke one of the API's rules; the message reads like the API's.
            await WriteErrorAsync(response, 400, "invalid_request_error", error.Message, exchange).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
            exchange.Status = 499;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // A fault of the emulator's own: the client gets the API's generic error, the host's log gets the details.
            exchange.Failure = exception.ToString();
            await WriteErrorAsync(response, 500, "api_error", "Internal server error", exchange).ConfigureAwait(false);
        }
        finally
        {
            if (!answered)
            {
                _threads.Release(continues);
            }

            // The control endpoints answer without the Messages API's bookkeeping: the log shows what they sent.
            if (exchange.Status == 0)
            {
                exchange.Status = response.StatusCode;
            }

            Record(exchange);
        }
    }

    private async Task<JsonElement> AnswerAsync(
        HttpContext context, string apiKey, JsonElement body, ContextRequest request, ContextRequest edited, ContextEditResult? edit, Exchange exchange, Binding binding)
    {
        var cancellationToken = context.RequestAborted;
        var selection = _assistant.Select([.. body.GetProperty("messages"u8).EnumerateArray()]);
        exchange.ScriptSource = selection.Source;
        var turn = selection.Turn;
        if (turn.DelayMilliseconds > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(turn.DelayMilliseconds), _options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }

        var stream = body.TryGetProperty("stream"u8, out var streamValue) && streamValue.ValueKind == JsonValueKind.True;
        if (turn.Error is { } scripted && !(stream && scripted.DuringStream))
        {
            throw new ApiErrorException(scripted.Status, scripted.Type, scripted.Message);
        }

        var model = _options.Script?.Model ?? body.GetProperty("model"u8).GetString()!;
        var total = edit?.InputTokens ?? EstimatingTokenCounter.Instance.Count(edited);
        if (ClaudeModels.Find(body.GetProperty("model"u8).GetString()) is { IsKnown: true, Model: var known } && total > known.ContextWindow)
        {
            // What the model would read does not fit its window (after any editing), as the API answers it.
            throw ApiErrorException.InvalidRequest(string.Create(CultureInfo.InvariantCulture, $"prompt is too long: {total} tokens > {known.ContextWindow} maximum"));
        }

        var usage = _cache.Apply(apiKey + "\n" + body.GetProperty("model"u8).GetString(), edited, total);
        var stops = body.TryGetProperty("stop_sequences"u8, out var stopValues) && stopValues.ValueKind == JsonValueKind.Array
            ? [.. stopValues.EnumerateArray().Select(stop => stop.GetString()!)]
            : Array.Empty<string>();
        var reply = edit?.Compaction is { Paused: true } paused
            ? EmulatedReply.Paused(paused)
            : EmulatedReply.Build(selection, request.ThinkingEnabled, body.GetProperty("max_tokens"u8).GetInt64(), stops, edit?.Compaction);
        if (binding.Bound)
        {
            // Each thinking block is bound to the prefix that produced it, and to the thinking before it in its turn.
            var previous = ThinkingBinding.LastInTurn(body);
            reply = reply.Resigned((before, thinking) =>
            {
                var signature = ThinkingBinding.Sign(body, [.. before.Where(block => block is not ThinkingReply).Select(block => ToElement(writer => MessageWriter.WriteBlock(writer, block, whole: true)))], previous, thinking);
                previous = signature;
                return signature;
            });
        }

        // Every answer has an id of its own, as the API's do; the content stays the script's, the same every run.
        var message = new MessageWriter(EmulatorIds.Random("msg_01"), model, reply, usage, edit, binding.InputTransformations);
        var whole = ToElement(message.WriteMessage);
        if (!stream)
        {
            await WriteJsonAsync(context.Response, 200, whole, exchange).ConfigureAwait(false);
            return whole;
        }

        exchange.Streamed = true;
        exchange.Status = 200;
        exchange.Response = whole;
        await message.WriteStreamAsync(context.Response, turn.Error, cancellationToken).ConfigureAwait(false);
        return whole;
    }

    private async Task HandleControlAsync(HttpContext context, string path)
    {
        if (path != "/_emulator/exchanges")
        {
            throw new ApiErrorException(404, "not_found_error", "Not Found");
        }

        if (HttpMethods.IsDelete(context.Request.Method))
        {
            _exchanges.Clear();
            context.Response.StatusCode = 204;
            return;
        }

        var list = Exchanges;
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        var json = ToElement(writer =>
        {
            writer.WriteStartArray();
            foreach (var exchange in list)
            {
                exchange.WriteTo(writer);
            }

            writer.WriteEndArray();
        });
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(json.GetRawText()), context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteJsonAsync(HttpResponse response, int status, JsonElement body, Exchange exchange)
    {
        exchange.Status = status;
        exchange.Response = body;
        response.StatusCode = status;
        response.ContentType = "application/json";
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(body.GetRawText())).ConfigureAwait(false);
    }

    private static async Task WriteErrorAsync(HttpResponse response, int status, string type, string message, Exchange exchange, string? errorCode = null, Action<Utf8JsonWriter>? fields = null)
    {
        if (response.HasStarted)
        {
            return;
        }

        // Like the API: client errors are not worth retrying; rate limits, overloads and server errors are.
        response.Headers["x-should-retry"] = status is 408 or 409 or 429 or >= 500 ? "true" : "false";
        await WriteJsonAsync(response, status, ToElement(writer => ApiErrors.Write(writer, type, message, exchange.RequestId, errorCode, fields)), exchange)
            .ConfigureAwait(false);
    }

    private void Record(Exchange exchange)
    {
        var record = new EmulatorExchange(
            exchange.RequestId, exchange.Time, exchange.Path, exchange.Status, exchange.Streamed, exchange.Betas, exchange.Request, exchange.AnsweredRequest,
            exchange.Response, exchange.ScriptSource) { Failure = exchange.Failure };
        if (_options.RecordedExchanges > 0)
        {
            _exchanges.Enqueue(record);
            while (_exchanges.Count > _options.RecordedExchanges && _exchanges.TryDequeue(out _))
            {
            }
        }

        try
        {
            _options.OnExchange?.Invoke(record);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // A host's log callback failing must not turn an answered request into a broken connection.
            System.Diagnostics.Trace.TraceWarning($"mnemo emulator: the OnExchange callback failed: {exception.Message}");
        }
    }

    internal static JsonElement ToElement(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }

        var reader = new Utf8JsonReader(buffer.WrittenSpan);
        return JsonElement.ParseValue(ref reader);
    }

    private sealed class Exchange(string requestId, DateTimeOffset time, string path)
    {
        public string RequestId { get; } = requestId;

        public DateTimeOffset Time { get; } = time;

        public string Path { get; } = path;

        public int Status { get; set; }

        public bool Streamed { get; set; }

        public IReadOnlyList<string> Betas { get; set; } = [];

        public JsonElement? Request { get; set; }

        public JsonElement? AnsweredRequest { get; set; }

        public JsonElement? Response { get; set; }

        public string? ScriptSource { get; set; }

        public string? Failure { get; set; }
    }

    /// <summary>Whether the model binds thinking to its prefix, and the <c>input_transformations</c> to report
    /// (<see langword="null"/> without the binding beta).</summary>
    private sealed record Binding(bool Bound, IReadOnlyList<(string Path, string Reason)>? InputTransformations);

    /// <summary>The script's one summary, for every compaction.</summary>
    private sealed class ScriptedSummarizer(string summary) : IContextSummarizer
    {
        public ValueTask<ContextSummary> SummarizeAsync(ContextRequest request, string? instructions, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new ContextSummary(summary));
    }
}
