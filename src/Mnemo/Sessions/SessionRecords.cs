using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace Mnemo.Sessions;

/// <summary>Names and rules shared by session records: ids, sources, the default folder.</summary>
public static class SessionRecords
{
    /// <summary>The folder records go to by default, under the working folder.</summary>
    public const string DefaultFolder = ".mnemo/sessions";

    /// <summary>The source of a session an agent ran.</summary>
    public const string Live = "live";

    /// <summary>The source of a session <c>mnemo context replay</c> replayed.</summary>
    public const string Replay = "replay";

    /// <summary>Tells whether a session id is valid: 1 to 100 ASCII letters, digits, '.', '_' or '-', not starting with
    /// '.'; such an id is safe as a file name and a database key alike.</summary>
    /// <param name="id">The id.</param>
    /// <returns><see langword="true"/> when valid.</returns>
    public static bool IsValidId(string? id) =>
        id is { Length: > 0 and <= 100 } && id[0] != '.' && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>Makes a new session id: the time, sortable, and a random part, such as <c>20261205T101500Z-3f9a1c2b</c>.</summary>
    /// <param name="now">The time.</param>
    /// <returns>The id.</returns>
    public static string NewId(DateTimeOffset now) =>
        now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture) + "-" +
        Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    /// <summary>The size a memory write records: the UTF-8 bytes of the text it writes (<c>file_text</c>, <c>new_str</c>
    /// or <c>insert_text</c>), never the text.</summary>
    /// <param name="argument">The call's string argument by name; <see langword="null"/> when absent.</param>
    internal static long WrittenBytes(Func<string, string?> argument) =>
        ((string[])["file_text", "new_str", "insert_text"]).Sum(name => argument(name) is { } text ? System.Text.Encoding.UTF8.GetByteCount(text) : 0L);

    internal static void ThrowIfInvalidId(string id, string? parameter = null)
    {
        if (!IsValidId(id))
        {
            throw new ArgumentException("A session id is 1 to 100 letters, digits, '.', '_' or '-', not starting with '.'.", parameter ?? "session");
        }
    }

    /// <summary>The largest magnitude a figure of a record is read with: no count of tokens, bytes or requests comes near
    /// it, and sums of a hundred thousand sessions of such figures stay within a <see cref="long"/> and a <see cref="decimal"/>.
    /// A number beyond it (a damaged or forged line) is read as absent.</summary>
    internal const long MaxFigure = 1_000_000_000_000;

    internal static bool Plausible(long value) => value is >= -MaxFigure and <= MaxFigure;

    internal static bool Plausible(decimal value) => value is >= -MaxFigure and <= MaxFigure;

    internal static long Long(JsonElement line, string name) => OptionalLong(line, name) ?? 0;

    internal static long? OptionalLong(JsonElement line, string name) =>
        line.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) && Plausible(number) ? number : null;

    internal static double? OptionalDouble(JsonElement line, string name) =>
        line.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && double.IsFinite(number) ? number : null;

    internal static string? String(JsonElement line, string name) =>
        line.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    internal static bool Bool(JsonElement line, string name) =>
        line.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;
}
