using System.Text.Json;
using Mnemo.Memory;
using Mnemo.Memory.Safety;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Tests.Memory.History;

public sealed class JsonLinesMemoryAuditLogTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _temp.Dispose();

    private static List<JsonElement> Lines(string path) =>
        [.. File.ReadAllLines(path).Select(line => JsonDocument.Parse(line).RootElement.Clone())];

    [Fact]
    public async Task EveryCommand_IsLoggedWithItsCallerAndOutcome()
    {
        using var store = new FileSystemMemoryStore(_temp.Combine("memories"));
        using var audit = new JsonLinesMemoryAuditLog(_temp.Combine("audit", "memory.jsonl"));
        var tool = new MemoryTool(store).AsBuilder().UseActor("session-1").UseAudit(audit, new ManualTimeProvider()).UseScreening().Build();

        await tool.ExecuteAsync(new CreateMemoryCommand("/memories/a.md", "a"), Ct);
        await tool.ExecuteAsync(new RenameMemoryCommand("/memories/a.md", "/memories/b.md"), "reviewer", Ct);
        await tool.ExecuteAsync(new ViewMemoryCommand("/memories/missing.md"), Ct);
        await tool.ExecuteAsync("{not json", Ct);

        var lines = Lines(audit.FilePath);
        lines.Select(l => (l.GetProperty("actor").GetString(), l.GetProperty("command").GetString(), l.GetProperty("path").GetString(), l.GetProperty("outcome").GetString()))
            .ShouldBe([
                ("session-1", "create", "/memories/a.md", "ok"),
                ("reviewer", "rename", "/memories/a.md", "ok"),
                ("session-1", "view", "/memories/missing.md", "error"),
                ("session-1", "invalid", null, "error"),
            ]);
        lines[1].GetProperty("destination").GetString().ShouldBe("/memories/b.md");
        lines[2].GetProperty("error").GetString().ShouldBe("The path /memories/missing.md does not exist. Please provide a valid path.");
        lines[0].GetProperty("time").GetString().ShouldBe("2026-11-01T09:00:00.0000000Z");
    }

    [Fact]
    public void Rotation_KeepsTheNewestFiles_AndLosesNoLineInThem()
    {
        using var audit = new JsonLinesMemoryAuditLog(_temp.Combine("audit.jsonl"), maxBytes: 1000, maxFiles: 3);
        var entry = new MemoryAuditEntry(DateTimeOffset.UnixEpoch, "a", "view", "/memories/x", null, false, null, TimeSpan.FromMilliseconds(1));
        var size = JsonLinesMemoryAuditLog.Format(entry).Length;
        var total = (4000 / size) + 1;
        for (var i = 0; i < total; i++)
        {
            audit.Record(entry with { Path = $"/memories/{i}" });
        }

        // The write that passes the size rotates at once, so the current file may not exist until the next entry.
        var files = new[] { audit.FilePath, audit.FilePath + ".1", audit.FilePath + ".2", audit.FilePath + ".3" }.Where(File.Exists).ToArray();
        files.Length.ShouldBeGreaterThanOrEqualTo(3);
        files.ShouldContain(audit.FilePath + ".3");
        File.Exists(audit.FilePath + ".4").ShouldBeFalse();
        files.Skip(1).ShouldAllBe(path => new FileInfo(path).Length <= 1000 + size);
        var kept = files.Reverse().SelectMany(Lines).Select(l => int.Parse(l.GetProperty("path").GetString()!["/memories/".Length..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        kept.ShouldBe(Enumerable.Range(total - kept.Count, kept.Count).ToList(), "the kept lines must be the newest, in order, with none missing");
    }

    [Fact]
    public void TwoWritersOnOneFile_RotatingAsTheyGo_LoseNoLine()
    {
        // Two logs on one file stand for two processes: each rotates when it sees the file too large, the other keeps its
        // handle for up to a second. Every line must still be whole, and in one of the files.
        using var first = new JsonLinesMemoryAuditLog(_temp.Combine("audit.jsonl"), maxBytes: 2000, maxFiles: 100);
        using var second = new JsonLinesMemoryAuditLog(_temp.Combine("audit.jsonl"), maxBytes: 2000, maxFiles: 100);
        var entry = new MemoryAuditEntry(DateTimeOffset.UnixEpoch, "a", "view", "/memories/x", null, false, null, TimeSpan.Zero);
        for (var i = 0; i < 300; i++)
        {
            (i % 2 == 0 ? first : second).Record(entry with { Path = $"/memories/{i}" });
        }

        var paths = Directory.EnumerateFiles(_temp.Path, "audit.jsonl*").Where(p => !p.EndsWith(".lock", StringComparison.Ordinal)).ToList();
        paths.Count.ShouldBeGreaterThan(5);
        paths.SelectMany(Lines).Select(l => l.GetProperty("path").GetString()).Order(StringComparer.Ordinal)
            .ShouldBe(Enumerable.Range(0, 300).Select(i => $"/memories/{i}").Order(StringComparer.Ordinal));
    }
}
