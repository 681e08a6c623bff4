using System.Text.Json;
using Anthropic.Helpers.Beta;
using Anthropic.Models.Beta.Messages;

namespace Mnemo.Cli.CodeReview;

/// <summary>
/// Represents the tools a diff review reads the repository with: <c>read_file</c> for the new side (the head commit) and
/// <c>read_file_at_base</c> for the old side. Paths are the repository's own; a folder's names can be listed.
/// </summary>
/// <remarks>
/// Files come from git's objects, never from the disk, so no path reaches outside the commit: an absolute path or one
/// with <c>..</c> in it is refused, and a symbolic link is shown as the path it holds.
/// </remarks>
internal sealed class RepositoryFileTool : IBetaRunnableTool
{
    /// <summary>The new side's tool.</summary>
    public const string HeadToolName = "read_file";

    /// <summary>The old side's tool.</summary>
    public const string BaseToolName = "read_file_at_base";

    private readonly ReviewedChange _change;
    private readonly bool _base;

    /// <summary>Initializes a new instance of the <see cref="RepositoryFileTool"/> class.</summary>
    /// <param name="change">The change under review.</param>
    /// <param name="atBase">Whether this is the old side's tool.</param>
    public RepositoryFileTool(ReviewedChange change, bool atBase)
    {
        ArgumentNullException.ThrowIfNull(change);
        _change = change;
        _base = atBase;
        Definition = JsonSerializer.Deserialize<BetaToolUnion>(JsonSerializer.Serialize(new
        {
            name = Name,
            description = atBase
                ? "Reads a file of the repository as it was before the change (the base), with line numbers; a folder's path lists its names. Use it to see what a changed line replaced."
                : "Reads a file of the repository as the change leaves it (the head), with line numbers; a folder's path lists its names, and \"\" lists the top. Line numbers match the diff's new side.",
            input_schema = new
            {
                type = "object",
                properties = new { path = new { type = "string", description = "The path from the repository's top, such as src/app.py, as the diff names it." } },
                required = new[] { "path" },
            },
        }))!;
    }

    /// <inheritdoc/>
    public string Name => _base ? BaseToolName : HeadToolName;

    /// <inheritdoc/>
    public BetaToolUnion Definition { get; }

    /// <inheritdoc/>
    public async Task<BetaToolResultBlockParamContent> ExecuteAsync(BetaToolUseBlock toolUseBlock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(toolUseBlock);
        if (!toolUseBlock.Input.TryGetValue("path", out var value) || value.ValueKind != JsonValueKind.String)
        {
            throw new BetaToolError($"Error: {Name} needs a \"path\" string, such as {_change.Diff.TextFiles.First().Name}");
        }

        var raw = value.GetString()!;
        var path = raw.Replace('\\', '/').Trim();
        while (path.StartsWith("./", StringComparison.Ordinal))
        {
            path = path[2..];
        }

        path = path.TrimEnd('/');
        if (path.StartsWith('/') || path.Split('/').Any(segment => segment is ".." or "."))
        {
            throw new BetaToolError($"Error: {raw} is outside the repository; give a path from its top, such as {_change.Diff.TextFiles.First().Name}");
        }

        (string Text, bool IsFolder)? read;
        try
        {
            read = _base
                ? await _change.ReadOldAsync(path, cancellationToken).ConfigureAwait(false)
                : await _change.ReadNewAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (ReviewToolException exception)
        {
            throw new BetaToolError("Error: " + exception.Message);
        }

        var shown = path.Length == 0 ? "the repository's top" : path;
        if (read is not { } found)
        {
            var file = _change.Diff.Find(path);
            throw new BetaToolError(file switch
            {
                { OldPath: null } when _base => $"Error: {path} is new in this change; it has no version at the base",
                { NewPath: null } when !_base => $"Error: this change deletes {path}; {BaseToolName} shows it as it was",
                { } renamed when !_base && renamed.NewPath != path => $"Error: this change renames {path} to {renamed.NewPath}",
                _ => $"Error: {path} does not exist {(_base ? "at the base" : "at the head")}; the changed files are {string.Join(", ", _change.Diff.TextFiles.Select(changed => changed.Name))}",
            });
        }

        return found.IsFolder
            ? $"The names in {shown}{(_base ? " at the base" : string.Empty)} (folders end in /):\n{found.Text}"
            : SourceFileTool.Numbered(_base ? path + " (at the base)" : path, found.Text);
    }
}
