using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

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
    public static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> body, string contentType = "application/json")
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
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

    /// <summary>Writes the error shape every endpoint answers with: an RFC 9457 problem (<c>application/problem+json</c>:
    /// <c>type</c>, <c>title</c>, <c>status</c>, <c>detail</c>) that also carries the API's own <c>error</c> object
    /// (<c>type</c> such as <c>not_found_error</c>, <c>message</c>, and a refusal's details), so clients of either shape read it.
    /// Aborts the connection when an answer is already under way.</summary>
    public static Task WriteErrorAsync(HttpContext context, int status, string type, string message, Action<Utf8JsonWriter>? details = null)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        return WriteJsonAsync(context, status, writer =>
        {
            writer.WriteString("type", ProblemType(status));
            writer.WriteString("title", ReasonPhrases.GetReasonPhrase(status));
            writer.WriteNumber("status", status);
            writer.WriteString("detail", message);
            writer.WriteStartObject("error");
            writer.WriteString("type", type);
            details?.Invoke(writer);
            writer.WriteString("message", message);
            writer.WriteEndObject();
        }, "application/problem+json");
    }

    /// <summary>The problem type of a status: the section of the HTTP standard that defines it, as ASP.NET Core's own problems name.</summary>
    internal static string ProblemType(int status) => status switch
    {
        400 => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        401 => "https://tools.ietf.org/html/rfc9110#section-15.5.2",
        403 => "https://tools.ietf.org/html/rfc9110#section-15.5.4",
        404 => "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        405 => "https://tools.ietf.org/html/rfc9110#section-15.5.6",
        413 => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
        415 => "https://tools.ietf.org/html/rfc9110#section-15.5.16",
        422 => "https://tools.ietf.org/html/rfc9110#section-15.5.21",
        429 => "https://tools.ietf.org/html/rfc6585#section-4",
        503 => "https://tools.ietf.org/html/rfc9110#section-15.6.4",
        _ => "https://tools.ietf.org/html/rfc9110#section-15.6.1",
    };

    /// <summary>A request the server refuses, with its status and error type.</summary>
    internal sealed class RequestException(int status, string type, string message) : Exception(message)
    {
        public int Status { get; } = status;

        public string Type { get; } = type;
    }
}
