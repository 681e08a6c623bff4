using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using Mnemo.Tests;

namespace Mnemo.Cli.Tests;

/// <summary><c>dotnet pack</c> of the solution, as a release would run it: no warning, and every library package with
/// its README, description, XML docs and symbols; the command as a .NET tool.</summary>
public sealed class PackagesTests : IDisposable
{
    private static readonly string[] Libraries =
        ["Mnemo", "Mnemo.Anthropic", "Mnemo.PostgreSql", "Mnemo.Server", "Mnemo.Mcp", "Mnemo.AgentFramework", "Mnemo.OpenTelemetry", "Mnemo.Emulator"];

    private readonly TempDirectory _temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task PackingTheSolution_WarnsAboutNothing_AndEachLibraryHasItsReadmeDocsAndSymbols()
    {
        // The solution is built already (the test run built it): pack what was built, as CI would after its build.
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var start = new ProcessStartInfo("dotnet", ["pack", MnemoProcess.InRepository("Mnemo.slnx"), "--no-build", "-c", configuration, "-o", _temp.Path, "-nologo"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var pack = Process.Start(start)!;
        var output = pack.StandardOutput.ReadToEndAsync(Ct);
        var error = pack.StandardError.ReadToEndAsync(Ct);
        await pack.WaitForExitAsync(Ct);
        var said = await output + await error;

        pack.ExitCode.ShouldBe(0, said);
        said.ShouldNotContain("warning", Case.Insensitive, said);

        foreach (var library in Libraries)
        {
            using var package = ZipFile.OpenRead(Path.Combine(_temp.Path, $"{library}.1.0.0.nupkg"));
            var entries = package.Entries.Select(entry => entry.FullName).ToList();
            entries.ShouldContain("README.md", library);
            entries.ShouldContain($"lib/net10.0/{library}.dll", library);
            entries.ShouldContain($"lib/net10.0/{library}.xml", library);
            using (var readme = new StreamReader(package.GetEntry("README.md")!.Open()))
            {
                (await readme.ReadLineAsync(Ct)).ShouldBe($"# {library}", "each package's own README, not the repository's");
            }

            XDocument nuspec;
            using (var stream = package.GetEntry($"{library}.nuspec")!.Open())
            {
                nuspec = XDocument.Load(stream);
            }

            var metadata = nuspec.Root!.Elements().Single(element => element.Name.LocalName == "metadata");
            string? Field(string name) => metadata.Elements().SingleOrDefault(element => element.Name.LocalName == name)?.Value;
            Field("readme").ShouldBe("README.md", library);
            Field("description").ShouldNotBeNullOrWhiteSpace(library);
            (Field("tags") ?? string.Empty).ShouldContain("claude", Case.Sensitive, library);
            File.Exists(Path.Combine(_temp.Path, $"{library}.1.0.0.snupkg")).ShouldBeTrue($"{library} has a symbols package");
        }

        using var tool = ZipFile.OpenRead(Path.Combine(_temp.Path, "Mnemo.Cli.1.0.0.nupkg"));
        tool.Entries.ShouldContain(entry => entry.FullName.EndsWith("DotnetToolSettings.xml", StringComparison.Ordinal), "the command installs as a .NET tool");
    }
}
