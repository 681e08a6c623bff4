using Mnemo.Context;
using Shouldly;
using Xunit;

namespace Mnemo.Tests.Context;

public sealed class ClaudeModelsTests
{
    [Theory]
    [InlineData("claude-sonnet-4-5", "claude-sonnet-4-5-20250929")]
    [InlineData("claude-sonnet-4-5-20250929", "claude-sonnet-4-5-20250929")]
    [InlineData("CLAUDE-OPUS-4-5", "claude-opus-4-5-20251101")]
    [InlineData("claude-opus-4-6-20260205", "claude-opus-4-6")]
    [InlineData("claude-fable-5-1", "claude-fable-5-1")]
    [InlineData("claude-haiku-5-5", "claude-haiku-5-5")]
    public void Find_KnowsIdsAliasesAndDatedSnapshots(string name, string id)
    {
        var lookup = ClaudeModels.Find(name);
        lookup.IsKnown.ShouldBeTrue();
        lookup.Model.Id.ShouldBe(id);
        lookup.Warning.ShouldBeNull();
    }

    [Theory]
    [InlineData("claude-opus-6", "claude-opus-5-5")]
    [InlineData("claude-sonnet-4-7", "claude-sonnet-4-6")]
    [InlineData("claude-3-5-sonnet-20241022", "claude-sonnet-4-20250514")]
    [InlineData("gpt-5", "claude-fable-5-2")]
    [InlineData("llama3.1:8b", "claude-fable-5-2")]
    [InlineData("", "claude-fable-5-2")]
    [InlineData(null, "claude-fable-5-2")]
    public void Find_AnUnknownNameGetsItsFamilysNearestRulesOrTheNewestFamilys_AndAWarning(string? name, string id)
    {
        var lookup = ClaudeModels.Find(name);
        lookup.IsKnown.ShouldBeFalse();
        lookup.Model.Id.ShouldBe(id);
        lookup.Warning.ShouldNotBeNull().ShouldContain($"'{name}' is not in Mnemo's model table");
        lookup.Warning.ShouldContain(id);
        lookup.Warning.ShouldNotContain("\n");
    }

    [Fact]
    public void Table_HasOneRowPerIdAndAlias_AndSaneFigures()
    {
        var names = ClaudeModels.All.SelectMany(row => new[] { row.Id, row.Alias }.Distinct()).ToList();
        names.Count.ShouldBe(names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        foreach (var row in ClaudeModels.All)
        {
            row.MaxOutputTokens.ShouldBeLessThan(row.ContextWindow, row.Id);
            (row.Thinking & row.DefaultThinking).ShouldBe(row.DefaultThinking, row.Id);
            row.Prices.CacheRead.ShouldBeLessThan(row.Prices.Input, row.Id);
            row.Prices.CacheWrite5m.ShouldBeGreaterThan(row.Prices.Input, row.Id);
            row.Prices.Output.ShouldBe(row.Prices.Input * 5, row.Id);
        }
    }

    [Theory]
    [InlineData("claude-fable-5", true)]
    [InlineData("claude-mythos-5-1", true)]
    [InlineData("claude-opus-5-5", true)]
    [InlineData("claude-sonnet-5-5", true)]
    [InlineData("claude-haiku-5-5", true)]
    [InlineData("claude-opus-5", false)]
    [InlineData("claude-sonnet-5", false)]
    [InlineData("claude-opus-4-8", false)]
    [InlineData("claude-sonnet-4-5", false)]
    public void PrefixBoundThinking_IsOnTheModelsThePrefixChecksPageNames(string model, bool bound) =>
        ClaudeModels.Find(model).Model.ThinkingPrefixBound.ShouldBe(bound);

    [Theory]
    [InlineData("claude-opus-4-8", true)]
    [InlineData("claude-opus-5", true)]
    [InlineData("claude-fable-5", true)]
    [InlineData("claude-sonnet-5", false)]
    [InlineData("claude-sonnet-4-6", false)]
    public void MidConversationSystemMessages_AreTakenWhereTheDocsSay(string model, bool accepted) =>
        ClaudeModels.Find(model).Model.AcceptsSystemMessages.ShouldBe(accepted);

    [Theory]
    [InlineData("claude-sonnet-4-5", true)]
    [InlineData("claude-opus-4-6", true)]
    [InlineData("claude-sonnet-5", false)]
    [InlineData("claude-fable-5-1", false)]
    public void ForcedToolUse_IsRefusedWhereThinkingCannotBeTurnedOff(string model, bool accepted)
    {
        var row = ClaudeModels.Find(model).Model;
        row.AcceptsForcedToolUse.ShouldBe(accepted);
        ((row.Thinking & ThinkingModes.Disabled) != 0).ShouldBe(accepted);
    }

    [Fact]
    public void Prices_CostAUsageInDollars()
    {
        // 1M uncached input, 100k output, 2M cache reads, 200k cache writes on Sonnet 4.5: 3 + 1.5 + 0.6 + 0.75.
        ClaudeModels.Find("claude-sonnet-4-5").Model.Prices.Cost(1_000_000, 100_000, 2_000_000, 200_000).ShouldBe(5.85m);
    }
}
