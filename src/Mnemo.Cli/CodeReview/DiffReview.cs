using System.Globalization;
using System.Text;
using Anthropic;
using Mnemo.Anthropic.Agents;
using Mnemo.Tokens;

namespace Mnemo.Cli.CodeReview;

/// <summary>Represents how a diff review ended: its findings, the model's summary, and the session's figures.</summary>
internal sealed record DiffReviewResult(ReviewedChange Change, IReadOnlyList<ReviewFinding> Findings, string Summary, AgentRunResult Run, int Parts);

/// <summary>
/// Represents a review of a change: the model gets the unified diff, reads the repository on either side of it, checks the
/// patterns earlier reviews stored, and reports findings on lines of the new side.
/// </summary>
/// <remarks>
/// A diff larger than <see cref="DiffReviewOptions.DiffBudget"/> is sent one file at a time, in one session: what the
/// model learned from the first files stays in the conversation (and, past the clearing trigger, in memory).
/// </remarks>
internal sealed class DiffReview
{
    /// <summary>The reviewer's system prompt for a change; the session adds its memory protocol after it.</summary>
    public const string SystemPrompt =
        """
        You are a senior code reviewer reviewing a change (a pull request). Find the defects that matter in the lines it adds or changes: concurrency bugs (data races, lost updates, a check and an update split by an await or a lock-free gap), injection, leaked secrets, resource leaks, and language traps such as mutable default arguments. Skip style.
        Before reviewing, check /memories/patterns for bug patterns earlier reviews stored (view the folder, then the notes that could apply), and apply them.
        The diff is in the request. read_file reads a file as the change leaves it (its line numbers are the diff's new side); read_file_at_base reads it as it was before.
        Report each defect with report_finding: the file, a line of the new side that the diff shows, the severity, a short title, what goes wrong and when with the fix, and the stored pattern it matches if one does.
        When a defect is a class of bug worth recognising again, store it in /memories/patterns/NAME.md as a short, general note (the pattern, how to spot it, the fix) with a "Seen in:" list of where it was found. When the note is there already, add this change to its "Seen in:" list with an insert: other reviews may be editing the same note at the same time.
        When you are done, answer with a short summary of the review.
        """;

    private readonly IAnthropicClient _client;
    private readonly Action<AgentSessionOptions> _configure;
    private readonly DiffReviewOptions _options;

    public DiffReview(IAnthropicClient client, Action<AgentSessionOptions> configure, DiffReviewOptions options)
    {
        _client = client;
        _configure = configure;
        _options = options;
    }

    /// <summary>Whether a diff goes to the model one file at a time.</summary>
    public bool SplitsByFile(ReviewedChange change) =>
        change.Diff.TextFiles.Count(file => file.Hunks.Count > 0) > 1 && TokenEstimator.Estimate(DiffText(change.Diff.TextFiles)) > _options.DiffBudget;

    /// <summary>Creates the session a review runs in, with the review's tools.</summary>
    public (AgentSession Session, FindingTool Findings) CreateSession(ReviewedChange change)
    {
        var options = new AgentSessionOptions();
        _configure(options);
        options.SystemPrompt = SystemPrompt;
        options.Tools.Add(new RepositoryFileTool(change, atBase: false));
        options.Tools.Add(new RepositoryFileTool(change, atBase: true));
        var findings = new FindingTool(change.Diff);
        options.Tools.Add(findings);
        return (new AgentSession(_client, options), findings);
    }

