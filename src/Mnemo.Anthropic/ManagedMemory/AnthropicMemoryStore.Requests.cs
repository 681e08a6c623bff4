using System.Net;
using System.Text.Json;
using Anthropic.Exceptions;
using Anthropic.Models.Beta.MemoryStores.Memories;
using Mnemo.Memory;

namespace Mnemo.Anthropic.ManagedMemory;

/// <summary>The store's requests to the API: lookups by path, listings page by page, and the retry of what is safe to try again.</summary>
public sealed partial class AnthropicMemoryStore
{
    /// <summary>The memory at exactly a path; listings are in path order, so it is the first under its own path.</summary>
    private Task<BetaManagedAgentsMemory?> FindAsync(string api, bool full, CancellationToken cancellationToken) =>
        SendAsync("read a memory", async () =>
        {
            var page = await _memories.List(_store, new MemoryListParams
            {
                PathPrefix = api,
                Limit = 1,
                View = full ? BetaManagedAgentsMemoryView.Full : BetaManagedAgentsMemoryView.Basic,
            }, cancellationToken).ConfigureAwait(false);
            return page.Items.Count > 0 && page.Items[0].TryPickBetaManagedAgentsMemory(out var memory) && memory.Path == api ? memory : null;
        }, cancellationToken);

    private Task<bool> HasAnyUnderAsync(string api, CancellationToken cancellationToken) =>
        SendAsync("list memories", async () =>
            (await _memories.List(_store, new MemoryListParams { PathPrefix = api + "/", Limit = 1 }, cancellationToken).ConfigureAwait(false)).Items.Count > 0,
            cancellationToken);

    /// <summary>Every memory under a folder (its path ending in '/'), page by page.</summary>
    private async Task<List<BetaManagedAgentsMemory>> AllUnderAsync(string folder, CancellationToken cancellationToken)
    {
        var found = new List<BetaManagedAgentsMemory>();
        await ForEachUnderAsync(folder, null, item =>
        {
            if (item.TryPickBetaManagedAgentsMemory(out var memory))
            {
                found.Add(memory);
            }
        }, cancellationToken).ConfigureAwait(false);
        return found;
    }

    /// <summary>Each item of a listing under a folder, to a depth when one is given, following the pages.</summary>
    private async Task ForEachUnderAsync(string folder, int? depth, Action<BetaManagedAgentsMemoryListItem> each, CancellationToken cancellationToken)
    {
        var page = await SendAsync("list memories", () => _memories.List(_store, new MemoryListParams { PathPrefix = folder, Limit = PageSize, Depth = depth }, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        while (true)
        {
            foreach (var item in page.Items)
            {
                each(item);
            }

            if (!page.HasNext())
            {
                return;
            }

            var current = page;
            page = await SendAsync("list memories", () => current.Next(cancellationToken), cancellationToken).ConfigureAwait(false);
        }
    }

    private Task<BetaManagedAgentsMemory?> RetrieveAsync(string id, CancellationToken cancellationToken) =>
        SendAsync("read a memory", async () =>
        {
            try
            {
                return (BetaManagedAgentsMemory?)await _memories.Retrieve(id, new MemoryRetrieveParams { MemoryStoreID = _store, View = BetaManagedAgentsMemoryView.Basic }, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (AnthropicApiException gone) when (gone.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
        }, cancellationToken);

    /// <summary>One request of a folder's many: a failure says how far the folder got.</summary>
    private static async Task OneOfManyAsync(int done, int total, string what, Func<Task<bool>> send)
    {
        try
        {
            await send().ConfigureAwait(false);
        }
        catch (MemoryStoreException exception) when (done > 0)
        {
            throw new MemoryStoreException($"{exception.Message}; the folder's {what} stopped after {done} of {total} files", exception.IsTransient, exception);
        }
    }

    /// <summary>Sends a request, trying again what failed without an answer the store can use.</summary>
    private async Task<T> SendAsync<T>(string action, Func<Task<T>> send, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await send().ConfigureAwait(false);
            }
            catch (Exception exception) when (Transient(exception, cancellationToken) && attempt < _options.MaxAttempts)
            {
                await Task.Delay(_options.RetryDelay * (1 << (attempt - 1)), cancellationToken).ConfigureAwait(false);
            }
            catch (AnthropicApiException exception)
            {
                throw new MemoryStoreException($"the managed memory store could not {action}: {Reason(exception)}", Transient(exception, cancellationToken), exception);
            }
            catch (Exception exception) when (Transient(exception, cancellationToken))
            {
                throw new MemoryStoreException($"the managed memory store could not be reached to {action}", isTransient: true, exception);
            }
        }
    }

    private static bool Transient(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        AnthropicApiException api => api.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)api.StatusCode >= 500,
        AnthropicIOException or HttpRequestException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };

    /// <summary>The API's one-line message, or its status: never the key or the address.</summary>
    private static string Reason(AnthropicApiException exception)
    {
        try
        {
            using var body = JsonDocument.Parse(exception.ResponseBody);
            if (body.RootElement.TryGetProperty("error", out var error) && error.TryGetProperty("message", out var message) && message.GetString() is { } text)
            {
                return text.ReplaceLineEndings(" ");
            }
        }
        catch (JsonException)
        {
            // Not the API's error shape: the status says enough.
        }

        return $"HTTP {(int)exception.StatusCode}";
    }
}
