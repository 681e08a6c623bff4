using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Models.Beta.MemoryStores.Memories;
using Anthropic.Services.Beta.MemoryStores;
using Mnemo.Memory;

namespace Mnemo.Anthropic.ManagedMemory;

/// <summary>
/// A Mnemo store on one of Anthropic's managed memory stores (Managed Agents memory, <c>memstore_…</c>), through the
/// official SDK: the memory tool's <c>/memories</c> is a folder of the store, so an agent on Mnemo's loop and an agent
/// on Managed Agents share one memory.
/// </summary>
/// <remarks>
/// <para><b>Paths.</b> <c>/memories/a/b.md</c> is the store's <c>{PathPrefix}a/b.md</c>. Folders are prefixes: a folder
/// exists while a memory is under it, so an empty folder does not outlast its last file.</para>
/// <para><b>Compare-and-swap.</b> A replace is an update of the memory read (by its id) under the API's
/// <c>content_sha256</c> precondition on the content read, so a concurrent change of the content is refused by the API
/// itself (409 <c>memory_precondition_failed_error</c>) and the tool reads again. Just before it, the store checks the
/// memory still has the version and path it was read with, which also refuses a change that left the same bytes or
/// moved the file; that check and the update are two requests, so a change landing between them that leaves the same
/// bytes goes unnoticed (it loses nothing: the content written over is the content read).</para>
/// <para><b>Retries.</b> Rate limits, server errors and lost connections are tried again up to
/// <see cref="AnthropicMemoryStoreOptions.MaxAttempts"/> times: reads always; a create because a second create of the
/// same path cannot write twice (a conflict with the same content after a retry is the first attempt's success); an
/// update because its precondition refuses a second application (a refusal whose memory already holds the new content
/// is the first attempt's success); a delete because a second one finds nothing.</para>
/// <para><b>Moves.</b> The API renames one memory at a time, so renaming or deleting a folder is one request per file:
/// another writer can see it half done, and a failure midway leaves it half done (the error says so).</para>
/// </remarks>
public sealed partial class AnthropicMemoryStore : IMemoryStore, IDisposable
{
    private const int PageSize = 100;

    /// <summary>The deepest listing asked of the API; a deeper one (a whole-store walk) lists everything.</summary>
    private const int MaxListDepth = 64;

    private readonly IAnthropicClient _client;
    private readonly IMemoryService _memories;
    private readonly IMemoryVersionService _versions;
    private readonly string _store;
    private readonly string _prefix;
    private readonly AnthropicMemoryStoreOptions _options;
    private readonly MemoryQuotas _quotas;

    private readonly IAnthropicClient? _owned;

    /// <summary>Initializes a new instance of the <see cref="AnthropicMemoryStore"/> class with a client of its own,
    /// which takes its key from <c>ANTHROPIC_API_KEY</c> (and its address from <c>ANTHROPIC_BASE_URL</c>, if set) and
    /// which the store disposes.</summary>
    /// <param name="options">The store and the folder of it that <c>/memories</c> maps to.</param>
    /// <exception cref="ArgumentException">An option is missing or out of range.</exception>
    public AnthropicMemoryStore(AnthropicMemoryStoreOptions options)
        : this(new AnthropicClient(), options)
    {
        _owned = _client;
    }

    /// <summary>Initializes a new instance of the <see cref="AnthropicMemoryStore"/> class.</summary>
    /// <param name="client">The SDK's client, with the API key (its own retries are turned off here: the store retries what is safe to).</param>
    /// <param name="options">The store and the folder of it that <c>/memories</c> maps to.</param>
    /// <exception cref="ArgumentException">An option is missing or out of range.</exception>
    public AnthropicMemoryStore(IAnthropicClient client, AnthropicMemoryStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        _prefix = options.ValidatedPrefix();
        _options = options;
        _quotas = options.EffectiveQuotas();
        _store = options.MemoryStoreId;
        _client = client;
        var unretried = client.WithOptions(o => o with { MaxRetries = 0 });
        _memories = unretried.Beta.MemoryStores.Memories;
        _versions = unretried.Beta.MemoryStores.MemoryVersions;
    }

