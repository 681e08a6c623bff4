using Mnemo.Memory;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Tests.Memory;

/// <summary>The one compare-and-swap loop, seen through its two users: the tool's edits and the admin's writes.</summary>
public sealed class CompareAndSwapTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FileSystemMemoryStore _store;

    public CompareAndSwapTests()
    {
        _store = new FileSystemMemoryStore(_temp.Combine("memories"));
        File.WriteAllText(_temp.Combine("memories", "notes.md"), "start\n");
    }

    public void Dispose()
    {
        _store.Dispose();
        _temp.Dispose();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Notes => File.ReadAllText(_temp.Combine("memories", "notes.md"));

    [Fact]
    public async Task Edit_OtherWritersGetInBetween_IsTriedAgainAndLosesNoUpdate()
    {
        var contended = new ContendedStore(_store, losses: 5);
        var tool = new MemoryTool(contended);

        var result = await tool.ExecuteAsync(new InsertMemoryCommand("/memories/notes.md", 1, "mine"), Ct);

        result.ShouldBe(MemoryToolResult.Ok("The file /memories/notes.md has been edited."));
        contended.Attempts.ShouldBe(6);
        Notes.ShouldBe("start\nmine\nother 1\nother 2\nother 3\nother 4\nother 5\n");
    }

    [Fact]
    public async Task Edit_ConflictsOutlastTheRetries_IsBusyAndWritesNothing()
    {
        var contended = new ContendedStore(_store, losses: int.MaxValue);
        var tool = new MemoryTool(contended, new MemoryToolOptions { MaxConflictRetries = 3 });

        var result = await tool.ExecuteAsync(new StrReplaceMemoryCommand("/memories/notes.md", "start", "mine"), Ct);

        result.ShouldBe(MemoryToolResult.Error("The file /memories/notes.md kept changing under other writers and was not edited; try the command again"));
        contended.Attempts.ShouldBe(4);
        Notes.ShouldNotContain("mine");
    }

    [Fact]
    public async Task AdminWrite_OtherWritersGetInBetween_IsTriedAgainUntilItWrites()
    {
        var contended = new ContendedStore(_store, losses: 3);
        var admin = new MemoryAdmin(contended);

        var outcome = await admin.WriteAsync(MemoryPath.TryParse("/memories/notes.md", out var path, out _) ? path : throw new ArgumentException("path"), "replaced\n"u8.ToArray(), cancellationToken: Ct);

        outcome.ShouldBe(MemoryWriteOutcome.Updated);
        contended.Attempts.ShouldBe(4);
        Notes.ShouldBe("replaced\n");
    }

    /// <summary>A store where another writer appends a line between each of the first <c>losses</c> reads and their replace.</summary>
    private sealed class ContendedStore(IMemoryStore inner, int losses) : IMemoryStore
    {
        public int Attempts { get; private set; }

        public ValueTask<MemoryItem?> ReadAsync(MemoryPath path, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(path, cancellationToken);

        public ValueTask<IReadOnlyList<MemoryEntry>?> ListAsync(MemoryPath directory, int depth, CancellationToken cancellationToken = default) =>
            inner.ListAsync(directory, depth, cancellationToken);

        public ValueTask<bool> CreateFileAsync(
            MemoryPath path, ReadOnlyMemory<byte> content, MemoryWriteContext? context = null, CancellationToken cancellationToken = default) =>
            inner.CreateFileAsync(path, content, context, cancellationToken);

        public async ValueTask<bool> ReplaceFileAsync(
            MemoryPath path, ReadOnlyMemory<byte> content, MemoryItem expected, MemoryWriteContext? context = null, CancellationToken cancellationToken = default)
        {
            if (++Attempts <= losses)
            {
                var current = (await inner.ReadAsync(path, cancellationToken))!;
                var other = current.Content.ToArray().Concat(System.Text.Encoding.UTF8.GetBytes($"other {Attempts}\n")).ToArray();
                (await inner.ReplaceFileAsync(path, other, current, new MemoryWriteContext("other"), cancellationToken)).ShouldBeTrue();
            }

            return await inner.ReplaceFileAsync(path, content, expected, context, cancellationToken);
        }

        public ValueTask<MemoryDeleteOutcome> DeleteAsync(MemoryPath path, MemoryWriteContext? context = null, CancellationToken cancellationToken = default) =>
            inner.DeleteAsync(path, context, cancellationToken);

        public ValueTask<MemoryRenameOutcome> RenameAsync(
            MemoryPath source, MemoryPath destination, MemoryWriteContext? context = null, CancellationToken cancellationToken = default) =>
            inner.RenameAsync(source, destination, context, cancellationToken);
    }
}
