using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Mnemo.Memory.Remote;

namespace Mnemo.Sessions;

/// <summary>Represents the session records of a store on a Mnemo memory server (<c>mnemo serve</c>): kept beside the
/// store, under the store's keys (<c>/v1/stores/{store}/sessions</c>).</summary>
/// <remarks>An append is sent once, never tried again: a retry whose first attempt had arrived would record its lines
/// twice. A failure is thrown as an <see cref="IOException"/> whose one-line message names neither the server nor the
/// key. Thread-safe; dispose it to close its connections.</remarks>
public sealed class HttpSessionRecords : ISessionRecordStore, IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _sessions;

    /// <summary>Initializes a new instance of the <see cref="HttpSessionRecords"/> class.</summary>
    /// <param name="options">The server, the store and the key, as for an <see cref="HttpMemoryStore"/>.</param>
    public HttpSessionRecords(HttpMemoryStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validated();
        _http = options.Handler is { } handler ? new HttpClient(handler, disposeHandler: false) : new HttpClient();
        _http.Timeout = options.Timeout;
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        var endpoint = options.Endpoint!.AbsoluteUri.EndsWith('/') ? options.Endpoint : new Uri(options.Endpoint.AbsoluteUri + "/");
        _sessions = new Uri(endpoint, $"v1/stores/{Uri.EscapeDataString(options.Store!)}/sessions");
        Store = options.Store!;
    }

    /// <summary>Gets the store's name on the server.</summary>
    public string Store { get; }

    /// <inheritdoc/>
    public async ValueTask AppendAsync(string session, ReadOnlyMemory<byte> lines, CancellationToken cancellationToken = default)
    {
        SessionRecords.ThrowIfInvalidId(session, nameof(session));
        using var content = new ReadOnlyMemoryContent(lines);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        using var response = await SendAsync(() => _http.PostAsync(Session(session), content, cancellationToken)).ConfigureAwait(false);
        await ThrowIfFailedAsync(response, "append to the session record", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<SessionSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(() => _http.GetAsync(_sessions, cancellationToken)).ConfigureAwait(false);
        await ThrowIfFailedAsync(response, "list the sessions", cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            try
            {
                using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
                return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("sessions", out var sessions) && sessions.ValueKind == JsonValueKind.Array
                    ? [.. sessions.EnumerateArray().Select(SessionSummary.Read).OfType<SessionSummary>()]
                    : [];
            }
            catch (JsonException exception)
            {
                throw new IOException("The memory server's list of sessions is not JSON; is the address a Mnemo memory server?", exception);
            }
        }
    }

    /// <inheritdoc/>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadAsync(string session, CancellationToken cancellationToken = default)
    {
        if (!SessionRecords.IsValidId(session))
        {
            return null;
        }

        using var response = await SendAsync(() => _http.GetAsync(Session(session), cancellationToken)).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await ThrowIfFailedAsync(response, "read the session record", cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();

    private Uri Session(string session) => new(_sessions.AbsoluteUri + "/" + session);

    private static async Task<HttpResponseMessage> SendAsync(Func<Task<HttpResponseMessage>> send)
    {
        try
        {
            return await send().ConfigureAwait(false);
        }
        catch (HttpRequestException exception)
        {
            throw new IOException("The memory server could not be reached for session records.", exception);
        }
        catch (TaskCanceledException exception) when (!exception.CancellationToken.IsCancellationRequested)
        {
            throw new IOException("The memory server did not answer in time for session records.", exception);
        }
    }

    private static async Task ThrowIfFailedAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var detail = string.Empty;
        try
        {
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            detail = problem.RootElement.TryGetProperty("error", out var error) && error.TryGetProperty("message", out var message) ? ": " + message.GetString() : string.Empty;
        }
        catch (JsonException)
        {
            // No problem body: the status says it.
        }

        throw new IOException($"The memory server refused to {what} ({(int)response.StatusCode}){detail}");
    }
}
