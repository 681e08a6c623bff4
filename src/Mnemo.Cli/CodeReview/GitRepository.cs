using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Mnemo.Cli.Agents;

namespace Mnemo.Cli.CodeReview;

/// <summary>
/// Represents a git repository, read through the <c>git</c> command: commits, diffs and files as they are in a commit.
/// Nothing is read from the working tree, so a review sees exactly the commits it names.
/// </summary>
internal sealed class GitRepository
{
    private GitRepository(string root) => Root = root;

    /// <summary>The repository's top folder.</summary>
    public string Root { get; }

    /// <summary>Finds the repository that holds a folder.</summary>
    /// <param name="folder">The folder, usually the current one.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The repository; <see langword="null"/> when the folder is in none.</returns>
    /// <exception cref="CommandException">git cannot be run.</exception>
    public static async Task<GitRepository?> FindAsync(string folder, CancellationToken cancellationToken)
    {
        var (exitCode, output, error) = await RunWithErrorAsync(folder, cancellationToken, "rev-parse", "--show-toplevel").ConfigureAwait(false);
        if (exitCode == 0)
        {
            return new GitRepository(Encoding.UTF8.GetString(output).TrimEnd('\n'));
        }

        // Not a repository is an answer; anything else (a repository git will not read, such as one another user owns) is git's to say.
        return error.Contains("not a git repository", StringComparison.Ordinal)
            ? null
            : throw new CommandException($"git cannot read this repository: {error.Split('\n')[0].Replace("fatal: ", string.Empty, StringComparison.Ordinal).Trim()}");
    }

    /// <summary>Resolves a revision to its commit's id.</summary>
    /// <returns>The commit's full id; <see langword="null"/> when the revision names no commit.</returns>
    public async Task<string?> ResolveAsync(string revision, CancellationToken cancellationToken)
    {
        if (revision.StartsWith('-'))
        {
            return null;
        }

        var (exitCode, output) = await RunAsync(Root, cancellationToken, "rev-parse", "--verify", "--quiet", "--end-of-options", revision + "^{commit}")
            .ConfigureAwait(false);
        return exitCode == 0 ? Encoding.UTF8.GetString(output).Trim() : null;
    }

    /// <summary>The best common ancestor of two commits, as <c>git diff A...B</c> takes it.</summary>
    /// <returns>Its id; <see langword="null"/> when the commits share no history.</returns>
    public async Task<string?> MergeBaseAsync(string first, string second, CancellationToken cancellationToken)
    {
        var (exitCode, output) = await RunAsync(Root, cancellationToken, "merge-base", first, second).ConfigureAwait(false);
        return exitCode == 0 ? Encoding.UTF8.GetString(output).Trim() : null;
    }

    /// <summary>The unified diff from one commit to another, whatever the user's git configuration says about diffs.</summary>
    public async Task<string> DiffAsync(string from, string to, CancellationToken cancellationToken)
    {
        var (exitCode, output) = await RunAsync(Root, cancellationToken,
            "diff", "--no-color", "--no-ext-diff", "--no-textconv", "--find-renames", "--src-prefix=a/", "--dst-prefix=b/", from, to).ConfigureAwait(false);
        return exitCode == 0 ? Encoding.UTF8.GetString(output) : throw new CommandException($"git diff {Short(from)} {Short(to)} failed");
    }

    /// <summary>Reads a path in a commit.</summary>
    /// <param name="commit">The commit's id.</param>
    /// <param name="path">The path from the repository's top, with forward slashes.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The file's bytes, a folder's names (one per line, folders ending in <c>/</c>), or <see langword="null"/> when the commit has no such path.</returns>
    public async Task<(byte[] Content, bool IsFolder)?> ReadAsync(string commit, string path, CancellationToken cancellationToken)
    {
        var spec = $"{commit}:{path}";
        var (typeExit, type) = await RunAsync(Root, cancellationToken, "cat-file", "-t", spec).ConfigureAwait(false);
        if (typeExit != 0)
        {
            return null;
        }

        switch (Encoding.UTF8.GetString(type).Trim())
        {
            case "blob":
                var (exitCode, content) = await RunAsync(Root, cancellationToken, "cat-file", "blob", spec).ConfigureAwait(false);
                return exitCode == 0 ? (content, false) : null;
            case "tree":
                var (listExit, list) = await RunAsync(Root, cancellationToken, "ls-tree", "--name-only", "-z", spec).ConfigureAwait(false);
                if (listExit != 0)
                {
                    return null;
                }

                var (treesExit, trees) = await RunAsync(Root, cancellationToken, "ls-tree", "--name-only", "-d", "-z", spec).ConfigureAwait(false);
                var folders = treesExit == 0 ? Encoding.UTF8.GetString(trees).Split('\0', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal) : [];
                var names = Encoding.UTF8.GetString(list).Split('\0', StringSplitOptions.RemoveEmptyEntries)
                    .Select(name => folders.Contains(name) ? name + "/" : name);
                return (Encoding.UTF8.GetBytes(string.Join('\n', names)), true);
            default:
                return null;
        }
    }

    /// <summary>A commit id shortened for messages.</summary>
    public static string Short(string commit) => commit.Length == 40 ? commit[..12] : commit;

    private static async Task<(int ExitCode, byte[] Output)> RunAsync(string folder, CancellationToken cancellationToken, params string[] arguments)
    {
        var (exitCode, output, _) = await RunWithErrorAsync(folder, cancellationToken, arguments).ConfigureAwait(false);
        return (exitCode, output);
    }

    private static async Task<(int ExitCode, byte[] Output, string Error)> RunWithErrorAsync(string folder, CancellationToken cancellationToken, params string[] arguments)
    {
        var info = new ProcessStartInfo("git")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };

        // Paths come back as written (no octal quoting), and nothing waits for a pager or a password.
        foreach (var argument in (string[])["-c", "core.quotepath=false", "--no-pager", .. arguments])
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["GIT_TERMINAL_PROMPT"] = "0";
        info.Environment["LC_ALL"] = "C";
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new CommandException("git could not be started");
        }
        catch (Win32Exception)
        {
            throw new CommandException("git is not installed (or not on PATH); mnemo review --diff reads the repository with it");
        }

        using (process)
        {
            process.StandardInput.Close();
            using var output = new MemoryStream();
            var copy = process.StandardOutput.BaseStream.CopyToAsync(output, cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            await copy.ConfigureAwait(false);
            var errorText = await error.ConfigureAwait(false);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return (process.ExitCode, output.ToArray(), errorText);
        }
    }
}
