using System.Text;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;
using Mnemo.Tests;

namespace Mnemo.PostgreSql.Tests;

/// <summary>A store moves between backends whole: a folder exported and imported into PostgreSQL, and back, is the same store.</summary>
public sealed class CrossBackendTests(PostgresServer server)
{
    [Fact]
    public async Task FolderToPostgreSqlAndBack_RoundTripsFilesAndHistoryExactly()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = new ManualTimeProvider();
        using var temp = new TempDirectory();
        using var folder = new FileSystemMemoryStore(temp.Combine("source"), new FileSystemMemoryStoreOptions { TimeProvider = clock });
        var tool = new MemoryTool(folder).AsBuilder().UseActor("agent").Build();
        await tool.ExecuteAsync(new CreateMemoryCommand("/memories/notes/plan.md", "step one\n"), ct);
        await tool.ExecuteAsync(new InsertMemoryCommand("/memories/notes/plan.md", 1, "step two"), ct);
        await tool.ExecuteAsync(new CreateMemoryCommand("/memories/old.md", "gone\n"), ct);
        await tool.ExecuteAsync(new DeleteMemoryCommand("/memories/old.md"), ct);
        await tool.ExecuteAsync(new RenameMemoryCommand("/memories/notes", "/memories/project"), ct);

        using var fromFolder = new MemoryStream();
        await new MemoryAdmin(folder, clock).ExportAsync(fromFolder, ct);

        await using var database = new PostgreSqlMemoryStore(new PostgreSqlMemoryStoreOptions
        {
            ConnectionString = server.ConnectionString,
            Store = "moved-" + Guid.NewGuid().ToString("N"),
            TimeProvider = clock,
        });
        fromFolder.Position = 0;
        await new MemoryAdmin(database, clock).ImportAsync(fromFolder, ct);
        using var fromDatabase = new MemoryStream();
        await new MemoryAdmin(database, clock).ExportAsync(fromDatabase, ct);
        Encoding.UTF8.GetString(fromDatabase.ToArray()).ShouldBe(Encoding.UTF8.GetString(fromFolder.ToArray()));

        // The deleted file is as recoverable in the database as it was in the folder.
        await new MemoryAdmin(database, clock).RestoreAsync(MemoryPathOf("/memories/old.md"), cancellationToken: ct);
        Encoding.UTF8.GetString((await database.ReadAsync(MemoryPathOf("/memories/old.md"), ct))!.Content.Span).ShouldBe("gone\n");

        using var back = new FileSystemMemoryStore(temp.Combine("back"), new FileSystemMemoryStoreOptions { TimeProvider = clock });
        fromDatabase.Position = 0;
        await new MemoryAdmin(back, clock).ImportAsync(fromDatabase, ct);
        File.ReadAllText(temp.Combine("back", "project", "plan.md")).ShouldBe("step one\nstep two\n");
    }

    private static MemoryPath MemoryPathOf(string path) => MemoryPath.TryParse(path, out var parsed, out _) ? parsed : throw new ArgumentException(path);
}
