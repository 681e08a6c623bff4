using System.Text;
using Mnemo.Cli.Agents;

namespace Mnemo.Cli.CodeReview;

/// <summary>The exception for a change that cannot be reviewed as given (an empty or binary diff, a missing base); exit code 2.</summary>
internal sealed class ReviewInputException(string message) : Exception(message);

/// <summary>
/// Represents a change under review: its diff, and the repository to read files from on each side of it. The new side is
/// the head commit (or HEAD with the diff applied, for a patch that HEAD does not have yet); the old side is the base.
/// </summary>
internal sealed class ReviewedChange
{
    /// <summary>The largest file the model is shown whole.</summary>
    public const int MaxFileBytes = 256 * 1024;

    private readonly string? _baseCommit;
    private readonly bool _patchApplied;

    private ReviewedChange(UnifiedDiff diff, GitRepository repository, string headCommit, string? baseCommit, bool patchApplied, string label, bool headIsCommit)
    {
        Diff = diff;
        Repository = repository;
        HeadCommit = headCommit;
        _baseCommit = baseCommit;
        _patchApplied = patchApplied;
        Label = label;
        HeadIsCommit = headIsCommit;
    }

    public UnifiedDiff Diff { get; }

    public GitRepository Repository { get; }

    /// <summary>The commit files are read from: the head of a range, or HEAD for a patch.</summary>
    public string HeadCommit { get; }

    /// <summary>Whether the new side is <see cref="HeadCommit"/> itself (a review comment can name it), not HEAD with a patch applied.</summary>
    public bool HeadIsCommit { get; }

    /// <summary>What the change is called: the range, the patch's name, or what <c>--label</c> said.</summary>
    public string Label { get; }