    /// <summary>Disposes the client when the store made it; a client given to the store is the caller's to dispose.</summary>
    public void Dispose() => _owned?.Dispose();

    /// <inheritdoc/>
    public async ValueTask<MemoryItem?> ReadAsync(MemoryPath path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.IsRoot)
        {
            return MemoryItem.Directory;
        }

        var api = ApiPath(path);
        if (await FindAsync(api, full: true, cancellationToken).ConfigureAwait(false) is { } memory)
        {
            return MemoryItem.File(Encoding.UTF8.GetBytes(memory.Content ?? string.Empty), Version(memory));
        }

        return await HasAnyUnderAsync(api, cancellationToken).ConfigureAwait(false) ? MemoryItem.Directory : null;
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<MemoryEntry>?> ListAsync(MemoryPath directory, int depth, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        var folder = directory.IsRoot ? _prefix : ApiPath(directory) + "/";
        // The API cuts the walk at the depth asked: what lies deeper comes as one prefix per folder at that depth.
        var rows = new List<(string[] Segments, long? Size)>();
        await ForEachUnderAsync(folder, depth <= MaxListDepth ? depth : null, item =>
        {
            if (item.TryPickBetaManagedAgentsMemory(out var memory))
            {
                rows.Add((memory.Path[folder.Length..].Split('/'), memory.ContentSizeBytes));
            }
            else if (item.TryPickPrefix(out var prefix) && prefix.Path.Length > folder.Length)
            {
                rows.Add((prefix.Path[folder.Length..].TrimEnd('/').Split('/'), null));
            }
        }, cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0 && !directory.IsRoot)
        {
            return null;
        }

        return Tree(rows, 0, [], depth);
    }

    /// <inheritdoc/>
    public async ValueTask<bool> CreateFileAsync(MemoryPath path, ReadOnlyMemory<byte> content, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.IsRoot)
        {
            return false; // the root is a folder
        }

        var api = ApiPath(path);
        CheckPath(path, api);
        var text = Text(path, content, ReadOnlyMemory<byte>.Empty);
        await CheckParentsAsync(path, cancellationToken).ConfigureAwait(false);
        if (await HasAnyUnderAsync(api, cancellationToken).ConfigureAwait(false))
        {
            return false; // a folder is there
        }

        await CheckTotalsAsync(path, addedFiles: 1, addedBytes: content.Length, cancellationToken).ConfigureAwait(false);

