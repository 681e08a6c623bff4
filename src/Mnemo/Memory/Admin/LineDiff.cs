using System.Globalization;
using System.Text;
using DiffPlex;

namespace Mnemo.Memory;

/// <summary>Makes unified diffs of two texts, line by line, for people reading a file's history.</summary>
internal static class LineDiff
{
    private const int Context = 3;
    private const long MaxCells = 25_000_000;

    // Two different texts that stand for the middles: DiffPlex compares and chunks texts, and its chunker here answers with lines.
    private const string OldKey = "old";
    private const string NewKey = "new";

    public static string Unified(string oldText, string newText, string oldLabel, string newLabel)
    {
        var a = Split(oldText);
        var b = Split(newText);
        var ops = Operations(a, b);
        if (ops.TrueForAll(op => op.Kind == ' '))
        {
            return string.Empty;
        }

        var output = new StringBuilder();
        output.Append("--- ").Append(oldLabel).Append('\n').Append("+++ ").Append(newLabel).Append('\n');
        var i = 0;
        while (i < ops.Count)
        {
            if (ops[i].Kind == ' ')
            {
                i++;
                continue;
            }

            // A hunk: the change with its context, merged with the next change when their contexts touch.
            var start = Math.Max(0, i - Context);
            var end = i;
            while (end < ops.Count)
            {
                var next = end;
                while (next < ops.Count && ops[next].Kind != ' ')
                {
                    next++;
                }

                var gap = next;
                while (gap < ops.Count && ops[gap].Kind == ' ')
                {
                    gap++;
                }

                end = next;
                if (gap >= ops.Count || gap - next > 2 * Context)
                {
                    end = Math.Min(ops.Count, next + Context);
                    break;
                }

                end = gap;
            }

            var oldStart = ops[start].OldLine;
            var newStart = ops[start].NewLine;
            var oldCount = 0;
            var newCount = 0;
            var body = new StringBuilder();
            for (var k = start; k < end; k++)
            {
                var op = ops[k];
                oldCount += op.Kind != '+' ? 1 : 0;
                newCount += op.Kind != '-' ? 1 : 0;
                body.Append(op.Kind).Append(op.Text).Append('\n');
            }

            output.Append(CultureInfo.InvariantCulture, $"@@ -{Range(oldStart, oldCount)} +{Range(newStart, newCount)} @@\n").Append(body);
            i = end;
        }

        return output.ToString();
    }

    private static string Range(int start, int count) =>
        count == 1 ? (start + 1).ToString(CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{(count == 0 ? start : start + 1)},{count}");

    private static string[] Split(string text)
    {
        if (text.Length == 0)
        {
            return [];
        }

        var lines = text.Split('\n');
        return text.EndsWith('\n') ? lines[..^1] : lines;
    }

    /// <summary>A shortest edit script: common prefix and suffix trimmed, the middle aligned by DiffPlex.</summary>
    private static List<(char Kind, string Text, int OldLine, int NewLine)> Operations(string[] a, string[] b)
    {
        var prefix = 0;
        while (prefix < a.Length && prefix < b.Length && a[prefix] == b[prefix])
        {
            prefix++;
        }

        var suffix = 0;
        while (suffix < a.Length - prefix && suffix < b.Length - prefix && a[^(suffix + 1)] == b[^(suffix + 1)])
        {
            suffix++;
        }

        var ops = new List<(char, string, int, int)>();
        for (var k = 0; k < prefix; k++)
        {
            ops.Add((' ', a[k], k, k));
        }

        var n = a.Length - prefix - suffix;
        var m = b.Length - prefix - suffix;
        if (n == 0 || m == 0 || (long)n * m > MaxCells)
        {
            // Only one side has lines here, or the two are too large to align line by line: the old middle removed and
            // the new one added.
            for (var k = 0; k < n; k++)
            {
                ops.Add(('-', a[prefix + k], prefix + k, prefix));
            }

            for (var k = 0; k < m; k++)
            {
                ops.Add(('+', b[prefix + k], prefix + n, prefix + k));
            }
        }
        else
        {
            // DiffPlex aligns the middles (a shortest edit script, Myers' algorithm) on the lines as split here, so a CR or
            // an empty line stays what it is; its blocks become the same operations the hunks are built from.
            var oldMiddle = a[prefix..(prefix + n)];
            var newMiddle = b[prefix..(prefix + m)];
            var result = Differ.Instance.CreateDiffs(OldKey, NewKey, ignoreWhiteSpace: false, ignoreCase: false, new Lines(oldMiddle, newMiddle));
            var (i, j) = (0, 0);
            foreach (var block in result.DiffBlocks)
            {
                for (; i < block.DeleteStartA; i++, j++)
                {
                    ops.Add((' ', oldMiddle[i], prefix + i, prefix + j));
                }

                for (var k = 0; k < block.DeleteCountA; k++, i++)
                {
                    ops.Add(('-', oldMiddle[i], prefix + i, prefix + block.InsertStartB));
                }

                for (var k = 0; k < block.InsertCountB; k++, j++)
                {
                    ops.Add(('+', newMiddle[j], prefix + i, prefix + j));
                }
            }

            for (; i < n; i++, j++)
            {
                ops.Add((' ', oldMiddle[i], prefix + i, prefix + j));
            }
        }

        for (var k = 0; k < suffix; k++)
        {
            ops.Add((' ', a[a.Length - suffix + k], a.Length - suffix + k, b.Length - suffix + k));
        }

        return ops;
    }

    /// <summary>Hands DiffPlex the two middles as lines already split, whatever text it is given to name them.</summary>
    private sealed class Lines(string[] oldLines, string[] newLines) : IChunker
    {
        public IReadOnlyList<string> Chunk(string str) => ReferenceEquals(str, OldKey) ? oldLines : newLines;
    }
}
