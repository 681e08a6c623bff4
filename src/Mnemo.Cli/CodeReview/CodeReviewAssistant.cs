using Anthropic;
using Mnemo.Anthropic.Agents;

namespace Mnemo.Cli.CodeReview;

/// <summary>
/// Represents a code reviewer that learns: it checks its memory for the patterns earlier reviews stored, reads the files
/// under review through <see cref="SourceFileTool"/>, and records new patterns and its progress in memory.
/// </summary>
/// <remarks>Each review is a new conversation (a new <see cref="AgentSession"/>); what carries over is the memory.</remarks>
internal sealed class CodeReviewAssistant
{
    /// <summary>The reviewer's system prompt; the session adds its memory protocol after it.</summary>
    public const string SystemPrompt =
        """
        You are a senior code reviewer. Find the defects that matter: concurrency bugs (data races, lost updates, a check and an update split by an await or a lock-free gap), injection, leaked secrets, resource leaks, and language traps such as mutable default arguments. Skip style.
        For each finding give the file and line, why it is a bug (what goes wrong, and when), and the fix.
        Read the files with read_file. Before reviewing, check /memories/patterns for bug patterns earlier reviews stored, and apply them.
        When you find a class of bug worth recognising again, store it as a short, general note in /memories/patterns/ (the pattern, how to spot it, the fix), or improve the note that is there.
        In a review of several files, keep /memories/review-progress.md current: which files are done and what each had.
        """;

    private readonly IAnthropicClient _client;
    private readonly Action<AgentSessionOptions> _configure;

    /// <summary>Initializes a new instance of the <see cref="CodeReviewAssistant"/> class.</summary>
    /// <param name="client">The SDK client: the API, or the emulator.</param>
    /// <param name="configure">
    /// Sets the options of each review's session: the model and the memory at least, and context editing, streaming and
    /// events as wanted. The system prompt and the <c>read_file</c> tool are the assistant's own.
    /// </param>
    public CodeReviewAssistant(IAnthropicClient client, Action<AgentSessionOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(configure);
        _client = client;
        _configure = configure;
    }

    /// <summary>Returns the request that opens a review of the given files.</summary>
    /// <param name="files">The files, by name.</param>
    public static string Request(IReadOnlyList<ReviewFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        return $"Review these files: {string.Join(", ", files.Select(file => file.Name))}.\n" +
            "Read each one with read_file. Report every real defect with its line, why it is one, and the fix.";
    }

    /// <summary>Creates the session for a review of the given files, to run or inspect.</summary>
    /// <param name="files">The files under review.</param>
    /// <exception cref="ArgumentException">No files were given, or two share a name.</exception>
    public AgentSession CreateSession(IReadOnlyList<ReviewFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count == 0)
        {
            throw new ArgumentException("A review needs at least one file.", nameof(files));
        }

        if (files.Select(file => file.Name).Distinct(StringComparer.Ordinal).Count() != files.Count)
        {
            throw new ArgumentException("Two files under review have the same name.", nameof(files));
        }

        var options = new AgentSessionOptions();
        _configure(options);
        options.SystemPrompt = SystemPrompt;
        options.Tools.Add(new SourceFileTool(files));
        return new AgentSession(_client, options);
    }

    /// <summary>Reviews files in a new conversation.</summary>
    /// <param name="files">The files under review.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>How the review ended; its text is the review.</returns>
    public Task<AgentRunResult> ReviewAsync(IReadOnlyList<ReviewFile> files, CancellationToken cancellationToken = default) =>
        CreateSession(files).RunAsync(Request(files), cancellationToken);
}