        var attempted = false;
        return await SendAsync("create a memory", async () =>
        {
            var retried = attempted;
            attempted = true;
            try
            {
                await _memories.Create(_store, new MemoryCreateParams { Path = api, Content = text }, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (AnthropicApiException conflict) when (conflict.StatusCode == HttpStatusCode.Conflict)
            {
                // Taken; after a retry, by this very create when the memory there holds what was sent.
                return retried && await FindAsync(api, full: false, cancellationToken).ConfigureAwait(false) is { } there && there.ContentSha256 == Sha256(text);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<bool> ReplaceFileAsync(
        MemoryPath path, ReadOnlyMemory<byte> content, MemoryItem expected, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(expected);
        if (expected.Kind != MemoryEntryKind.File || ParseVersion(expected.Version) is not { } read)
        {
            return false;
        }

        var api = ApiPath(path);
        var text = Text(path, content, expected.Content);
        var current = await RetrieveAsync(read.Id, cancellationToken).ConfigureAwait(false);
        if (current is null || current.Path != api || current.MemoryVersionID != read.Version)
        {
            return false;
        }

        await CheckTotalsAsync(path, addedFiles: 0, addedBytes: content.Length - expected.Content.Length, cancellationToken).ConfigureAwait(false);
        var expectedHash = Sha256(expected.Content.Span);
        var attempted = false;
        return await SendAsync("update a memory", async () =>
        {
            var retried = attempted;
            attempted = true;
            try
            {
                await _memories.Update(read.Id, new MemoryUpdateParams
                {
                    MemoryStoreID = _store,
                    Content = text,
                    Precondition = new BetaManagedAgentsPrecondition { ContentSha256 = expectedHash },
                }, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (AnthropicApiException refused) when (refused.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
            {
                // Changed or gone since it was read; after a retry, changed by this very update when it holds what was sent.
                return retried && refused.StatusCode == HttpStatusCode.Conflict &&
                    await RetrieveAsync(read.Id, cancellationToken).ConfigureAwait(false) is { } after && after.Path == api && after.ContentSha256 == Sha256(text);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<MemoryDeleteOutcome> DeleteAsync(MemoryPath path, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.IsRoot)
        {
            return MemoryDeleteOutcome.Root;
        }

        var api = ApiPath(path);
        List<BetaManagedAgentsMemory> doomed = await FindAsync(api, full: false, cancellationToken).ConfigureAwait(false) is { } file
            ? [file]
            : await AllUnderAsync(api + "/", cancellationToken).ConfigureAwait(false);
        if (doomed.Count == 0)
        {
            return MemoryDeleteOutcome.NotFound;
        }

        var done = 0;
        foreach (var memory in doomed)
        {
            await OneOfManyAsync(done++, doomed.Count, "delete", () => SendAsync("delete a memory", async () =>
            {
                try
                {
                    await _memories.Delete(memory.ID, new MemoryDeleteParams { MemoryStoreID = _store }, cancellationToken).ConfigureAwait(false);
                }
                catch (AnthropicApiException gone) when (gone.StatusCode == HttpStatusCode.NotFound)
                {
                    // Deleted already, by a first attempt or by someone else: either way it is gone.
                }

                return true;
            }, cancellationToken)).ConfigureAwait(false);
        }

        return MemoryDeleteOutcome.Deleted;
    }

    /// <inheritdoc/>
    public async ValueTask<MemoryRenameOutcome> RenameAsync(MemoryPath source, MemoryPath destination, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        if (source.IsRoot || destination.IsRoot)
        {
            return MemoryRenameOutcome.Root;
        }

        if (await ReadAsync(destination, cancellationToken).ConfigureAwait(false) is not null)
        {
            return MemoryRenameOutcome.DestinationExists;
        }

        var from = ApiPath(source);
        var file = await FindAsync(from, full: false, cancellationToken).ConfigureAwait(false);
        var moving = file is not null ? [file] : await AllUnderAsync(from + "/", cancellationToken).ConfigureAwait(false);
        if (moving.Count == 0)
        {
            return MemoryRenameOutcome.SourceNotFound;
        }

        if (source.IsSameOrAncestorOf(destination))
        {
            return MemoryRenameOutcome.DestinationInsideSource;
        }

        await CheckParentsAsync(destination, cancellationToken).ConfigureAwait(false);
        var to = ApiPath(destination);
        var moves = moving.Select(memory => (memory.ID, Path: to + memory.Path[from.Length..])).ToList();
        foreach (var (_, target) in moves)
        {
            CheckPath(FromApiPath(target) ?? destination, target);
        }

        var done = 0;
        foreach (var (id, target) in moves)
        {
            await OneOfManyAsync(done++, moves.Count, "rename", () => SendAsync("rename a memory", async () =>
            {
                await _memories.Update(id, new MemoryUpdateParams { MemoryStoreID = _store, Path = target }, cancellationToken).ConfigureAwait(false);
                return true;
            }, cancellationToken)).ConfigureAwait(false);
        }

        return MemoryRenameOutcome.Renamed;
    }

    /// <summary>A folder's entries from the rows under it: a memory's segments and size, or a prefix's segments (no size).</summary>
    private static List<MemoryEntry> Tree(List<(string[] Segments, long? Size)> rows, int level, string[] parent, int depth)
    {
        var entries = new List<MemoryEntry>();
        foreach (var group in rows.Where(row => row.Segments.Length > level && row.Segments.AsSpan(0, level).SequenceEqual(parent))
                     .GroupBy(row => row.Segments[level], StringComparer.Ordinal))
        {
            if (group.FirstOrDefault(row => row.Segments.Length == level + 1 && row.Size is not null) is { Segments: not null } file)
            {
                entries.Add(new MemoryEntry(group.Key, MemoryEntryKind.File, file.Size!.Value));
                continue;
            }

            var children = depth > 1 ? Tree([.. group], level + 1, [.. parent, group.Key], depth - 1) : null;
            entries.Add(new MemoryEntry(group.Key, MemoryEntryKind.Directory, 0, children));
        }

        return entries;
    }

    private string ApiPath(MemoryPath path) => _prefix + string.Join('/', path.Segments);

    /// <summary>Refuses a path the API would not take, or longer than the quota, before a request, in the tool's terms.</summary>
    private void CheckPath(MemoryPath path, string api)
    {
        _quotas.CheckPath(path);
        if (!Nfc.IsNormalized(api))
        {
            throw new MemoryStoreException($"a managed memory store takes paths in Unicode NFC only, and {path.Normalized} is not (write its accented letters precomposed)");
        }

        var bytes = Encoding.UTF8.GetByteCount(api);
        if (bytes > AnthropicMemoryStoreOptions.MaxPathBytes)
        {
            throw new MemoryQuotaExceededException(MemoryQuotaKind.PathBytes, path, AnthropicMemoryStoreOptions.MaxPathBytes, bytes);
        }
    }

    /// <summary>The content as the API's text: UTF-8, within the file limits unless it does not grow.</summary>
    private string Text(MemoryPath path, ReadOnlyMemory<byte> content, ReadOnlyMemory<byte> previous)
    {
        _quotas.CheckFile(path, content.Span, previous.Span);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(content.Span);
        }
        catch (DecoderFallbackException)
        {
            throw new MemoryStoreException("a managed memory store holds text only, and this content is not UTF-8");
        }
    }

    /// <summary>Refuses a write that would take the folder past its limits on files or total size: the API keeps no
    /// totals, so they come from a listing of the folder, and two writers at once may both pass it.</summary>
    private async Task CheckTotalsAsync(MemoryPath path, long addedFiles, long addedBytes, CancellationToken cancellationToken)
    {
        if (!_quotas.LimitsTotals || (addedFiles <= 0 && addedBytes <= 0))
        {
            return;
        }

        var all = await AllUnderAsync(_prefix, cancellationToken).ConfigureAwait(false);
        _quotas.CheckTotals(path, all.Count + addedFiles, addedFiles, all.Sum(memory => memory.ContentSizeBytes) + addedBytes, addedBytes);
    }

    /// <summary>Refuses a path under a file: a memory at one of its parents.</summary>
    private async Task CheckParentsAsync(MemoryPath path, CancellationToken cancellationToken)
    {
        for (var level = 1; level < path.Segments.Count; level++)
        {
            if (await FindAsync(_prefix + string.Join('/', path.Segments.Take(level)), full: false, cancellationToken).ConfigureAwait(false) is not null)
            {
                throw new MemoryParentNotDirectoryException(path);
            }
        }
    }

    private static MemoryVersion Version(BetaManagedAgentsMemory memory) => new($"{memory.ID}@{memory.MemoryVersionID}");

    private static (string Id, string Version)? ParseVersion(MemoryVersion version) =>
        version.Value?.Split('@') is [{ Length: > 0 } id, { Length: > 0 } read] ? (id, read) : null;

    private static string Sha256(string text) => Sha256(Encoding.UTF8.GetBytes(text));

    private static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
