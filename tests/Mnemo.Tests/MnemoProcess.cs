using System.Diagnostics;

namespace Mnemo.Tests;

/// <summary>Starts the real <c>mnemo</c> command as a child process; a test project that uses it references src/Mnemo.Cli so it is built.</summary>
public static class MnemoProcess
{
    private static readonly Lazy<string> RepositoryRoot = new(() =>
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Mnemo.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new DirectoryNotFoundException("Mnemo.slnx not found above the test binaries.");
    });

    private static readonly Lazy<string> CliPath = new(() =>
    {
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(RepositoryRoot.Value, "src", "Mnemo.Cli", "bin", configuration, "net10.0", "Mnemo.Cli.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build src/Mnemo.Cli first.", path);
    });

    /// <summary>Gets the built <c>mnemo</c> assembly, for a test that starts it its own way (an MCP client's stdio transport).</summary>
    public static string CliAssembly => CliPath.Value;

    /// <summary>A path inside the repository, from its root.</summary>
    public static string InRepository(params string[] parts) => Path.Combine([RepositoryRoot.Value, .. parts]);

    /// <summary>Runs mnemo to the end; returns its exit code, standard output and standard error.</summary>
    public static Task<(int ExitCode, string Output, string Error)> RunAsync(CancellationToken cancellationToken, params string[] arguments) =>
        RunAsync(null, null, cancellationToken, arguments);

    /// <summary>Runs mnemo to the end in a folder, with environment variables set; returns its exit code, standard output and standard error.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(
        IReadOnlyDictionary<string, string>? environment, string? workingDirectory, CancellationToken cancellationToken, params string[] arguments)
    {
        using var process = Start(environment, workingDirectory, arguments);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await output, await error);
    }

    public static Process Start(params string[] arguments) => Start(null, null, arguments);

    /// <summary>
    /// Starts mnemo. The Anthropic variables of the test's own environment are not passed on, so a run is offline unless
    /// <paramref name="environment"/> sets them.
    /// </summary>
    public static Process Start(IReadOnlyDictionary<string, string>? environment, string? workingDirectory, params string[] arguments) =>
        StartAssembly(CliPath.Value, environment, workingDirectory, arguments);

    /// <summary>Runs one of the C# samples (<c>samples/dotnet/NAME</c>, built with the solution) to the end, with the
    /// environment given and no Anthropic variable of the test's own.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunSampleAsync(
        string sample, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken, params string[] arguments)
    {
        using var process = StartSample(sample, environment, arguments);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>Starts one of the C# samples (<c>samples/dotnet/NAME</c>, built with the solution), with the environment
    /// given and no Anthropic variable of the test's own; for a sample that runs until it is stopped.</summary>
    public static Process StartSample(string sample, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(RepositoryRoot.Value, "samples", "dotnet", sample, "bin", configuration, "net10.0", sample + ".dll");
        return File.Exists(path) ? StartAssembly(path, environment, null, arguments) : throw new FileNotFoundException($"Build samples/dotnet/{sample} first.", path);
    }

    private static Process StartAssembly(string assembly, IReadOnlyDictionary<string, string>? environment, string? workingDirectory, string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory ?? string.Empty,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(assembly);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var name in new[] { "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "ANTHROPIC_MODEL", "MNEMO_KEY" })
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return Process.Start(info)!;
    }
}
