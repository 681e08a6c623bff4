using System.Text.Json;
using static Mnemo.Server.ServerHttp;
using Microsoft.AspNetCore.Http;
using Mnemo.Memory;
using Mnemo.Memory.Remote;

namespace Mnemo.Server;

/// <summary>The store's own operations over HTTP, for <see cref="HttpMemoryStore"/>: the memory tool runs on the client.</summary>
internal sealed partial class MemoryApi
{
    private async Task RunOperationAsync(HttpContext context, string keyName, string storeName)
    {
        using var document = await ReadJsonAsync(context, "one store operation object").ConfigureAwait(false);
        var request = document.RootElement;
        if (request.ValueKind != JsonValueKind.Object)
        {
            throw BadOperation("The body must be one store operation, such as {\"op\":\"read\",\"path\":\"/memories\"}.");
        }

        var op = RequiredText(request, "op", "one of read, list, create, replace, delete, rename");
        var requestId = context.Request.Headers[MemoryStoreWire.IdempotencyHeader].ToString();
        if (requestId.Length > 0 && !MemoryWriteContext.IsValidRequestId(requestId))
        {
            throw BadOperation("Idempotency-Key must be 1 to 64 ASCII letters, digits, '-' or '_'.");
        }

        var actor = keyName;
        if (OptionalText(request, "actor") is { Length: > 0 } clientActor)
        {
            // The key names who is responsible; the client's own actor (a session, an agent) says which of its callers it was.
            actor = $"{actor}/{(clientActor.Length > 200 ? clientActor[..200] : clientActor)}";
        }

        var write = new MemoryWriteContext(actor, OptionalText(request, "reason") ?? op) { RequestId = requestId.Length > 0 ? requestId : null };
        var store = Store(storeName).Store;
        var cancellationToken = context.RequestAborted;
        try
        {
            switch (op)
            {
                case "read":
                    var item = await store.ReadAsync(PathOf(request, "path"), cancellationToken).ConfigureAwait(false);
                    await WriteJsonAsync(context, 200, writer =>
                    {
                        writer.WriteString("kind", item is null ? "none" : item.Kind == MemoryEntryKind.File ? "file" : "directory");
                        if (item is { Kind: MemoryEntryKind.File })
                        {
                            writer.WriteBase64String("content", item.Content.Span);
                            writer.WriteString("version", item.Version.Value);
                        }
                    }).ConfigureAwait(false);
                    return;
                case "list":
                    var depth = request.TryGetProperty("depth", out var depthElement) && depthElement.ValueKind == JsonValueKind.Number &&
                        depthElement.TryGetInt32(out var d) && d is >= 1 and <= 64
                        ? d
                        : throw BadOperation("depth must be a whole number from 1 to 64.");
                    var entries = await store.ListAsync(PathOf(request, "path"), depth, cancellationToken).ConfigureAwait(false);
                    await WriteJsonAsync(context, 200, writer =>
                    {
                        writer.WritePropertyName("entries");
                        if (entries is null)
                        {
                            writer.WriteNullValue();
                        }
                        else
                        {
                            MemoryStoreWire.WriteEntries(writer, entries);
                        }
                    }).ConfigureAwait(false);
                    return;
                case "create":
                    var created = await store.CreateFileAsync(PathOf(request, "path"), ContentOf(request), write, cancellationToken).ConfigureAwait(false);
                    await WriteJsonAsync(context, 200, writer => writer.WriteBoolean("created", created)).ConfigureAwait(false);
                    return;
                case "replace":
                    var path = PathOf(request, "path");
                    var content = ContentOf(request);
                    var version = RequiredText(request, "version", "the version the file was read at, as a string");
                    var hash = RequiredText(request, "sha256", "the SHA-256 of the content the file was read with, in hex") is var sent && MemoryHash.IsSha256(sent)
                        ? sent
                        : throw BadOperation("sha256 must be the SHA-256 of the content the file was read with, in hex.");
                    // The store compares the version and the bytes read (a version alone may repeat on a folder). The client
                    // sends the bytes' hash, not the bytes: the current content stands in when both its version and hash match.
                    var current = await store.ReadAsync(path, cancellationToken).ConfigureAwait(false);
                    // When they do not, a version that matches nothing still goes to the store, whose idempotency check must answer
                    // first: the file may differ only because this very write, sent before, was applied.
                    var expected = current is { Kind: MemoryEntryKind.File } && current.Version.Value == version && MemoryHash.Sha256(current.Content.Span) == hash
                        ? current
                        : MemoryItem.File(current is { Kind: MemoryEntryKind.File } ? current.Content : ReadOnlyMemory<byte>.Empty, default);
                    var replaced = await store.ReplaceFileAsync(path, content, expected, write, cancellationToken).ConfigureAwait(false);
                    await WriteJsonAsync(context, 200, writer => writer.WriteBoolean("replaced", replaced)).ConfigureAwait(false);
                    return;
                case "delete":
                    var deleted = await store.DeleteAsync(PathOf(request, "path"), write, cancellationToken).ConfigureAwait(false);
                    await WriteJsonAsync(context, 200, writer => writer.WriteString("outcome", MemoryStoreWire.Name(deleted))).ConfigureAwait(false);
                    return;
                case "rename":
                    var renamed = await store.RenameAsync(PathOf(request, "from"), PathOf(request, "to"), write, cancellationToken).ConfigureAwait(false);
                    await WriteJsonAsync(context, 200, writer => writer.WriteString("outcome", MemoryStoreWire.Name(renamed))).ConfigureAwait(false);
                    return;
                default:
                    throw BadOperation("op must be one of read, list, create, replace, delete, rename.");
            }
        }
        catch (MemoryPathEscapeException exception)
        {
            await WriteRefusalAsync(context, "escape", exception.Path, exception.Message).ConfigureAwait(false);
        }
        catch (MemoryParentNotDirectoryException exception)
        {
            await WriteRefusalAsync(context, "parent_not_directory", exception.Path, exception.Message).ConfigureAwait(false);
        }
        catch (MemoryQuotaExceededException exception)
        {
            await WriteRefusalAsync(context, "quota", exception.Path, exception.Message, writer =>
            {
                writer.WriteString("quota", MemoryStoreWire.Name(exception.Kind));
                writer.WriteNumber("limit", exception.Limit);
                writer.WriteNumber("actual", exception.Actual);
            }).ConfigureAwait(false);
        }
    }

