using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Mnemo.Server;

/// <summary>The memory server's HTTP shapes: keys from headers, JSON bodies in and out, and the one error shape.</summary>
internal static class ServerHttp
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Refuses a request whose method the endpoint does not take (405, with <c>Allow</c>).</summary>
    public static void RequireMethod(HttpContext context, string method)
    {
        if (!string.Equals(context.Request.Method, method, StringComparison.OrdinalIgnoreCase))
        {
            context.Response.Headers.Allow = method;
            throw new RequestException(405, "invalid_request_error", $"This endpoint takes {method}.");
        }
    }

    /// <summary>The API key a request sends: <c>Authorization: Bearer</c>, or <c>x-api-key</c>.</summary>
    public static string? ApiKeyOf(HttpRequest request)
    {
        if (request.Headers.Authorization.ToString() is { Length: > 7 } authorization &&
            authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization[7..].Trim();
        }

        return request.Headers["x-api-key"].ToString() is { Length: > 0 } key ? key : null;
    }

    /// <summary>Reads a JSON body, refusing another content type (415) or a body that is not JSON (400, naming what to send).</summary>
    public static async Task<JsonDocument> ReadJsonAsync(HttpContext context, string expected)
    {
        if (context.Request.ContentType is { } type && !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw new RequestException(415, "invalid_request_error", "The body must be JSON (Content-Type: application/json).");
        }

        try
        {
            return await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            throw new RequestException(400, "invalid_request_error", $"The body is not JSON: send {expected}.");
        }
    }

    /// <summary>Writes a JSON object as the answer.</summary>
    public static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        context.Response.ContentLength = buffer.Length;
        await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Writes the error shape every endpoint answers with; aborts the connection when an answer is already under way.</summary>
    public static Task WriteErrorAsync(HttpContext context, int status, string type, string message)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        return WriteJsonAsync(context, status, writer =>
        {
            writer.WriteString("type", "error");
            writer.WriteStartObject("error");
            writer.WriteString("type", type);
            writer.WriteString("message", message);
            writer.WriteEndObject();
        });
    }

    /// <summary>A request the server refuses, with its status and error type.</summary>
    internal sealed class RequestException(int status, string type, string message) : Exception(message)
    {
        public int Status { get; } = status;

        public string Type { get; } = type;
    }
}
