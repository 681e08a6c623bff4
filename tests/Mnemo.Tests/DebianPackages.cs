using System.Diagnostics;

namespace Mnemo.Tests;

/// <summary>Installs Debian packages a test needs (PostgreSQL, Chromium), one installer at a time across the test
/// projects that run side by side: apt and dpkg take locks of their own and fail rather than wait for each other.</summary>
public static class DebianPackages
{
    private static readonly string LockPath = Path.Combine(Path.GetTempPath(), "mnemo-tests-apt.lock");

    /// <summary>Runs <c>apt-get update</c> and <c>apt-get install</c> of the packages, as root.</summary>
    /// <param name="why">What the packages are for, for the message when the tests are not root.</param>
    /// <param name="packages">The packages.</param>
    /// <returns>A task that completes when they are installed.</returns>
    /// <exception cref="InvalidOperationException">The tests are not root, or apt failed; the message says what to run.</exception>
    public static async Task InstallAsync(string why, params string[] packages)
    {
        if (Environment.UserName != "root")
        {
            throw new InvalidOperationException($"{why} is not installed and the tests do not run as root to install it: apt-get install {string.Join(' ', packages)}.");
        }

        using var held = await LockAsync();
        await RunAsync("apt-get", ["-o", "DPkg::Lock::Timeout=600", "update"]);
        await RunAsync("apt-get", ["-o", "DPkg::Lock::Timeout=600", "install", "-y", "--no-install-recommends", .. packages]);
    }

    private static async Task<FileStream> LockAsync()
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 1200)
            {
                await Task.Delay(500);
            }
        }
    }

    private static async Task RunAsync(string program, string[] arguments)
    {
        var info = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await output}{await error}");
        }
    }
}