    /// <summary>Reviews a change: whole, or file by file when its diff is over the budget.</summary>
    public async Task<DiffReviewResult> RunAsync(AgentSession session, FindingTool findings, ReviewedChange change, CancellationToken cancellationToken)
    {
        var files = change.Diff.TextFiles.Where(file => file.Hunks.Count > 0).ToList();
        if (!SplitsByFile(change))
        {
            var whole = await session.RunAsync(Request(change, files), cancellationToken).ConfigureAwait(false);
            return new DiffReviewResult(change, findings.Findings, whole.Text, whole, 1);
        }

        AgentRunResult? run = null;
        for (var i = 0; i < files.Count; i++)
        {
            var file = files[i];
            _options.Progress?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"reviewing file {i + 1} of {files.Count}: {file.Name} (+{file.Added} -{file.Removed}, about {TokenEstimator.Estimate(file.Text):N0} tokens of diff)"));
            run = await session.RunAsync(i == 0 ? FirstPart(change, files) : NextPart(files, i), cancellationToken).ConfigureAwait(false);
            if (!run.Completed)
            {
                return new DiffReviewResult(change, findings.Findings, run.Text, run, i + 1);
            }
        }

        _options.Progress?.Invoke(string.Create(CultureInfo.InvariantCulture, $"all {files.Count} files reviewed; asking for the summary"));
        run = await session.RunAsync(
            "That was the last file. Answer with a short summary of the whole review: what the change does and what you found.", cancellationToken).ConfigureAwait(false);
        return new DiffReviewResult(change, findings.Findings, run.Text, run, files.Count);
    }

    /// <summary>The request that opens the review of a whole diff.</summary>
    public static string Request(ReviewedChange change, IReadOnlyList<DiffFile> files) =>
        $"Review this change: {change.Label} ({Overview(change, files)}).\n" +
        $"{FileList(files)}\n\n<diff>\n{DiffText(files)}</diff>\n\n" +
        "Check /memories/patterns first. Report every real defect with report_finding, then summarise the review.";

    private static string FirstPart(ReviewedChange change, IReadOnlyList<DiffFile> files) =>
        $"Review this change file by file: {change.Label} ({Overview(change, files)}).\n" +
        $"The diff is too large for one request, so it comes one file at a time.\n{FileList(files)}\n\n" +
        $"File 1 of {files.Count}: {files[0].Name}\n<diff>\n{files[0].Text}</diff>\n\n" +
        "Check /memories/patterns first. Report every real defect in this file with report_finding, then say in a line what the file had.";

    private static string NextPart(IReadOnlyList<DiffFile> files, int index) =>
        string.Create(CultureInfo.InvariantCulture, $"File {index + 1} of {files.Count}: {files[index].Name}\n<diff>\n{files[index].Text}</diff>\n\n") +
        "Review it as before: report_finding for each real defect, then a line on what the file had.";

    private static string Overview(ReviewedChange change, IReadOnlyList<DiffFile> files)
    {
        var binary = change.Diff.Files.Count(file => file.IsBinary);
        return string.Create(CultureInfo.InvariantCulture,
            $"{files.Count} file{(files.Count == 1 ? string.Empty : "s")}, +{files.Sum(file => file.Added)} -{files.Sum(file => file.Removed)}{(binary > 0 ? $"; {binary} binary file(s) not shown" : string.Empty)}");
    }

    private static string FileList(IEnumerable<DiffFile> files) =>
        "Files:\n" + string.Join('\n', files.Select(file => string.Create(CultureInfo.InvariantCulture,
            $"- {file.Name}{(file.OldPath is null ? " (new)" : file.NewPath is null ? " (deleted)" : file.OldPath != file.NewPath ? $" (renamed from {file.OldPath})" : string.Empty)} +{file.Added} -{file.Removed}")));

    private static string DiffText(IEnumerable<DiffFile> files)
    {
        var text = new StringBuilder();
        foreach (var file in files)
        {
            text.Append(file.Text);
        }

        return text.ToString();
    }
}

/// <summary>Represents how a diff review runs.</summary>
internal sealed class DiffReviewOptions
{
    /// <summary>The default <see cref="DiffBudget"/>: a diff up to this many tokens goes in one request.</summary>
    public const long DefaultDiffBudget = 60_000;

    /// <summary>Gets the most tokens (estimated) of diff sent in one request; a larger diff is reviewed file by file.</summary>
    public long DiffBudget { get; init; } = DefaultDiffBudget;

    /// <summary>Gets where progress lines go, such as standard error; <see langword="null"/> for nowhere.</summary>
    public Action<string>? Progress { get; init; }
}
