using System.Text.Json;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Tests.Memory.FileSystem;

/// <summary>Plants every way out of the root and checks that no command reads, writes, lists or reveals anything outside, on each engine.</summary>
public abstract class FileSystemMemoryStoreSafetyTests : IDisposable
{
    private const string Secret = "top secret\n";
    private readonly TempDirectory _temp = new();
    private readonly string _root;
    private readonly string _outside;
    private readonly FileSystemMemoryStore _store;
    private readonly MemoryTool _tool;

    protected FileSystemMemoryStoreSafetyTests(FolderEngine engine)
    {
        _root = _temp.Combine("memories");
        _outside = _temp.Combine("outside");
        Directory.CreateDirectory(Path.Combine(_outside, "sub"));
        File.WriteAllText(Path.Combine(_outside, "secret.txt"), Secret);
        _store = new FileSystemMemoryStore(_root, new FileSystemMemoryStoreOptions { Engine = engine });
        _tool = new MemoryTool(_store);
    }

    protected string Root => _root;

    protected string Outside => _outside;

    protected string TempPath => _temp.Path;

    public void Dispose()
    {
        _store.Dispose();
        _temp.Dispose();
        GC.SuppressFinalize(this);
    }

    protected async Task<MemoryToolResult> Run(object command) =>
        await _tool.ExecuteAsync(JsonSerializer.SerializeToElement(command), TestContext.Current.CancellationToken);

    protected string OutsideSnapshot() => string.Join('\n', Directory
        .EnumerateFileSystemEntries(_outside, "*", SearchOption.AllDirectories)
        .Order(StringComparer.Ordinal)
        .Select(p => p + (File.Exists(p) ? ":" + File.ReadAllText(p) : "/")));

    /// <summary>Every command, aimed at a path; the ones that name two paths aim both ways.</summary>
    protected static IEnumerable<object> EveryCommand(string path) =>
    [
        new { command = "view", path },
        new { command = "create", path, file_text = "planted" },
        new { command = "create", path = path + "/new.txt", file_text = "planted" },
        new { command = "str_replace", path, old_str = "top", new_str = "pwned" },
        new { command = "insert", path, insert_line = 0, insert_text = "pwned" },
        new { command = "delete", path },
        new { command = "rename", old_path = path, new_path = "/memories/moved" },
        new { command = "rename", old_path = "/memories/own.txt", new_path = path + "/own.txt" },
        new { command = "rename", old_path = "/memories/own.txt", new_path = path },
    ];

    private async Task AssertContained(string path)
    {
        File.WriteAllText(Path.Combine(_root, "own.txt"), "mine\n");
        var before = OutsideSnapshot();
        foreach (var command in EveryCommand(path))
        {
            var result = await Run(command);
            result.Content.ShouldNotContain("top secret");
            result.Content.ShouldNotContain(_temp.Path);
            if (result.IsError)
            {
                result.Content.Contains('\n', StringComparison.Ordinal).ShouldBeFalse("an error is one line");
            }

            OutsideSnapshot().ShouldBe(before, JsonSerializer.Serialize(command));
        }
    }

    [Theory]
    [InlineData("/memories/..")]
    [InlineData("/memories/../outside/secret.txt")]
    [InlineData("/memories/a/../../outside/secret.txt")]
    [InlineData("/memories/./../outside")]
    [InlineData("/memories//..//outside/sub")]
    [InlineData("/memories/a/b/../../../outside")]
    public async Task DotDot_InAnyPosition_IsRefusedAsEscape(string path)
    {
        await AssertContained(path);
        (await Run(new { command = "view", path })).ShouldBe(MemoryToolResult.Error($"Path {path} would escape /memories directory"));
    }

    [Theory]
    [InlineData("/memories//etc/passwd", "etc/passwd")]
    [InlineData("/memories/C:\\Windows", "C:\\Windows")]
    [InlineData("/memories/~/x", "~/x")]
    [InlineData("/memories/%2e%2e/x", "%2e%2e/x")]
    public async Task AbsoluteLookingSegments_StayInsideTheRoot(string path, string relative)
    {
        (await Run(new { command = "create", path, file_text = "inside" })).IsError.ShouldBeFalse();
        File.ReadAllText(Path.Combine(_root, relative)).ShouldBe("inside");
        await AssertContained(path);
    }

    [Fact]
    public async Task LinkToOutsideFolder_InTheMiddle_IsRefused()
    {
        Directory.CreateSymbolicLink(Path.Combine(_root, "out"), _outside);
        await AssertContained("/memories/out/secret.txt");
        await AssertContained("/memories/out/sub/new");
        (await Run(new { command = "view", path = "/memories/out/secret.txt" })).Content
            .ShouldBe("Path /memories/out/secret.txt would escape /memories directory");
    }