    private static Task WriteRefusalAsync(HttpContext context, string reason, MemoryPath path, string message, Action<Utf8JsonWriter>? details = null) =>
        WriteErrorAsync(context, 422, "memory_error", message, writer =>
        {
            writer.WriteString("reason", reason);
            writer.WriteString("path", path.Original);
            details?.Invoke(writer);
        });

    /// <summary>A field that may be left out or null; any other value than a string is refused, naming the field.</summary>
    private static string? OptionalText(JsonElement request, string name) =>
        !request.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : throw BadOperation($"{name} must be a string when given.");

    private static string RequiredText(JsonElement request, string name, string what) =>
        request.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : throw BadOperation($"{name} must be {what}.");

    private static MemoryPath PathOf(JsonElement request, string name) =>
        MemoryPath.TryParse(RequiredText(request, name, "a memory path under /memories"), out var path, out _)
            ? path
            : throw BadOperation($"{name} must be a memory path under /memories.");

    private static ReadOnlyMemory<byte> ContentOf(JsonElement request)
    {
        if (request.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String && content.TryGetBytesFromBase64(out var bytes))
        {
            return bytes;
        }

        throw BadOperation("content must be the file's bytes in base64.");
    }

    private static RequestException BadOperation(string message) => new(400, "invalid_request_error", message);
}
