using Mnemo.Memory;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Tests.Memory.FileSystem.Parts;

/// <summary>The resolver's containment rules, at its own level: what it finds, follows and refuses.</summary>
public sealed class FolderPathResolverTests : IDisposable
{
    private readonly FolderFixture _folder = new();
    private readonly FolderPathResolver _resolver;

    public FolderPathResolverTests()
    {
        Directory.CreateDirectory(_folder.Combine("notes"));
        File.WriteAllText(_folder.Combine("notes", "a.md"), "a");
        _resolver = new FolderPathResolver(LinuxFolderSystem.Instance, _folder.Fd, _folder.Root);
    }

    public void Dispose() => _folder.Dispose();

    private static MemoryPath P(string path) => MemoryPath.TryParse(path, out var parsed, out _) ? parsed : throw new ArgumentException(path);

    private FolderResolution Resolve(string path, bool createParents = false) => _resolver.Resolve(P(path), createParents);

    [Fact]
    public void Resolve_FileAndMissingNames_AreFoundOrMissing()
    {
        using (var found = Resolve("/memories/notes/a.md"))
        {
            (found.Status, found.Name, found.Stat.IsRegular).ShouldBe((ResolveStatus.Found, "a.md", true));
        }

        using (var missing = Resolve("/memories/notes/b.md"))
        {
            missing.Status.ShouldBe(ResolveStatus.Missing);
        }

        using (var noParent = Resolve("/memories/none/b.md"))
        {
            noParent.Status.ShouldBe(ResolveStatus.ParentMissing);
        }

        using var root = Resolve("/memories");
        root.Status.ShouldBe(ResolveStatus.Root);
    }

    [Fact]
    public void Resolve_LinksInsideTheRoot_AreFollowed_AndLinksOutOfIt_Refused()
    {
        File.CreateSymbolicLink(_folder.Combine("inside"), _folder.Combine("notes"));
        File.CreateSymbolicLink(_folder.Combine("relative"), "notes/a.md");
        File.CreateSymbolicLink(_folder.Combine("outside"), Path.GetTempPath());
        File.CreateSymbolicLink(_folder.Combine("up"), "../");

        using (var inside = Resolve("/memories/inside/a.md"))
        {
            inside.Status.ShouldBe(ResolveStatus.Found);
        }

        using (var relative = Resolve("/memories/relative"))
        {
            (relative.Status, relative.Name).ShouldBe((ResolveStatus.Found, "a.md"));
        }

        Should.Throw<MemoryPathEscapeException>(() => Resolve("/memories/outside/x"));
        Should.Throw<MemoryPathEscapeException>(() => Resolve("/memories/up/x"));
    }

    [Fact]
    public void Resolve_TheStoresOwnFolder_IsAsFarOutOfReachAsTheOutside()
    {
        Directory.CreateDirectory(_folder.Combine(FileSystemMemoryStore.MetaDirectoryName));
        File.CreateSymbolicLink(_folder.Combine("meta"), FileSystemMemoryStore.MetaDirectoryName);

        Should.Throw<MemoryPathEscapeException>(() => Resolve("/memories/.mnemo/history.jsonl"));
        Should.Throw<MemoryPathEscapeException>(() => Resolve("/memories/meta/history.jsonl"));
        using var nested = Resolve("/memories/notes/.mnemo");
        nested.Status.ShouldBe(ResolveStatus.Missing, "only the root's .mnemo is reserved");
    }

    [Fact]
    public void Resolve_ALoopOfLinks_IsNotFound_AndCreateParents_MakesTheFolders()
    {
        File.CreateSymbolicLink(_folder.Combine("loop1"), "loop2");
        File.CreateSymbolicLink(_folder.Combine("loop2"), "loop1");

        using (var loop = Resolve("/memories/loop1"))
        {
            loop.Status.ShouldBe(ResolveStatus.Missing);
        }

        using var made = Resolve("/memories/x/y/z.md", createParents: true);
        (made.Status, made.CreatedDirectory).ShouldBe((ResolveStatus.Missing, true));
        Directory.Exists(_folder.Combine("x", "y")).ShouldBeTrue();
        new DirectoryInfo(_folder.Combine("x")).UnixFileMode.ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