    [Fact]
    public async Task RelativeLinkClimbingOut_IsRefused()
    {
        Directory.CreateDirectory(Path.Combine(_root, "a"));
        File.CreateSymbolicLink(Path.Combine(_root, "a", "up"), "../../outside/secret.txt");
        await AssertContained("/memories/a/up");
    }

    [Fact]
    public async Task ChainOfLinks_EndingOutside_IsRefused()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "one"), "two");
        File.CreateSymbolicLink(Path.Combine(_root, "two"), Path.Combine(_outside, "sub"));
        await AssertContained("/memories/one");
        await AssertContained("/memories/one/x.txt");
    }

    [Fact]
    public async Task LinkLoop_IsReportedMissing()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "ping"), "pong");
        File.CreateSymbolicLink(Path.Combine(_root, "pong"), "ping");
        await AssertContained("/memories/ping");
        (await Run(new { command = "view", path = "/memories/ping" })).Content
            .ShouldBe("The path /memories/ping does not exist. Please provide a valid path.");
    }

    [Fact]
    public async Task AbsoluteLinkInsideRoot_IsFollowed()
    {
        Directory.CreateDirectory(Path.Combine(_root, "real"));
        File.WriteAllText(Path.Combine(_root, "real", "n.md"), "note\n");
        Directory.CreateSymbolicLink(Path.Combine(_root, "alias"), Path.Combine(_root, "real"));
        (await Run(new { command = "view", path = "/memories/alias/n.md" })).Content
            .ShouldBe("Here's the content of /memories/alias/n.md with line numbers:\n     1\tnote\n     2\t");
        (await Run(new { command = "view", path = "/memories" })).Content.ShouldContain("4K\t/memories/alias/\n5B\t/memories/alias/n.md");
    }

    [Fact]
    public async Task LinkToRoot_CannotDeleteOrRenameTheRoot()
    {
        File.WriteAllText(Path.Combine(_root, "keep.txt"), "k");
        Directory.CreateSymbolicLink(Path.Combine(_root, "self"), ".");
        (await Run(new { command = "delete", path = "/memories/self" })).Content.ShouldBe("Cannot delete the /memories directory itself");
        (await Run(new { command = "rename", old_path = "/memories/self", new_path = "/memories/x" })).Content
            .ShouldBe("Cannot rename the /memories directory itself");
        File.Exists(Path.Combine(_root, "keep.txt")).ShouldBeTrue();
    }

    [Fact]
    public async Task ListingWithLinksOut_ShowsNothingOutside()
    {
        Directory.CreateSymbolicLink(Path.Combine(_root, "out"), _outside);
        File.CreateSymbolicLink(Path.Combine(_root, "leak.txt"), Path.Combine(_outside, "secret.txt"));
        File.WriteAllText(Path.Combine(_root, "mine.txt"), "m");
        (await Run(new { command = "view", path = "/memories" })).Content.ShouldBe(
            "Here're the files and directories up to 2 levels deep in /memories, excluding hidden items:\n4K\t/memories\n1B\t/memories/mine.txt");
    }

    [Fact]
    public async Task DeleteFolderHoldingLinkOut_RemovesTheLinkNotTheTarget()
    {
        Directory.CreateDirectory(Path.Combine(_root, "d"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "d", "out"), _outside);
        (await Run(new { command = "delete", path = "/memories/d" })).Content.ShouldBe("Successfully deleted /memories/d");
        Directory.Exists(Path.Combine(_root, "d")).ShouldBeFalse();
        File.ReadAllText(Path.Combine(_outside, "secret.txt")).ShouldBe(Secret);
    }

    [Theory]
    [InlineData("/memories/a\0b")]
    [InlineData("/memories/a\nb")]
    [InlineData("/memories/tab\there")]
    [InlineData("/memories/\u007f")]
    [InlineData("/memories/\u0085next")]
    public async Task ControlCharacters_AreRefusedInOneLine(string path)
    {
        foreach (var command in EveryCommand(path))
        {
            var result = await Run(command);
            result.IsError.ShouldBeTrue();
            result.Content.ShouldContain("contains a control character");
            result.Content.ShouldNotContain("\n");
            result.Content.ShouldNotContain("\0");
        }

        MemoryEntries(_root).ShouldBeEmpty();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task InvalidUtf16_InACommand_IsRefused(int which)
    {
        // Built here: xunit would turn an unpaired surrogate in InlineData into U+FFFD.
        var path = "/memories/" + which switch { 0 => "\uD800", 1 => "x\uDC00y", _ => "\uDE00\uD83D" };
        var result = await _tool.ExecuteAsync(new CreateMemoryCommand(path, "x"), TestContext.Current.CancellationToken);
        result.IsError.ShouldBeTrue();
        result.Content.ShouldContain("is not valid Unicode");
        MemoryEntries(_root).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("path")]
    [InlineData("file_text")]
    [InlineData("command")]
    public async Task InvalidUtf16_EscapedInJson_IsRefusedInOneLine(string parameter)
    {
        var json = """{"command":"create","path":"/memories/a","file_text":"x"}""".Replace(
            parameter == "command" ? "\"create\"" : parameter == "path" ? "/memories/a" : "\"x\"",
            parameter == "command" ? "\"\\ud800\"" : parameter == "path" ? "/memories/\\ud800" : "\"\\udc00\"",
            StringComparison.Ordinal);
        var result = await _tool.ExecuteAsync(json, TestContext.Current.CancellationToken);
        result.IsError.ShouldBeTrue();
        result.Content.ShouldContain($"Invalid parameter `{parameter}`");
        result.Content.ShouldContain("unpaired surrogate");
        MemoryEntries(_root).ShouldBeEmpty();
    }

    [Fact]
    public async Task LongNamesAndPaths_AreRefusedPastTheLimits()
    {
        var longest = new string('n', 255);
        (await Run(new { command = "create", path = "/memories/" + longest, file_text = "ok" })).IsError.ShouldBeFalse();

        var tooLongName = "/memories/" + new string('n', 256);
        var nameResult = await Run(new { command = "create", path = tooLongName, file_text = "x" });
        nameResult.IsError.ShouldBeTrue();
        nameResult.Content.ShouldContain("is too long");
        nameResult.Content.Length.ShouldBeLessThan(400);

        var deep = "/memories" + string.Concat(Enumerable.Repeat("/" + new string('d', 200), 30));
        foreach (var command in EveryCommand(deep))
        {
            var result = await Run(command);
            result.IsError.ShouldBeTrue();
            result.Content.ShouldContain("is too long");
        }

        var multibyte = "/memories/" + new string('é', 128); // 256 bytes of UTF-8 in 128 characters
        (await Run(new { command = "create", path = multibyte, file_text = "x" })).Content.ShouldContain("is too long");
        MemoryEntries(_root).Count().ShouldBe(1);
    }

    /// <summary>The root's entries less the store's own <c>.mnemo</c> folder, which is not memory.</summary>
    private static IEnumerable<string> MemoryEntries(string root) =>
        Directory.EnumerateFileSystemEntries(root).Where(path => Path.GetFileName(path) != FileSystemMemoryStore.MetaDirectoryName);
}

