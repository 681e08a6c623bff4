using System.Text.Json;

namespace Mnemo.Emulator;

/// <summary>An error the emulator answers with, in the API's shape: an HTTP status, an error type and a message.</summary>
internal sealed class ApiErrorException(int status, string type, string message, string? errorCode = null, Action<Utf8JsonWriter>? fields = null) : Exception(message)
{
    /// <summary>Fields of the error object beyond its type and message, such as a conflict's <c>conflicting_memory_id</c>.</summary>
    public Action<Utf8JsonWriter>? Fields { get; } = fields;

    public int Status { get; } = status;

    public string Type { get; } = type;

    /// <summary>The <c>error.details.error_code</c> that tells a client what to do, such as <c>thread_not_found</c>.</summary>
    public string? ErrorCode { get; } = errorCode;

    public static ApiErrorException InvalidRequest(string message) => new(400, "invalid_request_error", message);
}

/// <summary>The API's error types and body.</summary>
internal static class ApiErrors
{
    /// <summary>The error type the API sends with a status.</summary>
    public static string TypeFor(int status) => status switch
    {
        400 => "invalid_request_error",
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        504 => "timeout_error",
        529 => "overloaded_error",
        _ => status >= 500 ? "api_error" : "invalid_request_error",
    };

    /// <summary>Writes <c>{"type":"error","error":{"type":...,"message":...,"details":...},"request_id":...}</c>.</summary>
    public static void Write(Utf8JsonWriter writer, string type, string message, string? requestId, string? errorCode = null, Action<Utf8JsonWriter>? fields = null)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "error"u8);
        writer.WriteStartObject("error"u8);
        writer.WriteString("type"u8, type);
        writer.WriteString("message"u8, message);
        fields?.Invoke(writer);
        if (errorCode is not null)
        {
            writer.WriteStartObject("details"u8);
            writer.WriteString("error_code"u8, errorCode);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        if (requestId is not null)
        {
            writer.WriteString("request_id"u8, requestId);
        }

        writer.WriteEndObject();
    }
}
