using System.Text;
using Mnemo.Tokens;

namespace Mnemo.Tests.Tokens;

public sealed class TokenEstimatorTests
{
    [Theory]
    [InlineData("", 0)]
    [InlineData("the", 1)]
    [InlineData("the cat sat", 3)]
    [InlineData("internationalization", 4)]
    [InlineData("if (x)\n    return;", 8)]
    [InlineData("camelCase 2025", 4)]
    [InlineData("a  b", 3)]
    [InlineData("line\nline", 3)]
    [InlineData("{\"a\":1}", 5)]
    [InlineData("привет мир", 5)]
    [InlineData("配置错误", 4)]
    [InlineData("🙂🙂", 4)]
    public void Estimate_ByTheDocumentedRules(string text, long expected)
    {
        TokenEstimator.Estimate(text).ShouldBe(expected);
        TokenEstimator.Estimate(Encoding.UTF8.GetBytes(text)).ShouldBe(expected);
    }

    [Fact]
    public void Estimate_StringAndItsUtf8_AlwaysAgree()
    {
        var random = new Random(42);
        var alphabet = "ab Z9_ \t\n\r{}\":,.éжα中文🙂\uD800".ToCharArray();
        for (var i = 0; i < 2000; i++)
        {
            var text = new string([.. Enumerable.Range(0, random.Next(0, 80)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
            TokenEstimator.Estimate(text).ShouldBe(TokenEstimator.Estimate(Encoding.UTF8.GetBytes(text)), $"text {i}: {text}");
        }
    }

    [Fact]
    public void Estimate_GrowsWithTheText()
    {
        var one = TokenEstimator.Estimate("The function returns null when the file is missing. ");
        TokenEstimator.Estimate(string.Concat(Enumerable.Repeat("The function returns null when the file is missing. ", 10))).ShouldBeInRange((one * 10) - 10, (one * 10) + 10);
    }
}