/// <summary>The Linux engine, with the race only it closes: a link swapped in between a check and a use.</summary>
public sealed class LinuxEngineSafetyTests() : FileSystemMemoryStoreSafetyTests(FolderEngine.Linux)
{
    private const uint RenameExchange = 2;

    /// <summary>A thread swaps a folder for a link out of the root while commands run through it: nothing may leak or land outside.</summary>
    [Fact]
    public async Task LinkPlantedBetweenCheckAndUse_NeverLeaksOrWritesOutside()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = Path.Combine(Root, "d");
        var link = Path.Combine(Root, ".link");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "secret.txt"), "inside\n");
        Directory.CreateSymbolicLink(link, Outside);
        var before = OutsideSnapshot();

        using var stop = new CancellationTokenSource();
        var swaps = 0;
        var swapper = Task.Run(() =>
        {
            // Swap d (a real folder) and .link (a link to the outside folder) in one atomic step, again and again.
            while (!stop.IsCancellationRequested)
            {
                LinuxInterop.RenameAt2(FolderCodes.AtFdCwd, folder, FolderCodes.AtFdCwd, link, RenameExchange).ShouldBe(0);
                Interlocked.Increment(ref swaps);
            }
        }, ct);

        // At least 3,000 rounds, and on until the swaps have met both sides, however the scheduler shares the cores.
        var (leaks, refused, served) = (new List<string>(), 0, 0);
        var started = TimeProvider.System.GetTimestamp();
        for (var i = 0; i < 3000 || ((Volatile.Read(ref swaps) <= 100 || refused == 0 || served == 0) && TimeProvider.System.GetElapsedTime(started) < Eventually.Limit); i++)
        {
            foreach (var command in EveryCommand("/memories/d/secret.txt").Append(new { command = "view", path = "/memories/d" }))
            {
                var result = await Run(command);
                if (result.Content.Contains("top secret", StringComparison.Ordinal))
                {
                    leaks.Add(result.Content);
                }

                refused += result.Content.EndsWith("would escape /memories directory", StringComparison.Ordinal) ? 1 : 0;
                served += result.IsError ? 0 : 1;
            }
        }

        await stop.CancelAsync();
        await swapper;
        swaps.ShouldBeGreaterThan(100);
        refused.ShouldBeGreaterThan(0, "some commands met the link");
        served.ShouldBeGreaterThan(0, "some commands met the real folder");
        leaks.ShouldBeEmpty();
        OutsideSnapshot().ShouldBe(before);
    }
}

/// <summary>The portable engine, forced on Linux: every planted way out but the check-then-use race, which it narrows but
/// cannot close (docs/memory-tool.md).</summary>
public sealed class PortableEngineSafetyTests() : FileSystemMemoryStoreSafetyTests(FolderEngine.Portable);
