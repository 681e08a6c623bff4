using Mnemo.Memory;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Tests.Memory.FileSystem;

/// <summary>Windows' and macOS's rules for names, kept by the portable engine on Linux as it keeps them on those systems:
/// what the tool answers for each name those systems cannot hold, and for names that differ only in case.</summary>
public sealed class FolderNameRulesTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly List<FileSystemMemoryStore> _stores = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Root => _temp.Combine("memories");

    public void Dispose()
    {
        _stores.ForEach(store => store.Dispose());
        _temp.Dispose();
    }

    private MemoryTool Tool(FolderNameRules rules)
    {
        var store = new FileSystemMemoryStore(Root, new FileSystemMemoryStoreOptions { Engine = FolderEngine.Portable, NameRules = rules });
        _stores.Add(store);
        return new MemoryTool(store);
    }

    private IEnumerable<string> OnDisk() => Directory.EnumerateFileSystemEntries(Root, "*", SearchOption.AllDirectories)
        .Select(path => Path.GetRelativePath(Root, path))
        .Where(path => !path.StartsWith(FileSystemMemoryStore.MetaDirectoryName, StringComparison.Ordinal))
        .Order(StringComparer.Ordinal);

    [Theory]
    [InlineData("CON", "Windows reserves the name CON for a device")]
    [InlineData("con.txt", "Windows reserves the name con.txt for a device")]
    [InlineData("NUL", "Windows reserves the name NUL for a device")]
    [InlineData("com1.md", "Windows reserves the name com1.md for a device")]
    [InlineData("LPT9", "Windows reserves the name LPT9 for a device")]
    [InlineData("COM\u00B9", "Windows reserves the name COM\u00B9 for a device")]
    [InlineData("notes.", "Windows does not allow a name that ends in a dot or a space: \"notes.\"")]
    [InlineData("notes ", "Windows does not allow a name that ends in a dot or a space: \"notes \"")]
    [InlineData("a.txt:secret", "Windows does not allow ':' in a name (it would name an alternate data stream): a.txt:secret")]
    [InlineData("a<b.md", "Windows does not allow < > \" | ? * \\ or control characters in a name: a<b.md")]
    [InlineData("what?.md", "Windows does not allow < > \" | ? * \\ or control characters in a name: what?.md")]
    [InlineData("star*.md", "Windows does not allow < > \" | ? * \\ or control characters in a name: star*.md")]
    public async Task WindowsRules_NameWindowsCannotHold_IsRefusedInOneLine_AndNothingIsWritten(string name, string why)
    {
        var tool = Tool(FolderNameRules.Windows);
        (await tool.ExecuteAsync(new CreateMemoryCommand("/memories/a.txt", "kept\n"), Ct)).IsError.ShouldBeFalse();
        foreach (var path in new[] { $"/memories/{name}", $"/memories/{name}/inner.md" })
        {
            var created = await tool.ExecuteAsync(new CreateMemoryCommand(path, "planted\n"), Ct);
            created.IsError.ShouldBeTrue();
            created.Content.ShouldBe($"The memory store could not complete the create command: {why}");
            (await tool.ExecuteAsync(new ViewMemoryCommand(path), Ct)).Content.ShouldBe($"The memory store could not complete the view command: {why}");
            (await tool.ExecuteAsync(new RenameMemoryCommand("/memories/a.txt", path), Ct)).Content.ShouldBe($"The memory store could not complete the rename command: {why}");
        }

        OnDisk().ShouldBe(["a.txt"]);
        File.ReadAllText(Path.Combine(Root, "a.txt")).ShouldBe("kept\n");
    }

    [Fact]
    public async Task WindowsRules_NamesThatDifferOnlyInCase_AreOneFile()
    {
        var tool = Tool(FolderNameRules.Windows);
        (await tool.ExecuteAsync(new CreateMemoryCommand("/memories/Notes/Plan.md", "one"), Ct)).Content.ShouldBe("File created successfully at: /memories/Notes/Plan.md");

        // Read and edited through any case; a create in another case is the file that exists; a rename that changes only case meets it.
        (await tool.ExecuteAsync(new ViewMemoryCommand("/memories/notes/PLAN.md"), Ct)).Content.ShouldBe("Here's the content of /memories/notes/PLAN.md with line numbers:\n     1\tone");
        (await tool.ExecuteAsync(new StrReplaceMemoryCommand("/memories/NOTES/plan.MD", "one", "two"), Ct)).IsError.ShouldBeFalse();
        (await tool.ExecuteAsync(new CreateMemoryCommand("/memories/notes/plan.md", "lost\n"), Ct)).Content.ShouldBe("File /memories/notes/plan.md already exists");
        (await tool.ExecuteAsync(new RenameMemoryCommand("/memories/Notes/Plan.md", "/memories/Notes/plan.md"), Ct)).Content
            .ShouldBe("The destination /memories/Notes/plan.md already exists");

        // Listed as the folder holds it.
        (await tool.ExecuteAsync(new ViewMemoryCommand("/memories"), Ct)).Content.ShouldContain("/memories/Notes/Plan.md");
        OnDisk().ShouldBe(["Notes", $"Notes{Path.DirectorySeparatorChar}Plan.md"]);
        File.ReadAllText(Path.Combine(Root, "Notes", "Plan.md")).ShouldBe("two");

        (await tool.ExecuteAsync(new DeleteMemoryCommand("/memories/NOTES/PLAN.MD"), Ct)).IsError.ShouldBeFalse();
        OnDisk().ShouldBe(["Notes"]);
    }

    [Fact]
    public async Task WindowsRules_LongPaths_AreCreatedReadAndListed()
    {
        var tool = Tool(FolderNameRules.Windows);
        var folders = string.Join('/', Enumerable.Range(0, 5).Select(i => $"folder-{i}-" + new string('x', 50)));
        var path = $"/memories/{folders}/notes.md";
        path.Length.ShouldBeGreaterThan(260, "past Windows' old MAX_PATH");
        (await tool.ExecuteAsync(new CreateMemoryCommand(path, "deep"), Ct)).IsError.ShouldBeFalse();
        (await tool.ExecuteAsync(new ViewMemoryCommand(path), Ct)).Content.ShouldEndWith("     1\tdeep");
    }

    [Fact]
    public async Task MacOSRules_NamesMustBeNfc_AndCaseIsFolded()
    {
        var tool = Tool(FolderNameRules.MacOS);
        var decomposed = "/memories/cafe\u0301.md";
        (await tool.ExecuteAsync(new CreateMemoryCommand(decomposed, "x\n"), Ct)).Content.ShouldBe(
            "The memory store could not complete the create command: macOS takes a name and its other Unicode spellings as one file, so names must be in Unicode NFC: cafe\u0301.md");
        (await tool.ExecuteAsync(new CreateMemoryCommand("/memories/caf\u00E9.md", "x"), Ct)).IsError.ShouldBeFalse();
        (await tool.ExecuteAsync(new CreateMemoryCommand("/memories/CAF\u00C9.md", "y\n"), Ct)).Content.ShouldBe("File /memories/CAF\u00C9.md already exists");
        (await tool.ExecuteAsync(new ViewMemoryCommand("/memories/Caf\u00E9.MD"), Ct)).Content.ShouldEndWith("     1\tx");
        OnDisk().ShouldBe(["caf\u00E9.md"]);
    }

    [Fact]
    public async Task MacOSRules_DotNamesSuchAsDsStore_AreHiddenLikeEveryDotName()
    {
        var tool = Tool(FolderNameRules.MacOS);
        (await tool.ExecuteAsync(new CreateMemoryCommand("/memories/project/notes.md", "x\n"), Ct)).IsError.ShouldBeFalse();
        File.WriteAllText(Path.Combine(Root, ".DS_Store"), "Finder's own");
        File.WriteAllText(Path.Combine(Root, "project", ".DS_Store"), "Finder's own");
        var listing = (await tool.ExecuteAsync(new ViewMemoryCommand("/memories"), Ct)).Content;
        listing.ShouldContain("/memories/project/notes.md");
        listing.ShouldNotContain("DS_Store");
    }

    [Fact]
    public async Task PosixRules_OnThePortableEngine_HoldAnyNameAndKeepCase()
    {
        var tool = Tool(FolderNameRules.Posix);
        (await tool.ExecuteAsync(new CreateMemoryCommand("/memories/CON", "device name\n"), Ct)).IsError.ShouldBeFalse();
        (await tool.ExecuteAsync(new CreateMemoryCommand("/memories/Notes.md", "upper\n"), Ct)).IsError.ShouldBeFalse();
        (await tool.ExecuteAsync(new CreateMemoryCommand("/memories/notes.md", "lower\n"), Ct)).IsError.ShouldBeFalse();
        OnDisk().ShouldBe(["CON", "Notes.md", "notes.md"]);
    }

    [Fact]
    public async Task Backslash_InAModelsPath_IsRefusedUnderWindowsRules_AndPartOfANameUnderLinuxs()
    {
        // Windows would read it as a separator; on Linux it is one more character of a name, as the reference takes it.
        var windows = await Tool(FolderNameRules.Windows).ExecuteAsync(new CreateMemoryCommand("/memories/a\\b.md", "x"), Ct);
        windows.Content.ShouldBe("The memory store could not complete the create command: Windows does not allow < > \" | ? * \\ or control characters in a name: a\\b.md");
        OnDisk().ShouldBeEmpty();
        var posix = await Tool(FolderNameRules.Posix).ExecuteAsync(new CreateMemoryCommand("/memories/a\\b.md", "x"), Ct);
        posix.IsError.ShouldBeFalse();
        OnDisk().ShouldBe(["a\\b.md"]);
    }

    [Fact]
    public void Devices_AreKnownWithAndWithoutExtensions()
    {
        FolderNames.IsDevice("aux.log").ShouldBeTrue();
        FolderNames.IsDevice("Com9").ShouldBeTrue();
        FolderNames.IsDevice("COM10").ShouldBeFalse();
        FolderNames.IsDevice("console").ShouldBeFalse();
        FolderNames.IsDevice("nul ").ShouldBeTrue();
        FolderNames.IsDevice("LPT\u00B3").ShouldBeTrue();
    }
}
