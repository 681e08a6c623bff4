using Mnemo.Context;

namespace Mnemo.Tests.Context;

/// <summary>The extractive summariser of cleared results keeps what one looks for later, deterministically.</summary>
public sealed class ToolResultSummarizerTests
{
    [Fact]
    public void Code_KeepsItsEnds_ItsDefinitionsAndItsErrors_InOrder_AndItsNames()
    {
        var text = string.Join('\n',
            "import os",
            "",
            "class Ledger:",
            "    def __init__(self):",
            "        self.total = 0",
            "    def add(self, amount):",
            "        # TODO: amounts are floats; use Decimal",
            "        self.total += amount",
            "        return self.total",
            "print(Ledger().add(3))");

        var summary = new ExtractiveToolResultSummarizer { MaxLines = 6 }.Summarize(text);

        summary.ShouldBe(string.Join('\n',
            "import os",
            "…",
            "class Ledger:",
            "    def __init__(self):",
            "…",
            "    def add(self, amount):",
            "        # TODO: amounts are floats; use Decimal",
            "…",
            "print(Ledger().add(3))",
            "(6 of 9 non-empty lines kept)",
            "names: total, Ledger, add, amount, __init__, TODO, amounts, floats, Decimal, print"));
        new ExtractiveToolResultSummarizer { MaxLines = 6 }.Summarize(text).ShouldBe(summary, "the same text, the same summary");
    }

    [Fact]
    public void Json_IsDescribedByItsShape()
    {
        var summary = ExtractiveToolResultSummarizer.Instance.Summarize("""{"model": "m", "messages": [{"role": "user", "content": "hi"}], "tools": []}""");

        summary.ShouldStartWith(string.Join('\n',
            "$: an object of 3 key(s): model, messages, tools",
            "$.messages: a list of 1 item(s)",
            "$.messages[0]: an object of 2 key(s): role, content",
            "$.tools: a list of 0 item(s)"));
    }

    [Fact]
    public void IdentifierSurvival_IsTheShareOfNamesKept_AndNoneWithoutNames()
    {
        ExtractiveToolResultSummarizer.IdentifierSurvival("alpha beta gamma delta", "alpha delta").ShouldBe(0.5);
        ExtractiveToolResultSummarizer.IdentifierSurvival("数据 — 42", "42").ShouldBeNull();
    }
}