    /// <summary>Opens a change: a range <c>BASE...HEAD</c> (or <c>BASE..HEAD</c>), a patch file, or <c>-</c> for a diff on standard input.</summary>
    /// <param name="spec">What <c>--diff</c> was given.</param>
    /// <param name="label">A name for the change, or <see langword="null"/> for one made from <paramref name="spec"/>.</param>
    /// <param name="standardInput">Where <c>-</c> reads from.</param>
    /// <param name="folder">The folder in the repository that relative patch paths are read from; usually the current one.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <exception cref="ReviewInputException">The change cannot be reviewed; the message says why in one line.</exception>
    /// <exception cref="CommandException">git cannot be run.</exception>
    public static async Task<ReviewedChange> OpenAsync(string spec, string? label, TextReader standardInput, string folder, CancellationToken cancellationToken)
    {
        var repository = await GitRepository.FindAsync(folder, cancellationToken).ConfigureAwait(false)
            ?? throw new ReviewInputException("--diff reviews a change in a git repository, and this folder is in none: run it in the repository's checkout");
        var file = spec == "-" ? null : Path.Combine(folder, spec);
        var range = file is null || File.Exists(file) ? null : SplitRange(spec, Directory.Exists(file) ? "it is a folder" : "no such file");
        if (range is { } r)
        {
            var baseCommit = await repository.ResolveAsync(r.Base, cancellationToken).ConfigureAwait(false)
                ?? throw new ReviewInputException($"the base {r.Base} does not exist in this repository (fetch it first, such as git fetch origin {r.Base.Split('/')[^1]})");
            var headCommit = await repository.ResolveAsync(r.Head, cancellationToken).ConfigureAwait(false)
                ?? throw new ReviewInputException($"the head {r.Head} does not exist in this repository");
            if (r.FromMergeBase)
            {
                baseCommit = await repository.MergeBaseAsync(baseCommit, headCommit, cancellationToken).ConfigureAwait(false)
                    ?? throw new ReviewInputException($"{r.Base} and {r.Head} share no history, so {spec} has no merge base; compare them with two dots, {r.Base}..{r.Head}");
            }

            var diff = Read(await repository.DiffAsync(baseCommit, headCommit, cancellationToken).ConfigureAwait(false), spec);
            return new ReviewedChange(diff, repository, headCommit, baseCommit, patchApplied: true, label ?? spec, headIsCommit: true);
        }

        string text;
        try
        {
            text = spec == "-"
                ? await standardInput.ReadToEndAsync(cancellationToken).ConfigureAwait(false)
                : await File.ReadAllTextAsync(file!, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new ReviewInputException($"{spec}: cannot read the diff ({(exception is UnauthorizedAccessException ? "permission denied" : exception.Message)})");
        }

        var name = spec == "-" ? "the diff on standard input" : Path.GetFileName(spec);
        var patch = Read(text, name);
        var head = await repository.ResolveAsync("HEAD", cancellationToken).ConfigureAwait(false)
            ?? throw new ReviewInputException("the repository has no commit yet, so there is no HEAD to review the diff against");

        // A patch is either in HEAD already (HEAD is its new side) or not yet (HEAD is its old side, as git apply takes it).
        if (await MatchesAsync(repository, head, patch, newSide: true, cancellationToken).ConfigureAwait(false) is null)
        {
            return new ReviewedChange(patch, repository, head, null, patchApplied: true, label ?? name, headIsCommit: true);
        }

        var mismatch = await MatchesAsync(repository, head, patch, newSide: false, cancellationToken).ConfigureAwait(false);
        return mismatch is null
            ? new ReviewedChange(patch, repository, head, head, patchApplied: false, label ?? name, headIsCommit: false)
            : throw new ReviewInputException($"{name} does not apply to HEAD ({GitRepository.Short(head)}): {mismatch}; make the diff from this commit, or check out the commit it was made from");
    }

    /// <summary>Reads a path on the new side: a changed file as the change leaves it, anything else as the head commit has it.</summary>
    /// <returns>The text, or a folder's listing; <see langword="null"/> when there is no such path.</returns>
    public async Task<(string Text, bool IsFolder)?> ReadNewAsync(string path, CancellationToken cancellationToken)
    {
        var file = Diff.Find(path);
        if (file is not null && file.NewPath != path)
        {
            return null;
        }

        if (file is not null && !_patchApplied)
        {
            var old = file.OldPath is null ? string.Empty : await ReadTextAsync(HeadCommit, file.OldPath, cancellationToken).ConfigureAwait(false);
            return old is null ? null : (file.Transform(old, forward: true)!, false);
        }

        return await ReadAsync(HeadCommit, path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a path on the old side: the base commit's, or for a patch HEAD's file with the patch taken back out.</summary>
    public async Task<(string Text, bool IsFolder)?> ReadOldAsync(string path, CancellationToken cancellationToken)
    {
        var file = Diff.Files.FirstOrDefault(file => file.OldPath == path);
        if (file is null && Diff.Files.Any(file => file.NewPath == path))
        {
            // A file the change adds, or the new name of one it renames: the old side has nothing at that name.
            return null;
        }

        if (_baseCommit is not null)
        {
            return await ReadAsync(_baseCommit, path, cancellationToken).ConfigureAwait(false);
        }

        if (file is null)
        {
            return await ReadAsync(HeadCommit, path, cancellationToken).ConfigureAwait(false);
        }

        var current = file.NewPath is null ? string.Empty : await ReadTextAsync(HeadCommit, file.NewPath, cancellationToken).ConfigureAwait(false);
        return current is null ? null : (file.Transform(current, forward: false)!, false);
    }

    private async Task<(string Text, bool IsFolder)?> ReadAsync(string commit, string path, CancellationToken cancellationToken)
    {
        var read = await Repository.ReadAsync(commit, path, cancellationToken).ConfigureAwait(false);
        return read is { } found ? (Decode(found.Content, path, found.IsFolder), found.IsFolder) : null;
    }

    private async Task<string?> ReadTextAsync(string commit, string path, CancellationToken cancellationToken) =>
        await ReadAsync(commit, path, cancellationToken).ConfigureAwait(false) is { IsFolder: false } file ? file.Text : null;

    private static string Decode(byte[] content, string path, bool isFolder)
    {
        if (isFolder)
        {
            return Encoding.UTF8.GetString(content);
        }

        if (content.AsSpan(0, Math.Min(content.Length, 8000)).Contains((byte)0))
        {
            throw new ReviewToolException($"{path} is a binary file; read_file shows text");
        }

        return content.Length > MaxFileBytes
            ? throw new ReviewToolException($"{path} is {content.Length / 1024:N0} KiB, more than read_file shows ({MaxFileBytes / 1024} KiB); review it from the diff")
            : Encoding.UTF8.GetString(content);
    }

    /// <summary>Checks that each file of a patch is, at HEAD, what the patch shows on one side.</summary>
    /// <returns><see langword="null"/> when every file matches; otherwise what does not.</returns>
    private static async Task<string?> MatchesAsync(GitRepository repository, string head, UnifiedDiff patch, bool newSide, CancellationToken cancellationToken)
    {
        foreach (var file in patch.TextFiles)
        {
            var path = newSide ? file.NewPath : file.OldPath;
            var other = newSide ? file.OldPath : file.NewPath;
            var read = path is null ? null : await repository.ReadAsync(head, path, cancellationToken).ConfigureAwait(false);
            if (path is null)
            {
                if (other is not null && await repository.ReadAsync(head, other, cancellationToken).ConfigureAwait(false) is not null)
                {
                    return $"HEAD has {other}, which the diff {(newSide ? "deletes" : "adds")}";
                }

                continue;
            }

            if (read is not { IsFolder: false } found)
            {
                return $"HEAD has no file {path}";
            }

            if (file.Transform(Encoding.UTF8.GetString(found.Content), forward: !newSide) is null)
            {
                return $"{path} at HEAD is not what the diff shows at the lines it names";
            }
        }

        return null;
    }

    private static UnifiedDiff Read(string text, string name)
    {
        UnifiedDiff diff;
        try
        {
            diff = UnifiedDiff.Parse(text);
        }
        catch (FormatException exception)
        {
            throw new ReviewInputException($"{name}: {exception.Message}");
        }

        if (diff.Files.Count == 0)
        {
            throw new ReviewInputException($"{name}: the diff is empty; there is nothing to review");
        }

        if (!diff.TextFiles.Any(file => file.Hunks.Count > 0))
        {
            var binary = diff.Files.Where(file => file.IsBinary).Select(file => file.Name).ToList();
            throw new ReviewInputException(binary.Count > 0
                ? $"{name}: the diff changes only binary files ({string.Join(", ", binary.Take(3))}{(binary.Count > 3 ? ", …" : string.Empty)}); there is no text to review"
                : $"{name}: the diff changes no lines (only names or modes); there is nothing to review");
        }

        return diff;
    }

    private static (string Base, string Head, bool FromMergeBase)? SplitRange(string spec, string notAFile)
    {
        var three = spec.IndexOf("...", StringComparison.Ordinal);
        var two = spec.IndexOf("..", StringComparison.Ordinal);
        if (two < 0)
        {
            throw new ReviewInputException($"--diff takes BASE...HEAD, a patch file, or - for a diff on standard input; {spec} is none of these ({notAFile})");
        }

        var (at, width) = three >= 0 ? (three, 3) : (two, 2);
        var baseName = spec[..at];
        var head = spec[(at + width)..];
        return baseName.Length == 0
            ? throw new ReviewInputException($"--diff {spec}: name the base before the dots, such as origin/main...HEAD")
            : (baseName, head.Length == 0 ? "HEAD" : head, three >= 0);
    }
}

/// <summary>The exception for a tool call the review cannot answer; its message goes back to the model as the tool's error.</summary>
internal sealed class ReviewToolException(string message) : Exception(message);
