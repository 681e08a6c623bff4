using System.Text;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Tests.Memory;

/// <summary>Copying one store into another: the plan writes nothing, the copy goes through the target's history with
/// the source named, a second run changes nothing, pruning deletes what the source lacks, and what the target cannot
/// take is skipped whole, with its reason.</summary>
public sealed class MemoryStoreCopyTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _temp.Dispose();

    private static MemoryPath P(string path) => MemoryPath.TryParse(path, out var parsed, out _) ? parsed : throw new ArgumentException(path);

    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public async Task ACopy_PlansFirst_WritesThroughHistory_AndASecondRunChangesNothing()
    {
        using var source = new FileSystemMemoryStore(_temp.Combine("from"));
        using var target = new FileSystemMemoryStore(_temp.Combine("to"));
        await source.CreateFileAsync(P("/memories/a.md"), B("a\n"), cancellationToken: Ct);
        await source.CreateFileAsync(P("/memories/deep/b.md"), B("b\n"), cancellationToken: Ct);
        await source.CreateFileAsync(P("/memories/same.md"), B("same\n"), cancellationToken: Ct);
        await target.CreateFileAsync(P("/memories/same.md"), B("same\n"), cancellationToken: Ct);
        await target.CreateFileAsync(P("/memories/a.md"), B("old a\n"), cancellationToken: Ct);
        await target.CreateFileAsync(P("/memories/extra.md"), B("only here\n"), cancellationToken: Ct);

        var plan = await MemoryStoreCopy.PlanAsync(source, target, prune: true, Ct);
        plan.Select(item => (item.Path.Normalized, item.Action)).ShouldBe(
        [
            ("/memories/a.md", MemoryCopyAction.Update), ("/memories/deep/b.md", MemoryCopyAction.Create),
            ("/memories/extra.md", MemoryCopyAction.Delete), ("/memories/same.md", MemoryCopyAction.Same),
        ]);
        File.ReadAllText(_temp.Combine("to", "a.md")).ShouldBe("old a\n", "a plan writes nothing");

        var done = await MemoryStoreCopy.CopyAsync(source, target, prune: true, new MemoryWriteContext("ops", "copy from staging"), Ct);
        done.Select(item => item.Action).ShouldBe([MemoryCopyAction.Update, MemoryCopyAction.Create, MemoryCopyAction.Delete, MemoryCopyAction.Same]);
        File.ReadAllText(_temp.Combine("to", "a.md")).ShouldBe("a\n");
        File.ReadAllText(_temp.Combine("to", "deep", "b.md")).ShouldBe("b\n");
        File.Exists(_temp.Combine("to", "extra.md")).ShouldBeFalse();
        var history = await target.ReadHistoryAsync(Ct);
        history.TakeLast(3).ShouldAllBe(change => change.Actor == "ops" && change.Reason == "copy from staging");
        (await target.ReadHistoryAsync(Ct)).Single(change => change.Kind == MemoryChangeKind.Delete).Files.Single().Content!.Value.ToArray()
            .ShouldBe(B("only here\n"), "a pruned file can be restored from its delete");

        (await MemoryStoreCopy.PlanAsync(source, target, prune: true, Ct)).ShouldAllBe(item => item.Action == MemoryCopyAction.Same);
        var again = await MemoryStoreCopy.CopyAsync(source, target, prune: true, cancellationToken: Ct);
        again.ShouldAllBe(item => item.Action == MemoryCopyAction.Same);
        (await target.ReadHistoryAsync(Ct)).Count.ShouldBe(history.Count, "a second run records nothing");
    }

    [Fact]
    public async Task WhatTheTargetCannotTake_IsSkippedWhole_WithItsReason()
    {
        using var source = new FileSystemMemoryStore(_temp.Combine("from"));
        using var target = new FileSystemMemoryStore(_temp.Combine("to"), new FileSystemMemoryStoreOptions { Quotas = new MemoryQuotas { MaxFileBytes = 1_000 } });
        await source.CreateFileAsync(P("/memories/big.md"), B(new string('x', 5_000)), cancellationToken: Ct);
        await source.CreateFileAsync(P("/memories/notes/a.md"), B("a\n"), cancellationToken: Ct);
        await source.CreateFileAsync(P("/memories/small.md"), B("fits\n"), cancellationToken: Ct);
        await target.CreateFileAsync(P("/memories/notes"), B("a file where the source has a folder\n"), cancellationToken: Ct);

        var done = await MemoryStoreCopy.CopyAsync(source, target, prune: false, cancellationToken: Ct);

        var big = done.Single(item => item.Path.Normalized == "/memories/big.md");
        (big.Action, big.Bytes).ShouldBe((MemoryCopyAction.Skip, 5_000L));
        big.Reason!.ShouldStartWith("too large for the target");
        big.Reason.ShouldContain("1,000");
        done.Single(item => item.Path.Normalized == "/memories/notes/a.md").Reason.ShouldBe("the target has a file where the source has a folder above it");
        done.Single(item => item.Path.Normalized == "/memories/small.md").Action.ShouldBe(MemoryCopyAction.Create);
        File.Exists(_temp.Combine("to", "big.md")).ShouldBeFalse("never cut to fit");
    }
}
