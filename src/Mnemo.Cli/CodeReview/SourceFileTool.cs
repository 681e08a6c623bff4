using System.Globalization;
using System.Text;
using System.Text.Json;
using Anthropic.Helpers.Beta;
using Anthropic.Models.Beta.Messages;

namespace Mnemo.Cli.CodeReview;

/// <summary>Represents a file under review: the name the model knows it by, and its text.</summary>
/// <param name="Name">The name, such as <c>src/app.py</c>.</param>
/// <param name="Content">The text.</param>
internal sealed record ReviewFile(string Name, string Content);

/// <summary>Represents the <c>read_file</c> tool of a review: it reads the files under review, and nothing else, with line numbers.</summary>
/// <remarks>
/// A path is found by its full name, or by its file name when only one file has it. Any other path, or a call without
/// one, is answered with an error listing the files; nothing on disk is reached through it.
/// </remarks>
internal sealed class SourceFileTool : IBetaRunnableTool
{
    /// <summary>The tool's name.</summary>
    public const string ToolName = "read_file";

    private static readonly BetaToolUnion ToolDefinition = JsonSerializer.Deserialize<BetaToolUnion>(
        """
        {"name":"read_file","description":"Reads one of the files under review and returns it with line numbers.",
         "input_schema":{"type":"object","properties":{"path":{"type":"string","description":"The file's name as the review request lists it."}},
                         "required":["path"]}}
        """)!;

    private readonly IReadOnlyList<ReviewFile> _files;

    /// <summary>Initializes a new instance of the <see cref="SourceFileTool"/> class.</summary>
    /// <param name="files">The files under review.</param>
    public SourceFileTool(IEnumerable<ReviewFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        _files = [.. files];
    }

    /// <inheritdoc/>
    public string Name => ToolName;

    /// <inheritdoc/>
    public BetaToolUnion Definition => ToolDefinition;

    /// <inheritdoc/>
    public Task<BetaToolResultBlockParamContent> ExecuteAsync(BetaToolUseBlock toolUseBlock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(toolUseBlock);
        var names = string.Join(", ", _files.Select(file => file.Name));
        if (!toolUseBlock.Input.TryGetValue("path", out var value) || value.ValueKind != JsonValueKind.String)
        {
            throw new BetaToolError($"Error: read_file needs a \"path\" string, one of: {names}");
        }

        var path = value.GetString()!;
        var file = _files.FirstOrDefault(file => file.Name == path);
        if (file is null)
        {
            var byName = _files.Where(file => Path.GetFileName(file.Name) == Path.GetFileName(path)).ToList();
            file = byName.Count == 1 ? byName[0] : null;
        }

        return file is null
            ? throw new BetaToolError($"Error: '{path}' is not one of the files under review: {names}")
            : Task.FromResult<BetaToolResultBlockParamContent>(Numbered(file.Name, file.Content));
    }

    /// <summary>A file with its lines numbered, as the memory tool shows files.</summary>
    public static string Numbered(string name, string content)
    {
        var text = new StringBuilder(content.Length + 64);
        text.Append("Here's the content of ").Append(name).Append(" with line numbers:");
        var lines = content.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var count = lines.Length > 1 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        for (var i = 0; i < count; i++)
        {
            text.Append('\n').Append((i + 1).ToString(CultureInfo.InvariantCulture).PadLeft(6)).Append('\t').Append(lines[i]);
        }

        return text.ToString();
    }
}
