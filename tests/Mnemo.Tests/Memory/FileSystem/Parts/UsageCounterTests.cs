using Mnemo.Memory.FileSystem;

namespace Mnemo.Tests.Memory.FileSystem.Parts;

/// <summary>The usage count: walked once, kept up to date by the store's own writes, walked again once forgotten.</summary>
public sealed class UsageCounterTests
{
    [Fact]
    public void Get_WalksOnce_AddsTheStoresOwnWrites_AndWalksAgainWhenForgotten()
    {
        var walks = 0;
        var files = new List<long> { 10, 20 };
        void Walk(Action<long> add)
        {
            walks++;
            files.ForEach(add);
        }

        var usage = new UsageCounter(seesOtherWriters: true);
        usage.Add(1, 100);
        usage.Get(Walk).ShouldBe((2, 30), "a write before the first count adds nothing to an unknown count");
        usage.Add(1, 5);
        usage.Get(Walk).ShouldBe((3, 35));
        walks.ShouldBe(1);

        files.Add(7);
        usage.Forget();
        usage.Get(Walk).ShouldBe((3, 37));
        walks.ShouldBe(2);
    }
}
