using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Mnemo.Sessions;
using static Mnemo.Server.ServerHttp;

namespace Mnemo.Server;

/// <summary>The session records of each store (<see cref="MemoryServerOptions.SessionRecords"/>): agents append their
/// sessions' lines, the dashboard reads them, with the store's keys.</summary>
internal sealed partial class MemoryApi
{
    private readonly ConcurrentDictionary<string, ISessionRecordStore> _records = new(StringComparer.Ordinal);

    /// <summary>The records of a store; <see langword="null"/> when the server keeps none.</summary>
    public ISessionRecordStore? RecordsOf(string store) =>
        _options.SessionRecords is { } open ? _records.GetOrAdd(store, name => open(name)) : null;

    /// <summary>The stores a dashboard request may see: those its key may use, with their records and memory; an admin
    /// key may change the memory.</summary>
    public async ValueTask<IReadOnlyList<Dashboard.DashboardStore>> DashboardStoresAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var claimed = context.User.FindAll(MnemoApiKeyAuthentication.StoreClaim).Select(claim => claim.Value).ToList();
        IEnumerable<string> names = claimed.Contains("*")
            ? _options.ListStores is { } list ? await list(cancellationToken).ConfigureAwait(false) : _stores.Keys
            : claimed;
        var admin = context.User.IsInRole(MnemoApiKeyAuthentication.AdminRole);
        return [.. names.Where(MemoryServer.IsValidStoreName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select(name => new Dashboard.DashboardStore(name, RecordsOf(name))
            {
                Memory = Store(name).Store,
                Quarantine = (_options.SafetyFor is { } safetyFor ? safetyFor(name) : Mnemo.Memory.Safety.MemorySafety.Default)?.Quarantine,
                CanAdminister = admin,
            })];
    }

    private async Task SessionsAsync(HttpContext context, string store)
    {
        var records = RecordsOf(store) ?? throw new RequestException(404, "not_found_error", "This server keeps no session records.");
        var session = context.GetRouteValue("session") as string;
        if (session is not null && !SessionRecords.IsValidId(session))
        {
            throw new RequestException(400, "invalid_request_error", "A session id is 1 to 100 letters, digits, '.', '_' or '-', not starting with '.'.");
        }

        if (session is null)
        {
            var summaries = await records.ListAsync(context.RequestAborted).ConfigureAwait(false);
            await WriteJsonAsync(context, 200, writer =>
            {
                writer.WriteStartArray("sessions");
                foreach (var summary in summaries)
                {
                    summary.WriteTo(writer);
                }

                writer.WriteEndArray();
            }).ConfigureAwait(false);
        }
        else if (HttpMethods.IsGet(context.Request.Method))
        {
            var bytes = await records.ReadAsync(session, context.RequestAborted).ConfigureAwait(false)
                ?? throw new RequestException(404, "not_found_error", "There is no such session in this store.");
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-ndjson";
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
        }
        else
        {
            var lines = await ReadLinesAsync(context).ConfigureAwait(false);
            await records.AppendAsync(session, lines, context.RequestAborted).ConfigureAwait(false);
            context.Response.StatusCode = 204;
        }
    }

    /// <summary>Reads an append's body: JSON lines, each an object with a <c>type</c>; all of them or none.</summary>
    private async Task<ReadOnlyMemory<byte>> ReadLinesAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        if (buffer.Length == 0)
        {
            throw new RequestException(400, "invalid_request_error", "The body must hold one or more JSON lines.");
        }

        if (buffer.GetBuffer()[(int)buffer.Length - 1] != (byte)'\n')
        {
            buffer.WriteByte((byte)'\n');
        }

        var body = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        var rest = body;
        for (var number = 1; !rest.IsEmpty; number++)
        {
            var end = rest.Span.IndexOf((byte)'\n');
            var line = rest[..end];
            rest = rest[(end + 1)..];
            try
            {
                using var document = JsonDocument.Parse(line);
                if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
                {
                    throw new JsonException();
                }
            }
            catch (JsonException)
            {
                throw new RequestException(400, "invalid_request_error", $"Line {number} is not a JSON object with a \"type\"; nothing was recorded.");
            }
        }

        return body;
    }
}
