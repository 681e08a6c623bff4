using Mnemo.Tests;

namespace Mnemo.Cli.Tests;

/// <summary>What a person reads when a command line is wrong or a command cannot do its job: one line, in words, never
/// a .NET type, a parser's internals or a stack trace; exit code 2 for bad usage, 1 for a command that could not run.</summary>
public sealed class MessagesTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _temp.Dispose();

    private string Folder => _temp.Combine("memories");

    private static void ShouldBeOneLineInWords(string error)
    {
        error.TrimEnd('\n').ShouldNotContain('\n');
        error.ShouldNotContain("System.");
        error.ShouldNotContain("   at ");
        error.ShouldNotContain("LineNumber");
        error.ShouldStartWith("mnemo: ");
    }

    public static TheoryData<string[], int, string> Lines() => new()
    {
        { ["frobnicate"], 2, "mnemo: frobnicate is not a command of mnemo; `mnemo --help` shows the usage." },
        { ["memory", "frob"], 2, "mnemo: frob is not a command of mnemo memory; `mnemo memory --help` shows the usage." },
        { ["memory"], 2, "mnemo: mnemo memory needs a command; `mnemo memory --help` shows the usage." },
        { ["memory", "restore", "--dir", "DIR", "/memories/a.md", "--version", "abc"], 2,
            "mnemo: --version takes a whole number, not abc; `mnemo memory restore --help` shows the usage." },
        { ["emulate", "--port", "99999"], 2, "mnemo: --port must be a port from 0 to 65535, not 99999; `mnemo emulate --help` shows the usage." },
        { ["emulate", "--port", "abc"], 2, "mnemo: --port takes a whole number, not abc; `mnemo emulate --help` shows the usage." },
        { ["serve", "--dir", "DIR", "--port", "1.5"], 2, "mnemo: --port takes a whole number, not 1.5; `mnemo serve --help` shows the usage." },
        { ["mcp", "--dir", "DIR", "--poll"], 2, "mnemo: --poll needs a value; `mnemo mcp --help` shows the usage." },
        { ["memory", "restore", "--dir", "DIR"], 2, "mnemo: mnemo memory restore needs PATH; `mnemo memory restore --help` shows the usage." },
        { ["serve", "--dir", "DIR", "--port", "-1"], 2, "mnemo: --port must be a port from 0 to 65535, not -1; `mnemo serve --help` shows the usage." },
        { ["mcp", "--dir", "DIR", "--poll", "x"], 2, "mnemo: --poll takes a number, not x; `mnemo mcp --help` shows the usage." },
        { ["memory", "exec"], 2, "mnemo: give the memory's place: --dir FOLDER, --postgres CONNECTION [--store NAME], --server URL --store NAME, or --anthropic-store memstore_…." },
        { ["memory", "exec", "--anthropic-store", "mem_01x"], 2, "mnemo: --anthropic-store takes a managed memory store's id, memstore_…, not mem_01x." },
        { ["memory", "exec", "--anthropic-store", "memstore_01abc"], 2, "mnemo: --anthropic-store needs the API key in ANTHROPIC_API_KEY." },
        { ["memory", "exec", "--anthropic-store", "memstore_01abc", "--dir", "DIR"], 2, "mnemo: give one place for the memory: --anthropic-store, --server, --dir or --postgres." },
        { ["memory", "copy", "memstore_01abc", "DIR"], 2, "mnemo: memstore_01abc is a managed memory store: give the API key in ANTHROPIC_API_KEY." },
        { ["memory", "copy", "DIR", "postgres:team"], 2, "mnemo: postgres:team needs the database: --postgres CONNECTION." },
        { ["memory", "copy", "http://127.0.0.1:1/", "DIR"], 2,
            "mnemo: http://127.0.0.1:1/: a memory server's store is its address and the store's name, such as http://127.0.0.1:8420/team." },
        { ["memory", "copy", "DIR", "http://127.0.0.1:1/team"], 2, "mnemo: http://127.0.0.1:1/team is a memory server's store: give the API key in MNEMO_KEY." },
        { ["memory", "dream"], 2, "mnemo: give the memory to dream on: --anthropic-store memstore_…, or --from FOLDER." },
        { ["memory", "dream", "--anthropic-store", "store1"], 2, "mnemo: --anthropic-store takes a managed memory store's id, memstore_…, not store1." },
        { ["memory", "dream", "--anthropic-store", "memstore_01abc"], 2, "mnemo: a dream runs on Anthropic's API: give the key in ANTHROPIC_API_KEY." },
        { ["memory", "ls", "--postgres", "foo==bar;;"], 2,
            "mnemo: --postgres is not a connection string PostgreSQL understands: use key=value pairs, such as Host=localhost;Username=mnemo;Database=mnemo." },
        { ["memory", "ls", "--postgres", "Host=127.0.0.1", "--store", ""], 2, "mnemo: --store needs the store's name, such as --store default." },
        { ["memory", "exec", "--server", "http://127.0.0.1:1", "--key", "k", "--store", " "], 2, "mnemo: --store needs the store's name, such as --store default." },
        { ["memory", "sweep", "--dir", "DIR", "--older-than", "soon"], 2,
            "mnemo: --older-than soon is not a duration; use 30d, 12h, 90m, 45s, 0s or a time span like 7.00:00:00." },
    };

    [Theory]
    [MemberData(nameof(Lines))]
    public async Task BadUsage_IsOneLineInWords(string[] arguments, int exitCode, string message)
    {
        Directory.CreateDirectory(Folder);
        var (code, output, error) = await MnemoProcess.RunAsync(Ct, [.. arguments.Select(a => a == "DIR" ? Folder : a)]);
        ShouldBeOneLineInWords(error);
        (code, error.TrimEnd('\n'), output).ShouldBe((exitCode, message, string.Empty));
    }

    [Fact]
    public async Task ImportOfAFileThatIsNoArchive_AndExportToAMissingFolder_SayWhyInWords()
    {
        var bad = _temp.Combine("bad.json");
        await File.WriteAllTextAsync(bad, "not json at all\n", Ct);
        var import = await MnemoProcess.RunAsync(Ct, "memory", "import", "--dir", Folder, bad);
        ShouldBeOneLineInWords(import.Error);
        (import.ExitCode, import.Error.TrimEnd('\n')).ShouldBe((1, "mnemo: This is not a Mnemo memory archive: its first line is not JSON with the archive's header."));

        var torn = _temp.Combine("torn.json");
        await MnemoProcess.RunAsync(Ct, "memory", "init", "--dir", Folder);
        await MnemoProcess.RunAsync(Ct, "memory", "export", "--dir", Folder, torn);
        await File.AppendAllTextAsync(torn, "{\"file\": {\"path\": 7\n", Ct);
        var again = await MnemoProcess.RunAsync(Ct, "memory", "import", "--dir", _temp.Combine("other"), torn);
        ShouldBeOneLineInWords(again.Error);
        again.Error.ShouldMatch(@"^mnemo: The archive is damaged at line \d+: it is not JSON \(at character \d+\)\.\n$");

        var missing = _temp.Combine("no", "such", "folder", "x.jsonl");
        var export = await MnemoProcess.RunAsync(Ct, "memory", "export", "--dir", Folder, missing);
        ShouldBeOneLineInWords(export.Error);
        (export.ExitCode, export.Error.TrimEnd('\n')).ShouldBe((1, $"mnemo: cannot write {missing}: the folder {Path.GetDirectoryName(missing)} does not exist."));
        var twice = await MnemoProcess.RunAsync(Ct, "memory", "export", "--dir", Folder, torn);
        (twice.ExitCode, twice.Error.TrimEnd('\n')).ShouldBe((1, $"mnemo: {torn} already exists; export never overwrites a file, so give a new name."));
    }

    [Fact]
    public async Task SweepOlderThan0s_SweepsEveryFile()
    {
        await MnemoProcess.RunAsync(Ct, "memory", "init", "--dir", Folder);
        var (code, output, error) = await MnemoProcess.RunAsync(Ct, "memory", "sweep", "--dir", Folder, "--older-than", "0s");
        (code, error).ShouldBe((0, string.Empty));
        output.ShouldContain($"{Mnemo.Memory.MemoryTemplate.Development.Files.Count} files expired");
        Directory.EnumerateFiles(Folder, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/.mnemo/", StringComparison.Ordinal)).ShouldBeEmpty();
    }

    [Fact]
    public async Task ServeOfAFolderThatDoesNotExist_SaysItWasCreated_AndThatWithoutKeysEveryRequestGets401()
    {
        var root = _temp.Combine("new-stores");
        using var server = MnemoProcess.Start("serve", "--dir", root, "--port", "0");
        try
        {
            var lines = new List<string>();
            while (lines.Count < 3 && await server.StandardError.ReadLineAsync(Ct) is { } line)
            {
                lines.Add(line);
            }

            lines[0].ShouldBe($"mnemo: {root} did not exist; it was created, with no stores yet.");
            lines[1].ShouldStartWith("mnemo: serving memory at http://127.0.0.1:");
            lines[1].ShouldContain("(0 keys in ");
            lines[2].ShouldBe($"mnemo: there are no API keys yet, so every request gets 401; add one (the running server picks it up) with `mnemo serve keys add --dir {root} --store NAME`.");
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync(Ct);
        }
    }

    [Fact]
    public async Task ExecOnAServerWhoseKeyIsNotScopedToTheStore_SaysSoInOneLine()
    {
        var root = _temp.Combine("stores");
        var key = (await MnemoProcess.RunAsync(Ct, "serve", "keys", "add", "--dir", root, "--store", "alpha")).Output.Trim();
        using var server = MnemoProcess.Start("serve", "--dir", root, "--port", "0");
        try
        {
            var banner = (await server.StandardError.ReadLineAsync(Ct))!;
            var address = ServeCommandTests.AddressIn(banner);
            using var exec = MnemoProcess.Start(new Dictionary<string, string> { ["MNEMO_KEY"] = key }, null, "memory", "exec", "--server", address, "--store", "beta");
            await exec.StandardInput.WriteAsync("{\"command\":\"view\",\"path\":\"/memories\"}\n");
            exec.StandardInput.Close();
            var output = await exec.StandardOutput.ReadToEndAsync(Ct);
            var error = await exec.StandardError.ReadToEndAsync(Ct);
            await exec.WaitForExitAsync(Ct);

            output.ShouldContain("the memory server has no such store for this API key");
            ShouldBeOneLineInWords(error);
            error.TrimEnd('\n').ShouldBe("mnemo: view failed: the memory server has no such store for this API key, so could not read a file");
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync(Ct);
        }
    }
}
