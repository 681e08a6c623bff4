using System.Globalization;
using System.Text.Json;

namespace Mnemo.Anthropic.Agents;

/// <summary>One tool result a clearing took, kept whole.</summary>
/// <param name="Id">Its number: the call's number in the session, the one its placeholder names.</param>
/// <param name="ToolUseId">The call's <c>tool_use</c> id.</param>
/// <param name="Tool">The tool's name.</param>
/// <param name="Input">The call's input.</param>
/// <param name="Content">The result's <c>content</c>, exactly as the model was sent it: a string or a list of blocks.</param>
/// <param name="IsError">Whether the result was an error.</param>
/// <param name="ClearedAtRequest">The request that first cleared it.</param>
/// <param name="ClearedAt">When.</param>
public sealed record ArchivedResult(int Id, string ToolUseId, string Tool, JsonElement Input, JsonElement Content, bool IsError, int ClearedAtRequest, DateTimeOffset ClearedAt)
{
    /// <summary>Gets the size of the content as sent, in bytes of JSON.</summary>
    public int Size => Content.GetRawText().Length;

    /// <summary>Gets the content's text: the string, or its text blocks joined by line breaks.</summary>
    public string Text => Content.ValueKind == JsonValueKind.String
        ? Content.GetString()!
        : string.Join('\n', Content.ValueKind == JsonValueKind.Array
            ? Content.EnumerateArray()
                .Where(block => block.ValueKind == JsonValueKind.Object && block.TryGetProperty("type"u8, out var type) && type.ValueEquals("text"u8))
                .Select(block => block.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.String ? text.GetString() : string.Empty)
            : []);
}

/// <summary>The tool results a session's clearings took, kept whole outside the model's memory, so that nothing cleared
/// is gone: the <c>recall</c> tool lists them and brings one back as it was. Bounded: past its size the oldest are
/// dropped first, and counted.</summary>
/// <remarks>Not thread-safe: the session adds to it and its tool reads it on the session's one flow.</remarks>
public sealed class ClearedResultArchive
{
    private readonly LinkedList<ArchivedResult> _results = new();
    private readonly Dictionary<int, LinkedListNode<ArchivedResult>> _byId = [];
    private readonly long _limit;
    private long _size;

    /// <summary>Initializes a new instance of the <see cref="ClearedResultArchive"/> class.</summary>
    /// <param name="limit">The most bytes of content it keeps.</param>
    public ClearedResultArchive(long limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        _limit = limit;
    }

    /// <summary>Gets the results kept, oldest first.</summary>
    public IReadOnlyCollection<ArchivedResult> Results => _results;

    /// <summary>Gets how many results were dropped, oldest first, to keep within the limit.</summary>
    public int Dropped { get; private set; }

    /// <summary>Gets the ids of the results dropped.</summary>
    public IReadOnlySet<int> DroppedIds => _dropped;

    private readonly HashSet<int> _dropped = [];

    /// <summary>Keeps a result; one already kept under its id is left as it is.</summary>
    public void Add(ArchivedResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (_byId.ContainsKey(result.Id))
        {
            return;
        }

        _byId[result.Id] = _results.AddLast(result);
        _size += result.Size;
        while (_size > _limit && _results.First is { } oldest)
        {
            _results.RemoveFirst();
            _byId.Remove(oldest.Value.Id);
            _size -= oldest.Value.Size;
            _dropped.Add(oldest.Value.Id);
            Dropped++;
        }
    }

    /// <summary>Finds a result by its id.</summary>
    public ArchivedResult? Find(int id) => _byId.TryGetValue(id, out var node) ? node.Value : null;

    /// <summary>The results whose tool is <paramref name="tool"/> (when given) and whose input or content holds
    /// <paramref name="query"/> (when given, ignoring case), oldest first.</summary>
    public IEnumerable<ArchivedResult> Search(string? tool, string? query) => _results.Where(result =>
        (tool is null || string.Equals(result.Tool, tool, StringComparison.Ordinal)) &&
        (query is null || result.Input.GetRawText().Contains(query, StringComparison.OrdinalIgnoreCase) || result.Text.Contains(query, StringComparison.OrdinalIgnoreCase) ||
            Described(result).Contains(query, StringComparison.OrdinalIgnoreCase)));

    /// <summary>A result in one line: its id, call and size.</summary>
    public static string Describe(ArchivedResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var text = result.Text;
        var lines = text.Length == 0 ? 0 : text.Count(ch => ch == '\n') + 1;
        return string.Create(CultureInfo.InvariantCulture,
            $"id={result.Id} {Described(result)}: {text.Length:N0} characters, {lines:N0} line(s){(result.IsError ? ", an error" : string.Empty)}, cleared at request {result.ClearedAtRequest}");
    }

    private static string Described(ArchivedResult result) => ToolUseText.Describe(result.Tool, result.Input);
}
