using System.Globalization;
using System.Text;
using System.Text.Json;
using Anthropic.Helpers.Beta;
using Anthropic.Models.Beta.Messages;

namespace Mnemo.Anthropic.Agents;

/// <summary>The <c>recall</c> tool: lists the tool results that clearing took from the conversation, and brings one back
/// exactly as it was, whole or a range of its lines. Commands in the style of the memory tool: <c>list</c> and
/// <c>view</c>.</summary>
public sealed class RecallTool : IBetaRunnableTool
{
    /// <summary>The tool's name.</summary>
    public const string ToolName = "recall";

    private static readonly BetaToolUnion ToolDefinition = JsonSerializer.Deserialize<BetaToolUnion>(
        """
        {"name":"recall","description":"Brings back tool results cleared from this conversation to save context; a cleared result's placeholder names its id. list: what can be recalled. view: one result exactly as it was, by id or by a query matching one, whole or a view_range of its lines.",
         "input_schema":{"type":"object","properties":{"command":{"type":"string","enum":["list","view"]},"id":{"type":"integer"},"tool":{"type":"string"},"query":{"type":"string"},"view_range":{"type":"array","items":{"type":"integer"}}},"required":["command"]}}
        """)!;

    private readonly ClearedResultArchive _archive;
    private readonly Action<ArchivedResult>? _recalled;

    /// <summary>Initializes a new instance of the <see cref="RecallTool"/> class.</summary>
    /// <param name="archive">The results it recalls.</param>
    /// <param name="recalled">Called with each result brought back.</param>
    public RecallTool(ClearedResultArchive archive, Action<ArchivedResult>? recalled = null)
    {
        ArgumentNullException.ThrowIfNull(archive);
        (_archive, _recalled) = (archive, recalled);
    }

    /// <inheritdoc/>
    public string Name => ToolName;

    /// <inheritdoc/>
    public BetaToolUnion Definition => ToolDefinition;

    /// <inheritdoc/>
    public Task<BetaToolResultBlockParamContent> ExecuteAsync(BetaToolUseBlock toolUseBlock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(toolUseBlock);
        var input = toolUseBlock.Input;
        var command = String(input, "command");
        var tool = String(input, "tool");
        var query = String(input, "query");
        return Task.FromResult(command switch
        {
            "list" => List(tool, query),
            "view" => View(input, query),
            null => throw new BetaToolError("Error: recall needs a command: list or view"),
            _ => throw new BetaToolError($"Error: unknown command '{command}'; recall's commands are list and view"),
        });
    }

    private BetaToolResultBlockParamContent List(string? tool, string? query)
    {
        var found = _archive.Search(tool, query).ToList();
        var text = new StringBuilder();
        if (found.Count == 0)
        {
            text.Append(_archive.Results.Count == 0
                ? "No tool results have been cleared from this conversation yet."
                : $"No cleared tool result matches{(tool is null ? string.Empty : $" tool '{tool}'")}{(query is null ? string.Empty : $" '{query}'")}; list without them shows all {_archive.Results.Count}.");
        }
        else
        {
            text.Append("Cleared tool results you can recall, oldest first:");
            foreach (var result in found)
            {
                text.Append('\n').Append(ClearedResultArchive.Describe(result));
            }
        }

        if (_archive.Dropped > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n({_archive.Dropped} older result(s) were dropped to keep the archive within its size.)");
        }

        return text.ToString();
    }

    private BetaToolResultBlockParamContent View(IReadOnlyDictionary<string, JsonElement> input, string? query)
    {
        ArchivedResult result;
        if (input.TryGetValue("id", out var idValue) && idValue.ValueKind != JsonValueKind.Null)
        {
            if (idValue.ValueKind != JsonValueKind.Number || !idValue.TryGetInt32(out var id))
            {
                throw new BetaToolError("Error: id must be a whole number, as the placeholder or list names it");
            }

            result = _archive.Find(id) ?? throw new BetaToolError(_archive.DroppedIds.Contains(id)
                ? $"Error: the result with id {id} was dropped to keep the archive within its size; run the tool again if you need it"
                : $"Error: no cleared tool result has id {id}; list shows the ids");
        }
        else if (query is not null)
        {
            var found = _archive.Search(null, query).ToList();
            result = found.Count switch
            {
                1 => found[0],
                0 => throw new BetaToolError($"Error: no cleared tool result matches '{query}'; list shows what can be recalled"),
                _ => throw new BetaToolError($"Error: {found.Count} cleared tool results match '{query}' (ids {string.Join(", ", found.Select(r => r.Id))}); view one by id"),
            };
        }
        else
        {
            throw new BetaToolError("Error: view needs an id or a query");
        }

        _recalled?.Invoke(result);
        if (!input.TryGetValue("view_range", out var range) || range.ValueKind == JsonValueKind.Null)
        {
            // Whole: exactly the content the model was sent, byte for byte.
            return JsonSerializer.Deserialize<BetaToolResultBlockParamContent>(result.Content.GetRawText())!;
        }

        if (range.ValueKind != JsonValueKind.Array || range.GetArrayLength() != 2 || !range[0].TryGetInt32(out var first) || !range[1].TryGetInt32(out var last))
        {
            throw new BetaToolError("Error: view_range must be two line numbers: [first, last], -1 for the end");
        }

        var lines = result.Text.Split('\n');
        var end = last == -1 ? lines.Length : last;
        if (first < 1 || first > lines.Length || end < first || end > lines.Length)
        {
            throw new BetaToolError(string.Create(CultureInfo.InvariantCulture,
                $"Error: view_range [{first}, {last}] is outside the result's lines, 1 to {lines.Length}"));
        }

        return string.Join('\n', lines[(first - 1)..end]);
    }

    private static string? String(IReadOnlyDictionary<string, JsonElement> input, string name) =>
        input.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;
}
