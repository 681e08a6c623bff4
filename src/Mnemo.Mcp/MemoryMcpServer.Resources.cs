using System.Text.Unicode;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Mnemo.Memory;

namespace Mnemo.Mcp;

/// <summary>Memory files as MCP resources: listing, reading and subscribing.</summary>
public sealed partial class MemoryMcpServer
{
    private async ValueTask<ListResourcesResult> ListResourcesAsync(RequestContext<ListResourcesRequestParams> request, CancellationToken cancellationToken)
    {
        var files = await FilesAsync(cancellationToken).ConfigureAwait(false);
        return new ListResourcesResult
        {
            Resources = files.Select(file => new Resource
            {
                Uri = UriOf(file.Path),
                Name = string.Join('/', file.Path.Segments),
                MimeType = MimeTypeOf(file.Path),
                Size = file.Size,
            }).ToList(),
        };
    }

    private async ValueTask<ReadResourceResult> ReadResourceAsync(RequestContext<ReadResourceRequestParams> request, CancellationToken cancellationToken)
    {
        var uri = request.Params?.Uri;
        MemoryItem? item;
        MemoryPath? path;
        var id = request.JsonRpcRequest.Id;
        try
        {
            await _order.WaitTurnAsync(id, cancellationToken).ConfigureAwait(false);
            item = TryParseUri(uri, out path) ? await ReadQuietlyAsync(path!, cancellationToken).ConfigureAwait(false) : null;
        }
        finally
        {
            _order.Complete(id);
        }

        if (item is not { Kind: MemoryEntryKind.File })
        {
            throw new McpProtocolException($"There is no memory file at {uri}.", McpErrorCode.ResourceNotFound);
        }

        ResourceContents contents = Utf8.IsValid(item.Content.Span)
            ? new TextResourceContents { Uri = uri!, MimeType = MimeTypeOf(path!), Text = System.Text.Encoding.UTF8.GetString(item.Content.Span) }
            : BlobResourceContents.FromBytes(item.Content, uri!, "application/octet-stream");
        return new ReadResourceResult { Contents = [contents] };
    }

    private async ValueTask<EmptyResult> SubscribeAsync(RequestContext<SubscribeRequestParams> request, CancellationToken cancellationToken)
    {
        var uri = request.Params?.Uri;
        if (!TryParseUri(uri, out var path))
        {
            throw new McpProtocolException($"{uri} is not a memory resource (memory:///PATH).", McpErrorCode.InvalidParams);
        }

        var item = await ReadQuietlyAsync(path!, cancellationToken).ConfigureAwait(false);
        _subscriptions[uri!] = VersionOf(item);
        return new EmptyResult();
    }

    /// <summary>Every file in the store, hidden names (and the store's own folder) left out, as the memory tool's view does.</summary>
    private async Task<List<(MemoryPath Path, long Size)>> FilesAsync(CancellationToken cancellationToken)
    {
        var files = new List<(MemoryPath, long)>();
        var pending = new Stack<MemoryPath>([MemoryPath.RootPath]);
        while (pending.TryPop(out var folder))
        {
            const int Depth = 16;
            var entries = await _store.ListAsync(folder, Depth, cancellationToken).ConfigureAwait(false);
            Collect(folder, entries ?? [], Depth);
        }

        return files;

        void Collect(MemoryPath folder, IReadOnlyList<MemoryEntry> entries, int depth)
        {
            foreach (var entry in entries.Where(entry => !entry.Name.StartsWith('.')))
            {
                var path = folder.Child(entry.Name);
                if (entry.Kind == MemoryEntryKind.File)
                {
                    files.Add((path, entry.Size));
                }
                else if (entry.Children is { } children)
                {
                    Collect(path, children, depth - 1);
                }
                else if (depth <= 1)
                {
                    pending.Push(path); // deeper than one listing goes
                }
            }
        }
    }

    private static string? VersionOf(MemoryItem? item) => item is { Kind: MemoryEntryKind.File } ? item.Version.Value ?? string.Empty : null;

    private static string MimeTypeOf(MemoryPath path) =>
        Path.GetExtension(path.Name ?? string.Empty).ToLowerInvariant() switch
        {
            ".md" or ".markdown" => "text/markdown",
            ".json" => "application/json",
            ".xml" => "application/xml",
            ".yaml" or ".yml" => "application/yaml",
            _ => "text/plain",
        };
}
