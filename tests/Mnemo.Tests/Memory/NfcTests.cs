using Mnemo.Memory;

namespace Mnemo.Tests.Memory;

/// <summary>The NFC check without ICU, against answers Python's <c>unicodedata.is_normalized("NFC", …)</c> gave for the
/// same strings (Unicode 14): precomposed and decomposed letters, mark order, composition exclusions, Hangul,
/// compatibility ideographs and singletons.</summary>
public sealed class NfcTests
{
    [Theory]
    [InlineData("caf\u00e9", true)]
    [InlineData("cafe\u0301", false)]
    [InlineData("e\u0301\u0327", false)]
    [InlineData("e\u0327\u0301", false)]
    [InlineData("\u1100\u1161", false)]
    [InlineData("\uac00", true)]
    [InlineData("\uac00\u11a8", false)]
    [InlineData("\uf900", false)]
    [InlineData("ASCII/path.md", true)]
    [InlineData("q\u0301", true)]
    [InlineData("A\u030a", false)]
    [InlineData("\u212b", false)]
    [InlineData("A\u0323\u0302", false)]
    [InlineData("\u1ead", true)]
    [InlineData("a\u0302\u0323", false)]
    [InlineData("\u00e0\u0316", true)]
    [InlineData("/notes/r\u00e9sum\u00e9.md", true)]
    [InlineData("\u0915\u093c", true)]
    [InlineData("\u0958", false)]
    [InlineData("\u65e5\u672c\u8a9e", true)]
    [InlineData("\u0627\u0653", false)]
    [InlineData("\u0622", true)]
    [InlineData("o\u0308\u0304", false)]
    [InlineData("\u022b", true)]
    [InlineData("\u0308", true)]
    [InlineData("x\u0308", false)]
    public void IsNormalized_AgreesWithTheUnicodeDatabase(string text, bool expected) => Nfc.IsNormalized(text).ShouldBe(expected);
}
