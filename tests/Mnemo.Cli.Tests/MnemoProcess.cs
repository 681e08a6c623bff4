using System.Diagnostics;

namespace Mnemo.Cli.Tests;

/// <summary>Starts the real <c>mnemo</c> command, built beside these tests, as a child process.</summary>
internal static class MnemoProcess
{
    private static readonly Lazy<string> CliPath = new(() =>
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Mnemo.slnx")))
        {
            directory = directory.Parent;
        }

        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(directory!.FullName, "src", "Mnemo.Cli", "bin", configuration, "net10.0", "Mnemo.Cli.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build src/Mnemo.Cli first.", path);
    });

    public static Process Start(params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(CliPath.Value);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return Process.Start(info)!;
    }
}
