using System.Globalization;
using System.Text.RegularExpressions;
using Mnemo.Memory;

namespace Mnemo.Tests.Memory.History;

/// <summary>The unified diff of a file's history: well-formed hunks that turn the old lines into the new ones.</summary>
public sealed partial class LineDiffTests
{
    [Fact]
    public void Unified_OneChangedLine_IsOneHunkWithThreeLinesOfContext()
    {
        var old = string.Concat(Enumerable.Range(1, 10).Select(i => $"line {i}\n"));
        var changed = old.Replace("line 5\n", "line five\n", StringComparison.Ordinal);

        LineDiff.Unified(old, changed, "a/plan.md", "b/plan.md").ShouldBe(
            "--- a/plan.md\n+++ b/plan.md\n@@ -2,7 +2,7 @@\n line 2\n line 3\n line 4\n-line 5\n+line five\n line 6\n line 7\n line 8\n");
    }

    [Fact]
    public void Unified_EmptyOldFile_AddsEveryLine_AndSameTexts_GiveNothing()
    {
        LineDiff.Unified("", "a\nb\n", "old", "new").ShouldBe("--- old\n+++ new\n@@ -0,0 +1,2 @@\n+a\n+b\n");
        LineDiff.Unified("a\r\nb\n", "a\r\nb\n", "old", "new").ShouldBeEmpty();
    }

    [Fact]
    public void Unified_CarriageReturnsAndEmptyLines_StayAsTheyAre()
    {
        LineDiff.Unified("a\r\n\nb\n", "a\r\n\n\nb\n", "old", "new").ShouldBe("--- old\n+++ new\n@@ -1,3 +1,4 @@\n a\r\n \n+\n b\n");
    }

    [Fact]
    public void Unified_RandomEdits_ApplyBackToTheNewText()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        for (var round = 0; round < 2000; round++)
        {
            var old = Text(random);
            var changed = Text(random);
            var diff = LineDiff.Unified(old, changed, "old", "new");

            Apply(Lines(old), diff).ShouldBe(Lines(changed), $"seed {seed}, round {round}:\n{diff}");
        }
    }

    private static string Text(Random random)
    {
        var lines = Enumerable.Range(0, random.Next(0, 30)).Select(_ => "abcde"[random.Next(5)].ToString()).ToList();
        var text = string.Concat(lines.Select(line => line + "\n"));
        return random.Next(4) == 0 && text.Length > 0 ? text[..^1] : text;
    }

    private static string[] Lines(string text) => text.Length == 0 ? [] : text.EndsWith('\n') ? text[..^1].Split('\n') : text.Split('\n');

    /// <summary>Applies a unified diff as <c>patch</c> would, checking each hunk's counts and context against the old lines.</summary>
    private static string[] Apply(string[] old, string diff)
    {
        if (diff.Length == 0)
        {
            return old;
        }

        var lines = diff.Split('\n');
        lines[0].ShouldBe("--- old");
        lines[1].ShouldBe("+++ new");
        var result = new List<string>();
        var at = 0;
        for (var i = 2; i < lines.Length && lines[i].Length > 0;)
        {
            var header = Header().Match(lines[i++]);
            header.Success.ShouldBeTrue(lines[i - 1]);
            var (oldStart, oldCount) = Range(header.Groups[1].Value, header.Groups[2].Value);
            var (_, newCount) = Range(header.Groups[3].Value, header.Groups[4].Value);
            var first = oldCount == 0 ? oldStart : oldStart - 1;
            first.ShouldBeGreaterThanOrEqualTo(at);
            result.AddRange(old[at..first]);
            at = first;
            var (seenOld, seenNew) = (0, 0);
            for (; i < lines.Length && lines[i].Length > 0 && lines[i][0] is ' ' or '-' or '+'; i++)
            {
                var (kind, text) = (lines[i][0], lines[i][1..]);
                if (kind != '+')
                {
                    old[at++].ShouldBe(text);
                    seenOld++;
                }

                if (kind != '-')
                {
                    result.Add(text);
                    seenNew++;
                }
            }

            (seenOld, seenNew).ShouldBe((oldCount, newCount));
        }

        result.AddRange(old[at..]);
        return [.. result];

        static (int Start, int Count) Range(string start, string count) =>
            (int.Parse(start, CultureInfo.InvariantCulture), count.Length == 0 ? 1 : int.Parse(count, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@$")]
    private static partial Regex Header();
}
