using System.Text;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Tests.Memory.History;

/// <summary>The store's quotas as the model meets them: a clear error naming the limit and the way out, and nothing written.</summary>
public sealed class MemoryQuotaTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _temp.Dispose();

    private (FileSystemMemoryStore Store, MemoryTool Tool) Open(MemoryQuotas quotas)
    {
        var store = new FileSystemMemoryStore(_temp.Combine("memories"), new FileSystemMemoryStoreOptions { Quotas = quotas });
        return (store, new MemoryTool(store));
    }

    private string[] Files() => [.. Directory.EnumerateFiles(_temp.Combine("memories"), "*", SearchOption.AllDirectories)
        .Select(path => Path.GetRelativePath(_temp.Combine("memories"), path))
        .Where(path => !path.StartsWith(".mnemo", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Defaults_Are100KiBPerFile_And1024BytePaths()
    {
        var quotas = new MemoryQuotas();
        (quotas.MaxFileBytes, quotas.MaxPathBytes).ShouldBe((102_400L, 1024));
        var (store, tool) = Open(quotas);
        using (store)
        {
            (await tool.ExecuteAsync(new CreateMemoryCommand("/memories/ok.md", new string('x', 102_400)), Ct)).IsError.ShouldBeFalse();
            var big = await tool.ExecuteAsync(new CreateMemoryCommand("/memories/big.md", new string('x', 102_401)), Ct);
            big.ShouldBe(new MemoryToolResult(
                "File /memories/big.md would be 102,401 bytes, more than this store's limit of 102,400 bytes per file; nothing was written. Split it into smaller files or summarise it.",
                true));

            var deep = "/memories/" + string.Join('/', Enumerable.Repeat(new string('d', 100), 10)) + "/xy.md";
            var path = await tool.ExecuteAsync(new CreateMemoryCommand(deep, "x"), Ct);
            path.Content.ShouldBe($"Path {deep} would be 1,025 bytes long, more than this store's limit of 1,024 bytes; nothing was written. Use shorter names or fewer folders.");
            path.IsError.ShouldBeTrue();
            Directory.Exists(_temp.Combine("memories", new string('d', 100))).ShouldBeFalse("a refused write must not leave folders behind");
            Files().ShouldBe(["ok.md"]);
        }
    }

    [Fact]
    public async Task StoreTotals_CapFilesAndBytes_AcrossProcessesToo()
    {
        var (store, tool) = Open(new MemoryQuotas { MaxFiles = 2, MaxTotalBytes = 30 });
        using (store)
        {
            (await tool.ExecuteAsync(new CreateMemoryCommand("/memories/a.md", "0123456789"), Ct)).IsError.ShouldBeFalse();

            // A second store on the same folder (another process, in effect) writes; the first must count that file too.
            using (var other = new FileSystemMemoryStore(_temp.Combine("memories")))
            {
                (await new MemoryTool(other).ExecuteAsync(new CreateMemoryCommand("/memories/b.md", "0123456789"), Ct)).IsError.ShouldBeFalse();
            }

            var third = await tool.ExecuteAsync(new CreateMemoryCommand("/memories/c.md", "x"), Ct);
            third.Content.ShouldBe("Writing /memories/c.md would make 3 files, more than this store's limit of 2 files; nothing was written. Delete files that are no longer needed, or merge small ones.");
            var bytes = await tool.ExecuteAsync(new InsertMemoryCommand("/memories/a.md", 1, "0123456789"), Ct);
            bytes.Content.ShouldBe("Writing /memories/a.md would bring the memory store to 32 bytes, more than its limit of 30 bytes; nothing was written. Delete or summarise files that are no longer needed.");

            (await tool.ExecuteAsync(new DeleteMemoryCommand("/memories/b.md"), Ct)).IsError.ShouldBeFalse();
            (await tool.ExecuteAsync(new CreateMemoryCommand("/memories/c.md", "x"), Ct)).IsError.ShouldBeFalse();
            Files().ShouldBe(["a.md", "c.md"]);
        }
    }

    [Fact]
    public void Quotas_AreCheckedWhenTheStoreIsBuilt()
    {
        var error = Should.Throw<ArgumentOutOfRangeException>(() =>
            new FileSystemMemoryStore(_temp.Combine("m"), new FileSystemMemoryStoreOptions { Quotas = new MemoryQuotas { MaxFiles = 0 } }));
        error.ParamName.ShouldBe("MaxFiles");
    }
}
