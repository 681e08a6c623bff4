using System.Diagnostics;

namespace Mnemo.Tests;

/// <summary>Runs a program other than mnemo (git, bash, a script) to the end, as a test's real process.</summary>
public static class ChildProcess
{
    /// <summary>The variables a child never inherits from the test's own environment: keys and places a test sets itself.</summary>
    private static readonly string[] NotInherited =
        ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "ANTHROPIC_MODEL", "MNEMO_KEY", "MNEMO_SERVER", "MNEMO_POSTGRES", "MNEMO_STORE", "MNEMO_MEMORY_DIR",
         "GITHUB_TOKEN", "GITHUB_REPOSITORY", "PR_NUMBER"];

    /// <summary>Runs a program in a folder with the environment given; returns its exit code, standard output and standard error.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(
        string program, string? folder, IReadOnlyDictionary<string, string>? environment, CancellationToken cancellationToken, params string[] arguments)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = folder ?? string.Empty,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var name in NotInherited)
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await output, await error);
    }
}
