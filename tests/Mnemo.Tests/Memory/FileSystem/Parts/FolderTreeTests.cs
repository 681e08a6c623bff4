using Mnemo.Memory;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Tests.Memory.FileSystem.Parts;

/// <summary>The one walk over a folder's files: regular files only, links not followed, temp files and the root's own folder skipped.</summary>
public sealed class FolderTreeTests : IDisposable
{
    private readonly FolderFixture _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void WalkFiles_VisitsRegularFilesOnly_WithTheirPaths()
    {
        Directory.CreateDirectory(_folder.Combine("a", "b"));
        Directory.CreateDirectory(_folder.Combine(FileSystemMemoryStore.MetaDirectoryName));
        File.WriteAllText(_folder.Combine("top.md"), "1");
        File.WriteAllText(_folder.Combine("a", "b", "deep.md"), "22");
        File.WriteAllText(_folder.Combine(FileSystemMemoryStore.MetaDirectoryName, "history.jsonl"), "{}");
        File.WriteAllText(_folder.Combine("a", DurableFileWriter.TempName()), "torn");
        File.CreateSymbolicLink(_folder.Combine("a", "link.md"), _folder.Combine("top.md"));
        File.CreateSymbolicLink(_folder.Combine("tree"), _folder.Combine("a"));

        var seen = new List<(string, ulong)>();
        FolderTree.WalkFiles(LinuxFolderSystem.Instance, _folder.Fd, MemoryPath.RootPath, skipMetaFolder: true, (_, _, path, stat) => seen.Add((path.Normalized, stat.Size)));

        seen.Order().ShouldBe([("/memories/a/b/deep.md", 2UL), ("/memories/top.md", 1UL)]);
    }
}
