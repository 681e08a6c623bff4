using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Mnemo.Emulator;

/// <summary>Reads what a Messages API request sends, as the API checks it: the key, the version, the betas, the body.</summary>
internal static class EmulatorRequests
{
    private const int MaxBodyBytes = 32 * 1024 * 1024;

    /// <summary>Checks a request's key and API version as the API does; returns the key.</summary>
    /// <param name="request">The request.</param>
    /// <param name="expected">The only key taken; <see langword="null"/> to take any.</param>
    /// <returns>The key sent.</returns>
    /// <exception cref="ApiErrorException">No key, the wrong one, or no valid <c>anthropic-version</c>.</exception>
    public static string Authenticate(HttpRequest request, string? expected)
    {
        string? key = request.Headers["x-api-key"];
        if (string.IsNullOrEmpty(key) && request.Headers.Authorization.ToString() is { } authorization &&
            authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            key = authorization["Bearer ".Length..].Trim();
        }

        if (string.IsNullOrEmpty(key))
        {
            throw new ApiErrorException(401, "authentication_error", "x-api-key header is required");
        }

        if (expected is not null && !string.Equals(key, expected, StringComparison.Ordinal))
        {
            throw new ApiErrorException(401, "authentication_error", "invalid x-api-key");
        }

        string? version = request.Headers["anthropic-version"];
        if (string.IsNullOrEmpty(version))
        {
            throw ApiErrorException.InvalidRequest("anthropic-version: header is required");
        }

        // The SDK moves to newer versions (13.15.0 sends 2026-10-21); any dated version is taken, a malformed one is not.
        if (!DateOnly.TryParseExact(version, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) || date.Year < 2023)
        {
            throw ApiErrorException.InvalidRequest($"anthropic-version: \"{version}\" is not a valid version, such as 2023-06-01");
        }

        return key;
    }

    /// <summary>Reads the betas a request asks for, from every <c>anthropic-beta</c> header, comma-separated.</summary>
    /// <param name="request">The request.</param>
    /// <returns>The betas, in order.</returns>
    public static List<string> Betas(HttpRequest request)
    {
        var betas = new List<string>();
        foreach (var header in request.Headers["anthropic-beta"])
        {
            foreach (var beta in (header ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                betas.Add(beta);
            }
        }

        return betas;
    }

    /// <summary>Reads a request's JSON body, within the API's size limit, with the API's errors for what is wrong with it.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The body.</returns>
    /// <exception cref="ApiErrorException">The body is too large, empty, or not JSON.</exception>
    public static async Task<JsonElement> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            throw TooLarge();
        }

        // A declared length is a hint, not a promise: the first buffer is capped so a false one costs nothing.
        var buffer = new ArrayBufferWriter<byte>(request.ContentLength is > 0 and var length ? (int)Math.Min(length, 1024 * 1024) : 16 * 1024);
        while (true)
        {
            var read = await request.Body.ReadAsync(buffer.GetMemory(64 * 1024), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > MaxBodyBytes)
            {
                throw TooLarge();
            }
        }

        if (buffer.WrittenCount == 0)
        {
            throw ApiErrorException.InvalidRequest("The request body is empty; send a JSON object.");
        }

        try
        {
            var reader = new Utf8JsonReader(buffer.WrittenSpan, new JsonReaderOptions { MaxDepth = 256 });
            return JsonElement.ParseValue(ref reader);
        }
        catch (JsonException exception)
        {
            throw ApiErrorException.InvalidRequest(
                $"The request body is not valid JSON: {exception.Message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0].TrimEnd('.')} (line {exception.LineNumber + 1}, byte {exception.BytePositionInLine + 1}).");
        }

        static ApiErrorException TooLarge() => new(413, "request_too_large", "Request exceeds the maximum allowed number of bytes (32 MB).");
    }
}
