using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Mnemo.Tests;

[assembly: AssemblyFixture(typeof(Mnemo.PostgreSql.Tests.PostgresServer))]

namespace Mnemo.PostgreSql.Tests;

/// <summary>A throwaway PostgreSQL server for the test run: made from the installed binaries on a free port, removed after.</summary>
/// <remarks>
/// The binaries come from the machine (Debian's <c>postgresql</c> package); if they are missing and the tests run as root,
/// the package is installed first. As root the server runs as the <c>postgres</c> user, since PostgreSQL refuses root.
/// </remarks>
public sealed class PostgresServer : IAsyncLifetime
{
    private string _bin = null!;
    private string _folder = null!;
    private bool _asRoot;
    private string _startOptions = null!;

    /// <summary>Gets a connection string for the server's superuser.</summary>
    public string ConnectionString { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        _bin = FindBinaries() ?? await InstallAsync();
        _asRoot = Environment.UserName == "root";
        _folder = Directory.CreateTempSubdirectory("mnemo-pg-").FullName;
        if (_asRoot)
        {
            await RunAsync("chown", ["postgres:postgres", _folder], asPostgres: false);
        }

        var data = Path.Combine(_folder, "data");
        await RunAsync(Path.Combine(_bin, "initdb"), ["-D", data, "-U", "mnemo", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"]);
        var port = FreePort();
        _startOptions = $"-p {port} -k {_folder} -c listen_addresses=127.0.0.1 -c max_connections=300";
        await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", data, "-l", Path.Combine(_folder, "server.log"), "-w", "-t", "60", "-o", _startOptions, "start"]);
        ConnectionString = $"Host=127.0.0.1;Port={port};Username=mnemo;Database=postgres";
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(_folder, "data"), "-m", "immediate", "-w", "stop"]);
        }
        finally
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    /// <summary>Stops the server the way a crash or a power cut would (no checkpoint), then starts it again on the same port.</summary>
    /// <param name="downtime">How long it stays down.</param>
    public async Task CrashAndRestartAsync(TimeSpan downtime)
    {
        var data = Path.Combine(_folder, "data");
        await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
        await Task.Delay(downtime);
        await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", data, "-l", Path.Combine(_folder, "server.log"), "-w", "-t", "60", "-o", _startOptions, "start"]);
    }

    private static string? FindBinaries()
    {
        var versions = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Where(d => File.Exists(Path.Combine(d, "bin", "initdb"))).ToList()
            : [];
        return versions.OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0).Select(d => Path.Combine(d, "bin")).FirstOrDefault();
    }

    private static async Task<string> InstallAsync()
    {
        await DebianPackages.InstallAsync("PostgreSQL", "postgresql");
        return FindBinaries() ?? throw new InvalidOperationException("PostgreSQL was installed but its binaries were not found under /usr/lib/postgresql.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task RunAsync(string program, string[] arguments, bool asPostgres = true)
    {
        var info = asPostgres && _asRoot
            ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", program, .. arguments])
            : new ProcessStartInfo(program, arguments);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
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
