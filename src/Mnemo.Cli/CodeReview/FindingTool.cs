using System.Globalization;
using System.Text.Json;
using Anthropic.Helpers.Beta;
using Anthropic.Models.Beta.Messages;

namespace Mnemo.Cli.CodeReview;

/// <summary>Represents a finding of a diff review, on a line of the change's new side.</summary>
/// <param name="File">The file's path in the repository.</param>
/// <param name="Line">The line on the new side, one the diff shows.</param>
/// <param name="Severity"><c>high</c>, <c>medium</c> or <c>low</c>.</param>
/// <param name="Title">A short title.</param>
/// <param name="Body">What goes wrong, when, and the fix.</param>
/// <param name="Pattern">The stored pattern it matches, such as <c>lost-update-race</c>; <see langword="null"/> for none.</param>
internal sealed record ReviewFinding(string File, int Line, string Severity, string Title, string Body, string? Pattern);

/// <summary>
/// Represents the <c>report_finding</c> tool: the model reports each finding through it, and the tool checks that the
/// finding sits on a line the diff shows (where a pull-request comment can go) before keeping it.
/// </summary>
internal sealed class FindingTool : IBetaRunnableTool
{
    /// <summary>The tool's name.</summary>
    public const string ToolName = "report_finding";

    private static readonly string[] Severities = ["high", "medium", "low"];

    private static readonly BetaToolUnion ToolDefinition = JsonSerializer.Deserialize<BetaToolUnion>(
        """
        {"name":"report_finding","description":"Reports one finding of the review, on a line of the change's new side that the diff shows. Call it once per defect.",
         "input_schema":{"type":"object","properties":{
           "file":{"type":"string","description":"The file's path, as the diff names it."},
           "line":{"type":"integer","description":"The line on the new side (as read_file numbers it); it must be inside one of the diff's hunks."},
           "severity":{"type":"string","enum":["high","medium","low"],"description":"high: wrong results, lost data or a security hole; medium: fails under some conditions; low: a trap for later."},
           "title":{"type":"string","description":"A short title."},
           "body":{"type":"string","description":"What goes wrong and when, and the fix."},
           "pattern":{"type":"string","description":"The stored pattern this matches, by its note's name under /memories/patterns/ without .md, such as lost-update-race; leave it out for none."}},
          "required":["file","line","severity","title","body"]}}
        """)!;

    private readonly UnifiedDiff _diff;
    private readonly List<ReviewFinding> _findings = [];

    /// <summary>Initializes a new instance of the <see cref="FindingTool"/> class.</summary>
    /// <param name="diff">The diff under review.</param>
    public FindingTool(UnifiedDiff diff)
    {
        ArgumentNullException.ThrowIfNull(diff);
        _diff = diff;
    }

    /// <summary>The findings reported so far, in order.</summary>
    public IReadOnlyList<ReviewFinding> Findings => _findings;

    /// <inheritdoc/>
    public string Name => ToolName;

    /// <inheritdoc/>
    public BetaToolUnion Definition => ToolDefinition;

    /// <inheritdoc/>
    public Task<BetaToolResultBlockParamContent> ExecuteAsync(BetaToolUseBlock toolUseBlock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(toolUseBlock);
        var input = toolUseBlock.Input;
        var missing = new[] { "file", "line", "severity", "title", "body" }
            .Where(name => !input.TryGetValue(name, out var value) || value.ValueKind is JsonValueKind.Null || (value.ValueKind == JsonValueKind.String && string.IsNullOrWhiteSpace(value.GetString())))
            .ToList();
        if (missing.Count > 0)
        {
            throw new BetaToolError($"Error: report_finding needs file, line, severity, title and body; missing: {string.Join(", ", missing)}");
        }

        var path = Text(input["file"], "file").TrimStart('/');
        var file = _diff.Find(path);
        if (file is null || file.IsBinary)
        {
            throw new BetaToolError($"Error: {path} is not a file this change touches; a finding goes on one of: {string.Join(", ", _diff.TextFiles.Select(changed => changed.Name))}");
        }

        if (file.NewPath is null)
        {
            throw new BetaToolError($"Error: this change deletes {path}; put the finding on a line the change adds or keeps in another file");
        }

        if (input["line"].ValueKind != JsonValueKind.Number || !input["line"].TryGetInt32(out var line))
        {
            throw new BetaToolError($"Error: line is a line number of {file.NewPath}, such as {file.Hunks[0].NewStart}");
        }

        if (!file.Shows(line))
        {
            throw new BetaToolError(string.Create(CultureInfo.InvariantCulture,
                $"Error: line {line} of {file.NewPath} is not in the diff, which shows {file.ShownLines()} of it; a finding goes on a line the diff shows, so the comment can sit on it"));
        }

        var severity = Text(input["severity"], "severity").ToLowerInvariant();
        if (!Severities.Contains(severity))
        {
            throw new BetaToolError($"Error: severity is high, medium or low, not {severity}");
        }

        var pattern = input.TryGetValue("pattern", out var given) && given.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(given.GetString())
            ? PatternName(given.GetString()!)
            : null;
        var finding = new ReviewFinding(file.NewPath, line, severity, Text(input["title"], "title").Trim(), Text(input["body"], "body").Trim(), pattern);
        var same = _findings.FindIndex(kept => kept.File == finding.File && kept.Line == finding.Line && kept.Title == finding.Title);
        if (same >= 0)
        {
            // A finding reported again (a retried turn, or a file reviewed twice) is one comment, not two.
            _findings[same] = finding;
            return Task.FromResult<BetaToolResultBlockParamContent>(string.Create(CultureInfo.InvariantCulture,
                $"Finding {same + 1} was recorded already; it now reads as reported: {finding.File}:{finding.Line} ({finding.Severity}) {finding.Title}"));
        }

        _findings.Add(finding);
        return Task.FromResult<BetaToolResultBlockParamContent>(string.Create(CultureInfo.InvariantCulture,
            $"Finding {_findings.Count} recorded: {finding.File}:{finding.Line} ({finding.Severity}) {finding.Title}"));
    }

    /// <summary>A pattern's name as findings show it: the note's name, whether the model gave it as a path or not.</summary>
    private static string PatternName(string given)
    {
        var name = given.Trim();
        name = name.StartsWith("/memories/patterns/", StringComparison.Ordinal) ? name["/memories/patterns/".Length..] : name;
        return name.EndsWith(".md", StringComparison.Ordinal) ? name[..^3] : name;
    }

    private static string Text(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new BetaToolError($"Error: {name} is text");
}
